import { logisticCovariance, newtonLogistic } from '../intelligence/learners/logistic-regression.js';
import { profileTraits } from '../intelligence/profile/profile-evidence.js';
import { FEATURE_INDEX, type FeatureName } from '../twin/twin-features.js';

/**
 * What `simulate validate`'s randomised pilot tells the operator about its offers, from what it
 * sees (answers, the twins' churn): acceptance, who accepts (`pilotAcceptanceModel`), and the
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
  /** A contact's own effect on the hazard of those who do not accept (both offers' decliners; the same for each offer), with the prior of no effect. */
  readonly contactedHazardMultiplier: { readonly mean: number; readonly sd: number };
  /** The same before the prior, for comparison. */
  readonly unpooledContactedMultiplier: { readonly mean: number; readonly sd: number };
  /** Pilot twins who were contacted and did not accept (both offers). */
  readonly decliners: number;
  readonly treated: number;
}

/** Pilot length: long enough to see churn, and an offer's effect (3 months) has worn off at the cutoff. */
export const PILOT_MONTHS = 4;
/** The offers the pilot tries and the scenarios use. */
export const PILOT_OFFERS = ['retain-10', 'retain-25'] as const;

/** The names of the acceptance model's covariates, in `acceptanceCovariates` order. */
export const ACCEPTANCE_COVARIATES = ['churn log-odds', 'month-to-month', 'tenure years', 'months over allowance (3)', 'late or failed payments (90 days)'] as const;

/**
 * A twin's covariates for the acceptance model: its churn log-odds and the traits of its profile
 * cell, as measures rather than the cell's yes/no (tenure in years, months over the allowance of
 * the last 3, late or failed payments of the last 90 days): a campaign that picks the extremes
 * (the riskiest, those with most to gain) reaches customers beyond a yes/no's average, and a
 * model on yes/no traits predicted an uplift-ranked campaign's acceptances 30 % low.
 */
export function acceptanceCovariates(features: Float64Array, churn: number): number[] {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, churn));
  const [monthToMonth] = profileTraits(features);
  const f = (name: FeatureName) => features[FEATURE_INDEX[name]];
  return [Math.log(q / (1 - q)), monthToMonth, f('tenure_days') / 365.25, f('months_over_allowance_3m'), f('payments_late_90d') + f('payments_failed_90d')];
}

/**
 * Who accepts, as the randomised pilot shows it: a logistic regression of each contacted twin's
 * answer on its covariates at the pilot's start (`acceptanceCovariates`, centred on the pilot's
 * mean), one intercept per offer, the slopes shared by the offers, with a weak normal prior on
 * the slopes (ridge `ACCEPTANCE_RIDGE`). A random pilot meets every kind of customer; a scenario
 * that targets some (the riskiest, those with most to gain) reaches customers who accept more or
 * less often than the pilot's average, and pays the discounts of as many as really accept. The
 * fit's covariance says how sure that is for any group a scenario picks.
 */
export interface AcceptanceModel {
  /** Log-odds of accepting each pilot offer (PILOT_OFFERS order) at the pilot's mean covariates. */
  readonly logOdds: readonly number[];
  /** One slope per covariate (ACCEPTANCE_COVARIATES order). */
  readonly slopes: readonly number[];
  /** The pilot's mean covariates (the point `logOdds` are read at). */
  readonly centre: readonly number[];
  /** Answers the model was fitted on. */
  readonly rows: number;
  /** A twin's shift of the log-odds from the offers' `logOdds`. */
  shift(x: readonly number[]): number;
  /** The sd of the log-odds of accepting offer `j` for a group whose mean covariates are `mean`: the fit's own uncertainty. */
  logOddsSd(j: number, mean: readonly number[]): number;
}

/** The slopes' normal prior, as a ridge: sd 1 on the log-odds per unit of a covariate, weak beside a pilot's hundreds of answers. */
export const ACCEPTANCE_RIDGE = 1;

