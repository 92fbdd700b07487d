import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TwinloopError } from '../../domain/errors.js';
import { createSandboxWorld, INTAKE_DELIVERY_WINDOW, type WorldConfig } from '../../sandbox/index.js';
import { SQLITE_FILE_NAME, sqliteSpaceByTable } from '../../store/sqlite-connection.js';
import { DEFAULT_SEAL_AT, DEFAULT_SEGMENT_MIN_BATCH } from '../../store/sqlite-segment-log.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { intOption } from '../cli/cli-numbers.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { startHistoryWriter } from '../runtime/history-writer.js';
import { describeSandboxHistory } from '../runtime/sandbox-history-source.js';
import { historyDays, sandboxAwareClock } from '../runtime/sandbox-operator.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';

/** Figures of one backfill into one layout of the embedded store. */
export interface BackfillRun {
  layout: StoreLayout;
  seconds: number;
  events_per_s: number;
  /**
   * CPU time (every thread of the process: intake, writer thread, GC) per event, the closing
   * checkpoint (and with segments its seal) included: the figure the machine's load does not
   * move, where events/s falls with the share of the cores the run gets.
   */
  cpu_us_per_event: number;
  /** The database file and its WAL after the checkpoint, per event. */
  bytes_per_event: number;
  store_mb: number;
  /** Bytes per event by table and index of the database file (dbstat), largest first; `(free)`: pages freed for reuse. */
  bytes_per_event_by_table: Record<string, number>;
  accepted: number;
  twins: number;
}

/**
 * Figures of `bench backfill`: the layout measured (the first run), its figures flat as before,
 * and what the whole bench adds around it.
 */
export interface BackfillBenchResult extends BackfillRun {
  world: string;
  customers: number;
  /** Batches in the intake at once. */
  window: number;
  months: number;
  events: number;
  rejected: number;
  /** Same-process baseline: generating the same world's events without delivering them. */
  generate_only_events_per_s: number;
  ratio_to_generate: number;
  /** Same-process baseline for the segment log: the same backfill into a row per event (absent with --layout rows or --no-baseline). */
  rows?: BackfillRun;
  /** Segments against rows: CPU per event and bytes per event (below 1: the segment log is cheaper). */
  cpu_ratio_to_rows?: number;
  bytes_ratio_to_rows?: number;
  /** With --seeded: the first start's history taken from its seed and written behind (decision 0021), same world, same process. */
  seeded?: SeededRun;
  /** The seeded pass's CPU per event (until every twin has the history) against the durable run's (below 1: the twins have it sooner). */
  seeded_pass_cpu_ratio?: number;
  /** The seeded path's whole CPU per event (the pass, the writing behind from the seed and the seal) against the durable run's. */
  seeded_total_cpu_ratio?: number;
}

/** Figures of the seeded path (decision 0021): the pass through the intake, then the writing behind and the seal. */
export interface SeededRun {
  /** Until every twin has the history (the pass through the intake, nothing awaited on the store). */
  pass_seconds: number;
  pass_cpu_us_per_event: number;
  /** Until the history is written from its seed (in its thread) and sealed. */
  seconds: number;
  cpu_us_per_event: number;
  /** CPU per event of the thread that regenerates and writes the history behind (its own, the seal aside). */
  writer_cpu_us_per_event: number;
  bytes_per_event: number;
  store_mb: number;
  accepted: number;
  twins: number;
}

/** How the embedded store keeps the history: a row per event, or the segment log for bulk batches (decision 0013). */
export type StoreLayout = 'rows' | 'segments';

