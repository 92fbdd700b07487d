import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsEventBus } from '../../src/bus/nats-event-bus.js';
import { ManualClock } from '../../src/domain/clock.js';
import { registerChurnModel, trainAndRegister } from '../../src/intelligence/live/churn-model-service.js';
import { syntheticChurnEvents } from '../../src/intelligence/twin-training/synthetic-churn-events.js';
import { trainChurnFromTwins, type TrainedChurnModel } from '../../src/intelligence/twin-training/train-churn-from-twins.js';
import { submitInBatches } from '../../src/interfaces/bench/bench-fixtures.js';
import { spawnRole, type ClusterProcess } from '../../src/interfaces/bench/scale-cluster.js';
import { createPostgresDatabase, databaseUrl, dropPostgresDatabase, postgresDatabaseFigures } from '../../src/store/postgres-databases.js';
import { openEventStore } from '../../src/store/open-event-store.js';
import { openModelRegistry } from '../../src/store/open-model-registry.js';
import { openTwinService } from '../../src/twin/twin-service.js';
import { testPort } from './test-port.js';

/**
 * The harness of the multi-process tests (decision 0012: a gateway and partition workers on
 * loopback): a database and a JetStream stream of the test's own, processes started over them,
 * waits that poll a condition and say what they saw, JSON requests, and everything removed after.
 * Nothing here is timed: a loaded machine is slower, not wrong.
 */

/** Each wait's deadline unless a test says otherwise: long enough for a machine at load 30, short enough that a broken run fails well inside the test's own timeout. */
const WAIT_MS = 60_000;
/** How long one request may take before it counts as not answered. */
const REQUEST_MS = 30_000;
/** Lines of each process's output a failure's message shows. */
const LOG_LINES = 25;

/** A JSON answer with what a caller retries by. */
export interface JsonAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: Record<string, unknown>;
}

/** A cluster test's PostgreSQL database, JetStream stream and processes. */
export interface TestCluster {
  /** The cluster's own database (made by `create`, dropped by `close`). */
  readonly dbUrl: string;
  readonly procs: readonly ClusterProcess[];
  /** Makes the database. */
  create(): Promise<void>;
  /** Starts `twinloop start` over the cluster's database and stream with `args` (`--role …`), on a test port; `partitioned: false` leaves out the stream (a `--role all` process). */
  start(name: string, args: readonly string[], o?: { partitioned?: boolean }): Promise<ClusterProcess>;
  /** Polls `probe` every 250 ms until it answers `{ done: true }`, else fails naming `what`, the last thing seen and each process's last lines. */
  readonly waitFor: <T>(what: string, probe: () => Promise<{ done: boolean; seen: T }>, ms?: number) => Promise<T>;
  /** A request with a JSON body (when given) and its JSON answer. */
  readonly json: (url: string, method?: string, body?: unknown, timeoutMs?: number) => Promise<JsonAnswer>;
  /** Each process's last lines, for a failure's message. */
  readonly logs: () => string;
  /** Kills every process, deletes the stream and drops the database. */
  close(): Promise<void>;
}

/**
 * A cluster named `label` (letters and _) on the PostgreSQL server of `serverUrl` and the NATS
 * at `natsUrl`: its database is the server URL's database name, the label and a random run id
 * (`twinloop_ci_scale_1a2b3c4d`), so that several people's runs on one server stay apart; its
 * stream and subjects carry the same run id.
 */
