import { fitAcceptanceModel, type AcceptanceModel, type AnswerRow } from '../simulation/index.js';

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
  /** A contact's own effect on the monthly hazard of those who do not accept (both offers' decliners; the same for each offer), added to it, with the prior of no effect. */
  readonly contactedHazardIncrease: { readonly mean: number; readonly sd: number };
  /** The same before the prior, for comparison. */
  readonly unpooledContactedIncrease: { readonly mean: number; readonly sd: number };
  /** Pilot twins who were contacted and did not accept (both offers). */
  readonly decliners: number;
  readonly treated: number;
}

/** Pilot length: long enough to see churn, and an offer's effect (3 months) has worn off at the cutoff. */
export const PILOT_MONTHS = 4;
/** The offers the pilot tries and the scenarios use. */
export const PILOT_OFFERS = ['retain-10', 'retain-25'] as const;

export { ACCEPTANCE_COVARIATES, acceptanceCovariates, type AcceptanceModel } from '../simulation/index.js';

/**
 * Who accepts, as the randomised pilot shows it (`fitAcceptanceModel` over each contacted twin's
 * answer and its covariates at the pilot's start, one intercept per pilot offer).
 */
export function pilotAcceptanceModel(arms: readonly (readonly string[])[], answers: Map<string, string>, covariatesAtStart: ReadonlyMap<string, readonly number[]>): AcceptanceModel {
  const rows: AnswerRow[] = [];
  for (let j = 1; j < arms.length; j++) {
    for (const id of arms[j]) {
      const answer = answers.get(id);
      const x = covariatesAtStart.get(id);
      if (answer === undefined || answer === 'refused' || x === undefined) continue;
      rows.push({ offer: j - 1, x, y: answer === 'accepted' ? 1 : 0 });
    }
  }
  return fitAcceptanceModel(rows, PILOT_OFFERS.length);
}

/** One group's effect against the control group reweighted to look like it, with its standard error: a change of the multiplier (0 = none) and of the monthly hazard. */
interface GroupEffect {
  readonly effect: number;
  readonly effectSe: number;
  /** The group's monthly hazard less its like's in the control group, per month of effect. */
  readonly increase: number;
  readonly increaseSe: number;
}

/**
 * The effect on a group of pilot twins (acceptors of an offer, or the contacted who did not
 * accept) against the control group reweighted to the group's make-up: control twin i counts
 * `weight(i)`, its chance of having landed in the group had it been contacted (the acceptance
 * model's, at its covariates when the pilot started). Acceptors are not a random subset of the
 * contacted; their like in the control group is. The churn over the pilot becomes a cumulative
 * hazard; an effect lasting `effectMonths` of the pilot's PILOT_MONTHS is diluted in it, and is
 * read back per month of effect, as a ratio and as a difference.
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
  const lT = cumulative(cT, n);
  const lC = cumulative(wy, w);
  const ratio = lT / lC;
  // Effective number of control churners under the weights (Kish), for the variances.
  const cC = w2y > 0 ? Math.max(1, (wy * wy) / w2y) : 1;
  const seLog = Math.sqrt(1 / cT + 1 / cC);
  const months = Math.min(PILOT_MONTHS, Math.max(1, effectMonths));
  const dilution = PILOT_MONTHS / months;
  // Poisson counts: a cumulative hazard's variance is about its square over its churners.
  const increaseSe = Math.sqrt((lT * lT) / cT + (lC * lC) / cC) / months;
  return { effect: dilution * (ratio - 1), effectSe: dilution * ratio * seLog, increase: (lT - lC) / months, increaseSe };
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

/**
 * The stated prior of a contact's own effect on a decliner's monthly hazard: none, give or take
 * one point a month (half of a 2 %-a-month hazard, as the offers' prior sd 0.5 is of a
 * multiplier). Chosen once, not fitted to a run.
 */
export const CONTACT_EFFECT_PRIOR_SD = 0.01;

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
 * against the control twins as likely to decline, as an increase of the monthly hazard, with the
 * prior CONTACT_EFFECT_PRIOR_SD): a contact can provoke a customer into leaving whatever it answers, and an acceptor-only effect would hand that to the
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
  const contact = withSkepticalPrior({ effect: contacted.increase, se: contacted.increaseSe }, CONTACT_EFFECT_PRIOR_SD);
  const multiplier = (e: { effect: number; se: number }) => ({ mean: Math.min(5, Math.max(0, 1 + e.effect)), sd: Math.min(2, e.se) });
  return offers.map((r, j) => ({
    offerId: r.offerId,
    acceptance: r.acceptance,
    // Clamped to what a scenario accepts: a tiny pilot can imply absurd multipliers.
    acceptedHazardMultiplier: multiplier(pooled[j]),
    unpooledMultiplier: multiplier({ effect: r.effect, se: r.effectSe }),
    contactedHazardIncrease: { mean: contact.effect, sd: contact.se },
    unpooledContactedIncrease: { mean: contacted.increase, sd: contacted.increaseSe },
    decliners: contacted.decliners,
    treated: r.treated,
  }));
}
