import { METRIC_COUNT } from './monte-carlo-kernel.js';

/** A figure over the draws: its mean and 90 % interval (5th and 95th percentiles). */
export interface Estimate {
  readonly mean: number;
  readonly p05: number;
  readonly p95: number;
}

/**
 * Where a network scenario's effect of an incident on churn came from: its own `incidentEffect`
 * (the log hazard ratio of one incident felt in the last 30 days, mean and sd); the operator's
 * history (`IncidentLedger.effect`: the churns and customer-days after an incident and without
 * one, over `days` days); or the churn model's re-scoring of the treated, when neither is known
 * (a model may have learned no effect of an incident, and the scenario then avoids nothing).
 */
export type IncidentEffectUsed =
  | { readonly from: 'scenario'; readonly mean: number; readonly sd: number }
  | { readonly from: 'history'; readonly mean: number; readonly sd: number; readonly churnsExposed: number; readonly daysExposed: number; readonly churnsUnexposed: number; readonly daysUnexposed: number; readonly days: number }
  | { readonly from: 'churn-model' };

/** Where a network scenario's effect of an incident came from, in words (the CLI's; the console says the same). */
export function describeIncidentEffect(e: IncidentEffectUsed): string {
  if (e.from === 'churn-model') return "the churn model's re-scoring of the treated (no history of incidents and churn to learn an incident's effect from): a model that learned none avoids nothing";
  const ratio = `an incident felt in the last 30 days multiplies the churn hazard by e^(${e.mean.toFixed(3)} ± ${e.sd.toFixed(3)})`;
  if (e.from === 'scenario') return `the scenario's own: ${ratio}`;
  return `learned from the operator's last ${e.days} days: ${ratio} (${e.churnsExposed} churns in ${e.daysExposed} customer-days after one, ${e.churnsUnexposed} in ${e.daysUnexposed} without)`;
}

/** The outputs of a scenario for one segment (or overall). */
export interface OutcomeSummary {
  readonly twins: number;
  readonly treated: number;
  /** Expected churners over the horizon without the scenario (same draws). */
  readonly churnersBaseline: Estimate;
  readonly churnersScenario: Estimate;
  /** Baseline minus scenario churners (negative: the scenario loses customers). */
  readonly churnersAvoided: Estimate;
  /** Revenue over the horizon with the scenario. */
  readonly revenue: Estimate;
  /** Revenue with minus without the scenario. */
  readonly revenueDelta: Estimate;
  readonly cost: Estimate;
  /** revenueDelta − cost. */
  readonly netValue: Estimate;
  /** netValue / cost per draw (null when the scenario costs nothing). */
  readonly return: Estimate | null;
  readonly accepted: Estimate;
}

/** A simulated scenario: overall and by segment. */
export interface ScenarioResult {
  readonly name: string;
  readonly kind: string;
  readonly horizonMonths: number;
  readonly draws: number;
  readonly segmentBy: string;
  /**
   * The mean factor the treated twins' hazards were held at: the scenario's own `hazardLevel`
   * times its group's fall after the pick over the horizon (the churn model's `hazardDecay`;
   * docs/simulation.md). Absent on runs made before it was reported.
   */
  readonly hazardLevel?: number;
  /**
   * An offer's or retention campaign's targeted twins left out for having given no marketing
   * consent (`ScenarioPlan.withoutConsent`); absent for other kinds, and on runs made before it was said.
   */
  readonly withoutConsent?: number;
  /** A network scenario's effect of an incident on churn and where it came from (absent for other kinds, and on runs made before it was said). */
  readonly incidentEffect?: IncidentEffectUsed;
  readonly overall: OutcomeSummary;
  readonly segments: readonly ({ readonly segment: string } & OutcomeSummary)[];
}

/** Mean and the 5th/95th percentiles (linear interpolation between order statistics). */
export function estimate(values: Float64Array): Estimate {
  const n = values.length;
  if (n === 0) return { mean: 0, p05: 0, p95: 0 };
  const sorted = Float64Array.from(values).sort();
  const q = (p: number) => {
    const x = p * (n - 1);
    const lo = Math.floor(x);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
  };
  let sum = 0;
  for (const v of values) sum += v;
  return { mean: sum / n, p05: q(0.05), p95: q(0.95) };
}

/**
 * Summarises the kernel's figures (`draws × segments × METRIC_COUNT`) over `segments` picked by
 * `include` (all of them for the overall figures). Twin counts are passed in (they do not vary).
 */
export function summarise(figures: Float64Array, draws: number, segments: number, include: (segment: number) => boolean, twins: number): OutcomeSummary {
  const col = (fn: (m: Float64Array, at: number) => number) => {
    const v = new Float64Array(draws);
    for (let d = 0; d < draws; d++) {
      let x = 0;
      for (let s = 0; s < segments; s++) if (include(s)) x += fn(figures, (d * segments + s) * METRIC_COUNT);
      v[d] = x;
    }
    return v;
  };
  const base = col((m, k) => m[k]);
  const scen = col((m, k) => m[k + 1]);
  const revB = col((m, k) => m[k + 2]);
  const revS = col((m, k) => m[k + 3]);
  const cost = col((m, k) => m[k + 4]);
  const treated = col((m, k) => m[k + 5]);
  const accepted = col((m, k) => m[k + 6]);
  const avoided = base.map((b, d) => b - scen[d]);
  const delta = revS.map((r, d) => r - revB[d]);
  const net = delta.map((r, d) => r - cost[d]);
  const costly = cost.every((c) => c > 0);
  return {
    twins,
    treated: treated[0] ?? 0,
    churnersBaseline: estimate(base),
    churnersScenario: estimate(scen),
    churnersAvoided: estimate(avoided),
    revenue: estimate(revS),
    revenueDelta: estimate(delta),
    cost: estimate(cost),
    netValue: estimate(net),
    return: costly ? estimate(net.map((x, d) => x / cost[d])) : null,
    accepted: estimate(accepted),
  };
}
