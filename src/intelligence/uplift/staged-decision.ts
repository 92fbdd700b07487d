import { TwinloopError } from '../../domain/errors.js';
import type { Rng } from '../random.js';
import { planSingleDecision, type ContactValueEstimate, type PilotUplift, type SingleDecisionOptions, type SingleDecisionPlan, type UpliftCandidate } from './pilot-uplift.js';
import { PLAN_RISK } from './plan-guard.js';

/**
 * The single decision in two waves, so that one lucky pilot cannot commit the whole budget.
 *
 * One randomised pilot of a few hundred offered customers is two standard deviations lucky about
 * once in forty; a plan guarded on its posterior alone then contacts the whole budget where the
 * offer does not pay (docs/learning.md: default and tenure-credit, seed 4). In two waves:
 * - the **first wave** is the guarded plan on the pilot (`planSingleDecision`), cut to a share of
 *   the budget (`firstWaveShare`); its candidates are paired by rank, one of each pair offered at
 *   random and the other held out, so the wave is itself a randomised
 *   comparison among the customers the plan is about (the pilot's controls are a random sample of the
 *   whole base, not of its riskiest);
 * - once the wave's answers and its churn over the offer's window are in, the effects are read
 *   again on the pilot and the wave together (`fitPilotUplift` on both), and the **second wave** is
 *   the single decision on that posterior with the rest of the budget, under the same guard.
 * The wave's own churn is independent of the pilot's luck and pulls the posterior back; a pilot that
 * shows a real effect loses little, the first wave being contacted too. Measured (docs/learning.md,
 * "Two waves"): on the harness's 2,000-customer worlds a first wave of a quarter reads too few
 * churners to overrule a lucky pilot every time, and a small wave can tip a plan at the guard's edge
 * into a larger one, so the retention agent does not use it yet; `scripts/agent-offline.mjs` replays it.
 */

/** Options of the staged decision: the single decision's, and how much the first wave may take. */
export interface StagedDecisionOptions extends SingleDecisionOptions {
  /** The largest share of the budget the first wave may contact (default `FIRST_WAVE_SHARE`). */
  readonly firstWaveShare?: number;
  /** The first wave's plan risk (default `risk`, else `PLAN_RISK`): the second wave's is `risk`. */
  readonly firstWaveRisk?: number;
  /** Hold out a paired candidate beside each first-wave contact (default true). */
  readonly holdout?: boolean;
  /**
   * The second wave never takes the two waves past the guarded plan the first wave was cut from
   * (default false): the first wave's evidence can stop or shorten the plan, never lengthen it. The
   * plan-level guard's plan is nearly all or nothing (the effects are every candidate's), so without
   * this a few first-wave contacts can tip a plan at the guard's edge from a handful to the budget.
   */
  readonly capped?: boolean;
}

/**
 * The first wave's default share of the budget: a quarter, so a wave on a lucky pilot loses at most
 * a quarter of what the whole plan would, and still holds (on the harness's 2,000-customer worlds,
 * about 50 contacts at the top of the risk ranking) about a third of the pilot's offered churners.
 */
export const FIRST_WAVE_SHARE = 0.25;

/** The first wave: whom to offer now, whom to hold out beside them, and the guarded plan it was cut from. */
export interface FirstWave {
  readonly contact: readonly ContactValueEstimate[];
  /** Held out at random, each beside a contact of the same rank: controls among the customers the plan is about. */
  readonly holdout: readonly string[];
  /** The guarded plan on the pilot alone, before the cut: what a single decision would contact. */
  readonly guardedPlan: number;
}

/**
 * Plans the first wave from `plan`, the single decision's guarded plan on the pilot (planned at the
 * first wave's risk: `planSingleDecision(model, candidates, { ...options, risk: firstWaveRisk })`):
 * cut to `firstWaveShare` of the budget, its candidates paired by rank and one of each pair offered
 * at random (`rng`), the other held out (unless `holdout` is false: then the plan's best are offered
 * and nobody is held out).
 */
export function planFirstWave(plan: SingleDecisionPlan, options: StagedDecisionOptions, rng: Rng): FirstWave {
  const share = options.firstWaveShare ?? FIRST_WAVE_SHARE;
  if (!(share > 0 && share <= 1)) throw new TwinloopError('BAD_INPUT', `firstWaveShare must be in (0, 1]; got ${share}`);
  const size = Math.min(plan.contact.length, Math.ceil(share * options.contacts));
  if (options.holdout === false) return { contact: plan.contact.slice(0, size), holdout: [], guardedPlan: plan.contact.length };
  // Pairs of the same rank, within the guarded plan: a held-out customer is one the guard would have
  // let the plan contact, so the wave stays inside what the pilot allows (a short plan gives a smaller wave).
  const pool = plan.contact.slice(0, 2 * size);
  const contact: ContactValueEstimate[] = [];
  const holdout: string[] = [];
  for (let i = 0; i + 1 < pool.length && contact.length < size; i += 2) {
    const [offered, left] = rng.next() < 0.5 ? [pool[i], pool[i + 1]] : [pool[i + 1], pool[i]];
    contact.push(offered);
    holdout.push(left.customerId);
  }
  // A plan of one candidate has no pair: it is offered alone, read against the pilot's controls.
  if (contact.length === 0 && pool.length === 1) contact.push(pool[0]);
  return { contact, holdout, guardedPlan: plan.contact.length };
}

/** The first wave's plan risk for `options`: `firstWaveRisk`, else `risk`, else `PLAN_RISK`. */
export const firstWaveRiskOf = (options: StagedDecisionOptions) => options.firstWaveRisk ?? options.risk ?? PLAN_RISK;

/**
 * Plans the second wave on the effects read again (`model` fitted on the pilot and the first wave),
 * over the candidates the first wave did not offer, with the rest of the budget.
 */
export function planSecondWave(model: PilotUplift, candidates: readonly UpliftCandidate[], first: FirstWave, options: StagedDecisionOptions): SingleDecisionPlan {
  const offered = new Set(first.contact.map((c) => c.customerId));
  return planSingleDecision(
    model,
    candidates.filter((c) => !offered.has(c.customerId)),
    { ...options, risk: options.risk ?? PLAN_RISK, contacts: Math.max(0, (options.capped ? Math.min(options.contacts, first.guardedPlan) : options.contacts) - first.contact.length) },
  );
}
