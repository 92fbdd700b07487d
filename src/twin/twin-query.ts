import { TwinloopError } from '../domain/errors.js';
import type { TwinEngine } from './twin-engine.js';
import { compileFilters, filterFields, parseFilterQuery, readsExtraFields, type FeatureFilter, type FilterFields } from './feature-filter.js';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from './twin-features.js';

/**
 * Numbers a layer above keeps per twin beside its features (the live churn and value scores), so
 * that a twin query can filter on them: the twin layer knows their names, not how they are made.
 */
export interface ExtraFields {
  readonly names: readonly string[];
  /**
   * The read of one pass over twins: it writes a twin's values of `names`, in order, into `out`
   * from `offset` (NaN where there is none). What every twin's values share (the at-risk level the
   * live scores are compared with) is read once, when the pass asks for its reader.
   */
  reader(): ExtraRead;
  /** Whether they can be read now (a model serves): a twin list then shows them for every twin, not only when a filter reads them. */
  readable?(): boolean;
}

/** Writes one twin's extra fields into `out` from `offset` (`ExtraFields.reader`). */
export type ExtraRead = (customerId: string, out: Float64Array, offset: number) => void;

/** A twin list's order: by one field of the vocabulary (a feature or an extra field), ascending or descending; twins without a value last. */
export interface TwinSort {
  readonly field: string;
  readonly descending: boolean;
}

/**
 * Reads a list's `sort` (`churn`, `-churn`: a field of the filter vocabulary, `-` for descending);
 * BAD_INPUT naming the fields when it is none of them.
 */
export function parseTwinSort(text: string, extra?: ExtraFields): TwinSort {
  const descending = text.startsWith('-');
  const field = descending ? text.slice(1) : text;
  const fields = queryFields(extra);
  if (fields.indexOf(field) === undefined) throw new TwinloopError('BAD_INPUT', `sort=${text}: unknown field "${field}"; sort by one of ${fields.names.join(', ')}, with a leading - for the highest first`);
  return { field, descending };
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
 * fields) pass every filter. Extra fields are read for every twin scanned only when a filter needs
 * them; shown beside the features under `scores` when a filter read them or they can be read (a
 * model serves), and then read for the twins listed only.
 */
