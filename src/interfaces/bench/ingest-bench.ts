import { join } from 'node:path';
import { systemClock } from '../../domain/clock.js';
import { DAY_MS } from '../../domain/time.js';
import { parseEventTime } from '../../domain/event-fast-path.js';
import { validateEventText } from '../../domain/event-validation.js';
import type { TwinEvent } from '../../domain/events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { DEFAULT_SEAL_AT, DEFAULT_SEGMENT_MIN_BATCH } from '../../store/sqlite-segment-log.js';
import { dropPostgresSchema } from '../../store/postgres-connection.js';
import type { EventStore } from '../../store/event-store.js';
import { TwinEngine } from '../../twin/twin-engine.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { replayLog } from '../../twin/twin-recovery.js';
import { seededRandom } from '../../domain/seeded-random.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { round, sampleStats, timeEach } from './bench-stats.js';
import { threadCpuSeconds } from '../../domain/cpu-time.js';

/** Benchmark figures of the twin layer; see BENCHMARKS.md for what each means. */
export interface IngestBenchResult {
  events: number;
  customers: number;
  bytes_per_event: number;
  parse_only_events_per_s: number;
  memory_events_per_s: number;
  ratio_to_parse: number;
  /** CPU on the bench's thread per event, in µs, of the bare parse and of the in-memory path (each its best turn): the load barely moves these. */
  parse_only_cpu_us_per_event: number;
  memory_cpu_us_per_event: number;
  durable_sqlite_events_per_s: number | null;
  /** The same with the store's writes on a writer thread (`writes: 'thread'`), pipelined with validation. */
  durable_sqlite_writer_thread_events_per_s: number | null;
  /**
   * The same as the commands open the embedded store (decision 0013: the segment log, on by
   * default since 2026-12-04), on the writer thread: the deployed durable path.
   */
  durable_sqlite_segments_events_per_s: number | null;
  /** CPU of the process (every thread) per event of each durable SQLite run, in µs: what the load barely moves. */
  durable_sqlite_cpu_us_per_event: { inline: number; writer_thread: number; segments: number } | null;
  /**
   * The deployed run's CPU per event split by thread, in µs: the intake's (the bench's) thread
   * and all the others (the writer thread, the collector's helpers, the disk syncs). On two idle
   * cores the wall rate is bounded by the busier of the intake thread and half the total.
   */
  durable_sqlite_segments_cpu_split_us_per_event: { intake_thread: number; other_threads: number } | null;
  durable_postgres_events_per_s: number | null;
  replay_events_per_s: number | null;
  replay_10m_projected_s: number | null;
  read_current_p99_us: number;
  read_as_of_p99_us: number | null;
  twins_for_memory: number;
  bytes_per_twin: number;
}

const CHUNK = 5_000;
/** Turns of the bare parse and of the in-memory path, alternating. */
const MEMORY_TURNS = 4;

function makeLines(events: number): { lines: string[]; customers: number } {
  const customers = Math.max(100, Math.round(events / 100));
  const days = Math.ceil(events / customers) + 1;
  const lines: string[] = [];
  for (const e of syntheticEvents({ customers, days, seed: 42 })) {
    lines.push(JSON.stringify(e));
    if (lines.length >= events) break;
  }
  return { lines, customers };
}

function memoryPath(lines: readonly string[]): TwinEngine {
  const engine = new TwinEngine();
  for (const line of lines) {
    const v = validateEventText(line);
    if (!v.ok) continue;
    const time = parseEventTime(v.event.time);
    if (engine.check(v.event, time, engine.gate(v.event.customerId)).ok) engine.apply(v.event, time);
  }
  return engine;
}

/** Durable intake rate through the twin service as deployed (group commit, checkpoints, history). */
async function durableRate(store: EventStore, lines: readonly string[]): Promise<{ rate: number; cpuUs: number; intakeCpuUs: number; twins: TwinService }> {
  // Checkpoints at the service's default cadence (every 200k events), as the server runs: they
  // also write the history snapshots that as-of reads start from.
  const twins = await openTwinService({ store, clock: systemClock, intake: { maxBatch: CHUNK, maxQueuedRecords: CHUNK * 4 } });
  const intake = twins.intake;
  const t = performance.now();
  const cpu = process.cpuUsage();
  const intakeCpu = threadCpuSeconds();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < lines.length; i += CHUNK) {
    // Two chunks in flight: validation of the next overlaps the commit of the current.
    inflight.push(intake.submitRecords(lines.slice(i, i + CHUNK).map((text) => ({ text }))));
    if (inflight.length >= 2) await inflight.shift();
  }
  await Promise.all(inflight);
  await twins.checkpoint();
  const used = process.cpuUsage(cpu);
  const intakeCpuUs = round(((threadCpuSeconds() - intakeCpu) * 1e6) / lines.length);
  return { rate: lines.length / ((performance.now() - t) / 1000), cpuUs: round((used.user + used.system) / lines.length), intakeCpuUs, twins };
}

