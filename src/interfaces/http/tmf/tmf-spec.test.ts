import { describe, expect, it } from 'vitest';
import { TMF_SPECS, tmfSchema, tmfSpec, type TmfApi } from './tmf-spec.js';

describe('the official TMF specifications', () => {
  it('are vendored for every API listed, each with its base path', () => {
    for (const api of Object.keys(TMF_SPECS) as TmfApi[]) {
      const spec = tmfSpec(api);
      expect(spec.basePath).toMatch(/^\/tmf-api\/\w+\/v[45]\/?$/);
      expect(Object.keys(spec.definitions).length).toBeGreaterThan(10);
    }
  });

  it('give zod schemas that enforce the definition and keep extension fields', () => {
    const offering = tmfSchema('TMF620', 'ProductOffering');
    const ok = offering.safeParse({ id: 'x', name: 'X', productOfferingPrice: [{ id: 'p' }], eligibility: 'churn > 0.5' });
    expect(ok.success && ok.data).toMatchObject({ eligibility: 'churn > 0.5' });
    // ProductOfferingPriceRef requires its id; lifecycleStatus is a string.
    expect(offering.safeParse({ id: 'x', productOfferingPrice: [{ name: 'p' }] }).success).toBe(false);
    expect(offering.safeParse({ id: 'x', lifecycleStatus: 3 }).success).toBe(false);
    expect(tmfSchema('TMF620', 'Error').safeParse({ code: 'NOT_FOUND' }).success).toBe(false);
    expect(() => tmfSchema('TMF629', 'NoSuchThing')).toThrow(/defines no "NoSuchThing"/);
  });
});

describe('the TMF921 v5 definitions (tmf921-spec.ts)', () => {
  it('hold what the official v5 ones require: @type on every resource, name and expression (with its iri) to create, code and reason on an Error', () => {
    const intent = tmfSchema('TMF921', 'Intent');
    expect(intent.safeParse({ id: 'x' }).success).toBe(false);
    expect(intent.safeParse({ id: 'x', '@type': 'Intent', lifecycleStatus: 'proposed' }).success).toBe(true);
    const create = tmfSchema('TMF921', 'Intent_FVO');
    const expression = { '@type': 'JsonLdExpression', iri: 'urn:x', expressionValue: { '@type': 'TwinloopIntent', goal: 'retain' } };
    expect(create.safeParse({ '@type': 'Intent', name: 'n', expression }).success).toBe(true);
    expect(create.safeParse({ '@type': 'Intent', expression }).success).toBe(false);
    expect(create.safeParse({ '@type': 'Intent', name: 'n', expression: { ...expression, iri: undefined } }).success).toBe(false);
    expect(tmfSchema('TMF921', 'Error').safeParse({ '@type': 'Error', code: 'X' }).success).toBe(false);
    expect(tmfSpec('TMF921').basePath).toBe('/tmf-api/intentManagement/v5');
  });
});
