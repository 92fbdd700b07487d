import { newtonLogistic } from '../intelligence/learners/logistic-regression.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import type { TwinService } from '../twin/twin-service.js';

/**
 * What `simulate validate`'s randomised pilot tells the operator about its offers, from what it
 * sees (answers, the twins' churn): acceptance, how acceptance moves with churn risk, and the
 * effect on an acceptor's churn, pooled across the offers. The priors the predictions use.
 */

/** What the pilot showed for one offer (the priors the predictions use). */
export interface PilotEstimate {
  readonly offerId: string;
  readonly acceptance: { readonly mean: number; readonly sd: number };
  /** The acceptors' hazard multiplier the scenarios use: the offers' effects pooled (`poolEffects`), then with the prior of no effect (`withSkepticalPrior`). */
  readonly acceptedHazardMultiplier: { readonly mean: number; readonly sd: number };
  /** The same from this offer's arm alone, for comparison. */
  readonly unpooledMultiplier: { readonly mean: number; readonly sd: number };
  readonly treated: number;
  /** How acceptance moves with churn risk (`riskAcceptance`); `acceptance` is then the rate at `atChurn`. */
  readonly acceptanceByRisk?: { readonly slope: number; readonly atChurn: number };
}

/** Pilot length: long enough to see churn, and an offer's effect (3 months) has worn off at the cutoff. */
export const PILOT_MONTHS = 4;
/** The offers the pilot tries and the scenarios use. */
export const PILOT_OFFERS = ['retain-10', 'retain-25'] as const;

/**
 * How the pilot's acceptance varies with churn risk: a logistic regression of each contacted
 * twin's answer on its churn model log-odds at the pilot's start (centred), one intercept per
 * offer and a slope shared by the offers. A random pilot contacts every kind of customer; a
 * scenario that targets the riskiest reaches customers who accept more (or less) often than the
 * pilot's average, and the discounts it pays follow them.
 */
export function riskAcceptance(arms: readonly (readonly string[])[], answers: Map<string, string>, churnAtStart: ReadonlyMap<string, number>): { slope: number; atChurn: number; acceptance: number[] } {
  const rows: { offer: number; x: number; y: number }[] = [];
  for (let j = 1; j < arms.length; j++) {
    for (const id of arms[j]) {
      const answer = answers.get(id);
      const p = churnAtStart.get(id);
      if (answer === undefined || answer === 'refused' || p === undefined) continue;
      const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
      rows.push({ offer: j - 1, x: Math.log(q / (1 - q)), y: answer === 'accepted' ? 1 : 0 });
    }
  }
  const centre = rows.reduce((t, r) => t + r.x, 0) / Math.max(1, rows.length);
  // Columns: one indicator per offer after the first, then the centred log-odds.
  const d = PILOT_OFFERS.length;
  const X = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    if (r.offer > 0) X[i * d + r.offer - 1] = 1;
    X[i * d + d - 1] = r.x - centre;
  });
  const beta = newtonLogistic(X, rows.length, d, rows.map((r) => r.y), 1e-6, 50);
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  return {
    slope: Math.max(-5, Math.min(5, beta[d])),
    atChurn: sigmoid(centre),
    acceptance: PILOT_OFFERS.map((_, j) => sigmoid(beta[0] + (j > 0 ? beta[j] : 0))),
  };
}

/** One offer's raw pilot figures: acceptance, and the intention-to-treat effect per acceptor with its standard error. */
interface RawPilot {
  readonly offerId: string;
  readonly acceptance: { readonly mean: number; readonly sd: number };
  /** (ITT hazard ratio − 1) / acceptance: the change of an acceptor's hazard, as a multiple of it. */
  readonly effect: number;
  readonly effectSe: number;
  readonly treated: number;
}

function rawPilot(twins: TwinService, arms: readonly (readonly string[])[], answers: Map<string, string>): RawPilot[] {
  const churned = (ids: readonly string[]) => ids.filter((id) => twins.engine.features(id)?.[FEATURE_INDEX.churned] === 1).length;
  const hazard = (c: number, n: number) => 1 - (1 - c / n) ** (1 / PILOT_MONTHS);
  const cC = Math.max(1, churned(arms[0]));
  const hC = hazard(cC, arms[0].length);
  return PILOT_OFFERS.map((offerId, j) => {
    const ids = arms[j + 1];
    const delivered = ids.filter((id) => answers.get(id) !== 'refused');
    const acc = delivered.filter((id) => answers.get(id) === 'accepted').length;
    const a = acc / Math.max(1, delivered.length);
    const aSd = Math.sqrt((a * (1 - a)) / Math.max(1, delivered.length));
    const cT = Math.max(1, churned(ids));
    // Intention-to-treat hazard ratio; decliners are unaffected, so acceptors carry all of it.
    const ratio = hazard(cT, ids.length) / hC;
    const seLog = Math.sqrt(1 / cT + 1 / cC);
    const share = Math.max(0.05, a);
    return { offerId, acceptance: { mean: a, sd: aSd }, effect: (ratio - 1) / share, effectSe: (ratio * seLog) / share, treated: ids.length };
  });
}

