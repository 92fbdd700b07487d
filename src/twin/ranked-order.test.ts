import { describe, expect, it } from 'vitest';
import { partitionOf } from '../domain/partitions.js';
import { decodeRankCursor, encodeRankCursor, mergeRankedPages, queryTwinsRankedAfter, rankKeyOf, type RankKey } from './ranked-order.js';
import { syntheticEngine } from './synthetic-events.js';
import { queryTwinsSorted, type TwinPage, type TwinSort } from './twin-query.js';

/** Which "worker" holds each partition, moved by `shift` (a move between pages). */
const ownerOf = (partition: number, workers: number, shift: number) => (partition * 7 + shift) % workers;

describe('a twin list ranked by a field over partition workers (GET /twins?sort= through the gateway)', () => {
  const engine = syntheticEngine({ customers: 200, days: 3, seed: 5 });

  it('pages merged over workers list every twin once, in the order one process ranks them, however the partitions move', () => {
    for (const sort of [{ field: 'data_mb_30d', descending: true }, { field: 'tenure_days', descending: false }, { field: 'open_tickets', descending: true }] satisfies TwinSort[]) {
      // One process's ranking, by value (ties in any order): what the merged pages must match.
      const whole = queryTwinsSorted(engine, [], sort, 0, 10_000).items.map((i) => rankKeyOf(i, sort.field).value);
      for (const [workers, limit] of [[1, 50], [3, 7], [4, 13], [2, 1000]] as const) {
        const listed: { id: string; value: number | null }[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 2_000; page++) {
          const after: RankKey | undefined = cursor === null ? undefined : decodeRankCursor(cursor, sort);
          const pages: { items: TwinPage['items']; more: boolean }[] = Array.from({ length: workers }, (_, w) => queryTwinsRankedAfter(engine, {}, sort, after, limit, (id) => ownerOf(partitionOf(id), workers, page) === w));
          const merged = mergeRankedPages(pages, sort, limit);
          listed.push(...merged.items.map((i) => ({ id: i.customerId, value: rankKeyOf(i, sort.field).value })));
          cursor = merged.next && encodeRankCursor(sort, merged.next);
          if (!cursor) break;
        }
        expect(new Set(listed.map((l) => l.id)).size, `${sort.field} ${workers}×${limit}`).toBe(listed.length);
        expect(listed.map((l) => l.value), `${sort.field} ${workers}×${limit}`).toEqual(whole);
      }
    }
  });

  it('refuses a cursor of another sort, or none at all, naming the cursor', () => {
    const sort: TwinSort = { field: 'data_mb_30d', descending: true };
    const cursor = encodeRankCursor(sort, { value: 12.5, key: { partition: partitionOf('C1'), customerId: 'C1' } });
    expect(decodeRankCursor(cursor, sort)).toEqual({ value: 12.5, key: { partition: partitionOf('C1'), customerId: 'C1' } });
    expect(() => decodeRankCursor(cursor, { ...sort, descending: false })).toThrow(/^cursor: it continues a list sorted by -data_mb_30d, not by data_mb_30d/);
    expect(() => decodeRankCursor('nonsense', sort)).toThrow(/^cursor: "nonsense" is not a cursor/);
  });
});
