import { TwinloopError } from '../domain/errors.js';
import { acceptanceCovariates, acceptProbability, contactScale, fitAcceptanceModel, type AcceptanceModel, type AnswerRow } from '../simulation/index.js';

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

/** A pilot twin its offer reached: it answered, accepted or not (no answer is an answer); a refused delivery is no contact. */
export function wasContacted(answer: string | undefined): boolean {
  return answer !== undefined && answer !== 'refused';
}

/** A contacted pilot twin that did not accept (declined, or gave no answer). */
export function declinedContact(answer: string | undefined): boolean {
  return answer === 'declined' || answer === 'no-answer';
}

/**
 * Who accepts, as the randomised pilot shows it (`fitAcceptanceModel` over each contacted twin's
 * answer and its covariates at the pilot's start, one intercept per pilot offer).
 */
export function pilotAcceptanceModel(arms: readonly (readonly string[])[], answers: ReadonlyMap<string, string>, covariatesAtStart: ReadonlyMap<string, readonly number[]>): AcceptanceModel {
  const rows: AnswerRow[] = [];
  for (let j = 1; j < arms.length; j++) {
    for (const id of arms[j]) {
      const answer = answers.get(id);
      const x = covariatesAtStart.get(id);
      if (!wasContacted(answer) || x === undefined) continue;
      rows.push({ offer: j - 1, x, y: answer === 'accepted' ? 1 : 0 });
    }
  }
  return fitAcceptanceModel(rows, PILOT_OFFERS.length);
}

