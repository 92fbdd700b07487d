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
import { sandboxAwareClock } from '../runtime/sandbox-operator.js';
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
}

/** How the embedded store keeps the history: a row per event, or the segment log for bulk batches (decision 0013). */
export type StoreLayout = 'rows' | 'segments';

/** Backfills a sandbox world through the intake into a fresh embedded store (writer thread), as `npm start` does, and checkpoints. */
async function backfillInto(layout: StoreLayout, config: WorldConfig, o: { months: number; window: number; log: (s: string) => void }, tally: { events: number; rejected: number }): Promise<BackfillRun> {
  return inTempDir('backfill-bench', async (dir) => {
    const world = createSandboxWorld(config, 1, { latencyScale: 0 });
    const segments = layout === 'segments' ? { minBatch: DEFAULT_SEGMENT_MIN_BATCH, sealAt: DEFAULT_SEAL_AT } : false;
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread', segments }), clock: sandboxAwareClock(() => world.clock) });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let last = 0;
    const result = await world.backfill({
      months: o.months,
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

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** The backfill bench: generation alone, then the layout asked for, then (for segments) the row layout as the baseline, in one process. */
export async function runBackfillBench(o: { world: string; customers: number; months: number; window: number; layout: StoreLayout; baseline: boolean; log: (s: string) => void }): Promise<BackfillBenchResult> {
  const config = resolveWorld({ world: o.world, customers: o.customers });
  let generated = 0;
  const g0 = performance.now();
  const counter = createSandboxWorld(config, 1, { latencyScale: 0 });
  counter.generate({ usage: () => void generated++, event: () => void generated++ }, { months: o.months });
  const generateRate = generated / ((performance.now() - g0) / 1000);
  o.log(`generate only: ${generated} events at ${Math.round(generateRate)} events/s`);

  const tally = { events: 0, rejected: 0 };
  const run = await backfillInto(o.layout, config, o, tally);
  const rows = o.layout === 'segments' && o.baseline ? await backfillInto('rows', config, o, { events: 0, rejected: 0 }) : undefined;
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
    { flags: '--window <n>', description: 'batches in the intake at once (1: each answered before the next, as before)', parse: intOption('--window', 1), default: INTAKE_DELIVERY_WINDOW },
  ],
  run: (o: { world: string; customers: number; months: number; window: number; layout: StoreLayout; baseline: boolean }, { log }) => runBackfillBench({ ...o, log }),
});

function layoutOption(value: string): StoreLayout {
  if (value === 'rows' || value === 'segments') return value;
  throw new TwinloopError('BAD_INPUT', `--layout must be rows or segments, got "${value}"`);
}
