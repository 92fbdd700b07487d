import { TwinloopError } from '../domain/errors.js';
import { partitionOf } from '../domain/partitions.js';
import { compileFilters, parseFilterQuery, readsExtraFields, type FeatureFilter } from './feature-filter.js';
import type { TwinEngine } from './twin-engine.js';
import { FEATURE_COUNT } from './twin-features.js';
import { queryFields, twinItem, type ExtraFields, type TwinPage } from './twin-query.js';

/**
 * A position in the partition order of the customers: partition first, then the customer id
 * (code-unit order). The order depends on the customers alone, not on which process holds them,
 * so a list paged in it over partition workers (`GET /twins` through the gateway) resumes at
 * the same place whichever worker holds a partition by the next page, never repeating a twin.
 */
export interface PartitionKey {
  readonly partition: number;
  readonly customerId: string;
}

/** The key of a customer. */
export function partitionKey(customerId: string): PartitionKey {
  return { partition: partitionOf(customerId), customerId };
}

/** Negative when `a` comes before `b` in the partition order. */
export function comparePartitionKeys(a: PartitionKey, b: PartitionKey): number {
  return a.partition - b.partition || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0);
}

/** The opaque cursor a page answers as `next`: the key of its last twin. */
export function encodePartitionCursor(key: PartitionKey): string {
  return Buffer.from(JSON.stringify([key.partition, key.customerId])).toString('base64url');
}

/** The key a cursor holds; BAD_INPUT naming the cursor when it is not one `encodePartitionCursor` made. */
export function decodePartitionCursor(cursor: string): PartitionKey {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === 'string' && value[0] === partitionOf(value[1])) {
    return { partition: value[0] as number, customerId: value[1] };
  }
  throw new TwinloopError('BAD_INPUT', `cursor: "${cursor.slice(0, 80)}" is not a cursor a page of GET /twins answered as next; start again without one`);
}

/** The engine's slots sorted in the partition order, kept until a customer is added. */
interface SortedSlots {
  readonly size: number;
  readonly slots: Int32Array;
  readonly keys: readonly PartitionKey[];
  /** Each slot's position in `slots`. */
  readonly positions: Int32Array;
}

const sortedByEngine = new WeakMap<TwinEngine, SortedSlots>();

/** Slots never move and are only appended, so the sort holds until the table grows. */
function sortedSlots(engine: TwinEngine): SortedSlots {
  const size = engine.table.size;
  const kept = sortedByEngine.get(engine);
  if (kept && kept.size === size) return kept;
  const keys = Array.from({ length: size }, (_, slot) => partitionKey(engine.table.idAt(slot)));
  const slots = Int32Array.from({ length: size }, (_, s) => s).sort((a, b) => comparePartitionKeys(keys[a], keys[b]));
  const positions = new Int32Array(size);
  slots.forEach((slot, at) => (positions[slot] = at));
  const sorted = { size, slots, keys: Array.from(slots, (s) => keys[s]), positions };
  sortedByEngine.set(engine, sorted);
  return sorted;
}

/**
 * The partition order of the engine's slots, as kept between reads: `compare` two slots (negative
 * when `a` comes first) and a slot's key, neither built again for each read of a list.
 */
export function partitionOrderOfSlots(engine: TwinEngine): { compare: (a: number, b: number) => number; keyOf: (slot: number) => PartitionKey } {
  const { keys, positions } = sortedSlots(engine);
  return { compare: (a, b) => positions[a] - positions[b], keyOf: (slot) => keys[positions[slot]] };
}

/** A page in the partition order: `more` is false once the scan reached the last twin. */
export interface PartitionPage extends Pick<TwinPage, 'items'> {
  readonly more: boolean;
}

/**
 * Walks the twins after `after` (from the first when absent) in the partition order that `keep`
 * answers true for and whose features (and extra fields) pass every filter, handing each to
 * `take` with its values read into a vector reused for the next twin (read what is needed during
 * the call). Stops once `take` answered true `limit` times: a caller may drop a twin after the
 * filters (a churn scan drops those without an active score), so the page's end is the last twin
 * walked, not the last taken. `next` is that twin's key when more twins follow, else null. The
 * one walk of a worker's part of a population scan (GET /twins's pages, a campaign's audience, a
 * churn-prevention run's candidates) and of one process's whole scan (`limit` Infinity). With
 * `until` (a `performance.now()` time) it also stops, after at least one twin, once that time has
 * passed: one process's whole scan then goes a slice at a time, resuming at `next`, and the event
 * loop is not held for the whole population (BENCHMARKS.md, "The first minutes after ready").
 */