/** One group's effect against the control group reweighted to look like it, with its standard error: a change of the multiplier (0 = none) and of the monthly hazard. */
export interface GroupEffect {
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
 * read back per month of effect, as a ratio and as a difference. With every weight 1, the plain
 * comparison of a randomised arm against the uncontacted (the intent-to-treat log of `simulate validate`).
 */
export function groupEffect(group: readonly boolean[], control: readonly { churned: boolean; weight: number }[], effectMonths: number): GroupEffect {
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

/**
 * An earlier randomised pilot of the same offers (the operator's campaign before the latest one):
 * its arms and answers, its twins' covariates at its start, the twins it left uncontacted, and
 * whether each churned over its PILOT_MONTHS (not by the cutoff: its window ends where the next
 * pilot starts).
 */
export interface EarlierPilot {
  readonly churned: ChurnedBy;
  readonly arms: readonly (readonly string[])[];
  readonly answers: ReadonlyMap<string, string>;
  readonly covariatesAtStart: ReadonlyMap<string, readonly number[]>;
  readonly uncontacted: readonly string[];
}

/** Independent reads of one effect combined by their precisions (the fixed-effect mean). */
function inverseVariance(reads: readonly { effect: number; se: number }[]): { effect: number; effectSe: number } {
  const w = reads.map((r) => 1 / Math.max(1e-9, r.se) ** 2);
  const W = w.reduce((t, x) => t + x, 0);
  return { effect: reads.reduce((t, r, i) => t + w[i] * r.effect, 0) / W, effectSe: 1 / Math.sqrt(W) };
}

function rawPilot(churned: ChurnedBy, arms: readonly (readonly string[])[], answers: ReadonlyMap<string, string>, acceptanceOf: (j: number, id: string) => number, effectMonths: number, control: readonly string[]): { offers: RawPilot[]; contacted: GroupEffect & { readonly decliners: number } } {
  const offers = PILOT_OFFERS.map((offerId, j) => {
    const ids = arms[j + 1];
    const delivered = ids.filter((id) => wasContacted(answers.get(id)));
    const acceptors = delivered.filter((id) => answers.get(id) === 'accepted');
    const a = acceptors.length / Math.max(1, delivered.length);
    const aSd = Math.sqrt((a * (1 - a)) / Math.max(1, delivered.length));
    const e = groupEffect(acceptors.map(churned), control.map((id) => ({ churned: churned(id), weight: acceptanceOf(j, id) })), effectMonths);
    return { offerId, acceptance: { mean: a, sd: aSd }, ...e, treated: ids.length, delivered: delivered.length };
  });
  // The contacted who did not accept, both offers together (a contact is a contact): against the
  // control twins as likely to decline, each offer in proportion to the answers it got.
  const decliners = PILOT_OFFERS.flatMap((_, j) => arms[j + 1].filter((id) => declinedContact(answers.get(id))));
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
 *
 * `uncontacted` are the control twins (default: the pilot's control arm, `arms[0]`): every twin
 * left uncontacted at random may stand in, the pilot's control arm and the twins left out of the
 * pilot alike (each needs its covariates at the pilot's start), as `pilotContactEffect` reads them.
 * `earlier`: the operator's earlier pilots of the same offers, each read the same way against its
 * own uncontacted twins and combined with this one by inverse variance (acceptance is this one's).
 */
export function pilotEstimates(churned: ChurnedBy, arms: readonly (readonly string[])[], answers: ReadonlyMap<string, string>, model: AcceptanceModel, covariatesAtStart: ReadonlyMap<string, readonly number[]>, effectMonths: number, uncontacted: readonly string[] = arms[0], earlier: readonly EarlierPilot[] = []): PilotEstimate[] {
  const read = (p: EarlierPilot) =>
    rawPilot(p.churned, p.arms, p.answers, (j, id) => {
      const x = p.covariatesAtStart.get(id);
      return acceptProbability(model, j, x ? model.shift(x) : 0);
    }, effectMonths, p.uncontacted);
  const latest = read({ churned, arms, answers, covariatesAtStart, uncontacted });
  const reads = [...earlier.map(read), latest];
  // Each offer's acceptors, and the decliners, over every pilot by inverse variance: the same
  // offers to customers drawn at random, read against the twins each pilot left uncontacted.
  const offers = latest.offers.map((o, j) => ({ ...o, ...inverseVariance(reads.map((r) => ({ effect: r.offers[j].effect, se: r.offers[j].effectSe }))) }));
  const single = inverseVariance(reads.map((r) => ({ effect: r.contacted.increase, se: r.contacted.increaseSe })));
  const contacted = { increase: single.effect, increaseSe: single.effectSe, decliners: reads.reduce((t, r) => t + r.contacted.decliners, 0) };
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

/** One pilot twin for the contact-effect fit: its monthly churn hazard at the pilot's start (the churn model's) and whether it left during the pilot. */
export interface ContactFitRow {
  readonly hazard: number;
  readonly churned: boolean;
  /** Control twins: their chance of declining had they been contacted (the acceptance model's): how far each stands in for a decliner. */
  readonly weight?: number;
}

/** The powers of the hazard a contact's effect may follow: 0 the same increase for everyone, 1 a multiplier of the twin's hazard. */
export const CONTACT_EFFECT_POWERS = [0, 0.25, 0.5, 0.75, 1] as const;

/**
 * A contact's own effect on those who decline, as a function of their hazard, with its
 * uncertainty (`contactEffectByRisk`): a decliner of monthly hazard h has its hazard raised by
 * κ · (h / atHazard)^γ while the contact holds.
 */
export interface ContactEffectFit {
  /** The reference hazard: the pilot decliners' mean monthly hazard. */
  readonly atHazard: number;
  /** κ, the increase at `atHazard` (posterior mean and sd). */
  readonly increase: { readonly mean: number; readonly sd: number };
  /** γ (posterior mean) and the posterior weight of each power in CONTACT_EFFECT_POWERS. */
  readonly power: number;
  readonly powerWeights: readonly number[];
  /** The baseline's level against the churn model's hazards, as the control twins show it (posterior mean). */
  readonly baselineLevel: number;
  readonly decliners: number;
  readonly controls: number;
  /** The posterior mean and sd of the mean increase over twins of these monthly hazards. */
  groupIncrease(hazards: readonly number[]): { mean: number; sd: number };
}

/**
 * A contact's effect on those who decline, as it varies with their hazard, from the randomised
 * pilot: a grid posterior over the baseline level α (the churn model's hazards against the control
 * twins' churn, each control twin weighted by its chance of declining, scaled to the weights' Kish
 * size), the power γ (each of CONTACT_EFFECT_POWERS equally likely before the pilot: the harm may
 * be the same for everyone, in proportion to the hazard, or in between) and the increase κ at the
 * decliners' mean hazard (prior N(0, CONTACT_EFFECT_PRIOR_SD²), as for the single increase). Over
 * the pilot a twin's cumulative hazard is α · months · h, a decliner's plus effectMonths · κ ·
 * (h / atHazard)^γ; the churn is Bernoulli(1 − e^−that).
 *
 * Why: one increase for everyone, measured on the pilot's average decliner, under-predicted the
 * harm on campaigns to the riskiest (in the sandbox a provoked customer's hazard is multiplied,
 * contract ends included), and one multiplier put too much of it there; a pilot of 1,600 cannot
 * tell the two apart, so the prediction carries both, weighed by how well each explains it.
 */
export function contactEffectByRisk(control: readonly ContactFitRow[], decliners: readonly ContactFitRow[], effectMonths: number, pilotMonths = PILOT_MONTHS): ContactEffectFit {
  return contactEffectOverPilots([{ control, decliners }], effectMonths, pilotMonths);
}

/** One randomised pilot's rows for the contact-effect fit: the twins it left uncontacted (weighted) and its decliners. */
export interface ContactFitPilot {
  readonly control: readonly ContactFitRow[];
  readonly decliners: readonly ContactFitRow[];
}

/**
 * `contactEffectByRisk` over several randomised pilots of the same contact: each pilot has its own
 * baseline level α (its months churn at a level of their own against the model's hazards),
 * integrated out per pilot over its grid, and they share the power γ and the increase κ at the
 * decliners' mean hazard (over every pilot's decliners). One pilot of 600–870 decliners reads κ
 * with an sd of 0.4–0.6 point a month, as far off as the harm itself on some worlds
 * (docs/simulation.md); each pilot more adds its decliners' evidence.
 */
export function contactEffectOverPilots(pilots: readonly ContactFitPilot[], effectMonths: number, pilotMonths = PILOT_MONTHS): ContactEffectFit {
  const all = pilots.flatMap((p) => p.decliners);
  const empty = pilots.find((p) => p.control.length === 0 || p.decliners.length === 0);
  if (pilots.length === 0 || empty) throw new TwinloopError('BAD_INPUT', `the contact effect needs control twins and decliners; got ${empty ? `${empty.control.length} and ${empty.decliners.length}` : 'no pilot'}`);
  const months = Math.min(pilotMonths, Math.max(1, effectMonths));
  const href = Math.max(1e-6, all.reduce((t, r) => t + r.hazard, 0) / all.length);
  const ll = (lam: number, y: boolean) => (y ? Math.log(Math.max(1e-300, -Math.expm1(-lam))) : -lam);
  const alphas = Array.from({ length: 41 }, (_, i) => Math.exp(Math.log(0.4) + (i / 40) * Math.log(6)));
  const kappas = Array.from({ length: 121 }, (_, i) => -0.02 + (i / 120) * 0.08);
  const G = CONTACT_EFFECT_POWERS.length;
  const K = kappas.length;
  // Per (γ, κ): the log likelihood summed over the pilots, each with its α integrated out, and the
  // last pilot's posterior mean α (the baseline the report gives).
  const logLik = new Float64Array(G * K).map((_, gk) => -(kappas[gk % K] ** 2) / (2 * CONTACT_EFFECT_PRIOR_SD ** 2));
  const lastAlpha = new Float64Array(G * K);
  pilots.forEach(({ control, decliners }, p) => {
    const W = control.reduce((t, r) => t + (r.weight ?? 1), 0);
    const W2 = control.reduce((t, r) => t + (r.weight ?? 1) ** 2, 0);
    const kish = (W * W) / Math.max(1e-12, W2);
    const cw = control.map((r) => ((r.weight ?? 1) * kish) / W);
    const scaled = CONTACT_EFFECT_POWERS.map((g) => decliners.map((r) => contactScale(r.hazard, g, href)));
    const cells = alphas.map(() => new Float64Array(G * K));
    alphas.forEach((a, ai) => {
      let lc = 0;
      control.forEach((r, i) => (lc += cw[i] * ll(a * pilotMonths * r.hazard, r.churned)));
      for (let g = 0; g < G; g++) {
        for (let ki = 0; ki < K; ki++) {
          let l = lc;
          for (let i = 0; i < decliners.length; i++) {
            const lam = a * pilotMonths * decliners[i].hazard + months * kappas[ki] * scaled[g][i];
            l += lam <= 0 ? -1e6 : ll(lam, decliners[i].churned);
          }
          cells[ai][g * K + ki] = l;
        }
      }
    });
    for (let gk = 0; gk < G * K; gk++) {
      let max = -Infinity;
      for (const c of cells) max = Math.max(max, c[gk]);
      let z = 0;
      let za = 0;
      cells.forEach((c, ai) => {
        const x = Math.exp(c[gk] - max);
        z += x;
        za += x * alphas[ai];
      });
      logLik[gk] += max + Math.log(z);
      if (p === pilots.length - 1) lastAlpha[gk] = za / z;
    }
  });
  const max = logLik.reduce((m, x) => Math.max(m, x), -Infinity);
  const w = Array.from(logLik, (l) => Math.exp(l - max));
  const z = w.reduce((t, x) => t + x, 0);
  const mean = (f: (g: number, k: number) => number) => w.reduce((t, x, gk) => t + (x / z) * f(Math.floor(gk / K), kappas[gk % K]), 0);
  const kMean = mean((_, k) => k);
  const gMean = mean((g) => CONTACT_EFFECT_POWERS[g]);
  const powerWeights = CONTACT_EFFECT_POWERS.map((_, g) => w.reduce((t, x, gk) => t + (Math.floor(gk / K) === g ? x / z : 0), 0));
  return {
    atHazard: href,
    increase: { mean: kMean, sd: Math.sqrt(Math.max(0, mean((_, k) => (k - kMean) ** 2))) },
    power: gMean,
    powerWeights,
    baselineLevel: w.reduce((t, x, gk) => t + (x / z) * lastAlpha[gk], 0),
    decliners: all.length,
    controls: pilots.reduce((t, p) => t + p.control.length, 0),
    groupIncrease(hazards) {
      if (hazards.length === 0) return { mean: 0, sd: 0 };
      // The group's mean of (h / atHazard)^γ for each power, then κ times it over the posterior.
      const shape = CONTACT_EFFECT_POWERS.map((g) => hazards.reduce((t, h) => t + contactScale(h, g, href), 0) / hazards.length);
      const m = mean((g, k) => k * shape[g]);
      return { mean: m, sd: Math.sqrt(Math.max(0, mean((g, k) => (k * shape[g] - m) ** 2))) };
    },
  };
}

/**
 * The pilot's contact effect by hazard (`contactEffectByRisk`): the contacted who did not accept
 * (both offers) against every twin not contacted (the pilot's control arm and the twins left out
 * of the pilot, both chosen at random), each weighted by its chance of declining (the acceptance
 * model's, the offers in proportion to their answers); hazards are the churn model's monthly ones
 * at the pilot's start (`probabilityOf` the model's window probability, `hazardOf` its month's).
 * Several pilots (the operator's earlier ones first) are read together (`contactEffectOverPilots`).
 */
export function pilotContactEffect(pilots: readonly PilotTwins[], probabilityOf: (f: Float64Array) => number, hazardOf: (p: number) => number, model: AcceptanceModel, effectMonths: number): ContactEffectFit {
  return contactEffectOverPilots(pilots.map((p) => contactFitPilot(p, probabilityOf, hazardOf, model)), effectMonths);
}

/** One randomised pilot's twins as the contact-effect fit reads them (`pilotContactEffect`): its arms and answers, every twin's features at its start, and whether each churned over its months. */
export interface PilotTwins {
  readonly arms: readonly (readonly string[])[];
  readonly answers: ReadonlyMap<string, string>;
  /** The pilot twins' features at its start. */
  readonly atPilot: ReadonlyMap<string, Float64Array>;
  /** Every other twin active at its start (left out of it at random: control twins too). */
  readonly outsidePilot: ReadonlyMap<string, Float64Array>;
  readonly churned: ChurnedBy;
}

function contactFitPilot({ arms, answers, atPilot, outsidePilot, churned }: PilotTwins, probabilityOf: (f: Float64Array) => number, hazardOf: (p: number) => number, model: AcceptanceModel): ContactFitPilot {
  const answered = PILOT_OFFERS.map((_, j) => arms[j + 1].filter((id) => wasContacted(answers.get(id))).length);
  const total = Math.max(1, answered.reduce((t, x) => t + x, 0));
  const row = (id: string, f: Float64Array, weighted: boolean): ContactFitRow => {
    const p = probabilityOf(f);
    if (!weighted) return { hazard: hazardOf(p), churned: churned(id) };
    const shift = model.shift(acceptanceCovariates(f, p));
    const weight = PILOT_OFFERS.reduce((t, _, j) => t + (answered[j] / total) * (1 - acceptProbability(model, j, shift)), 0);
    return { hazard: hazardOf(p), churned: churned(id), weight };
  };
  const control: ContactFitRow[] = [];
  for (const id of arms[0]) {
    const f = atPilot.get(id);
    if (f) control.push(row(id, f, true));
  }
  for (const [id, f] of outsidePilot) control.push(row(id, f, true));
  const decliners: ContactFitRow[] = [];
  for (let j = 1; j < arms.length; j++) {
    for (const id of arms[j]) {
      const a = answers.get(id);
      const f = atPilot.get(id);
      if (f && declinedContact(a)) decliners.push(row(id, f, false));
    }
  }
  return { control, decliners };
}
