import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.js';
import { trainAndRegister } from '../src/intelligence/live/churn-model-service.js';
import { syntheticChurnEvents } from '../src/intelligence/twin-training/synthetic-churn-events.js';
import { submitInBatches } from '../src/interfaces/bench/bench-fixtures.js';
import { openEventStore } from '../src/store/open-event-store.js';
import { openModelRegistry } from '../src/store/open-model-registry.js';
import { postgresDatabaseFigures } from '../src/store/postgres-databases.js';
import { openTwinService } from '../src/twin/twin-service.js';
import { CLUSTER_SERVICES, clusterTestName, servicesCluster } from './support/cluster.js';

/**
 * Training fanned out over partition workers (issue 16): a gateway and two workers on loopback;
 * a churn history for 400 customers sent through the gateway; `POST /models/train` at the
 * gateway has each worker build its customers' rows from the shared log and fits once. The
 * model must be trained on exactly the rows a single process builds from the same events
 * (same eligible rows, same churners), be registered as the champion in the shared registry, and
 * be served by every worker: the population's risk through the gateway is scored by it.
 *
 * Nothing here is timed: every wait polls a condition until a generous deadline.
 */

const WAIT_MS = 120_000;
const START_MS = 90_000;

describe.skipIf(!CLUSTER_SERVICES)(clusterTestName('training over partition workers (a gateway, two workers)'), () => {
  const cluster = servicesCluster('train');
  const { dbUrl, json } = cluster;
  const waitFor = <T>(what: string, probe: () => Promise<{ done: boolean; seen: T }>, ms = WAIT_MS) => cluster.waitFor(what, probe, ms);

  afterAll(() => cluster.close(), 30_000);

  it('trains once on every worker\'s rows, the rows a single process builds, and every worker serves the model', async () => {
    const events = [...syntheticChurnEvents({ customers: 400, days: 100, seed: 9 })];
    // What a single process trains on, from the same events (in its own embedded store).
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-train-e2e-'));
    const single = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
    const singleRegistry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    let expected: { eligible: number; used: number; positives: number };
    try {
      await submitInBatches(single.intake, events);
      const m = (await trainAndRegister(single, singleRegistry, { promotion: 'champion' })).metadata;
      expected = { eligible: m.rows.eligible, used: m.rows.used, positives: m.metrics.trainPositives + m.metrics.validationPositives };
    } finally {
      await singleRegistry.close();
      await single.close();
      rmSync(dir, { recursive: true, force: true });
    }

    await cluster.create();
    const gateway = await cluster.start('gateway', ['--role', 'gateway']);
    const workers = [await cluster.start('w1', ['--role', 'worker', '--worker-id', 'w1', '--keep-every', '500ms', '--model-check-every', '1s']), await cluster.start('w2', ['--role', 'worker', '--worker-id', 'w2', '--keep-every', '500ms', '--model-check-every', '1s'])];
    await waitFor<unknown>('the gateway and two workers to listen and own every partition', async () => {
      if (cluster.procs.some((p) => !p.url)) return { done: false, seen: cluster.procs.map((p) => `${p.name}: ${p.url ?? 'starting'}`) };
      const o = (await json(`${gateway.url}/partitions/owners`)).body as { unowned: number[]; owners: { workerId: string }[] };
      return { done: o.unowned.length === 0 && new Set(o.owners.map((x) => x.workerId)).size === 2, seen: o.unowned.length };
    }, START_MS);

    const lines = events.map((e) => JSON.stringify(e));
    for (let i = 0; i < lines.length; i += 5_000) {
      await waitFor(`the gateway to publish events from ${i}`, async () => {
        const r = await fetch(`${gateway.url}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.slice(i, i + 5_000).join('\n'), signal: AbortSignal.timeout(60_000) });
        return { done: r.status === 202, seen: r.status };
      });
    }
    await waitFor(`all ${lines.length} events in the log`, async () => {
      const f = await postgresDatabaseFigures(dbUrl);
      return { done: f.events >= lines.length, seen: f };
    });
    // A worker does not train on its customers alone: it says where to.
    const refused = await json(`${workers[0].url}/models/train`, 'POST', {});
    expect(refused.status).toBe(409);

    // The twins are all applied (the event clock the workers report is the history's end) before training.
    await waitFor('every twin applied at the workers', async () => {
      const p = await json(`${gateway.url}/population`);
      return { done: p.status === 200 && p.body.twins === 400, seen: p.body };
    });
    const trained = await waitFor('POST /models/train through the gateway', async () => {
      const r = await json(`${gateway.url}/models/train`, 'POST', {}, 600_000);
      if (r.status !== 201) expect({ status: r.status, retryAfter: Boolean(r.retryAfter) }).toEqual({ status: 503, retryAfter: true });
      return { done: r.status === 201, seen: r.body };
    });
    expect(trained.status).toBe('champion');
    const registry = await openModelRegistry({ kind: 'postgres', url: dbUrl });
    try {
      const v = await registry.get(trained.id as string);
      const m = v!.metadata as { rows: { eligible: number; used: number }; metrics: { trainPositives: number; validationPositives: number } };
      expect({ eligible: m.rows.eligible, used: m.rows.used, positives: m.metrics.trainPositives + m.metrics.validationPositives }).toEqual(expected!);
    } finally {
      await registry.close();
    }
    // Every worker serves it: the population's risk through the gateway is scored by that model alone.
    const population = await waitFor('the workers to serve the model trained over them', async () => {
      const r = await json(`${gateway.url}/population`);
      return { done: r.status === 200 && (r.body.risk as { modelId?: string } | null)?.modelId === trained.id, seen: r.body };
    });
    expect((population.risk as { scored: number }).scored).toBeGreaterThan(0);
  }, 600_000);
});
