import { availableParallelism } from 'node:os';
import { bareDraws, type KernelParams } from './monte-carlo-kernel.js';
import { runParallelDraws } from './parallel-draws.js';
import { allocateShared } from './shared-population.js';
import { DrawRandom } from './sim-random.js';

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
    acceptance: { mean: 0.3, sd: 0.05 }, acceptedMultiplier: { mean: 0.6, sd: 0.1 }, effectMonths: 3, offerMonths: 3, costPerAcceptance: 5,
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
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the bare loop from being optimised away');
  return {
    twins: o.twins,
    months: o.months,
    draws: o.draws,
    workers,
    engineMs: Math.round(engineMs),
    bareMs: Math.round(bareMs),
    ratio: Math.round((engineMs / Math.max(1, bareMs)) * 100) / 100,
    twinDrawsPerSecond: Math.round((o.twins * o.draws) / (engineMs / 1000)),
  };
}