export function queryTwins(engine: TwinEngine, filters: readonly FeatureFilter[], offset: number, limit: number, extra?: ExtraFields, keep?: (customerId: string) => boolean): TwinPage {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  // Read for every twin only when a filter names one; else only for the twins listed (when a model serves, every listed twin shows them).
  const filterRead = extra !== undefined && readsExtraFields(filters, fields) ? extra.reader() : undefined;
  const shown = extra !== undefined && (filterRead !== undefined || (extra.readable?.() ?? false));
  const listRead = filterRead === undefined && shown ? extra.reader() : undefined;
  const vec = new Float64Array(fields.names.length);
  const items: TwinPage['items'] = [];
  let slot = offset;
  for (; slot < engine.table.size && items.length < limit; slot++) {
    const id = engine.table.idAt(slot);
    if (keep && !keep(id)) continue;
    engine.features(id, engine.eventClock, vec);
    if (filterRead) filterRead(id, vec, FEATURE_COUNT);
    if (!test(vec)) continue;
    if (listRead) listRead(id, vec, FEATURE_COUNT);
    items.push(twinItem(id, vec, shown ? extra : undefined));
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
 * Two values of a ranked field: negative when `x` comes first in the order of `sort`. A twin
 * without a value (NaN: a churned twin's churn) comes after every twin with one, whichever the
 * direction; 0 for equal values, the tie left to the caller's order.
 */
export function compareRankValues(x: number, y: number, sort: Pick<TwinSort, 'descending'>): number {
  const noX = !Number.isFinite(x);
  const noY = !Number.isFinite(y);
  if (noX || noY) return noX === noY ? 0 : noX ? 1 : -1;
  return x === y ? 0 : (sort.descending ? -1 : 1) * (x - y);
}

/** How a ranked list breaks ties and where it starts: the one ranking of `queryTwinsSorted` and of a worker's ranked page (ranked-order.ts). */
export interface RankOptions {
  readonly extra?: ExtraFields;
  /** The twins a caller may see (a segment-scoped key, a worker's live partitions). */
  readonly keep?: (customerId: string) => boolean;
  /** Negative when slot `a` comes before slot `b` among equal values: slot order when absent. */
  readonly tie?: (a: number, b: number) => number;
  /** True for a twin (its slot and value of the field) at or before a cursor's place: left out. */
  readonly atOrBefore?: (slot: number, value: number) => boolean;
}

/**
 * The twins passing every filter, in the order of `sort` (ties as `options.tie` says; a twin
 * without a value last), from rank `from`, up to `limit`, and how many passed: every twin is read
 * once to rank them (about as long as counting a segment), so a marketer sees the riskiest or most
 * valuable first. The page's twins alone are read again to be shown.
 */
export function rankTwins(engine: TwinEngine, filters: readonly FeatureFilter[], sort: TwinSort, from: number, limit: number, options: RankOptions = {}): { items: TwinPage['items']; total: number } {
  const { extra, keep, tie, atOrBefore } = options;
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  const at = fields.indexOf(sort.field);
  if (at === undefined) throw new TwinloopError('BAD_INPUT', `sort=${sort.descending ? '-' : ''}${sort.field}: unknown field "${sort.field}"; sort by one of ${fields.names.join(', ')}, with a leading - for the highest first`);
  // Every twin's extra fields only when the order or a filter reads them; the page's twins' are read again below to show them.
  const rankRead = extra !== undefined && (at >= FEATURE_COUNT || readsExtraFields(filters, fields)) ? extra.reader() : undefined;
  const shown = extra !== undefined && (rankRead !== undefined || (extra.readable?.() ?? false));
  const vec = new Float64Array(fields.names.length);
  const slots: number[] = [];
  const values: number[] = [];
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    if (keep && !keep(id)) continue;
    engine.features(id, engine.eventClock, vec);
    if (rankRead) rankRead(id, vec, FEATURE_COUNT);
    if (!test(vec)) continue;
    if (atOrBefore && atOrBefore(slot, vec[at])) continue;
    slots.push(slot);
    values.push(vec[at]);
  }
  const order = slots.map((_, i) => i);
  order.sort((a, b) => compareRankValues(values[a], values[b], sort) || (tie ? tie(slots[a], slots[b]) : slots[a] - slots[b]));
  const page = order.slice(from, from + limit);
  const showRead = shown && page.length > 0 ? (rankRead ?? extra.reader()) : undefined;
  const items = page.map((i) => {
    const id = engine.table.idAt(slots[i]);
    engine.features(id, engine.eventClock, vec);
    if (showRead) showRead(id, vec, FEATURE_COUNT);
    return twinItem(id, vec, shown ? extra : undefined);
  });
  return { items, total: order.length };
}

/** `rankTwins` from rank `offset`, ties in slot order: `next` is the rank to resume from. */
export function queryTwinsSorted(engine: TwinEngine, filters: readonly FeatureFilter[], sort: TwinSort, offset: number, limit: number, extra?: ExtraFields, keep?: (customerId: string) => boolean): TwinPage {
  const { items, total } = rankTwins(engine, filters, sort, offset, limit, { extra, keep });
  return { items, next: offset + limit < total ? offset + limit : null };
}

/**
 * `queryTwins` over query-string filters (`{ 'churn.gt': '0.5', 'is_prepaid': '1' }`), as the HTTP
 * and MCP edges take them; `keep` leaves out the twins a caller may not see (a segment-scoped key).
 */
export function queryTwinsWhere(engine: TwinEngine, pairs: Readonly<Record<string, string>>, offset: number, limit: number, extra?: ExtraFields, keep?: (customerId: string) => boolean, sort?: TwinSort): TwinPage {
  const filters = parseFilterQuery(pairs, queryFields(extra));
  return sort ? queryTwinsSorted(engine, filters, sort, offset, limit, extra, keep) : queryTwins(engine, filters, offset, limit, extra, keep);
}

/**
 * How many twins pass each of several filter lists, in one pass over the twins: each twin's
 * features (and extra fields, when any list reads one) are read once, whatever the number of lists.
 */
export function countTwins(engine: TwinEngine, filterLists: readonly (readonly FeatureFilter[])[], extra?: ExtraFields): number[] {
  const counts = filterLists.map(() => 0);
  const fields = queryFields(extra);
  const tests = filterLists.map((filters) => compileFilters(filters, fields));
  const read = extra !== undefined && filterLists.some((filters) => readsExtraFields(filters, fields)) ? extra.reader() : undefined;
  const vec = new Float64Array(fields.names.length);
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    if (read) read(id, vec, FEATURE_COUNT);
    for (let k = 0; k < tests.length; k++) if (tests[k](vec)) counts[k]++;
  }
  return counts;
}

/**
 * One twin tested against filters, its features read by the caller (a walk that reads them for more
 * than the test) and the extra fields read here only when a filter names one. A matcher serves one
 * pass (a tick's queue, a planning's population): the extra fields' reader, and what every twin's
 * values share (the at-risk level), is taken once, at the first twin that needs it, as a query's
 * pass takes it; a later pass asks for a matcher of its own, to compare with the level then.
 */
export function twinMatcher(filters: readonly FeatureFilter[], extra?: ExtraFields): (customerId: string, features: Float64Array) => boolean {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  const withExtra = extra !== undefined && readsExtraFields(filters, fields);
  const vec = new Float64Array(fields.names.length);
  let read: ExtraRead | undefined;
  return (customerId, features) => {
    vec.set(features.subarray(0, FEATURE_COUNT));
    if (withExtra) (read ??= extra.reader())(customerId, vec, FEATURE_COUNT);
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
  const read = extra !== undefined && (at >= FEATURE_COUNT || readsExtraFields(filters, fields)) ? extra.reader() : undefined;
  const vec = new Float64Array(fields.names.length);
  const out: number[] = [];
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    if (read) read(id, vec, FEATURE_COUNT);
    if (test(vec)) out.push(vec[at]);
  }
  return out;
}

/** The ids of every twin that passes the filters, in slot order (the whole population for no filter). */
export function twinIdsWhere(engine: TwinEngine, filters: readonly FeatureFilter[], extra?: ExtraFields): string[] {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  const read = extra !== undefined && readsExtraFields(filters, fields) ? extra.reader() : undefined;
  const vec = new Float64Array(fields.names.length);
  const ids: string[] = [];
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    if (filters.length > 0) {
      engine.features(id, engine.eventClock, vec);
      if (read) read(id, vec, FEATURE_COUNT);
      if (!test(vec)) continue;
    }
    ids.push(id);
  }
  return ids;
}