export function pilotAcceptanceModel(arms: readonly (readonly string[])[], answers: Map<string, string>, covariatesAtStart: ReadonlyMap<string, readonly number[]>): AcceptanceModel {
  const rows: { offer: number; x: readonly number[]; y: number }[] = [];
  for (let j = 1; j < arms.length; j++) {
    for (const id of arms[j]) {
      const answer = answers.get(id);
      const x = covariatesAtStart.get(id);
      if (answer === undefined || answer === 'refused' || x === undefined) continue;
      rows.push({ offer: j - 1, x, y: answer === 'accepted' ? 1 : 0 });
    }
  }
  const c = ACCEPTANCE_COVARIATES.length;
  const centre = Array.from({ length: c }, (_, k) => rows.reduce((t, r) => t + r.x[k], 0) / Math.max(1, rows.length));
  // Columns: one indicator per offer after the first, then the centred covariates; beta[0] is the first offer's log-odds at the centre.
  const o = PILOT_OFFERS.length - 1;
  const d = o + c;
  const X = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    if (r.offer > 0) X[i * d + r.offer - 1] = 1;
    for (let k = 0; k < c; k++) X[i * d + o + k] = r.x[k] - centre[k];
  });
  const y = rows.map((r) => r.y);
  const beta = newtonLogistic(X, rows.length, d, y, ACCEPTANCE_RIDGE, 50);
  const cov = logisticCovariance(X, rows.length, d, beta, ACCEPTANCE_RIDGE);
  const m = d + 1;
  const slopes = Array.from({ length: c }, (_, k) => beta[1 + o + k]);
  return {
    logOdds: PILOT_OFFERS.map((_, j) => beta[0] + (j > 0 ? beta[j] : 0)),
    slopes,
    centre,
    rows: rows.length,
    shift: (x) => slopes.reduce((t, b, k) => t + b * (x[k] - centre[k]), 0),
    logOddsSd(j, mean) {
      const g = new Float64Array(m);
      g[0] = 1;
      if (j > 0) g[j] = 1;
      for (let k = 0; k < c; k++) g[1 + o + k] = mean[k] - centre[k];
      let v = 0;
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) v += g[a] * cov[a * m + b] * g[b];
      return Math.sqrt(Math.max(0, v));
    },
  };
}

/** One group's effect on the hazard against the control group reweighted to look like it, as a change of the multiplier (0 = none), with its standard error. */
interface GroupEffect {
  readonly effect: number;
  readonly effectSe: number;
}

/**
 * The effect on a group of pilot twins (acceptors of an offer, or the contacted who did not
 * accept) against the control group reweighted to the group's make-up: control twin i counts
 * `weight(i)`, its chance of having landed in the group had it been contacted (the acceptance
 * model's, at its covariates when the pilot started). Acceptors are not a random subset of the
 * contacted; their like in the control group is. The churn over the pilot becomes a cumulative
 * hazard; an effect lasting `effectMonths` of the pilot's PILOT_MONTHS is diluted in it, and is
 * read back per month of effect.
 */
function groupEffect(group: readonly boolean[], control: readonly { churned: boolean; weight: number }[], effectMonths: number): GroupEffect {
  const n = group.length;
  const cT = Math.max(1, group.filter(Boolean).length);
  let w = 0;
  let wy = 0;
  let w2y = 0;
  for (const c of control) {
    w += c.weight;
    if (c.churned) {
      wy += c.weight;
      w2y += c.weight * c.weight;
    }
  }
  // At least one churner's worth in either group: a small pilot can see none.
  const cumulative = (churned: number, total: number) => -Math.log(1 - Math.min(0.999, Math.max(churned, 1) / Math.max(1, total)));
  const ratio = cumulative(cT, n) / cumulative(wy, w);
  // Effective number of control churners under the weights (Kish), for the log ratio's variance.
  const cC = w2y > 0 ? Math.max(1, (wy * wy) / w2y) : 1;
  const seLog = Math.sqrt(1 / cT + 1 / cC);
  const dilution = PILOT_MONTHS / Math.min(PILOT_MONTHS, Math.max(1, effectMonths));
  return { effect: dilution * (ratio - 1), effectSe: dilution * ratio * seLog };
}

/** One offer's raw pilot figures: acceptance, and its acceptors' effect against their like in the control group. */
interface RawPilot {
  readonly offerId: string;
  readonly acceptance: { readonly mean: number; readonly sd: number };
  readonly effect: number;
  readonly effectSe: number;
  readonly treated: number;
}

