import { TwinloopError } from '../domain/errors.js';
import { partitionOf } from '../domain/partitions.js';
import { parseFilterQuery } from './feature-filter.js';
import { comparePartitionKeys, partitionKey, partitionOrderOfSlots, type PartitionKey } from './partition-order.js';
import type { TwinEngine } from './twin-engine.js';
import { compareRankValues, queryFields, rankTwins, type ExtraFields, type TwinPage, type TwinSort } from './twin-query.js';

/**
 * A twin list ranked by a field and paged by cursor over partition workers (`GET /twins?sort=-churn`
 * through the gateway): every worker ranks its own twins after the same cursor, and the gateway
 * merges their pages in the same order. The order depends on the customers alone, not on which
 * worker holds them: by the field's value (a twin without one last, whichever the direction), ties
 * in the partition order, so a page resumes at the same place whoever holds a partition by then.
 */

/** A place in a ranked list: the twin's value of the field (null: none) and its place in the partition order. */
export interface RankKey {
  readonly value: number | null;
  readonly key: PartitionKey;
}

/** Negative when `a` comes before `b` in the list ranked by `sort`. */
export function compareRankKeys(a: RankKey, b: RankKey, sort: Pick<TwinSort, 'descending'>): number {
  return compareRankValues(a.value ?? NaN, b.value ?? NaN, sort) || comparePartitionKeys(a.key, b.key);
}

/** How a sort is written in a query string and a cursor (`-churn`). */
const sortText = (sort: TwinSort) => `${sort.descending ? '-' : ''}${sort.field}`;

/** The opaque cursor of a ranked page: the sort and the key of its last twin. */
export function encodeRankCursor(sort: TwinSort, at: RankKey): string {
  return Buffer.from(JSON.stringify([sortText(sort), at.value, at.key.customerId])).toString('base64url');
}

/** The key a ranked page's cursor holds; BAD_INPUT when it is not one, or was made for another sort. */
export function decodeRankCursor(cursor: string, sort: TwinSort): RankKey {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && (value[1] === null || typeof value[1] === 'number') && typeof value[2] === 'string') {
    if (value[0] !== sortText(sort)) throw new TwinloopError('BAD_INPUT', `cursor: it continues a list sorted by ${value[0]}, not by ${sortText(sort)}; start again without a cursor`);
    return { value: value[1] as number | null, key: { partition: partitionOf(value[2]), customerId: value[2] } };
  }
  throw new TwinloopError('BAD_INPUT', `cursor: "${cursor.slice(0, 80)}" is not a cursor a page of GET /twins?sort=${sortText(sort)} answered as next; start again without one`);
}

/** A sort as the query string writes it (`-churn`), unchecked: the fields are the twins' holders' to check. */
export function sortOf(text: string): TwinSort {
  return text.startsWith('-') ? { field: text.slice(1), descending: true } : { field: text, descending: false };
}

type Listed = TwinPage['items'][number];

/** A listed twin as a page carries it (a worker's answered as JSON: a value none holds is null). */
interface ListedTwin {
  readonly customerId: string;
  readonly features: Readonly<Record<string, number | null>>;
  readonly scores?: Readonly<Record<string, number | null>>;
}

/** A listed twin's place in the list ranked by `field`: its value of it (its features', else its scores'), or none. */
export function rankKeyOf(item: ListedTwin, field: string): RankKey {
  const v = item.features[field] ?? item.scores?.[field];
  return { value: typeof v === 'number' && Number.isFinite(v) ? v : null, key: partitionKey(item.customerId) };
}

/**
 * The twins passing every filter ranked by `sort`, after `after`, up to `limit`, and whether more
 * follow (`rankTwins`, ties in the partition order): every twin is read once to rank them.
 */
export function queryTwinsRankedAfter(engine: TwinEngine, pairs: Readonly<Record<string, string>>, sort: TwinSort, after: RankKey | undefined, limit: number, keep: (customerId: string) => boolean, extra?: ExtraFields): { items: Listed[]; more: boolean } {
  const filters = parseFilterQuery(pairs, queryFields(extra));
  const order = partitionOrderOfSlots(engine);
  const afterValue = after?.value ?? NaN;
  // The twin's key is built only for a value equal to the cursor's, where the partition order decides.
  const atOrBefore = after && ((slot: number, value: number) => {
    const c = compareRankValues(value, afterValue, sort);
    return c < 0 || (c === 0 && comparePartitionKeys(order.keyOf(slot), after.key) <= 0);
  });
  const { items, total } = rankTwins(engine, filters, sort, 0, limit, { extra, keep, tie: order.compare, atOrBefore });
  return { items, more: total > limit };
}

/**
 * The first `limit` twins of several ranked pages (each worker's after the same cursor, over
 * partitions none of the others holds) and the place to resume from: null once every page reached
 * its last twin and nothing was left over.
 */
export function mergeRankedPages<T extends ListedTwin>(pages: readonly { readonly items: readonly T[]; readonly more: boolean }[], sort: TwinSort, limit: number): { items: T[]; next: RankKey | null } {
  const all = pages.flatMap((p) => p.items).map((item) => ({ item, rank: rankKeyOf(item, sort.field) }));
  all.sort((a, b) => compareRankKeys(a.rank, b.rank, sort));
  const items = all.slice(0, limit);
  const done = all.length <= limit && pages.every((p) => !p.more);
  return { items: items.map((x) => x.item), next: done || items.length === 0 ? null : items[items.length - 1].rank };
}
