import { afterEach, describe, expect, it, vi } from 'vitest';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import type { PartitionOwner } from '../../store/partition-leases.js';
import { comparePartitionKeys, partitionKey, type PartitionKey } from '../../twin/partition-order.js';
import { churnAcrossWorkers } from './churn-across-workers.js';
import type { ChurnScanPage } from './operator-flows.js';

const ids = Array.from({ length: 300 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
/** Items per page a worker answers: several pages each. */
const PAGE = 20;
/** Each model's churn score, the same for every customer: the scan's items say which model read them. */
const CHURN: Record<string, number> = { m1: 0.1, m2: 0.2 };

/**
 * Three workers on fetch (no sockets): partition p is worker p % 3's; each answers its customers'
 * candidates in pages of PAGE in the partition order, read with the model `modelOf(worker, pages
 * it was asked in all, which page of its own)` says (null: none served there, a 503 as its route answers).
 */
function workers(modelOf: (worker: number, asked: number, page: number) => string | null) {
  const urls = ['http://w0.test', 'http://w1.test', 'http://w2.test'];
  const owners: PartitionOwner[] = Array.from({ length: PARTITION_COUNT }, (_, partition) => ({ partition, workerId: `w${partition % 3}`, url: urls[partition % 3], since: 0 }));
  const mine = urls.map((_, w) => ids.filter((id) => partitionOf(id) % 3 === w).map(partitionKey).sort(comparePartitionKeys));
  const asked = urls.map(() => 0);
  /** The page sizes each worker was asked for, in order. */
  const limits: number[][] = urls.map(() => []);
  vi.stubGlobal('fetch', async (url: URL, init: { body: string }) => {
    const w = urls.indexOf(url.origin);
    const { after, limit } = JSON.parse(init.body) as { after: PartitionKey | null; limit: number };
    limits[w].push(limit);
    const size = Math.min(limit, PAGE);
    const from = after ? mine[w].findIndex((k) => k.customerId === after.customerId) + 1 : 0;
    const model = modelOf(w, asked[w]++, from / PAGE);
    if (model === null) {
      return new Response(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'no churn model is served here yet' } }), { status: 503, headers: { 'content-type': 'application/json' } });
    }
    const keys = mine[w].slice(from, from + size);
    const next = from + size < mine[w].length ? keys[keys.length - 1] : null;
    const page: ChurnScanPage & { partitions: number[] } = {
      partitions: owners.filter((o) => o.url === urls[w]).map((o) => o.partition),
      items: keys.map((k) => ({ customerId: k.customerId, churn: CHURN[model], value: 500, acceptance: 0.2 })),
      next,
      model,
    };
    return new Response(JSON.stringify(page), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  const calls = { routing: { owners: async () => owners, forgetOwners: () => undefined }, headers: () => ({}) };
  return { across: churnAcrossWorkers(calls), asked, limits };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("a churn-prevention run's scan over the workers", () => {
  it('reads every customer with one model: a promotion reaching one worker between its pages reads the scan again whole, with the new model', async () => {
    // Worker 1 serves m2 from its third page on; the others from their next read of the scan.
    const { across, asked } = workers((w, n) => (w === 1 ? (n >= 2 ? 'm2' : 'm1') : asked[1] > 2 ? 'm2' : 'm1'));
    const scanned = await across.scan([], ['retain-10']);
    expect(scanned.map((c) => c.customerId).sort()).toEqual(ids);
    // Mixed before: some customers scored by m1, the rest by m2, and planned on together.
    expect(new Set(scanned.map((c) => c.churn))).toEqual(new Set([CHURN.m2]));
  });

  it('waits for a worker that takes the new model a minute after the others (its own model check), then reads every customer with it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const promoted = Date.now();
    // Workers 0 and 1 serve m2 from the start; worker 2 a minute later (DEFAULT_CHECK_INTERVAL_MS).
    const { across } = workers((w) => (w !== 2 || Date.now() >= promoted + 60_000 ? 'm2' : 'm1'));
    const scanned = across.scan([], ['retain-10']).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(62_000);
    // It failed UNAVAILABLE (not a hold) after four reads at once, and the run's five tries were gone within seconds.
    const got = await scanned;
    expect(got).toBeInstanceOf(Array);
    expect((got as { customerId: string }[]).map((c) => c.customerId).sort()).toEqual(ids);
    expect(new Set((got as { churn: number }[]).map((c) => c.churn))).toEqual(new Set([CHURN.m2]));
  });

  it('says the workers serve different models when they never agree (two minutes of reads), rather than planning on two', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const { across, limits } = workers((w) => (w === 2 ? 'm2' : 'm1'));
    const failed = across.scan([], ['retain-10']).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(125_000);
    expect(await failed).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^the workers serve different churn models: the churn scan over them read m1 and m2 still after \d+ reads over two minutes/) });
    // Asked again about every second over the two minutes, a page of one customer each time (which
    // model it serves): a worker's every page was read once, not once a second (1.5 MB a page of 5,000).
    for (const [w, asked] of limits.entries()) {
      const pages = Math.ceil(ids.filter((id) => partitionOf(id) % 3 === w).length / PAGE);
      expect(asked.filter((n) => n > 1)).toHaveLength(pages);
      expect(asked.filter((n) => n === 1).length).toBeGreaterThan(100);
    }
  });

  it('fails with how far it got when a worker serves no model, where its empty answer dropped its customers from the run', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    // Worker 0 answers its first two pages, then serves no model (it lost it: a restart that has not loaded it yet).
    const { across } = workers((w, _n, page) => (w === 0 && page >= 2 ? null : 'm1'));
    const failed = across.scan([], ['retain-10']).catch((err: unknown) => err);
    // The scan waits for partitions to settle (two minutes) before it gives up: the step tries again.
    await vi.advanceTimersByTimeAsync(125_000);
    expect(await failed).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/no churn model is served here yet.*\(after 40 items of that worker, in 2 pages\)/) });
  });
});
