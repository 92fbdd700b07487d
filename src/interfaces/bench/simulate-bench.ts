import { availableParallelism } from 'node:os';
import { bareDraws, type KernelParams } from '../../simulation/monte-carlo-kernel.js';
import { runParallelDraws } from '../../simulation/parallel-draws.js';
import { allocateShared } from '../../simulation/shared-population.js';
import { DrawRandom } from '../../simulation/sim-random.js';
import { intOption } from '../cli/cli-numbers.js';
import { defineBench } from './bench-harness.js';
import { consume, ratio } from './bench-stats.js';

/** Options of the simulation benchmark. */
export interface SimulationBenchOptions {
  readonly twins: number;
  readonly months: number;
  readonly draws: number;
  readonly workers?: number;
  readonly seed?: number;
}

/** Timings of the engine and of a bare loop drawing the same random numbers. */
export interface SimulationBenchResult {
  readonly twins: number;
  readonly months: number;
  readonly draws: number;
  readonly workers: number;
  /** Wall time of the engine (worker start-up included). */
  readonly engineMs: number;
  /** Wall time of the bare loop, split over the same number of threads' worth of draws (one thread, divided). */
  readonly bareMs: number;
  /** engineMs / bareMs. */
  readonly ratio: number;
  readonly twinDrawsPerSecond: number;
}

/**
 * A synthetic population like a mobile operator's: hazards around 1.5 % a month with a long
 * tail, revenues around 35, a quarter targeted by a retention offer.
 */
function syntheticPlan(twins: number, months: number, seed: number) {
  const { shared, view } = allocateShared(twins);
  const r = new DrawRandom(seed, 0, 9);
  for (let i = 0; i < twins; i++) {
    view.hazard[i] = Math.min(0.6, 0.015 * Math.exp(0.8 * r.normal()));
    view.revenue[i] = 35 * Math.exp(0.4 * r.normal());
    view.segment[i] = i & 3;
    view.treated[i] = r.next() < 0.25 ? 1 : 0;
    view.contacts[i] = 1;
    view.contactCost[i] = 1;
    view.discountLoss[i] = view.revenue[i] * 0.1;
  }
  const params: KernelParams = {
    months, seed, segments: 4, calibrationSd: 0.1, fixedCost: 0, mode: 'offer',
    acceptance: { mean: 0.3, sd: 0.05 }, acceptedMultiplier: { mean: 0.6, sd: 0.1 }, contactedIncrease: { mean: 0, sd: 0 }, effectMonths: 3, offerMonths: 3, costPerAcceptance: 5,
  };
  return { shared, view, params };
}

/**
 * Runs the engine on a synthetic population and, in the same process, a bare loop drawing the
 * same random numbers; the ratio says how much the simulation adds to drawing its dice.
 */
export async function benchSimulation(o: SimulationBenchOptions): Promise<SimulationBenchResult> {
  const workers = o.workers ?? availableParallelism();
  const { shared, view, params } = syntheticPlan(o.twins, o.months, o.seed ?? 1);
  const t0 = performance.now();
  await runParallelDraws(shared, params, o.draws, { workers });
  const engineMs = performance.now() - t0;
  // The bare loop runs in this thread; its time is divided by the workers the engine had.
  const t1 = performance.now();
  const sink = bareDraws(view, params, 0, o.draws);
  const bareMs = (performance.now() - t1) / Math.max(1, workers);
  consume(sink);
  return {
    twins: o.twins,
    months: o.months,
    draws: o.draws,
    workers,
    engineMs: Math.round(engineMs),
    bareMs: Math.round(bareMs),
    ratio: ratio(engineMs, bareMs, 2),
    twinDrawsPerSecond: Math.round((o.twins * o.draws) / (engineMs / 1000)),
  };
}

/** The human summary of `bench simulate`. */
export function formatSimulateBench(r: SimulationBenchResult): string {
  return (
    `${r.twins.toLocaleString('en-US')} twins × ${r.months} months × ${r.draws} draws on ${r.workers} workers: ${(r.engineMs / 1000).toFixed(2)} s, ` +
    `${r.twinDrawsPerSecond.toLocaleString('en-US')} twin-draws/s; bare loop drawing the same numbers ${(r.bareMs / 1000).toFixed(2)} s; ratio ${r.ratio}×`
  );
}

/** `bench simulate`: the Monte Carlo engine against a bare loop drawing the same random numbers. */
export const simulateBench = defineBench({
  name: 'simulate',
  description: 'Monte Carlo simulation over a synthetic twin population: seconds and twin-draws/s against a bare loop',
  options: [
    { flags: '--twins <n>', description: 'synthetic twins', parse: intOption('--twins', 1), default: 1_000_000 },
    { flags: '--months <n>', description: 'horizon in months', parse: intOption('--months', 1, 12), default: 12 },
    { flags: '--draws <n>', description: 'Monte Carlo draws', parse: intOption('--draws', 1), default: 100 },
    { flags: '--workers <n>', description: 'worker threads (default: the available parallelism)', parse: intOption('--workers', 1) },
  ],
  run: (o: { twins: number; months: number; draws: number; workers?: number }, { log }) => {
    log(`simulating ${o.twins} twins × ${o.months} months × ${o.draws} draws…`);
    return benchSimulation(o);
  },
  summary: formatSimulateBench,
  json: (r) => ({ ...r, seconds: r.engineMs / 1000 }),
});
