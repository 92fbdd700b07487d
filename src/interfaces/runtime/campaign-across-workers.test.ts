import { afterEach, describe, expect, it, vi } from 'vitest';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import type { PartitionOwner } from '../../store/partition-leases.js';
import { campaignAcrossWorkers } from './campaign-across-workers.js';

/** The default world's customer ids (C000001…) and size: a campaign there watches at most this many. */
const DEFAULT_WORLD = 20_000;
const ids = Array.from({ length: DEFAULT_WORLD }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
const churned = new Set(ids.filter((_, i) => i % 10 === 3));

/** Three workers on fetch (no sockets): partition p is worker p % 3's; each answers for its live partitions, minus any `moving` the first time it is asked. */
function workers(moving: ReadonlySet<number> = new Set()) {
  const urls = ['http://w0.test', 'http://w1.test', 'http://w2.test'];
  const owners: PartitionOwner[] = Array.from({ length: PARTITION_COUNT }, (_, partition) => ({ partition, workerId: `w${partition % 3}`, url: urls[partition % 3], since: 0 }));
  const sent = urls.map(() => [] as string[]);
  const stillMoving = new Set(moving);
  vi.stubGlobal('fetch', async (url: URL, init: { body: string }) => {
    const w = urls.indexOf(url.origin);
    const customerIds = (JSON.parse(init.body) as { customerIds: string[] }).customerIds;
    sent[w].push(...customerIds);
    const live = owners.filter((o) => o.url === urls[w] && !stillMoving.has(o.partition)).map((o) => o.partition);
    // Live there by the next request.
    for (const o of owners) if (o.url === urls[w]) stillMoving.delete(o.partition);
    const body = { partitions: live, churned: customerIds.filter((id) => live.includes(partitionOf(id)) && churned.has(id)) };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  const calls = { routing: { owners: async () => owners, forgetOwners: () => undefined }, headers: () => ({}) };
  return { across: campaignAcrossWorkers(calls), sent, urls };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('a campaign\'s churn over the workers', () => {
  it('asks each owner about its own customers only: every watched id sent once a tick, not once per worker', async () => {
    const { across, sent } = workers();
    expect([...(await across.churnedAmong(ids))].sort()).toEqual([...churned].sort());
    sent.forEach((got, w) => expect(got.every((id) => partitionOf(id) % 3 === w)).toBe(true));
    const total = sent.reduce((n, s) => n + s.length, 0);
    // Every id once (the whole base watched: the largest campaign on the default world); sending every id to every worker was 3 × 20,000.
    expect(total).toBe(DEFAULT_WORLD);
    console.info(`campaign churn over 3 workers, ${DEFAULT_WORLD} customers watched: ${total} ids sent a tick (${sent.map((s) => s.length).join(' + ')})`);
  });

  it('asks again when a partition moved after the routing table was read, and counts each customer once', async () => {
    const moved = partitionOf(ids[0]);
    const { across, sent } = workers(new Set([moved]));
    const asked = ids.slice(0, 600);
    expect([...(await across.churnedAmong(asked))].sort()).toEqual(asked.filter((id) => churned.has(id)).sort());
    // The worker whose partition was moving is asked twice; the others may be too (all asked again together).
    expect(sent.reduce((n, s) => n + s.length, 0)).toBeGreaterThan(asked.length);
  });
});
