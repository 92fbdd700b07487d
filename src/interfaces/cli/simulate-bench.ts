import type { Command } from 'commander';
import { benchSimulation, type SimulationBenchResult } from '../../simulation/index.js';
import { intOption } from './cli-numbers.js';

/** The human summary of `bench simulate`. */
export function formatSimulateBench(r: SimulationBenchResult): string {
  return (
    `${r.twins.toLocaleString('en-US')} twins × ${r.months} months × ${r.draws} draws on ${r.workers} workers: ${(r.engineMs / 1000).toFixed(2)} s, ` +
    `${r.twinDrawsPerSecond.toLocaleString('en-US')} twin-draws/s; bare loop drawing the same numbers ${(r.bareMs / 1000).toFixed(2)} s; ratio ${r.ratio}×`
  );
}

/** Adds `bench simulate`: the Monte Carlo engine against a bare loop drawing the same random numbers. */
export function registerSimulateBench(bench: Command): void {
  bench
    .command('simulate')
    .description('Monte Carlo simulation over a synthetic twin population: seconds and twin-draws/s against a bare loop')
    .option('--twins <n>', 'synthetic twins', intOption('--twins', 1), 1_000_000)
    .option('--months <n>', 'horizon in months', intOption('--months', 1, 12), 12)
    .option('--draws <n>', 'Monte Carlo draws', intOption('--draws', 1), 100)
    .option('--workers <n>', 'worker threads (default: the available parallelism)', intOption('--workers', 1))
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { twins: number; months: number; draws: number; workers?: number; json?: boolean }) => {
        process.stderr.write(`simulating ${opts.twins} twins × ${opts.months} months × ${opts.draws} draws…\n`);
        const r = await benchSimulation({ twins: opts.twins, months: opts.months, draws: opts.draws, workers: opts.workers });
        process.stdout.write(`${formatSimulateBench(r)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, seconds: r.engineMs / 1000 })}\n`);
      },
    );
}
