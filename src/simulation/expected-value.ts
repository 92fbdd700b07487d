import { TwinloopError } from '../domain/errors.js';
import { contactedHazard, drawParameters, MAX_HAZARD } from './monte-carlo-kernel.js';
import type { ScenarioPlan } from './scenario-plan.js';
import { viewOf } from './shared-population.js';
import { estimate, type Estimate } from './simulation-result.js';
import { twinExpectedNet } from './twin-expected-net.js';

export { twinExpectedNet };

/**
 * The expected net value of an offer scenario per draw of its uncertain parameters, with the dice
 * integrated out: for each draw (the churn model's calibration, the acceptance, the acceptors'
 * hazard multiplier, as the kernel draws them) each treated twin's expected revenue change minus
 * its expected cost, in closed form over the same monthly process the kernel samples.
 *
 * Why beside the kernel: the kernel's net value is what one realisation brings, and its 90 %
 * interval holds the luck of who happens to accept and churn. One contact alone is a bet that
 * usually loses its contact cost, so a realised interval around a small plan is negative whatever
 * the plan is worth. Whether to act is a question about the expectation, and its interval here
 * holds only what is not known (the parameters), which more customers or more draws do not shrink.
 */

/** A twin's expected net value over the draws. */
export interface TwinExpectedValue {
  readonly id: string;
  readonly netValue: Estimate;
}

/** A plan's expected net value: overall per draw (summed over its twins) and per twin. */
export interface ExpectedNetValue {
  readonly draws: number;
  /** Per draw, the sum over the treated twins (kept to add plans up draw by draw). */
  readonly perDraw: Float64Array;
  readonly overall: Estimate;
  readonly twins: readonly TwinExpectedValue[];
}

/**
 * Expected net value of a compiled offer scenario (offer launch or retention campaign) per draw.
 * Structural scenarios (price changes, network improvements) are not offers: refused.
 */
export function expectedNetValue(plan: ScenarioPlan): ExpectedNetValue {
  const p = plan.params;
  if (p.mode !== 'offer') throw new TwinloopError('BAD_INPUT', `expected value per contact is for offer scenarios; ${plan.scenario.kind} is not one`);
  const draws = plan.scenario.draws;
  const pop = viewOf(plan.population);
  const M = p.months;
  const rows: number[] = [];
  for (let i = 0; i < pop.n; i++) if (pop.treated[i]) rows.push(i);
  if (rows.length !== plan.treatedIds.length) throw new TwinloopError('INTERNAL', `treated twins ${rows.length} and ids ${plan.treatedIds.length} differ`);
  const perTwin = rows.map(() => new Float64Array(draws));
  const perDraw = new Float64Array(draws);
  for (let d = 0; d < draws; d++) {
    const q = drawParameters(p, d);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      const h = Math.min(MAX_HAZARD, pop.hazard[i] * q.calibration);
      const h1 = Math.min(MAX_HAZARD, h * q.acceptedMultiplier);
      const hc = contactedHazard(h, q.contactedIncrease * pop.contactScale[i]);
      const v = twinExpectedNet(h, h1, hc, q.acceptance, pop.revenue[i], pop.discountLoss[i], pop.contacts[i], pop.contactCost[i], p.costPerAcceptance, p.effectMonths, p.offerMonths, M);
      perTwin[r][d] = v;
      perDraw[d] += v;
    }
  }
  return { draws, perDraw, overall: estimate(perDraw), twins: rows.map((_, r) => ({ id: plan.treatedIds[r], netValue: estimate(perTwin[r]) })) };
}