/** Backfills a sandbox world through the intake into a fresh embedded store (writer thread), as `npm start` does, and checkpoints. */
async function backfillInto(layout: StoreLayout, config: WorldConfig, o: { days: number; window: number; log: (s: string) => void }, tally: { events: number; rejected: number }): Promise<BackfillRun> {
  return inTempDir('backfill-bench', async (dir) => {
    const world = createSandboxWorld(config, 1, { latencyScale: 0 });
    const segments = layout === 'segments' ? { minBatch: DEFAULT_SEGMENT_MIN_BATCH, sealAt: DEFAULT_SEAL_AT } : false;
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread', segments }), clock: sandboxAwareClock(() => world.clock) });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let last = 0;
    const result = await world.backfill({
      days: o.days,
      sink: twins.intake,
      window: o.window,
      onProgress: (done, total, events) => {
        if (performance.now() - last > 15_000) {
          last = performance.now();
          o.log(`  ${layout}: day ${done}/${total}, ${events} events, ${Math.round(events / ((last - t0) / 1000))} events/s`);
        }
      },
    });
    // As the first start does once the history is in (with segments: the seal of what waits).
    await twins.checkpoint({ loadEnded: true });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const size = fileSize(join(dir, SQLITE_FILE_NAME)) + fileSize(join(dir, `${SQLITE_FILE_NAME}-wal`));
    const byTable = Object.entries(sqliteSpaceByTable(dir)).map(([name, bytes]) => [name, round(bytes / result.events, 1)] as const).filter(([, perEvent]) => perEvent > 0);
    tally.events = result.events;
    tally.rejected = result.rejected;
    const run: BackfillRun = {
      layout,
      seconds: round(seconds, 1),
      events_per_s: Math.round(result.events / seconds),
      cpu_us_per_event: round((cpu.user + cpu.system) / result.events, 2),
      bytes_per_event: Math.round(size / result.events),
      store_mb: round(size / 1e6, 1),
      bytes_per_event_by_table: Object.fromEntries(byTable),
      accepted: result.accepted,
      twins: twins.engine.size,
    };
    await twins.close({ checkpoint: false });
    o.log(`  ${layout}: ${JSON.stringify(run)}`);
    return run;
  });
}

/**
 * The first start's seeded path (decision 0021) on the same world: the history through the intake
 * in its seeded mode (checkpoints held), recorded as finished, then written from its seed by the
 * history writer's thread and sealed, as the server does. CPU of every thread of the process.
 */