/** p99 of latencies in µs, to 0.1 µs. */
const p99 = (samples: ArrayLike<number>): number => sampleStats(samples, ['p99'], 1).p99;

/** Memory held per twin, measured by filling `n` twins that each span 90 days of rolling windows. */
function bytesPerTwin(n: number): number {
  const before = process.memoryUsage();
  const engine = new TwinEngine();
  const start = Date.parse('2026-01-01T00:00:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  for (let c = 0; c < n; c++) {
    const customerId = `C${c}`;
    const events: TwinEvent[] = [
      { id: `r${c}`, kind: 'customer', customerId, time: iso(start), source: 'b', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: iso(start - DAY_MS * 400) } },
      { id: `s${c}`, kind: 'subscription', customerId, time: iso(start), source: 'b', v: 1, data: { action: 'activated', subscriptionId: `S${c}`, productKind: 'plan', productId: `plan-${c % 5}`, monthlyPrice: 30 } },
    ];
    for (const d of [0, 45, 89]) {
      events.push({ id: `u${c}-${d}`, kind: 'usage', customerId, time: iso(start + d * DAY_MS), source: 'b', v: 1, data: { subscriptionId: `S${c}`, dataMb: 100, voiceMin: 3, sms: 1, roaming: false } });
    }
    for (const e of events) engine.apply(e, Date.parse(e.time));
  }
  engine.takeDirty();
  const after = process.memoryUsage();
  const used = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  return Math.round(used / n);
}

