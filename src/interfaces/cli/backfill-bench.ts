import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createSandboxWorld, loadWorldDocument, namedWorld } from '../../sandbox/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { sandboxAwareClock } from '../runtime/sandbox-operator.js';

export interface BackfillBenchResult {
  world: string;
  customers: number;
  months: number;
  events: number;
  accepted: number;
  rejected: number;
  seconds: number;
  events_per_s: number;
  /** Same-process baseline: generating the same world's events without delivering them. */
  generate_only_events_per_s: number;
  ratio_to_generate: number;
  twins: number;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/** Backfills a sandbox world through the intake into a fresh embedded store (writer thread), as `npm start` does. */
export async function runBackfillBench(o: { world: string; customers: number; months: number; log: (s: string) => void }): Promise<BackfillBenchResult> {
  const config = loadWorldDocument({ ...namedWorld(o.world), population: { ...namedWorld(o.world).population, customers: o.customers } });
  let generated = 0;
  const g0 = performance.now();
  const counter = createSandboxWorld(config, 1, { latencyScale: 0 });
  counter.generate({ usage: () => void generated++, event: () => void generated++ }, { months: o.months });
  const generateRate = generated / ((performance.now() - g0) / 1000);
  o.log(`generate only: ${generated} events at ${Math.round(generateRate)} events/s`);

  const dir = mkdtempSync(join(tmpdir(), 'twinloop-backfill-'));
  try {
    const world = createSandboxWorld(config, 1, { latencyScale: 0 });
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread' }), clock: sandboxAwareClock(() => world) });
    const t0 = performance.now();
    let last = 0;
    const tally = await world.backfill({
      months: o.months,
      sink: twins.intake,
      onProgress: (done, total, events) => {
        if (performance.now() - last > 15_000) {
          last = performance.now();
          o.log(`  day ${done}/${total}, ${events} events, ${Math.round(events / ((last - t0) / 1000))} events/s`);
        }
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const result: BackfillBenchResult = {
      world: o.world,
      customers: o.customers,
      months: o.months,
      events: tally.events,
      accepted: tally.accepted,
      rejected: tally.rejected,
      seconds: Math.round(seconds * 10) / 10,
      events_per_s: Math.round(tally.events / seconds),
      generate_only_events_per_s: Math.round(generateRate),
      ratio_to_generate: Number((tally.events / seconds / generateRate).toFixed(3)),
      twins: twins.engine.size,
    };
    await twins.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function registerBackfillBench(bench: Command): void {
  bench
    .command('backfill')
    .description('Time to backfill a sandbox world through the intake into the embedded store (what npm start does on first start)')
    .option('--world <name>', 'built-in world', 'default')
    .option('--customers <n>', 'population', int('--customers'), 20_000)
    .option('--months <m>', 'months of history', int('--months'), 12)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { world: string; customers: number; months: number; json?: boolean }) => {
        const result = await runBackfillBench({ ...opts, log: (s) => process.stderr.write(`${s}\n`) });
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
      },
    );
}
