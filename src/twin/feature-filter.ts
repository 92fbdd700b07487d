import { z } from 'zod';
import { TwinloopError } from '../domain/errors.js';
import { FEATURE_NAMES } from './twin-features.js';

/**
 * The one vocabulary for conditions over a twin: `{ field, op, value }`, where `field` names a
 * twin feature (`FEATURE_NAMES`) or a number a layer above supplies beside them (a live score
 * such as `churn`). Policy segments, intent segments, simulation targets and the `/twins` query
 * all parse, check and evaluate their filters here. See docs/policy.md for the document form and
 * README.md for the query form.
 */

/** Comparison operators, as documents write them. */
export const FILTER_OPS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** The same operators as a query string spells them (`tenure_days.gte=365`); a key without one means `eq`. */
export const QUERY_OPS = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '==', ne: '!=' } as const satisfies Record<string, FilterOp>;
export type QueryOp = keyof typeof QUERY_OPS;

/** One condition: the twin's `field` compared by `op` with `value`. */
export interface FeatureFilter {
  readonly field: string;
  readonly op: FilterOp;
  readonly value: number;
}

/**
 * The named numbers filters may read, in the order their values are laid out in a vector: the
 * twin's features first (at their `FEATURE_INDEX`), then any extra names.
 */
export interface FilterFields {
  readonly names: readonly string[];
  /** Position of a name in the vector; undefined for a name that is not a field (`__proto__` included). */
  indexOf(name: string): number | undefined;
}

/** The fields of `names` (features first, then extras); a name given twice is a programming error. */
export function filterFields(extra: readonly string[] = []): FilterFields {
  const names = [...FEATURE_NAMES, ...extra];
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (index.has(n)) throw new TwinloopError('INTERNAL', `filter field "${n}" is defined twice`);
    index.set(n, i);
  });
  return { names, indexOf: (name) => index.get(name) };
}

/** The twin's features alone. */
export const TWIN_FEATURE_FIELDS: FilterFields = filterFields();

/** The message for a field name that is not among `fields`. */
export function unknownFieldMessage(name: string, fields: FilterFields): string {
  return `unknown field "${name}"; known fields: ${fields.names.join(', ')}`;
}

/**
 * The zod schema of one filter whose field must be one of `fields`. Documents written before the
 * vocabulary was one may name the field `feature`; it is read as `field` (documented as deprecated).
 */
export function featureFilterSchema(fields: FilterFields) {
  return z.preprocess(
    (raw) => {
      if (raw === null || typeof raw !== 'object' || 'field' in raw || !('feature' in raw)) return raw;
      const { feature, ...rest } = raw as Record<string, unknown>;
      return { field: feature, ...rest };
    },
    z.strictObject({
      field: z.string().refine((name) => fields.indexOf(name) !== undefined, { error: (issue) => unknownFieldMessage(String(issue.input), fields) }),
      op: z.enum(FILTER_OPS),
      value: z.number().finite(),
    }),
  );
}

/** True when `x op value` holds; a missing value (NaN) holds for no operator, not even `!=`. */
export function holds(op: FilterOp, x: number, value: number): boolean {
  switch (op) {
    case '<':
      return x < value;
    case '<=':
      return x <= value;
    case '>':
      return x > value;
    case '>=':
      return x >= value;
    case '==':
      return x === value;
    case '!=':
      return x === x && x !== value;
  }
}

/** A compiled filter list over a vector laid out as its fields: true when every filter holds. */
export type FilterPredicate = (values: ArrayLike<number>) => boolean;

/** Compiles filters against `fields` once (BAD_INPUT naming the first unknown field); the predicate allocates nothing. */
export function compileFilters(filters: readonly FeatureFilter[], fields: FilterFields): FilterPredicate {
  const at = filters.map((f) => {
    const i = fields.indexOf(f.field);
    if (i === undefined) throw new TwinloopError('BAD_INPUT', unknownFieldMessage(f.field, fields));
    return i;
  });
  const ops = filters.map((f) => f.op);
  const values = filters.map((f) => f.value);
  return (v) => {
    for (let k = 0; k < at.length; k++) if (!holds(ops[k], v[at[k]], values[k])) return false;
    return true;
  };
}

/** The predicate of filters over a record of named numbers (an action request's features); a name the record lacks fails its filter. */
export function recordPredicate(filters: readonly FeatureFilter[]): (record: Readonly<Record<string, number>>) => boolean {
  return (record) => filters.every((f) => holds(f.op, Object.hasOwn(record, f.field) && typeof record[f.field] === 'number' ? record[f.field] : Number.NaN, f.value));
}

/** True when some filter reads a field past the twin's features (one a caller must supply). */
export function readsExtraFields(filters: readonly FeatureFilter[], fields: FilterFields): boolean {
  return filters.some((f) => (fields.indexOf(f.field) ?? 0) >= FEATURE_NAMES.length);
}

/**
 * Parses query-string pairs `field.op=value` (e.g. `data_mb_30d.gt=1000`, `is_prepaid=1`,
 * `churn.gte=0.5`) into filters, naming the pair at fault: an unknown field (with the known ones),
 * an unknown operator, or a value that is not a number.
 */
export function parseFilterQuery(pairs: Readonly<Record<string, string>>, fields: FilterFields): FeatureFilter[] {
  const filters: FeatureFilter[] = [];
  for (const [key, raw] of Object.entries(pairs)) {
    const dot = key.lastIndexOf('.');
    const field = dot > 0 ? key.slice(0, dot) : key;
    const word = dot > 0 ? key.slice(dot + 1) : 'eq';
    if (fields.indexOf(field) === undefined) throw new TwinloopError('BAD_INPUT', `${key}: ${unknownFieldMessage(field, fields)}`);
    if (!Object.hasOwn(QUERY_OPS, word)) throw new TwinloopError('BAD_INPUT', `${key}: unknown operator "${word}"; use one of ${Object.keys(QUERY_OPS).join(', ')}`);
    const value = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) throw new TwinloopError('BAD_INPUT', `${key}: "${String(raw)}" is not a number`);
    filters.push({ field, op: QUERY_OPS[word as QueryOp], value });
  }
  return filters;
}

/**
 * A filter as one readable line: `churn >= 0.5`, its value to 4 significant digits (an at-risk
 * level read from the scores printed "churn >= 0.020424438159624796" in the server's log); the
 * filter itself keeps its value whole.
 */
export function formatFilter(f: FeatureFilter): string {
  return `${f.field} ${f.op} ${Number.isInteger(f.value) ? f.value : Number(f.value.toPrecision(4))}`;
}
