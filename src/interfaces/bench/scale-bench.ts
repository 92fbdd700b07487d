import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { NatsEventBus } from '../../bus/nats-event-bus.js';
import { CHANNELS } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { PARTITION_COUNT } from '../../domain/partitions.js';
import { seededRandom } from '../../domain/seeded-random.js';
import { createPostgresDatabase, databaseUrl, dropPostgresDatabase, postgresDatabaseFigures } from '../../store/postgres-databases.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { intOption } from '../cli/cli-numbers.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';
import { processCpuSeconds } from '../../domain/cpu-time.js';
import { runLoadInWorker } from './http-load.js';
import type { LoadResult } from './http-load-client.js';
import { rssMb } from './overload-bench.js';
import { startCluster, type Cluster } from './scale-cluster.js';

/** How long the log may take to hold every event sent (a stuck cluster fails the bench instead of hanging it). */
const INGEST_MS = 900_000;

/** Options of `bench scale`. */
export interface ScaleBenchOptions {
  /** Worker counts measured, each behind a gateway. */
  readonly workers: readonly number[];
  readonly customers: number;
  readonly days: number;
  /** Events per POST /events. */
  readonly batch: number;
  /** Closed-loop HTTP clients sending decisions, and for how long. */
  readonly clients: number;
  readonly seconds: number;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly log: (line: string) => void;
}

/** One cluster's figures. */
export interface ScaleRun {
  /** `all` (one `--role all` process: the baseline) or `N workers` (behind a gateway). */
  readonly label: string;
  readonly workers: number;
  readonly startSeconds: number;
  readonly ingest: {
    readonly events: number;
    /** From the first POST /events to the last event durable in the log. */
    readonly seconds: number;
    readonly perSecond: number;
    /** Events the entry point answered per second (the gateway: once JetStream holds them). */
    readonly acceptedPerSecond: number;
  };
  /** POST /decisions through the entry point, closed loop. */
  readonly decisions: LoadResult;
  readonly storage: {
    readonly databaseBytes: number;
    readonly eventLogBytes: number;
    readonly logBytesPerEvent: number;
    /** The partitioned stream (none for the single process, which takes its events over HTTP). */
    readonly streamBytes: number | null;
    readonly streamBytesPerEvent: number | null;
  };
  /**
   * CPU the processes spent while the events went in, in µs per event (user + system, from /proc):
   * unlike events/s, it does not depend on how many other processes share the cores.
   */
  readonly cpuUsPerEvent: { readonly holders: number; readonly gateway: number | null };
  /** Resident memory of the processes holding twins, before and after the events, MB. */
  readonly rssMb: { readonly before: number[]; readonly after: number[] };
  /** The machine's 1-minute load average when the run started and ended. */
  readonly load: readonly [number, number];
}

/** A worker count's figures against the baseline (the single process, measured first and last). */
export interface ScaleComparison {
  readonly workers: number;
  readonly eventsPerSecond: number;
  readonly eventsRatioToBaseline: number;
  /** events/s ÷ (workers × one worker's events/s): 1 is perfect scaling. */
  readonly perWorkerEfficiency: number | null;
  readonly eventsPerSecondPerPartition: number;
  readonly decisionsPerSecond: number;
  readonly decisionsRatioToBaseline: number;
  readonly decisionP99Ms: number;
  readonly decisionP99RatioToBaseline: number;
  /** Memory each twin takes in a worker: the workers' resident growth over the events ÷ customers. */
  readonly bytesPerTwin: number;
}

export interface ScaleBenchResult {
  readonly date: string;
  readonly customers: number;
  readonly events: number;
  readonly partitions: number;
  readonly baseline: { readonly eventsPerSecond: number; readonly decisionsPerSecond: number; readonly decisionP99Ms: number; readonly runs: readonly ScaleRun[] };
  readonly comparisons: readonly ScaleComparison[];
  readonly runs: readonly ScaleRun[];
}