export function testCluster(label: string, serverUrl: string, natsUrl: string): TestCluster {
  const run = randomBytes(4).toString('hex');
  const database = `${new URL(serverUrl).pathname.slice(1) || 'twinloop'}_${label}_${run}`.slice(0, 63);
  const dbUrl = databaseUrl(serverUrl, database);
  const stream = `${label.toUpperCase()}_TEST_${run}`;
  const partitioned = ['--nats', natsUrl, '--partition-stream', stream, '--nats-subject', `twinloop.${label}-test.${run}.events`];
  const procs: ClusterProcess[] = [];
  const logs = () => procs.map((p) => `--- ${p.name} (${p.url ?? 'no url'}):\n${p.tail.split('\n').slice(-LOG_LINES).join('\n')}`).join('\n');
  return {
    dbUrl,
    procs,
    create: () => createPostgresDatabase(serverUrl, database),
    async start(name, args, o = {}) {
      const p = spawnRole({ databaseUrl: dbUrl, port: await testPort() }, name, [...args, ...(o.partitioned === false ? [] : partitioned)]);
      procs.push(p);
      return p;
    },
    async waitFor(what, probe, ms = WAIT_MS) {
      const deadline = Date.now() + ms;
      let last: unknown = 'nothing yet';
      for (;;) {
        try {
          const r = await probe();
          if (r.done) return r.seen;
          last = r.seen;
        } catch (err) {
          last = `error: ${(err as Error).message}`;
        }
        if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}; last seen: ${JSON.stringify(last)}\n${logs()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async json(url, method = 'GET', body, timeoutMs = REQUEST_MS) {
      const res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
    },
    logs,
    async close() {
      for (const p of procs) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => (p.child.exitCode !== null || p.child.signalCode !== null ? undefined : new Promise((r) => p.child.once('exit', r)))));
      await NatsEventBus.deleteStream(natsUrl, stream).catch(() => undefined);
      await dropPostgresDatabase(serverUrl, database).catch(() => undefined);
    },
  };
}

/**
 * The PostgreSQL server and NATS the multi-process tests run on (`.ci/run` sets both), or
 * undefined: those tests are skipped then (`describe.skipIf(!CLUSTER_SERVICES)`), saying so.
 */
export const CLUSTER_SERVICES = process.env.DATABASE_URL && process.env.NATS_URL ? { databaseUrl: process.env.DATABASE_URL, natsUrl: process.env.NATS_URL } : undefined;

/** The name of a block of multi-process tests (`describe.skipIf(!CLUSTER_SERVICES)(clusterTestName(…), …)`): when skipped, it says what it needs. */
export function clusterTestName(name: string): string {
  return CLUSTER_SERVICES ? name : `${name}: skipped unless DATABASE_URL and NATS_URL name a PostgreSQL server and a NATS with JetStream`;
}

/**
 * A cluster (`label`) on CLUSTER_SERVICES. Inside a block skipped for want of the services it
 * makes nothing (the URLs are placeholders then, never connected to: vitest still collects the block).
 */
export function servicesCluster(label: string): TestCluster {
  const { databaseUrl, natsUrl } = CLUSTER_SERVICES ?? { databaseUrl: 'postgres://127.0.0.1/unset', natsUrl: 'nats://127.0.0.1:4222' };
  return testCluster(label, databaseUrl, natsUrl);
}

/**
 * A cluster (`label`) and a single process's database (`label1`) on CLUSTER_SERVICES, both removed
 * after the describe block that calls this: a test that runs population work on both and
 * compares (`clusterAgainstOne`). Inside a block skipped for want of the services it makes
 * nothing (their URLs are placeholders then, never connected to).
 */
export function clusterAndSingle(label: string): { cluster: TestCluster; single: TestCluster } {
  const cluster = servicesCluster(label);
  const single = servicesCluster(`${label}1`);
  afterAll(async () => {
    await cluster.close();
    await single.close();
  }, 60_000);
  return { cluster, single };
}

/** A workflow run as GET /workflows/:id answers it. */
export interface RunAnswer {
  readonly status: string;
  readonly error: string | null;
  readonly output: unknown;
}

