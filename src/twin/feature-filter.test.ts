import { describe, expect, it } from 'vitest';
import { compileFilters, featureFilterSchema, filterFields, formatFilter, parseFilterQuery, recordPredicate, TWIN_FEATURE_FIELDS, type FeatureFilter, type FilterOp } from './feature-filter.js';
import { FEATURE_COUNT, FEATURE_INDEX } from './twin-features.js';

const withScores = filterFields(['churn', 'clv']);

describe('feature filters from a query string', () => {
  it('reads field.op=value pairs, eq without an operator, features and extra fields alike', () => {
    expect(parseFilterQuery({ 'data_mb_30d.gt': '1000', is_prepaid: '1', 'churn.gte': '0.5', 'tenure_days.lte': '-3.5' }, withScores)).toEqual([
      { field: 'data_mb_30d', op: '>', value: 1000 },
      { field: 'is_prepaid', op: '==', value: 1 },
      { field: 'churn', op: '>=', value: 0.5 },
      { field: 'tenure_days', op: '<=', value: -3.5 },
    ]);
    expect(parseFilterQuery({ 'a.b.lt': '1' }, filterFields(['a.b']))).toEqual([{ field: 'a.b', op: '<', value: 1 }]);
  });

  it('rejects unknown fields with the known ones, prototype keys included', () => {
    expect(() => parseFilterQuery({ 'dat_mb.gt': '1' }, TWIN_FEATURE_FIELDS)).toThrow(/dat_mb\.gt: unknown field "dat_mb"; known fields: tenure_days, .*data_mb_30d/);
    expect(() => parseFilterQuery({ 'churn.gt': '0.5' }, TWIN_FEATURE_FIELDS)).toThrow(/unknown field "churn"/);
    for (const key of ['__proto__', 'constructor', 'toString.gt', 'hasOwnProperty']) {
      expect(() => parseFilterQuery(JSON.parse(`{"${key}": "1"}`) as Record<string, string>, withScores)).toThrow(/unknown field/);
    }
  });

  it('rejects unknown operators and values that are not numbers', () => {
    expect(() => parseFilterQuery({ 'tenure_days.above': '1' }, TWIN_FEATURE_FIELDS)).toThrow(/unknown operator "above"; use one of lt, lte, gt, gte, eq, ne/);
    expect(() => parseFilterQuery({ 'tenure_days.constructor': '1' }, TWIN_FEATURE_FIELDS)).toThrow(/unknown operator/);
    for (const raw of ['', ' ', 'abc', 'Infinity', 'NaN']) {
      expect(() => parseFilterQuery({ 'tenure_days.gt': raw }, TWIN_FEATURE_FIELDS)).toThrow(/is not a number/);
    }
  });
});

describe('the filter schema', () => {
  const schema = featureFilterSchema(withScores);

  it('accepts a known field with an operator and a finite value', () => {
    expect(schema.parse({ field: 'churn', op: '>=', value: 0.3 })).toEqual({ field: 'churn', op: '>=', value: 0.3 });
  });

  it('names the unknown field and lists the known ones', () => {
    const r = schema.safeParse({ field: 'shoe_size', op: '>', value: 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['field'], message: expect.stringMatching(/^unknown field "shoe_size"; known fields: tenure_days, .*, churn, clv$/) });
    expect(schema.safeParse({ field: '__proto__', op: '>', value: 1 }).success).toBe(false);
    expect(schema.safeParse({ field: 'churn', op: '=>', value: 1 }).success).toBe(false);
    expect(schema.safeParse({ field: 'churn', op: '>', value: 1, extra: true }).success).toBe(false);
  });

  it('reads `feature`, the older name of `field`', () => {
    expect(schema.parse({ feature: 'arpu_3m', op: '>=', value: 60 })).toEqual({ field: 'arpu_3m', op: '>=', value: 60 });
  });
});

describe('evaluating filters', () => {
  const vector = (values: Partial<Record<string, number>>): Float64Array => {
    const v = new Float64Array(FEATURE_COUNT + 2);
    for (const [name, x] of Object.entries(values)) v[withScores.indexOf(name)!] = x!;
    return v;
  };
  const cases: [FilterOp, number, boolean][] = [
    ['<', 5, false], ['<', 6, true], ['<=', 5, true], ['<=', 4, false], ['>', 4, true], ['>', 5, false],
    ['>=', 5, true], ['>=', 6, false], ['==', 5, true], ['==', 4, false], ['!=', 4, true], ['!=', 5, false],
  ];

  it('holds each operator over a vector and over a record alike', () => {
    for (const [op, value, expected] of cases) {
      const f: FeatureFilter = { field: 'complaints_90d', op, value };
      expect(compileFilters([f], withScores)(vector({ complaints_90d: 5 })), formatFilter(f)).toBe(expected);
      expect(recordPredicate([f])({ complaints_90d: 5 }), formatFilter(f)).toBe(expected);
    }
  });

  it('needs every filter to hold, reads extra fields after the features, and an empty list holds for all', () => {
    const test = compileFilters([{ field: 'is_prepaid', op: '==', value: 1 }, { field: 'churn', op: '>', value: 0.5 }], withScores);
    expect(withScores.indexOf('churn')).toBe(FEATURE_COUNT);
    expect(withScores.indexOf('is_prepaid')).toBe(FEATURE_INDEX.is_prepaid);
    expect(test(vector({ is_prepaid: 1, churn: 0.7 }))).toBe(true);
    expect(test(vector({ is_prepaid: 1, churn: 0.2 }))).toBe(false);
    expect(test(vector({ is_prepaid: 0, churn: 0.7 }))).toBe(false);
    expect(compileFilters([], withScores)(vector({}))).toBe(true);
  });

  it('lets a missing value (NaN, or a name a record lacks) pass no filter, not even !=', () => {
    const ne: FeatureFilter = { field: 'churn', op: '!=', value: 0.5 };
    expect(compileFilters([ne], withScores)(vector({ churn: Number.NaN }))).toBe(false);
    expect(recordPredicate([ne])({})).toBe(false);
    expect(recordPredicate([{ field: 'toString', op: '!=', value: 0 }])({})).toBe(false);
  });

  it('refuses to compile a filter over an unknown field', () => {
    expect(() => compileFilters([{ field: 'churn', op: '>', value: 0 }], TWIN_FEATURE_FIELDS)).toThrow(/unknown field "churn"; known fields/);
  });
});

describe('formatFilter', () => {
  it('reads a level computed from the scores to 4 significant digits, and a whole number whole', () => {
    expect(formatFilter({ field: 'churn', op: '>=', value: 0.020424438159624796 })).toBe('churn >= 0.02042');
    expect(formatFilter({ field: 'arpu_3m', op: '>=', value: 60 })).toBe('arpu_3m >= 60');
    expect(formatFilter({ field: 'clv', op: '>', value: 1234567.891 })).toBe('clv > 1235000');
  });
});
