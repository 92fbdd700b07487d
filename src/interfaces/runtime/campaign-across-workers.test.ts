import { afterEach, describe, expect, it, vi } from 'vitest';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import type { PartitionOwner } from '../../store/partition-leases.js';
import { campaignAcrossWorkers } from './campaign-across-workers.js';
import { noChurnModelYet } from './campaign-delivery.js';

/** The default world's customer ids (C000001…) and size: a campaign there watches at most this many. */
const DEFAULT_WORLD = 20_000;
const ids = Array.from({ length: DEFAULT_WORLD }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
const churned = new Set(ids.filter((_, i) => i % 10 === 3));

/**
 * Three workers on fetch (no sockets): partition p is worker p % 3's; each answers for its live
 * partitions, minus any `moving` the first time it is asked. The routing table's first read
 * lacks the partitions `unowned` (their owner not yet chosen).
 */
function workers(moving: ReadonlySet<number> = new Set(), unowned: ReadonlySet<number> = new Set()) {
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
  let reads = 0;
  const calls = { routing: { owners: async () => (reads++ === 0 ? owners.filter((o) => !unowned.has(o.partition)) : owners), forgetOwners: () => undefined }, headers: () => ({}) };
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

  it('asks again when a partition moved after the routing table was read: its customers twice, of their owner; every other customer once', async () => {
    const moved = partitionOf(ids[0]);
    const { across, sent } = workers(new Set([moved]));
    const asked = ids.slice(0, 600);
    expect([...(await across.churnedAmong(asked))].sort()).toEqual(asked.filter((id) => churned.has(id)).sort());
    const times = sentTimes(sent);
    const movers = asked.filter((id) => partitionOf(id) === moved);
    expect(movers.length).toBeGreaterThan(0);
    for (const id of asked) expect({ id, sent: times.get(id) }).toEqual({ id, sent: [partitionOf(id) % 3, ...(partitionOf(id) === moved ? [partitionOf(id) % 3] : [])] });
  });

  it('asks again when a partition had no owner in the routing table first read: every customer once, of their owner', async () => {
    const unowned = partitionOf(ids[1]);
    const { across, sent } = workers(new Set(), new Set([unowned]));
    const asked = ids.slice(0, 600);
    expect([...(await across.churnedAmong(asked))].sort()).toEqual(asked.filter((id) => churned.has(id)).sort());
    const times = sentTimes(sent);
    for (const id of asked) expect({ id, sent: times.get(id) }).toEqual({ id, sent: [partitionOf(id) % 3] });
  });
});

describe("a campaign's audience over the workers", () => {
  /** Three workers on fetch: worker w's pages of its partitions' customers, valued with `models[w]` (null: it serves none, and answers no candidates). */
  function audienceWorkers(models: readonly (string | null)[]) {
    const urls = ['http://w0.test', 'http://w1.test', 'http://w2.test'];
    const owners: PartitionOwner[] = Array.from({ length: PARTITION_COUNT }, (_, partition) => ({ partition, workerId: `w${partition % 3}`, url: urls[partition % 3], since: 0 }));
    vi.stubGlobal('fetch', async (url: URL) => {
      const w = urls.indexOf(url.origin);
      const partitions = owners.filter((o) => o.url === urls[w]).map((o) => o.partition);
      const items = models[w] === null ? [] : ids.slice(0, 300).filter((id) => partitions.includes(partitionOf(id))).map((customerId) => ({ customerId, atStake: 1 }));
      return new Response(JSON.stringify({ partitions, items, next: null, model: models[w] }), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    return campaignAcrossWorkers({ routing: { owners: async () => owners, forgetOwners: () => undefined }, headers: () => ({}) });
  }

  it('is drawn when every worker serves the one churn model', async () => {
    expect((await audienceWorkers(['m1', 'm1', 'm1']).audience([], [])).length).toBe(300);
  });

  it("waits for a model on every worker: one serving none makes the draw a wait for the model (decision 0098), not a failure nor a draw on part of the population", async () => {
    const failed = await audienceWorkers(['m1', null, 'm1'])
      .audience([], [])
      .catch((err: unknown) => err);
    const ofW1 = Array.from({ length: PARTITION_COUNT }, (_, p) => p).filter((p) => p % 3 === 1).length;
    expect(failed).toMatchObject({ code: 'UNAVAILABLE', context: { noChurnModel: true }, message: `none serves yet on the workers holding ${ofW1} of the ${PARTITION_COUNT} partitions (the others serve m1)` });
    expect(noChurnModelYet(failed, true)).toBe(true);
  });
});

/** For each customer, the workers it was sent to, once per time. */
function sentTimes(sent: readonly (readonly string[])[]): Map<string, number[]> {
  const times = new Map<string, number[]>();
  sent.forEach((got, w) => got.forEach((id) => times.set(id, [...(times.get(id) ?? []), w])));
  return times;
}