/** Waits until the workflow run `id` at `base` ended (succeeded or failed), for up to `ms`; the run as last read. */
export function waitForRun(c: TestCluster, base: string, id: string, ms: number): Promise<RunAnswer> {
  return c.waitFor(`workflow run ${id} at ${base} to end`, async () => {
    const r = await c.json(`${base}/workflows/${id}`);
    const run = r.body as unknown as RunAnswer;
    return { done: r.status === 200 && (run.status === 'succeeded' || run.status === 'failed'), seen: run };
  }, ms);
}

/**
 * The churn history the champion is trained on (400 customers, 100 days, learnable churn): 15 s at load 30.
 * It ends yesterday: the processes judge an offer's rule at the wall clock's now (decision 0116), and a
 * rule on the last 30 days' usage read a history ended in April as no usage at all.
 */
export const CHAMPION_HISTORY = { customers: 400, days: 100, seed: 9, start: Math.floor(Date.now() / 86_400_000) * 86_400_000 - 101 * 86_400_000 } as const;

/**
 * A churn champion for processes to serve, trained here once on CHAMPION_HISTORY in a throw-away
 * embedded store and registered as the champion in each database of `databaseUrls` (the same
 * model in each: a cluster and a single process compared on one model). Its id.
 */
export async function registerChampion(databaseUrls: readonly string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-cluster-model-'));
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
  try {
    await submitInBatches(twins.intake, syntheticChurnEvents(CHAMPION_HISTORY));
    let trained: TrainedChurnModel | undefined;
    let id = '';
    for (const url of databaseUrls) {
      const registry = await openModelRegistry({ kind: 'postgres', url });
      try {
        id = trained
          ? (await registerChurnModel(registry, trained, 'champion')).info.id
          : (await trainAndRegister(twins, registry, { promotion: 'champion', cutoffs: 4, trainer: async (o) => (trained = await trainChurnFromTwins(twins.store, o)) })).info.id;
      } finally {
        await registry.close();
      }
    }
    return id;
  } finally {
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The processes of a cluster compared with one process (`clusterAgainstOne`). */
export interface ClusterAndOne {
  readonly championId: string;
  readonly gateway: ClusterProcess;
  /** The workers by id, alive (a test that kills one deletes it). */
  readonly workers: Map<string, ClusterProcess>;
  /** The `--role all` process on `single`'s database. */
  readonly one: ClusterProcess;
}

/**
 * A gateway and workers `w1`…`wN` on `cluster`, and one `--role all` process on `single`, serving the
 * same champion (CHAMPION_HISTORY) and holding the same events (CHAMPION_HISTORY's, through the
 * gateway and straight into the single process), every twin applied and scored on both: the start
 * of a test that runs population work on both and compares.
 */
export async function clusterAgainstOne(cluster: TestCluster, single: TestCluster, o: { workers: number; waitMs: number; startMs: number }): Promise<ClusterAndOne> {
  const waitFor = <T>(what: string, probe: () => Promise<{ done: boolean; seen: T }>, ms = o.waitMs) => cluster.waitFor(what, probe, ms);
  await cluster.create();
  await single.create();
  const championId = await registerChampion([cluster.dbUrl, single.dbUrl]);
  const gateway = await cluster.start('gateway', ['--role', 'gateway']);
  const workers = new Map<string, ClusterProcess>();
  for (let i = 1; i <= o.workers; i++) workers.set(`w${i}`, await cluster.start(`w${i}`, ['--role', 'worker', '--worker-id', `w${i}`, '--keep-every', '500ms', '--checkpoint-every', '1s']));
  const one = await single.start('single', ['--role', 'all'], { partitioned: false });
  await waitFor<unknown>(`the gateway, ${o.workers} workers and the single process to listen, every partition owned`, async () => {
    if ([gateway, one, ...workers.values()].some((p) => !p.url)) return { done: false, seen: [...cluster.procs, one].map((p) => `${p.name}: ${p.url ?? 'starting'}`) };
    const owners = (await cluster.json(`${gateway.url}/partitions/owners`)).body as { unowned: number[] };
    return { done: owners.unowned.length === 0, seen: owners.unowned.length };
  }, o.startMs);

  // The same events into both: through the gateway, and straight into the single process.
  const lines = [...syntheticChurnEvents(CHAMPION_HISTORY)].map((e) => JSON.stringify(e));
  for (let i = 0; i < lines.length; i += 5_000) {
    const body = lines.slice(i, i + 5_000).join('\n');
    for (const [url, accepted] of [[`${gateway.url}/events`, 202], [`${one.url}/events`, 200]] as const) {
      await waitFor(`${url} to take events from ${i}`, async () => {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, signal: AbortSignal.timeout(60_000) });
        return { done: r.status === accepted, seen: r.status };
      });
    }
  }
  for (const c of [cluster, single]) {
    await waitFor(`all ${lines.length} events in ${c.dbUrl}`, async () => {
      const f = await postgresDatabaseFigures(c.dbUrl);
      return { done: f.events >= lines.length, seen: f };
    });
  }
  for (const base of [gateway.url!, one.url!]) {
    await waitFor(`every twin at ${base} applied and scored by the champion`, async () => {
      const p = await cluster.json(`${base}/population`);
      const risk = p.body.risk as { modelId?: string } | null;
      return { done: p.status === 200 && p.body.twins === CHAMPION_HISTORY.customers && risk?.modelId === championId, seen: p.body };
    });
  }
  // "At risk" (the catalogue's at_risk, retain-10's eligibility) is the population's riskiest tenth:
  // every worker serves the level the gateway read over them all, the level the single process reads
  // over its scores (decision 0092). Each reads it again within a minute of the last scores' move.
  // Each counts the customers at it among its own (the gateway adds the workers' up: the single process's count).
  type AtRisk = { churn: number; share: number; of: number; over: string; customers: number } | null;
  const atRiskOf = async (base: string) => ((await cluster.json(`${base}/population`)).body.risk as { atRisk?: AtRisk } | null)?.atRisk ?? null;
  const levelOf = (a: AtRisk) => a && JSON.stringify([a.churn, a.share, a.of, a.over]);
  await waitFor('every worker and the gateway to serve the single process\'s at-risk level', async () => {
    const single = await atRiskOf(one.url!);
    const parts = await Promise.all([gateway, ...workers.values()].map(async (p) => ({ name: p.name, atRisk: await atRiskOf(p.url!) })));
    const summed = parts[0].atRisk?.customers === single?.customers;
    return { done: single !== null && single.over === 'population' && summed && parts.every((c) => levelOf(c.atRisk) === levelOf(single)), seen: { single, parts } };
  });
  return { championId, gateway, workers, one };
}

/**
 * Puts the action policy `change` makes of the one in force at `base`, and waits until each of
 * `readers` reads that version (every process reads the policy again within 30 s). Its version.
 */
export async function putPolicyAndWait(c: TestCluster, base: string, readers: readonly ClusterProcess[], reason: string, change: (document: PolicyDocument) => PolicyDocument): Promise<number> {
  const current = (await c.json(`${base}/policy`)).body as { document: PolicyDocument; version: number };
  const put = await c.json(`${base}/policy`, 'PUT', { policy: change(current.document), reason, basedOn: current.version });
  if (put.status !== 200) throw new Error(`PUT ${base}/policy answered ${put.status}: ${JSON.stringify(put.body)}`);
  const version = put.body.version as number;
  for (const p of readers) {
    await c.waitFor(`${p.name} to read policy version ${version}`, async () => {
      const seen = (await c.json(`${p.url}/policy`)).body.version;
      return { done: seen === version, seen };
    });
  }
  return version;
}

/** The parts of a policy document these tests change. */
export interface PolicyDocument {
  readonly rules: readonly { readonly actionClass: string; readonly mode?: string; readonly guardrails?: Record<string, unknown> }[];
  readonly contact?: Record<string, unknown>;
  readonly [other: string]: unknown;
}