/** `--workers 1,2,4`: distinct counts from 1 to 64, in the order given. */
export function parseWorkerCounts(value: string): number[] {
  const counts = value.split(',').map((s) => Number(s.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > PARTITION_COUNT)) {
    throw new InvalidArgumentError(`--workers is a comma-separated list of worker counts from 1 to ${PARTITION_COUNT} (e.g. 1,2,4); got ${value}`);
  }
  if (new Set(counts).size !== counts.length) throw new InvalidArgumentError(`--workers lists ${value}: each count once`);
  return counts;
}

/** Sends every batch to `entry`'s POST /events in order; a 503 (the broker did not take the batch whole) is sent again after a second. */
async function sendAll(entry: string, batches: readonly string[]): Promise<void> {
  const deadline = Date.now() + INGEST_MS;
  for (const [i, body] of batches.entries()) {
    for (;;) {
      const res = await fetch(`${entry}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, signal: AbortSignal.timeout(120_000) });
      const text = await res.text();
      if (res.status === 200 || res.status === 202) break;
      if (res.status !== 503 || Date.now() > deadline) throw new TwinloopError('INTERNAL', `bench scale: batch ${i} answered ${res.status}: ${text.slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** Waits until the log holds `events` events; fails at once if any record was parked (the load is valid, so a parked one is a defect). */
async function waitForLog(url: string, events: number): Promise<void> {
  const deadline = Date.now() + INGEST_MS;
  for (;;) {
    const f = await postgresDatabaseFigures(url);
    if (f.deadLetters > 0) throw new TwinloopError('INTERNAL', `bench scale: ${f.deadLetters} records were parked as dead letters (the synthetic load is valid: a partition delivered out of order?)`);
    if (f.events >= events) return;
    if (Date.now() > deadline) throw new TwinloopError('INTERNAL', `bench scale: the log holds ${f.events} of ${events} events after ${INGEST_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function decisionRequests(customers: number) {
  const random = seededRandom(9);
  return Array.from({ length: 4096 }, (_, i) => ({
    method: 'POST' as const,
    path: '/decisions',
    body: JSON.stringify({ customerId: `C${Math.floor(random() * customers)}`, channel: CHANNELS[i % CHANNELS.length], reason: i % 5 === 0 ? 'cancel_request' : undefined }),
  }));
}

/** One cluster measured: started on a fresh database and stream, the events sent, decisions loaded, everything removed after. */
async function measure(o: ScaleBenchOptions, run: string, label: string, workers: number, batches: readonly string[], events: number): Promise<ScaleRun> {
  const name = `${new URL(o.databaseUrl).pathname.slice(1) || 'twinloop'}_${run}_${label.replace(/\W/g, '')}`.slice(0, 63);
  const stream = `SCALE_BENCH_${run}_${label.replace(/\W/g, '')}`;
  const url = databaseUrl(o.databaseUrl, name);
  o.log(`${label}: database ${name}${workers > 0 ? `, stream ${stream}` : ''}…`);
  const load0 = loadavg()[0];
  await createPostgresDatabase(o.databaseUrl, name);
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ databaseUrl: url, nats: { url: o.natsUrl, stream, base: `twinloop.scale-bench.${run}.${label.replace(/\W/g, '')}` }, workers, log: o.log });
    const rss = () => cluster!.holders.map((p) => Math.round(rssMb(p.child.pid!)));
    const before = rss();
    const cpu = () => ({ holders: cluster!.holders.reduce((n, p) => n + processCpuSeconds(p.child.pid!), 0), gateway: cluster!.gateway ? processCpuSeconds(cluster!.gateway.child.pid!) : 0 });
    const cpu0 = cpu();
    const t0 = performance.now();
    await sendAll(cluster.entry, batches);
    const accepted = (performance.now() - t0) / 1000;
    await waitForLog(url, events);
    const seconds = (performance.now() - t0) / 1000;
    o.log(`  ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / seconds)}/s; the entry point took them in ${accepted.toFixed(1)} s); decisions for ${o.seconds} s…`);
    const cpu1 = cpu();
    const after = rss();
    const db = await postgresDatabaseFigures(url);
    const nats = workers > 0 ? await NatsEventBus.streamFigures(o.natsUrl, stream) : null;
    const requests = decisionRequests(o.customers);
    const warm = await runLoadInWorker({ base: cluster.entry, clients: o.clients, seconds: 1, requests });
    if (warm.errors > 0) throw new TwinloopError('INTERNAL', `bench scale: ${warm.errors} of ${warm.requests} decisions failed during the warm-up (${label})`);
    const decisions = await runLoadInWorker({ base: cluster.entry, clients: o.clients, seconds: o.seconds, requests });
    o.log(`  decisions: ${decisions.perSecond}/s, p99 ${decisions.p99Ms} ms, ${decisions.errors} errors`);
    return {
      label,
      workers,
      startSeconds: round(cluster.startSeconds, 1),
      ingest: { events, seconds: round(seconds, 2), perSecond: Math.round(events / seconds), acceptedPerSecond: Math.round(events / accepted) },
      decisions,
      storage: {
        databaseBytes: db.databaseBytes,
        eventLogBytes: db.eventLogBytes,
        logBytesPerEvent: Math.round(db.eventLogBytes / events),
        streamBytes: nats?.bytes ?? null,
        streamBytesPerEvent: nats ? Math.round(nats.bytes / nats.messages) : null,
      },
      cpuUsPerEvent: { holders: Math.round(((cpu1.holders - cpu0.holders) * 1e6) / events), gateway: cluster.gateway ? Math.round(((cpu1.gateway - cpu0.gateway) * 1e6) / events) : null },
      rssMb: { before, after },
      load: [round(load0, 1), round(loadavg()[0], 1)],
    };
  } finally {
    await cluster?.stop().catch(() => undefined);
    if (workers > 0) await NatsEventBus.deleteStream(o.natsUrl, stream).catch(() => undefined);
    await dropPostgresDatabase(o.databaseUrl, name).catch(() => undefined);
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The scaling benchmark of issue 16: the same event load and decisions through one `--role all`
 * process (the baseline, measured first and last so that a drifting load shows and is averaged)
 * and through a gateway with each worker count, every cluster on its own fresh PostgreSQL
 * database and JetStream stream. Throughput is events sent until the last is durable in the log.
 */
export async function runScaleBench(o: ScaleBenchOptions): Promise<ScaleBenchResult> {
  const run = randomBytes(3).toString('hex');
  const texts = [...syntheticEvents({ customers: o.customers, days: o.days, seed: 16 })].map((e) => JSON.stringify(e));
  const batches: string[] = [];
  for (let i = 0; i < texts.length; i += o.batch) batches.push(texts.slice(i, i + o.batch).join('\n'));
  o.log(`bench scale (run ${run}): ${texts.length} events of ${o.customers} customers over ${o.days} days in batches of ${o.batch}; ${o.clients} decision clients for ${o.seconds} s; clusters: all, ${o.workers.map((w) => `${w} workers`).join(', ')}, all`);
  const runs: ScaleRun[] = [];
  runs.push(await measure(o, run, 'all', 0, batches, texts.length));
  for (const w of o.workers) runs.push(await measure(o, run, `${w} workers`, w, batches, texts.length));
  runs.push(await measure(o, run, 'all again', 0, batches, texts.length));

  const baselineRuns = runs.filter((r) => r.workers === 0);
  const baseline = {
    eventsPerSecond: Math.round(mean(baselineRuns.map((r) => r.ingest.perSecond))),
    decisionsPerSecond: Math.round(mean(baselineRuns.map((r) => r.decisions.perSecond))),
    decisionP99Ms: round(mean(baselineRuns.map((r) => r.decisions.p99Ms)), 1),
    runs: baselineRuns,
  };
  const one = runs.find((r) => r.workers === 1);
  const comparisons = runs
    .filter((r) => r.workers > 0)
    .map((r): ScaleComparison => {
      const grown = r.rssMb.after.reduce((a, b) => a + b, 0) - r.rssMb.before.reduce((a, b) => a + b, 0);
      return {
        workers: r.workers,
        eventsPerSecond: r.ingest.perSecond,
        eventsRatioToBaseline: ratio(r.ingest.perSecond, baseline.eventsPerSecond),
        perWorkerEfficiency: one ? ratio(r.ingest.perSecond, r.workers * one.ingest.perSecond) : null,
        eventsPerSecondPerPartition: round(r.ingest.perSecond / PARTITION_COUNT, 1),
        decisionsPerSecond: r.decisions.perSecond,
        decisionsRatioToBaseline: ratio(r.decisions.perSecond, baseline.decisionsPerSecond),
        decisionP99Ms: r.decisions.p99Ms,
        decisionP99RatioToBaseline: ratio(r.decisions.p99Ms, baseline.decisionP99Ms),
        bytesPerTwin: Math.max(0, Math.round((grown * 1024 * 1024) / o.customers)),
      };
    });
  return { date: new Date().toISOString(), customers: o.customers, events: texts.length, partitions: PARTITION_COUNT, baseline, comparisons, runs };
}

/** The comparison as a table, one row per cluster. */
export function formatScaleBench(r: ScaleBenchResult): string {
  const rows = [
    `${r.events} events of ${r.customers} customers; baseline (one --role all process, first and last): ${r.baseline.eventsPerSecond} events/s, ${r.baseline.decisionsPerSecond} decisions/s, p99 ${r.baseline.decisionP99Ms} ms`,
    'workers  events/s  ×baseline  efficiency  decisions/s  ×baseline  p99 ms  ×baseline  bytes/twin',
    ...r.comparisons.map((c) =>
      [String(c.workers).padStart(7), String(c.eventsPerSecond).padStart(9), String(c.eventsRatioToBaseline).padStart(10), String(c.perWorkerEfficiency ?? '-').padStart(11), String(c.decisionsPerSecond).padStart(12), String(c.decisionsRatioToBaseline).padStart(10), String(c.decisionP99Ms).padStart(7), String(c.decisionP99RatioToBaseline).padStart(10), String(c.bytesPerTwin).padStart(11)].join(''),
    ),
    ...r.runs.map((x) => `  ${x.label}: started in ${x.startSeconds} s; CPU per event ${x.cpuUsPerEvent.holders} µs in the twins' processes${x.cpuUsPerEvent.gateway === null ? '' : `, ${x.cpuUsPerEvent.gateway} µs in the gateway`}; log ${x.storage.logBytesPerEvent} B/event${x.storage.streamBytesPerEvent === null ? '' : `, stream ${x.storage.streamBytesPerEvent} B/event`}; load ${x.load[0]} → ${x.load[1]}`),
  ];
  return rows.join('\n');
}

/** `bench scale`: events/s and decision p99 against worker count, with the single process as the baseline. */
export const scaleBench = defineBench({
  name: 'scale',
  description: 'partitioned twins: events/s and decision p99 through a gateway and N workers on PostgreSQL and NATS, against one --role all process (needs --database-url or DATABASE_URL, and NATS)',
  options: [
    { flags: '--workers <list>', description: 'worker counts to measure, comma-separated', parse: parseWorkerCounts, default: [1, 2, 4] },
    { flags: '--customers <n>', description: 'customers of the synthetic load', parse: intOption('--customers', 1, 1_000_000), default: 4_000 },
    { flags: '--days <n>', description: 'days of usage per customer', parse: intOption('--days', 1, 365), default: 5 },
    { flags: '--batch <n>', description: 'events per POST /events', parse: intOption('--batch', 1, 100_000), default: 2_000 },
    { flags: '--clients <n>', description: 'concurrent decision clients', parse: intOption('--clients', 1, 256), default: 8 },
    { flags: '--seconds <n>', description: 'seconds of decisions per cluster', parse: intOption('--seconds', 1, 3_600), default: 10 },
    { flags: '--nats <url>', description: 'NATS JetStream (default TWINLOOP_NATS_URL, NATS_URL or nats://127.0.0.1:4222)' },
  ],
  run: (o: { workers: number[]; customers: number; days: number; batch: number; clients: number; seconds: number; nats?: string }, { log, globals }) => {
    const url = globals.databaseUrl ?? process.env.DATABASE_URL;
    if (!url) throw new TwinloopError('BAD_INPUT', 'bench scale needs PostgreSQL: --database-url postgres://… (or DATABASE_URL); it makes and drops a database per cluster beside that one');
    const natsUrl = o.nats ?? process.env.TWINLOOP_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
    return runScaleBench({ ...o, databaseUrl: url, natsUrl, log });
  },
  summary: formatScaleBench,
});
