import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PARTITION_COUNT } from '../../domain/partitions.js';
import { riskiestShareLevel } from '../../intelligence/live/churn-risk-levels.js';
import { riskiestScoresOf, type RiskiestScoresAsk } from '../../intelligence/live/population-at-risk.js';
import type { PartitionOwner } from '../../store/partition-leases.js';
import { keepPopulationAtRisk, readPopulationAtRisk } from './at-risk-across-workers.js';

/** A worker as the gateway sees it: its partitions, the model it serves, its scores; and the levels sent to it. */
interface FakeWorker {
  partitions: number[];
  modelId: string | null;
  scores: number[];
  received: unknown[];
  asked: RiskiestScoresAsk[];
}

describe("the population's at-risk level over the workers", () => {
  // Three workers: the first holds the riskiest customers, so its own tenth falls short of the population's.
  const workers: FakeWorker[] = [0, 1, 2].map((w) => ({
    partitions: Array.from({ length: PARTITION_COUNT }, (_, p) => p).filter((p) => p % 3 === w),
    modelId: 'churn-v3',
    scores: Array.from({ length: 300 }, (_, i) => ((i * 7919 + w * 13) % 1000) / 1000 / (w === 0 ? 1 : 20)),
    received: [],
    asked: [],
  }));
  const servers: Server[] = [];
  let owners: PartitionOwner[] = [];
  beforeAll(async () => {
    for (const w of workers) {
      servers.push(
        createServer((req, res) => {
          let body = '';
          req.on('data', (d: Buffer) => (body += d.toString()));
          req.on('end', () => {
            // The gateway's sealed session rides in the cookie: a worker authenticates it (here: that it is sent).
            if (!req.headers.cookie?.includes('gateway-session')) return void res.writeHead(401).end();
            res.setHeader('content-type', 'application/json');
            if (req.url === '/partitions/at-risk/scores') {
              const ask = JSON.parse(body) as RiskiestScoresAsk;
              w.asked.push(ask);
              const part = riskiestScoresOf(w.scores, ask);
              return void res.end(JSON.stringify({ partitions: w.partitions, modelId: w.modelId, scored: part.scored, top: part.top, from: Number.isFinite(part.from) ? part.from : null }));
            }
            w.received.push(JSON.parse(body));
            res.end(JSON.stringify({ served: true }));
          });
        }),
      );
    }
    const urls = await Promise.all(servers.map((s) => new Promise<string>((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as { port: number }).port}`)))));
    owners = workers.flatMap((w, i) => w.partitions.map((partition) => ({ partition, workerId: `w${i + 1}`, url: urls[i], since: 0 })));
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const calls = () => ({ routing: { owners: async () => owners, forgetOwners: () => undefined }, headers: () => ({ cookie: 'twinloop_session=gateway-session' }) });

  it('reads the level one process holding every score reads, asks again only the worker cut above it, and sends it to every worker', async () => {
    const all = workers.flatMap((w) => w.scores);
    const read = await readPopulationAtRisk(calls());
    expect(read).toMatchObject({ churn: riskiestShareLevel(all, 0.1), share: 0.1, of: 900, modelId: 'churn-v3' });
    // The riskiest worker holds nearly all the population's 90 riskiest: its own 30 and margin fell short, and it alone was asked again, for what lay below its cut.
    expect(workers.map((w) => w.asked.length)).toEqual([2, 1, 1]);
    // From the level the union first gave (another worker's scores, below the true one) up to its first cut.
    const again = workers[0].asked[1] as { atLeast: number; below: number };
    expect(again.atLeast).toBeLessThan(read!.churn);
    expect(again.below).toBeGreaterThan(read!.churn);
    // Kept: read and sent to every worker.
    const keeper = keepPopulationAtRisk(calls(), { everyMs: 60_000, log: () => undefined });
    try {
      const level = await keeper.readNow();
      expect(level).toMatchObject({ churn: read!.churn, of: 900 });
      for (const w of workers) expect(w.received.at(-1)).toMatchObject({ churn: level!.churn, share: 0.1, of: 900, modelId: 'churn-v3' });
      // (The keeper's own first read runs beside this one: the same level, read at another millisecond.)
      expect(keeper.current()).toMatchObject({ churn: level!.churn, of: 900, modelId: 'churn-v3' });
    } finally {
      keeper.stop();
    }
  });

  it('reads no level while the workers serve different models or a partition is answered by none, and keeps the last one sent', async () => {
    const keeper = keepPopulationAtRisk(calls(), { everyMs: 60_000, log: () => undefined });
    try {
      const sent = await keeper.readNow();
      workers[1].modelId = 'churn-v4';
      await expect(readPopulationAtRisk(calls())).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('churn-v3, churn-v4') });
      workers[1].modelId = 'churn-v3';
      const moving = workers[2].partitions.pop()!;
      await expect(keeper.readNow()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('moving') });
      workers[2].partitions.push(moving);
      expect(keeper.current()).toMatchObject({ churn: sent!.churn, of: 900, modelId: 'churn-v3' });
    } finally {
      keeper.stop();
    }
  });

  it('reads again soon after a read that found no level (a promotion reaching the workers), not a whole period later', async () => {
    workers[1].modelId = 'churn-v4';
    // A period no test waits out: the level comes only by the early retry after the failed first read.
    const keeper = keepPopulationAtRisk(calls(), { everyMs: 600_000, log: () => undefined });
    try {
      await vi.waitFor(() => expect(workers[1].asked.length).toBeGreaterThan(0), { timeout: 20_000 });
      expect(keeper.current()).toBeUndefined();
      workers[0].modelId = workers[2].modelId = 'churn-v4';
      await vi.waitFor(() => expect(keeper.current()).toMatchObject({ modelId: 'churn-v4', of: 900 }), { timeout: 20_000, interval: 100 });
    } finally {
      keeper.stop();
      for (const w of workers) w.modelId = 'churn-v3';
    }
  });
});