/** Runs the twin layer's benchmark on synthetic events (see BENCHMARKS.md). */
export async function runIngestBench(options: { events: number; twins: number; postgresUrl?: string; log: (line: string) => void }): Promise<IngestBenchResult> {
  const { log } = options;
  const { lines, customers } = makeLines(options.events);
  const bytes = lines.reduce((s, l) => s + l.length, 0);
  log(`${lines.length} events for ${customers} customers, ${Math.round(bytes / lines.length)} bytes each`);

  // The bare parse and the in-memory path in alternating turns (A B, B A, A B), each keeping its
  // best: one after the other, the shared machine's drifting load would be read as their ratio.
  let engine!: TwinEngine;
  const turns = { parse: { wall: Infinity, cpu: Infinity }, memory: { wall: Infinity, cpu: Infinity } };
  const sides = {
    parse: () => {
      for (const line of lines) JSON.parse(line);
    },
    memory: () => {
      engine = memoryPath(lines);
    },
  };
  for (let turn = 0; turn < MEMORY_TURNS; turn++) {
    for (const side of turn % 2 === 0 ? (['parse', 'memory'] as const) : (['memory', 'parse'] as const)) {
      const cpu = threadCpuSeconds();
      const t = performance.now();
      sides[side]();
      turns[side].wall = Math.min(turns[side].wall, (performance.now() - t) / 1000);
      turns[side].cpu = Math.min(turns[side].cpu, threadCpuSeconds() - cpu);
    }
  }
  const parseRate = lines.length / turns.parse.wall;
  const memoryRate = lines.length / turns.memory.wall;
  const cpuUs = (seconds: number) => round((seconds * 1e6) / lines.length);
  log(`parse only: ${Math.round(parseRate)} events/s, ${cpuUs(turns.parse.cpu)} µs CPU an event`);
  log(`in memory (parse, validate, update twins): ${Math.round(memoryRate)} events/s, ${cpuUs(turns.memory.cpu)} µs CPU an event, ratio ${(memoryRate / parseRate).toFixed(2)}`);

  const ids = [...engine.customerIds()];
  const rnd = seededRandom(7);
  const picks = Array.from({ length: 20_000 }, () => ids[Math.floor(rnd() * ids.length)]);
  const current = timeEach(picks.length, (i) => engine.view(picks[i]));

  const durable = await inTempDir('ingest-bench', async (dir) => {
    const threaded = await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'threaded'), writes: 'thread' });
    const thread = await durableRate(threaded, lines);
    await threaded.close();
    log(`durable into SQLite, writer thread: ${Math.round(thread.rate)} events/s, ${thread.cpuUs} µs CPU an event`);
    const segmented = await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'segments'), writes: 'thread', segments: { minBatch: DEFAULT_SEGMENT_MIN_BATCH, sealAt: DEFAULT_SEAL_AT } });
    const segments = await durableRate(segmented, lines);
    await segmented.close();
    log(`durable into SQLite, segment log on the writer thread (as deployed): ${Math.round(segments.rate)} events/s, ${segments.cpuUs} µs CPU an event (intake thread ${segments.intakeCpuUs}, other threads ${round(segments.cpuUs - segments.intakeCpuUs)})`);
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const inline = await durableRate(store, lines);
    log(`durable into SQLite: ${Math.round(inline.rate)} events/s, ${inline.cpuUs} µs CPU an event`);
    const replayed = new TwinEngine();
    const t = performance.now();
    const { events } = await replayLog(store, replayed);
    const replayRate = events / ((performance.now() - t) / 1000);
    log(`replay from SQLite: ${Math.round(replayRate)} events/s (10M events in ~${Math.round(1e7 / replayRate)} s)`);
    const history = inline.twins.history;
    const mid = replayed.eventClock - 30 * DAY_MS;
    const asOf: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const id = ids[Math.floor(rnd() * ids.length)];
      const t0 = performance.now();
      await history.asOf(id, mid);
      asOf.push((performance.now() - t0) * 1000);
    }
    await store.close();
    return { sqliteRate: inline.rate, threadRate: thread.rate, segmentsRate: segments.rate, cpu: { inline: inline.cpuUs, writer_thread: thread.cpuUs, segments: segments.cpuUs }, split: { intake_thread: segments.intakeCpuUs, other_threads: round(segments.cpuUs - segments.intakeCpuUs) }, replayRate, asOfP99: p99(asOf) };
  });
  const { sqliteRate, threadRate, segmentsRate, replayRate, asOfP99 } = durable;

  let pgRate: number | null = null;
  if (options.postgresUrl) {
    const schema = `twinloop_bench_${process.pid}_${Date.now()}`;
    const store = await openEventStore({ kind: 'postgres', url: options.postgresUrl, schema });
    try {
      pgRate = (await durableRate(store, lines)).rate;
      log(`durable into PostgreSQL: ${Math.round(pgRate)} events/s`);
    } finally {
      await store.close();
      await dropPostgresSchema(options.postgresUrl, schema);
    }
  }

  const perTwin = bytesPerTwin(options.twins);
  log(`memory: ${perTwin} bytes per twin at ${options.twins} twins`);
  return {
    events: lines.length,
    customers,
    bytes_per_event: Math.round(bytes / lines.length),
    parse_only_events_per_s: Math.round(parseRate),
    memory_events_per_s: Math.round(memoryRate),
    ratio_to_parse: Number((memoryRate / parseRate).toFixed(3)),
    parse_only_cpu_us_per_event: cpuUs(turns.parse.cpu),
    memory_cpu_us_per_event: cpuUs(turns.memory.cpu),
    durable_sqlite_events_per_s: sqliteRate && Math.round(sqliteRate),
    durable_sqlite_writer_thread_events_per_s: threadRate && Math.round(threadRate),
    durable_sqlite_segments_events_per_s: segmentsRate && Math.round(segmentsRate),
    durable_sqlite_cpu_us_per_event: durable.cpu,
    durable_sqlite_segments_cpu_split_us_per_event: durable.split,
    durable_postgres_events_per_s: pgRate && Math.round(pgRate),
    replay_events_per_s: replayRate && Math.round(replayRate),
    replay_10m_projected_s: replayRate && Math.round(1e7 / replayRate),
    read_current_p99_us: p99(current),
    read_as_of_p99_us: asOfP99,
    twins_for_memory: options.twins,
    bytes_per_twin: perTwin,
  };
}

/** `bench ingest`: events/s into twins in memory and durably, replay, reads and bytes per twin. */
export const ingestBench = defineBench({
  name: 'ingest',
  description: 'Events/s into twins in memory and durably (SQLite, PostgreSQL when DATABASE_URL is set), replay, reads, bytes per twin',
  options: [
    { flags: '--events <n>', description: 'events in the workload', parse: intOption('--events', 1_000), default: 1_000_000 },
    { flags: '--twins <n>', description: 'twins for the bytes-per-twin figure', parse: intOption('--twins', 1), default: 1_000_000 },
  ],
  run: (o: { events: number; twins: number }, { log }) => runIngestBench({ events: o.events, twins: o.twins, postgresUrl: process.env.DATABASE_URL, log }),
});
