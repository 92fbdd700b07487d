import { runParallelDraws } from './parallel-draws.js';
import type { Scenario } from './scenario.js';
import { compileScenarios, type ScenarioPlan } from './scenario-plan.js';
import { viewOf } from './shared-population.js';
import { summarise, type ScenarioResult } from './simulation-result.js';
import type { TwinSource } from './twin-population.js';

/** How to run a simulation. */
export interface SimulateOptions {
  /** Worker threads (default `os.availableParallelism()`; 0 = this thread). */
  readonly workers?: number;
  /** Fraction of all draws of all scenarios done, 0..1. */
  readonly onProgress?: (fractionDone: number) => void;
  /** Aborting stops the run; the promise rejects with CONFLICT. */
  readonly signal?: AbortSignal;
}

/** Runs compiled plans one after the other (each on all workers) and summarises them. */
export async function simulatePlans(plans: readonly ScenarioPlan[], o: SimulateOptions = {}): Promise<ScenarioResult[]> {
  const total = plans.reduce((s, p) => s + p.scenario.draws, 0);
  let before = 0;
  const results: ScenarioResult[] = [];
  for (const plan of plans) {
    const s = plan.scenario;
    const figures = await runParallelDraws(plan.population, plan.params, s.draws, {
      workers: o.workers,
      signal: o.signal,
      onDraw: (done) => o.onProgress?.((before + done) / total),
    });
    before += s.draws;
    results.push(resultOf(plan, figures));
  }
  return results;
}

function resultOf(plan: ScenarioPlan, figures: Float64Array): ScenarioResult {
  const s = plan.scenario;
  const S = plan.params.segments;
  const seg = viewOf(plan.population).segment;
  const counts = new Array<number>(S).fill(0);
  for (let i = 0; i < plan.population.n; i++) counts[seg[i]]++;
  return {
    name: s.name,
    kind: s.kind,
    horizonMonths: s.horizonMonths,
    draws: s.draws,
    segmentBy: s.segmentBy,
    hazardLevel: Math.round(plan.treatedLevel * 1e4) / 1e4,
    ...(s.kind === 'offer_launch' || s.kind === 'retention_campaign' ? { withoutConsent: plan.withoutConsent } : {}),
    ...(plan.incidentEffect ? { incidentEffect: plan.incidentEffect } : {}),
    overall: summarise(figures, s.draws, S, () => true, plan.population.n),
    segments: s.segmentBy === 'none' ? [] : plan.segmentLabels.map((segment, j) => ({ segment, ...summarise(figures, s.draws, S, (x) => x === j, counts[j]) })),
  };
}

/**
 * Simulates scenarios over a twin population: compiles them against the population (one pass
 * over the twins), then runs each scenario's draws in parallel. Results come in scenario order.
 */
export async function simulate(source: TwinSource, scenarios: readonly Scenario[], o: SimulateOptions = {}): Promise<ScenarioResult[]> {
  return simulatePlans(compileScenarios(source, scenarios), o);
}