/**
 * Partial pooling of the offers' per-acceptor effects (a normal random-effects model, the
 * between-offer variance τ² by DerSimonian–Laird): each offer's effect is drawn toward the
 * precision-weighted mean of all of them as far as its own pilot arm is noisy and the offers do
 * not differ beyond their noise, and its uncertainty includes that of the pooled mean. A small
 * pilot sees few churners per arm; one arm's ratio alone swings far (a multiplier of 2.4 ± 1.7
 * for a discount), pooled the arms share what they show in common.
 */
export function poolEffects(raw: readonly { effect: number; effectSe: number }[]): { effect: number; se: number }[] {
  const w = raw.map((r) => 1 / Math.max(1e-9, r.effectSe) ** 2);
  const W = w.reduce((s, x) => s + x, 0);
  const fixed = raw.reduce((s, r, j) => s + w[j] * r.effect, 0) / W;
  const q = raw.reduce((s, r, j) => s + w[j] * (r.effect - fixed) ** 2, 0);
  const c = W - w.reduce((s, x) => s + x * x, 0) / W;
  const tau2 = raw.length > 1 && c > 0 ? Math.max(0, (q - (raw.length - 1)) / c) : 0;
  const wr = raw.map((r) => 1 / (Math.max(1e-9, r.effectSe) ** 2 + tau2));
  const Wr = wr.reduce((s, x) => s + x, 0);
  const mu = raw.reduce((s, r, j) => s + wr[j] * r.effect, 0) / Wr;
  const muVar = 1 / Wr;
  return raw.map((r) => {
    const se2 = Math.max(1e-9, r.effectSe) ** 2;
    if (tau2 === 0) return { effect: mu, se: Math.sqrt(muVar) };
    // Shrinkage toward the pooled mean, with the pooled mean's own uncertainty carried through.
    const b = se2 / (se2 + tau2);
    return { effect: (1 - b) * r.effect + b * mu, se: Math.sqrt((1 - b) * se2 + b * b * muVar) };
  });
}

/**
 * The stated prior of an offer's effect on an acceptor's hazard before any pilot: none, give or
 * take half (the multiplier 1 ± 0.5: an offer that halves an acceptor's hazard, or raises it by
 * half, is one sd away). Chosen before looking at any validation run, like the price changes'
 * stated elasticity: a pilot of a few thousand sees a few dozen churners per arm, and its effect
 * alone swings from 0 to 1.8 between worlds alike (sd 0.6–1.0).
 */
export const OFFER_EFFECT_PRIOR_SD = 0.5;

/** A normal estimate of an effect combined with the prior N(0, priorSd²): the posterior's mean and sd. */
export function withSkepticalPrior(e: { effect: number; se: number }, priorSd = OFFER_EFFECT_PRIOR_SD): { effect: number; se: number } {
  const w = 1 / Math.max(1e-9, e.se) ** 2;
  const w0 = 1 / priorSd ** 2;
  return { effect: (w * e.effect) / (w + w0), se: 1 / Math.sqrt(w + w0) };
}

export function pilotEstimates(twins: TwinService, arms: readonly (readonly string[])[], answers: Map<string, string>): PilotEstimate[] {
  const raw = rawPilot(twins, arms, answers);
  // The arms pooled, then weighed against the prior of no effect: the posterior the scenarios draw from.
  const pooled = poolEffects(raw).map((e) => withSkepticalPrior(e));
  return raw.map((r, j) => ({
    offerId: r.offerId,
    acceptance: r.acceptance,
    // Clamped to what a scenario accepts: a tiny pilot can imply absurd multipliers.
    acceptedHazardMultiplier: { mean: Math.min(5, Math.max(0, 1 + pooled[j].effect)), sd: Math.min(2, pooled[j].se) },
    unpooledMultiplier: { mean: Math.min(5, Math.max(0, 1 + r.effect)), sd: Math.min(2, r.effectSe) },
    treated: r.treated,
  }));
}