async function seededBackfillInto(o: { world: string; config: WorldConfig; days: number; window: number; log: (s: string) => void }): Promise<SeededRun> {
  return inTempDir('backfill-bench', async (dir) => {
    const world = createSandboxWorld(o.config, 1, { latencyScale: 0 });
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread', segments: { minBatch: DEFAULT_SEGMENT_MIN_BATCH, sealAt: DEFAULT_SEAL_AT } });
    const twins = await openTwinService({ store, clock: sandboxAwareClock(() => world.clock) });
    const log = store.seededHistory!;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const receivedAt = Date.now();
    const record = await log.begin(describeSandboxHistory({ world: o.world, seed: 1, customers: o.config.population.customers, start: o.config.start, days: o.days, config: o.config }), receivedAt);
    const release = twins.holdCheckpoints();
    const intake = await twins.intake.beginSeeded({ firstSeq: record.firstSeq, receivedAt });
    const result = await world.backfill({ days: o.days, sink: intake, window: o.window });
    const pass = await intake.end((p) => log.finish(p));
    release();
    const passSeconds = (performance.now() - t0) / 1000;
    const passCpu = process.cpuUsage(cpu0);
    o.log(`  seeded: the twins have the history in ${round(passSeconds, 1)} s; writing it behind…`);
    await twins.checkpoint({ loadEnded: true });
    const writer = startHistoryWriter(dir, { ...record, lastSeq: pass.lastSeq, skipped: pass.skipped, blockHashes: pass.blockHashes });
    const { cpuSeconds: writerCpu } = await writer.done;
    await store.bulkLoadEnded();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const size = fileSize(join(dir, SQLITE_FILE_NAME)) + fileSize(join(dir, `${SQLITE_FILE_NAME}-wal`));
    const run: SeededRun = {
      pass_seconds: round(passSeconds, 1),
      pass_cpu_us_per_event: round((passCpu.user + passCpu.system) / result.events, 2),
      seconds: round(seconds, 1),
      cpu_us_per_event: round((cpu.user + cpu.system) / result.events, 2),
      writer_cpu_us_per_event: round((writerCpu * 1e6) / result.events, 2),
      bytes_per_event: Math.round(size / result.events),
      store_mb: round(size / 1e6, 1),
      accepted: pass.accepted,
      twins: twins.engine.size,
    };
    await twins.close({ checkpoint: false });
    o.log(`  seeded: ${JSON.stringify(run)}`);
    return run;
  });
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** The backfill bench: generation alone, then the layout asked for, then (for segments) the row layout as the baseline, in one process. */
export async function runBackfillBench(o: { world: string; customers: number; months: number; window: number; layout: StoreLayout; baseline: boolean; seeded?: boolean; log: (s: string) => void }): Promise<BackfillBenchResult> {
  const config = resolveWorld({ world: o.world, customers: o.customers });
  // Days as the first start counts them (planSandbox), so the seeded path's descriptor names the same history.
  const days = historyDays(o.months);
  let generated = 0;
  const g0 = performance.now();
  const counter = createSandboxWorld(config, 1, { latencyScale: 0 });
  counter.generate({ usage: () => void generated++, event: () => void generated++ }, { days });
  const generateRate = generated / ((performance.now() - g0) / 1000);
  o.log(`generate only: ${generated} events at ${Math.round(generateRate)} events/s`);

  const tally = { events: 0, rejected: 0 };
  const run = await backfillInto(o.layout, config, { ...o, days }, tally);
  const seeded = o.seeded ? await seededBackfillInto({ world: o.world, config, days, window: o.window, log: o.log }) : undefined;
  const rows = o.layout === 'segments' && o.baseline ? await backfillInto('rows', config, { ...o, days }, { events: 0, rejected: 0 }) : undefined;
  return {
    world: o.world,
    customers: o.customers,
    window: o.window,
    months: o.months,
    events: tally.events,
    rejected: tally.rejected,
    ...run,
    generate_only_events_per_s: Math.round(generateRate),
    ratio_to_generate: ratio(run.events_per_s, generateRate),
    ...(rows && { rows, cpu_ratio_to_rows: ratio(run.cpu_us_per_event, rows.cpu_us_per_event), bytes_ratio_to_rows: ratio(run.bytes_per_event, rows.bytes_per_event) }),
    ...(seeded && { seeded, seeded_pass_cpu_ratio: ratio(seeded.pass_cpu_us_per_event, run.cpu_us_per_event), seeded_total_cpu_ratio: ratio(seeded.cpu_us_per_event, run.cpu_us_per_event) }),
  };
}

/** `bench backfill`: a sandbox world's history through the intake into a fresh store, as the first `npm start` does. */
export const backfillBench = defineBench({
  name: 'backfill',
  description: 'Time to backfill a sandbox world through the intake into the embedded store (what npm start does on first start)',
  options: [
    { flags: '--world <name>', description: 'built-in world', default: 'default' },
    { flags: '--customers <n>', description: 'population', parse: intOption('--customers', 1), default: 20_000 },
    { flags: '--months <m>', description: 'months of history', parse: intOption('--months', 1), default: 12 },
    { flags: '--layout <rows|segments>', description: 'how the store keeps the history (segments: the segment log for bulk batches, decision 0013)', parse: layoutOption, default: 'segments' },
    { flags: '--no-baseline', description: 'skip the same backfill into the row layout (the baseline of --layout segments)' },
    { flags: '--seeded', description: "also the first start's path (decision 0021): the history through the intake from its seed, written behind; ratios against the durable run" },
    { flags: '--window <n>', description: 'batches in the intake at once (1: each answered before the next, as before)', parse: intOption('--window', 1), default: INTAKE_DELIVERY_WINDOW },
  ],
  run: (o: { world: string; customers: number; months: number; window: number; layout: StoreLayout; baseline: boolean; seeded?: boolean }, { log }) => runBackfillBench({ ...o, log }),
});

function layoutOption(value: string): StoreLayout {
  if (value === 'rows' || value === 'segments') return value;
  throw new TwinloopError('BAD_INPUT', `--layout must be rows or segments, got "${value}"`);
}
