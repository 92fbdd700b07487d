import { describe, expect, it } from 'vitest';
import { PARTITION_COUNT, partitionOf } from '../domain/partitions.js';
import { TwinloopError } from '../domain/errors.js';
import { parseFilterQuery } from './feature-filter.js';
import {
  comparePartitionKeys,
  decodePartitionCursor,
  encodePartitionCursor,
  mergePartitionPages,
  partitionKey,
  queryTwinsInPartitionOrder,
  walkTwinsInPartitionOrder,
  type PartitionKey,
  type PartitionPage,
} from './partition-order.js';
import { syntheticEngine } from './synthetic-events.js';
import { FEATURE_INDEX } from './twin-features.js';
import { queryFields } from './twin-query.js';

const population = (customers: number) => syntheticEngine({ customers, days: 3, seed: 5 });

/** Which "worker" holds each partition, moved by `shift` (a move between pages). */
const ownerOf = (partition: number, workers: number, shift: number) => (partition * 7 + shift) % workers;

describe('the partition order of the twins (GET /twins over partition workers)', () => {
  const engine = population(600);
  const all = [...engine.customerIds()].map(partitionKey).sort(comparePartitionKeys);

  it('pages merged over workers list every twin once, in the partition order, however the partitions move between pages', () => {
    for (const [workers, limit] of [[1, 50], [3, 7], [4, 1], [5, 64], [2, 1000]] as const) {
      const listed: PartitionKey[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 2_000; page++) {
        const after: PartitionKey | undefined = cursor === null ? undefined : decodePartitionCursor(cursor);
        // Every page, the partitions sit at different workers: the cursor is the customers', not a worker's.
        const pages: PartitionPage[] = Array.from({ length: workers }, (_, w) => queryTwinsInPartitionOrder(engine, [], after, limit, (id) => ownerOf(partitionOf(id), workers, page) === w));
        const merged = mergePartitionPages(pages, limit);
        expect(merged.items.length).toBeLessThanOrEqual(limit);
        listed.push(...merged.items.map((i) => partitionKey(i.customerId)));
        cursor = merged.next && encodePartitionCursor(merged.next);
        if (cursor === null) break;
      }
      expect({ workers, limit, listed }).toEqual({ workers, limit, listed: all });
    }
  });

  it('filters with the one filter vocabulary, the same twins a single process finds', () => {
    const filters = parseFilterQuery({ 'data_mb_30d.gt': '300' }, queryFields());
    const listed: string[] = [];
    let after: PartitionKey | undefined;
    for (;;) {
      const pages = [0, 1, 2].map((w) => queryTwinsInPartitionOrder(engine, filters, after, 9, (id) => partitionOf(id) % 3 === w));
      const merged = mergePartitionPages(pages, 9);
      listed.push(...merged.items.map((i) => i.customerId));
      if (!merged.next) break;
      after = merged.next;
    }
    const expected = all.map((k) => k.customerId).filter((id) => (engine.features(id)?.[FEATURE_INDEX.data_mb_30d] ?? 0) > 300);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(all.length);
    expect(listed).toEqual(expected);
  });

  it('a scan paged by each worker on its own cursor, dropping twins after the filters, equals the unpaged scan: each twin once, each walked once', () => {
    const filters = parseFilterQuery({ 'data_mb_30d.gt': '100' }, queryFields());
    // As a churn scan drops a customer with no active score after the filters: the page's end is the last twin walked.
    const kept = (vec: Float64Array) => vec[FEATURE_INDEX.sms_30d] % 3 !== 0;
    const whole: string[] = [];
    walkTwinsInPartitionOrder(engine, filters, undefined, Infinity, () => true, (id, vec) => kept(vec) && whole.push(id) > 0);
    expect(whole.length).toBeGreaterThan(20);
    for (const [workers, limit] of [[1, 5], [3, 2], [4, 1], [2, 1000]] as const) {
      const scanned: string[] = [];
      let walked = 0;
      for (let w = 0; w < workers; w++) {
        const here = (id: string) => partitionOf(id) % workers === w;
        let after: PartitionKey | null = null;
        let pages = 0;
        do {
          const page: string[] = [];
          const { next } = walkTwinsInPartitionOrder(engine, filters, after ?? undefined, limit, here, (id, vec) => {
            walked++;
            return kept(vec) && page.push(id) > 0;
          });
          expect(page.length).toBeLessThanOrEqual(limit);
          scanned.push(...page);
          after = next;
        } while (after !== null && ++pages < 10_000);
      }
      const sorted = scanned.map(partitionKey).sort(comparePartitionKeys).map((k) => k.customerId);
      expect({ workers, limit, scanned: sorted }).toEqual({ workers, limit, scanned: whole });
      expect(new Set(scanned).size).toBe(scanned.length);
      // Each page starts past the one before: over all pages, every twin passing the filters is walked once, not once a page.
      const passing = all.filter((k) => (engine.features(k.customerId)?.[FEATURE_INDEX.data_mb_30d] ?? 0) > 100).length;
      expect({ workers, limit, walked }).toEqual({ workers, limit, walked: passing });
    }
  });

  it('a whole scan in time slices (`until`) walks at least one twin a slice and, resumed at each next, equals the scan in one go', () => {
    const filters = parseFilterQuery({ 'data_mb_30d.gt': '100' }, queryFields());
    const whole: string[] = [];
    walkTwinsInPartitionOrder(engine, filters, undefined, Infinity, () => true, (id) => whole.push(id) > 0);
    // A slice already over when it starts (until in the past): each walks one twin, as a loaded machine's slice might.
    const sliced: string[] = [];
    let after: PartitionKey | null = null;
    let slices = 0;
    do {
      let walked = 0;
      after = walkTwinsInPartitionOrder(engine, filters, after ?? undefined, Infinity, () => true, (id) => ++walked > 0 && sliced.push(id) > 0, undefined, performance.now() - 1).next;
      expect(walked).toBeLessThanOrEqual(1);
      slices++;
    } while (after !== null && slices < 10_000);
    expect(sliced).toEqual(whole);
    expect(slices).toBe(engine.size);
    // A slice long enough walks everything at once.
    let once = 0;
    expect(walkTwinsInPartitionOrder(engine, filters, undefined, Infinity, () => true, () => ++once > 0, undefined, performance.now() + 60_000).next).toBeNull();
    expect(once).toBe(whole.length);
  });

  it('leaves out twins forgotten (a partition given back) and partitions not kept', () => {
    const local = population(200);
    const gone = [...local.customerIds()].filter((id) => partitionOf(id) < PARTITION_COUNT / 2);
    local.forget(gone);
    const page = queryTwinsInPartitionOrder(local, [], undefined, 1_000, () => true);
    expect(page.items.every((i) => partitionOf(i.customerId) >= PARTITION_COUNT / 2)).toBe(true);
    expect(page.items.length).toBe(200 - gone.length);
    expect(page.more).toBe(false);
  });

  it('refuses a cursor it did not make, saying so', () => {
    for (const bad of ['xyz', encodePartitionCursor({ partition: 3, customerId: 'C1' }).slice(0, -2) + 'zz', Buffer.from(JSON.stringify([partitionOf('C1') + 1, 'C1'])).toString('base64url')]) {
      expect(() => decodePartitionCursor(bad)).toThrow(TwinloopError);
      expect(() => decodePartitionCursor(bad)).toThrow(/cursor/);
    }
    expect(decodePartitionCursor(encodePartitionCursor(partitionKey('C17')))).toEqual(partitionKey('C17'));
  });
});