/** What the pilot's twins did: whether each churned before the cutoff. */
export type ChurnedBy = (id: string) => boolean;

function rawPilot(churned: ChurnedBy, arms: readonly (readonly string[])[], answers: Map<string, string>, acceptanceOf: (j: number, id: string) => number, effectMonths: number): { offers: RawPilot[]; contacted: GroupEffect & { readonly decliners: number } } {
  const control = arms[0];
  const offers = PILOT_OFFERS.map((offerId, j) => {
    const ids = arms[j + 1];
    const delivered = ids.filter((id) => answers.get(id) !== undefined && answers.get(id) !== 'refused');
    const acceptors = delivered.filter((id) => answers.get(id) === 'accepted');
    const a = acceptors.length / Math.max(1, delivered.length);
    const aSd = Math.sqrt((a * (1 - a)) / Math.max(1, delivered.length));
    const e = groupEffect(acceptors.map(churned), control.map((id) => ({ churned: churned(id), weight: acceptanceOf(j, id) })), effectMonths);
    return { offerId, acceptance: { mean: a, sd: aSd }, ...e, treated: ids.length, delivered: delivered.length };
  });
  // The contacted who did not accept, both offers together (a contact is a contact): against the
  // control twins as likely to decline, each offer in proportion to the answers it got.
  const decliners = PILOT_OFFERS.flatMap((_, j) => arms[j + 1].filter((id) => answers.get(id) === 'declined' || answers.get(id) === 'no-answer'));
  const total = offers.reduce((t, o) => t + o.delivered, 0);
  const declineWeight = (id: string) => PILOT_OFFERS.reduce((t, _, j) => t + (offers[j].delivered / Math.max(1, total)) * (1 - acceptanceOf(j, id)), 0);
  const contacted = groupEffect(decliners.map(churned), control.map((id) => ({ churned: churned(id), weight: declineWeight(id) })), effectMonths);
  return { offers, contacted: { ...contacted, decliners: decliners.length } };
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

/**
 * The pilot's estimates per offer: acceptance; an acceptor's hazard multiplier (its acceptors
 * against the control twins as likely to accept, the offers pooled, then with the prior of no
 * effect); and a contact's own effect on those who do not accept (the decliners of both offers
 * against the control twins as likely to decline, with the same prior): a contact can provoke a
 * customer into leaving whatever it answers, and an acceptor-only effect would hand that to the
 * acceptors and mis-predict a group that declines more than the pilot's average.
 */
export function pilotEstimates(churned: ChurnedBy, arms: readonly (readonly string[])[], answers: Map<string, string>, model: AcceptanceModel, covariatesAtStart: ReadonlyMap<string, readonly number[]>, effectMonths: number): PilotEstimate[] {
  const acceptanceOf = (j: number, id: string) => {
    const x = covariatesAtStart.get(id);
    return 1 / (1 + Math.exp(-(model.logOdds[j] + (x ? model.shift(x) : 0))));
  };
  const { offers, contacted } = rawPilot(churned, arms, answers, acceptanceOf, effectMonths);
  // The arms pooled, then weighed against the prior of no effect: the posterior the scenarios draw from.
  const pooled = poolEffects(offers).map((e) => withSkepticalPrior(e));
  const contact = withSkepticalPrior({ effect: contacted.effect, se: contacted.effectSe });
  const multiplier = (e: { effect: number; se: number }) => ({ mean: Math.min(5, Math.max(0, 1 + e.effect)), sd: Math.min(2, e.se) });
  return offers.map((r, j) => ({
    offerId: r.offerId,
    acceptance: r.acceptance,
    // Clamped to what a scenario accepts: a tiny pilot can imply absurd multipliers.
    acceptedHazardMultiplier: multiplier(pooled[j]),
    unpooledMultiplier: multiplier({ effect: r.effect, se: r.effectSe }),
    contactedHazardMultiplier: multiplier(contact),
    unpooledContactedMultiplier: multiplier({ effect: contacted.effect, se: contacted.effectSe }),
    decliners: contacted.decliners,
    treated: r.treated,
  }));
}