export function walkTwinsInPartitionOrder(
  engine: TwinEngine,
  filters: readonly FeatureFilter[],
  after: PartitionKey | undefined,
  limit: number,
  keep: (customerId: string) => boolean,
  take: (customerId: string, vec: Float64Array, extraRead: boolean) => boolean,
  extra?: ExtraFields,
  until?: number,
): { next: PartitionKey | null } {
  const fields = queryFields(extra);
  const test = compileFilters(filters, fields);
  // Every walked twin's extra fields only when a filter reads them; else those of the twins that pass, handed to `take` (when a model serves).
  const filterRead = extra !== undefined && readsExtraFields(filters, fields) ? extra.reader() : undefined;
  const withExtra = extra !== undefined && (filterRead !== undefined || (extra.readable?.() ?? false));
  const takeRead = filterRead === undefined && withExtra ? extra.reader() : undefined;
  const vec = new Float64Array(fields.names.length);
  const { slots, keys } = sortedSlots(engine);
  // The first position past the cursor (binary search: the keys are sorted).
  let lo = 0;
  let hi = keys.length;
  while (after && lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePartitionKeys(keys[mid], after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  let taken = 0;
  let at = lo;
  for (; at < slots.length && taken < limit && (until === undefined || at === lo || performance.now() < until); at++) {
    const id = keys[at].customerId;
    // A forgotten twin (its partition given back) keeps its slot but is no longer known here.
    if (!engine.has(id) || !keep(id)) continue;
    engine.features(id, engine.eventClock, vec);
    if (filterRead) filterRead(id, vec, FEATURE_COUNT);
    if (!test(vec)) continue;
    if (takeRead) takeRead(id, vec, FEATURE_COUNT);
    if (take(id, vec, withExtra)) taken++;
  }
  return { next: at < slots.length && at > 0 ? keys[at - 1] : null };
}

/**
 * Up to `limit` twins after `after` (from the first when absent) in the partition order whose
 * features (and extra fields) pass every filter, among those `keep` answers true for (a worker's
 * live partitions, a segment-scoped caller's customers). Taken from several workers, each
 * holding some partitions, the first `limit` of their pages merged in the same order are the
 * first `limit` of the whole population's.
 */
export function queryTwinsInPartitionOrder(engine: TwinEngine, filters: readonly FeatureFilter[], after: PartitionKey | undefined, limit: number, keep: (customerId: string) => boolean, extra?: ExtraFields): PartitionPage {
  const items: TwinPage['items'] = [];
  const { next } = walkTwinsInPartitionOrder(engine, filters, after, limit, keep, (id, vec, extraRead) => items.push(twinItem(id, vec, extraRead ? extra : undefined)) > 0, extra);
  return { items, more: next !== null };
}

/** `queryTwinsInPartitionOrder` over query-string filters, as `queryTwinsWhere` takes them (one filter vocabulary). */
export function queryTwinsInPartitionOrderWhere(engine: TwinEngine, pairs: Readonly<Record<string, string>>, after: PartitionKey | undefined, limit: number, keep: (customerId: string) => boolean, extra?: ExtraFields): PartitionPage {
  return queryTwinsInPartitionOrder(engine, parseFilterQuery(pairs, queryFields(extra)), after, limit, keep, extra);
}

/**
 * The first `limit` twins of several pages in the partition order (each worker's page after the
 * same cursor, over partitions none of the others holds), and the cursor to resume from: null
 * once every page reached its last twin and nothing was left over.
 */
export function mergePartitionPages<T extends { readonly customerId: string }>(pages: readonly { readonly items: readonly T[]; readonly more: boolean }[], limit: number): { items: T[]; next: PartitionKey | null } {
  const all = pages.flatMap((p) => p.items).map((item) => ({ item, key: partitionKey(item.customerId) }));
  all.sort((a, b) => comparePartitionKeys(a.key, b.key));
  const items = all.slice(0, limit);
  // A page cut at `limit` may hold more beyond its last item: resume after the last one answered.
  const done = all.length <= limit && pages.every((p) => !p.more);
  return { items: items.map((x) => x.item), next: done || items.length === 0 ? null : items[items.length - 1].key };
}
