import type { TwinEngine } from './twin-engine.js';
import { compileFilters, filterFields, parseFilterQuery, readsExtraFields, type FeatureFilter, type FilterFields } from './feature-filter.js';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from './twin-features.js';

/**
 * Numbers a layer above keeps per twin beside its features (the live churn and value scores), so
 * that a twin query can filter on them: the twin layer knows their names, not how they are made.
 */
export interface ExtraFields {
  readonly names: readonly string[];
  /** Writes the twin's values of `names`, in order, into `out` from `offset` (NaN where there is none). */
  read(customerId: string, out: Float64Array, offset: number): void;
}

/** The fields a twin query can filter on: the features, and the extra fields when given. */
export function queryFields(extra?: ExtraFields): FilterFields {
  return filterFields(extra?.names ?? []);
}

export interface TwinPage {
  items: { customerId: string; features: Record<FeatureName, number>; scores?: Record<string, number> }[];
  /** Matches found so far when the scan stopped (all matches when `next` is null). */
  next: number | null;
}

/**
 * Scans twins in slot order from `offset`, returning up to `limit` whose features (and extra
 * fields) pass every filter. Extra fields are read only when a filter needs them, and then shown
 * beside the features under `scores`.
 */
export function queryTwins(engine: TwinEngine, filters: readonly FeatureFilter[], offset: number, limit: number, extra?: ExtraFields, keep?: (customerId: string) => boolean): TwinPage {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  const withExtra = extra !== undefined && readsExtraFields(filters, fields);
  const vec = new Float64Array(fields.names.length);
  const items: TwinPage['items'] = [];
  let slot = offset;
  for (; slot < engine.table.size && items.length < limit; slot++) {
    const id = engine.table.idAt(slot);
    if (keep && !keep(id)) continue;
    engine.features(id, engine.eventClock, vec);
    if (withExtra) extra.read(id, vec, FEATURE_COUNT);
    if (!test(vec)) continue;
    items.push(twinItem(id, vec, withExtra ? extra : undefined));
  }
  return { items, next: slot < engine.table.size ? slot : null };
}

/** A listed twin: its features read into `vec`, and the extra fields after them when a filter read them. */
export function twinItem(customerId: string, vec: Float64Array, extra: ExtraFields | undefined): TwinPage['items'][number] {
  const features = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((n, i) => (features[n] = vec[i]));
  if (!extra) return { customerId, features };
  return { customerId, features, scores: Object.fromEntries(extra.names.map((n, k) => [n, vec[FEATURE_COUNT + k]])) };
}

/**
 * `queryTwins` over query-string filters (`{ 'churn.gt': '0.5', 'is_prepaid': '1' }`), as the HTTP
 * and MCP edges take them; `keep` leaves out the twins a caller may not see (a segment-scoped key).
 */
export function queryTwinsWhere(engine: TwinEngine, pairs: Readonly<Record<string, string>>, offset: number, limit: number, extra?: ExtraFields, keep?: (customerId: string) => boolean): TwinPage {
  return queryTwins(engine, parseFilterQuery(pairs, queryFields(extra)), offset, limit, extra, keep);
}

/**
 * How many twins pass each of several filter lists, in one pass over the twins: each twin's
 * features (and extra fields, when any list reads one) are read once, whatever the number of lists.
 */
export function countTwins(engine: TwinEngine, filterLists: readonly (readonly FeatureFilter[])[], extra?: ExtraFields): number[] {
  const counts = filterLists.map(() => 0);
  const fields = queryFields(extra);
  const tests = filterLists.map((filters) => compileFilters(filters, fields));
  const withExtra = extra !== undefined && filterLists.some((filters) => readsExtraFields(filters, fields));
  const vec = new Float64Array(fields.names.length);
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    if (withExtra) extra.read(id, vec, FEATURE_COUNT);
    for (let k = 0; k < tests.length; k++) if (tests[k](vec)) counts[k]++;
  }
  return counts;
}

/**
 * One twin tested against filters, its features read by the caller (a walk that reads them for more
 * than the test) and the extra fields read here only when a filter names one.
 */
export function twinMatcher(filters: readonly FeatureFilter[], extra?: ExtraFields): (customerId: string, features: Float64Array) => boolean {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  const withExtra = extra !== undefined && readsExtraFields(filters, fields);
  const vec = new Float64Array(fields.names.length);
  return (customerId, features) => {
    vec.set(features.subarray(0, FEATURE_COUNT));
    if (withExtra) extra.read(customerId, vec, FEATURE_COUNT);
    return test(vec);
  };
}

/**
 * One field's value (a feature, or an extra field such as the churn score) of every twin that passes
 * the filters, in slot order: what a too small segment's refusal reads to say how far a threshold
 * must move for the segment to hold a plan (segment-resolution.ts).
 */
export function fieldValuesWhere(engine: TwinEngine, field: string, filters: readonly FeatureFilter[], extra?: ExtraFields): number[] {
  const fields = queryFields(extra);
  const at = fields.names.indexOf(field);
  if (at < 0) throw new Error(`unknown field ${field}; the fields are ${fields.names.join(', ')}`);
  const test = compileFilters(filters, fields);
  const withExtra = extra !== undefined && (at >= FEATURE_COUNT || readsExtraFields(filters, fields));
  const vec = new Float64Array(fields.names.length);
  const out: number[] = [];
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    if (withExtra) extra.read(id, vec, FEATURE_COUNT);
    if (test(vec)) out.push(vec[at]);
  }
  return out;
}

/** The ids of every twin that passes the filters, in slot order (the whole population for no filter). */
export function twinIdsWhere(engine: TwinEngine, filters: readonly FeatureFilter[], extra?: ExtraFields): string[] {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  const withExtra = extra !== undefined && readsExtraFields(filters, fields);
  const vec = new Float64Array(fields.names.length);
  const ids: string[] = [];
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    if (filters.length > 0) {
      engine.features(id, engine.eventClock, vec);
      if (withExtra) extra.read(id, vec, FEATURE_COUNT);
      if (!test(vec)) continue;
    }
    ids.push(id);
  }
  return ids;
}
