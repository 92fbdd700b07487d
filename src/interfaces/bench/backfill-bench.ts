import { createSandboxWorld, INTAKE_DELIVERY_WINDOW } from '../../sandbox/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { intOption } from '../cli/cli-numbers.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { sandboxAwareClock } from '../runtime/sandbox-operator.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';

/** Figures of `bench backfill`. */
export interface BackfillBenchResult {
  world: string;
  customers: number;
  /** Batches in the intake at once. */
  window: number;
  months: number;
  events: number;
  accepted: number;
  rejected: number;
  seconds: number;
  events_per_s: number;
  /**
   * CPU time (every thread of the process: intake, writer thread, GC) per event: the figure the
   * machine's load does not move, where events/s falls with the share of the cores the run gets.
   */
  cpu_us_per_event: number;
  /** Same-process baseline: generating the same world's events without delivering them. */
  generate_only_events_per_s: number;
  ratio_to_generate: number;
  twins: number;
}

/** Backfills a sandbox world through the intake into a fresh embedded store (writer thread), as `npm start` does. */
export async function runBackfillBench(o: { world: string; customers: number; months: number; window: number; log: (s: string) => void }): Promise<BackfillBenchResult> {
  const config = resolveWorld({ world: o.world, customers: o.customers });
  let generated = 0;
  const g0 = performance.now();
  const counter = createSandboxWorld(config, 1, { latencyScale: 0 });
  counter.generate({ usage: () => void generated++, event: () => void generated++ }, { months: o.months });
  const generateRate = generated / ((performance.now() - g0) / 1000);
  o.log(`generate only: ${generated} events at ${Math.round(generateRate)} events/s`);

  return inTempDir('backfill-bench', async (dir) => {
    const world = createSandboxWorld(config, 1, { latencyScale: 0 });
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread' }), clock: sandboxAwareClock(() => world.clock) });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let last = 0;
    const tally = await world.backfill({
      months: o.months,
      sink: twins.intake,
      window: o.window,
      onProgress: (done, total, events) => {
        if (performance.now() - last > 15_000) {
          last = performance.now();
          o.log(`  day ${done}/${total}, ${events} events, ${Math.round(events / ((last - t0) / 1000))} events/s`);
        }
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const result: BackfillBenchResult = {
      world: o.world,
      customers: o.customers,
      window: o.window,
      months: o.months,
      events: tally.events,
      accepted: tally.accepted,
      rejected: tally.rejected,
      seconds: round(seconds, 1),
      events_per_s: Math.round(tally.events / seconds),
      cpu_us_per_event: round((cpu.user + cpu.system) / tally.events, 2),
      generate_only_events_per_s: Math.round(generateRate),
      ratio_to_generate: ratio(tally.events / seconds, generateRate),
      twins: twins.engine.size,
    };
    await twins.close();
    return result;
  });
}

/** `bench backfill`: a sandbox world's history through the intake into a fresh store, as the first `npm start` does. */
export const backfillBench = defineBench({
  name: 'backfill',
  description: 'Time to backfill a sandbox world through the intake into the embedded store (what npm start does on first start)',
  options: [
    { flags: '--world <name>', description: 'built-in world', default: 'default' },
    { flags: '--customers <n>', description: 'population', parse: intOption('--customers', 1), default: 20_000 },
    { flags: '--months <m>', description: 'months of history', parse: intOption('--months', 1), default: 12 },
    { flags: '--window <n>', description: 'batches in the intake at once (1: each answered before the next, as before)', parse: intOption('--window', 1), default: INTAKE_DELIVERY_WINDOW },
  ],
  run: (o: { world: string; customers: number; months: number; window: number }, { log }) => runBackfillBench({ ...o, log }),
});
