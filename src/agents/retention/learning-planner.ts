import { TwinloopError } from '../../domain/errors.js';
import { fmix32 } from '../../domain/seeded-random.js';
import { fnv1a32 } from '../../domain/string-hash.js';
import { RESPONSE_CLASSES, type ResponseClass } from '../../intelligence/profile/response-model.js';
import { longestGuardedPrefix, PLAN_RISK } from '../../intelligence/uplift/plan-guard.js';
import { explorationBatch, type Exploration, type Explorable } from './base-exploration.js';
import { effectDraws, meanEffect, type EffectPoint, type GammaPosterior } from './effect-draws.js';

/**
 * Who gets a retention offer this month when each customer's response profile is known only
 * up to a posterior, the effects a contact has are known only up to theirs, and contacting
 * customers also teaches the agent both. Pure: the caller brings each candidate's churn hazard,
 * value, offer cost and profile, and the base's response parameters with the effects' posteriors;
 * it gets back who is contacted (to exploit or to explore), who is held out to measure the
 * campaign, and why the rest are left alone.
 *
 * Expected net value of contacting customer i over the effect window of H months, at a point θ of
 * the effects (m_A the persuadables' multiplier once they accept, m_D the sleeping dogs' once
 * contacted):
 *
 *     net(θ) = Σ_c P(c) · [ V · (S_c(contact; θ) − S_c(no contact)) − contactCost − α_c · offerCost ]
 *     S_c(no contact) = (1 − h_c)^H,  S_c(contact) = α_c (1 − h_c·m_c,acc)^H + (1 − α_c)(1 − h_c·m_c,dec)^H
 *
 * with h_c = the churn model's hazard × the class's hazard ratio, except that a sleeping dog whose
 * class the fit reads as churning more than the held out is valued untreated at their hazard and
 * contacted at its own × m_D (`unsplitHarm`). Its first part, before the
 * contact's and the offer's cost, is the contact's **kept value**.
 *
 * - **exploit**: the candidates with a positive expected net value over the effects' posterior,
 *   best first up to the budget, as long a run of them as keeps its kept value ≥ 0 with
 *   probability 1 − `risk` (plan-guard.ts: the effects are every candidate's, so their uncertainty
 *   is the plan's, not each customer's); the rest of them are left as `plan-risk`;
 * - **explore**: a batch whose answers and the churn that follows are worth more than it costs
 *   (base-exploration.ts: what learning the shared effects is worth to the months left, and what
 *   one customer's answer is worth to that customer's later campaigns), each of it joining only
 *   while the whole month's plan, exploitation and exploration, still passes the same guard;
 * - **never** a customer whose profile says contact likely hurts: P(sleeping dog) ≥ `harmThreshold`;
 * - **holdout**: a deterministic share of the chosen is not contacted, so the campaign measures itself.
 */

/** One customer as the planner sees it. */
export interface ProfiledCandidate {
  readonly customerId: string;
  /** Monthly churn hazard if nobody contacts the customer (the churn model's). */
  readonly hazard: number;
  /** Lifetime value at stake if the customer stays. */
  readonly value: number;
  /** Cost of the offer if accepted (the discount over its months). */
  readonly offerCost: number;
  /** Response profile: posterior probability of each class. */
  readonly classes: Readonly<Record<ResponseClass, number>>;
}

/** The class rates of the offer planned (from the fitted response model). */
export interface ClassRates {
  /** Acceptance of the offer per class, RESPONSE_CLASSES order. */
  readonly acceptance: readonly number[];
  /** Each class's untreated hazard relative to the churn model's (default all 1). */
  readonly hazardRatio?: readonly number[];
}

/** The class rates with the effects at one point: what one contact's value is computed at. */
export type ResponseParameters = ClassRates & EffectPoint;

/** The class rates with the effects' posteriors: what a month is planned on. */
export interface ResponsePosterior extends ClassRates {
  /** Persuadables' hazard multiplier once they accept (read ≤ 1). */
  readonly acceptedMultiplier: GammaPosterior;
  /** Sleeping dogs' hazard multiplier once contacted (read ≥ 1). */
  readonly contactMultiplier: GammaPosterior;
}

/** Settings of one month's plan. */
export interface LearningPlanOptions {
  /** Contacts the month's budget pays for. */
  readonly budget: number;
  readonly contactCost: number;
  /** Months an offer's effect lasts (the planning window H). */
  readonly effectMonths: number;
  /** Campaign months left including this one (1 = the last: nothing left to learn for). */
  readonly monthsLeft: number;
  /** Largest share of the budget spent on exploration (default 0.3). */
  readonly explorationShare?: number;
  /** Share of the chosen customers held out, not contacted, to measure the campaign (default 0.1). */
  readonly holdoutShare?: number;
  /** P(sleeping dog) at or above which a customer is never contacted (default HARM_THRESHOLD). */
  readonly harmThreshold?: number;
  /** Posterior probability the exploiting plan may have of driving away more than it keeps (default `PLAN_RISK`; 1: the expected value alone). */
  readonly risk?: number;
  /** Seed of the holdout draw. */
  readonly seed: number;
}

/**
 * P(sleeping dog) at or above which a customer's profile says contact likely hurts: more likely a
 * sleeping dog than anything else put together, so no offer's expected gain is trusted over it.
 */
export const HARM_THRESHOLD = 0.5;

/** Why a candidate was chosen or left. */
export type PlanReason = 'exploit' | 'explore' | 'holdout' | 'contact-harms' | 'plan-risk' | 'not-worth-it' | 'budget';

/** One decision of the plan, with the numbers behind it. */
export interface PlannedCustomer {
  readonly customerId: string;
  readonly reason: PlanReason;
  /** Expected net value of the contact over the effects' posterior. */
  readonly expectedValue: number;
  /** What contacting the customer is worth in learning (explore only): its share of the batch's. */
  readonly valueOfInformation: number;
  readonly sleepingDog: number;
}

/** The month's plan. */
export interface LearningPlan {
  /** Customers to contact, best first. */
  readonly contact: readonly PlannedCustomer[];
  /** Customers chosen but held out (measure the campaign against them). */
  readonly holdout: readonly PlannedCustomer[];
  /** Counts of every reason, over all candidates. */
  readonly counts: Readonly<Record<PlanReason, number>>;
  /** Sum of the contacted customers' expected net value (exploration's included, its value of information not). */
  readonly expectedValue: number;
  /** The exploration weighed this month, with its numbers (also when nobody was worth exploring). */
  readonly exploration: Exploration;
  /** The effects' mean point the plan read. */
  readonly effects: EffectPoint;
}

const DOG = RESPONSE_CLASSES.indexOf('sleeping-dog');
const PERSUADABLE = RESPONSE_CLASSES.indexOf('persuadable');

const survive = (h: number, months: number) => (1 - Math.min(1, h)) ** months;

/** Kept value of a contact (customers kept less driven away, before its costs) under class probabilities `p`. */
export function keptValue(c: ProfiledCandidate, p: readonly number[], r: ResponseParameters, months: number): number {
  let kept = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k] === 0 || (k !== PERSUADABLE && k !== DOG)) continue;
    const a = r.acceptance[k];
    const h = c.hazard * (r.hazardRatio?.[k] ?? 1);
    const untreated = survive(h, months);
    // Only a persuadable's acceptance and a sleeping dog's contact move the hazard (the classes' definition).
    const treated = k === PERSUADABLE ? a * survive(h * r.acceptedMultiplier, months) + (1 - a) * untreated : survive(h * r.contactMultiplier, months);
    kept += p[k] * c.value * (treated - untreated);
  }
  return kept;
}

/**
 * The parameters every contact is valued at: a sleeping dog's untreated hazard at the held-out
 * customers' (ratio 1: the candidates' hazards are calibrated on them) and its hazard once contacted
 * as fitted (its ratio × the contact multiplier), wherever the fit reads the sleeping dogs as
 * churning more than the held out, untreated. Where their ratio is at most 1 nothing changes.
 *
 * Why: the response model splits a sleeping dog's churn after a contact between the class's own
 * untreated hazard ratio and the contact multiplier, and only periods outside any contact's window
 * tell the two apart; the customers it reads as sleeping dogs are mostly those who left after a
 * contact, whose untreated periods are few. The contacted churn is what the evidence holds; how much
 * of it the contact caused is not, so a contact is charged all of it. On answering-base (seed 5, 1,000
 * customers, 12 months) the split put the dogs' excess churn into their ratio (1.2 → 2.5 over months
 * 4–11) while their contact multiplier fell from 1.28 to 1.0 (truth: ratio 1, multiplier 2): a contact
 * read as nearly harmless, and the batches explored on that reading lost 1,822 in months 3–7 (the
 * year −2,170). Valued unsplit, that seed contacts nobody (0); plain-effects' seed 1, whose classes'
 * ratios stay near 1 while it learns, is unchanged (4,538). docs/learning.md, "The sleeping dogs'
 * harm, unsplit".
 */
export function unsplitHarm(r: ResponseParameters): ResponseParameters {
  const ratio = r.hazardRatio?.[DOG] ?? 1;
  if (!(ratio > 1) || !r.hazardRatio) return r;
  return { ...r, hazardRatio: r.hazardRatio.map((x, k) => (k === DOG ? 1 : x)), contactMultiplier: r.contactMultiplier * ratio };
}

/** What a contact costs in expectation under `p`: the contact, and the offer when accepted. */
export function contactSpend(c: ProfiledCandidate, p: readonly number[], r: ClassRates, contactCost: number): number {
  let spend = 0;
  for (let k = 0; k < p.length; k++) spend += p[k] * (contactCost + r.acceptance[k] * c.offerCost);
  return spend;
}

/** Expected net value of a contact under class probabilities `p`, at one point of the effects. */
export function contactValue(c: ProfiledCandidate, p: readonly number[], r: ResponseParameters, contactCost: number, months: number): number {
  return keptValue(c, p, r, months) - contactSpend(c, p, r, contactCost);
}

/**
 * How many of the customer's later campaigns an answer now can serve, each counted at the
 * probability that the customer is still there for it: the j-th later decision, j·H months on,
 * counts (1 − h̄)^(j·H), h̄ the profile's expected untreated hazard. A customer likely to leave
 * before the next chance is worth little to learn about.
 */
export function expectedUses(c: ProfiledCandidate, p: readonly number[], r: ClassRates, months: number, uses: number): number {
  let h = 0;
  for (let k = 0; k < p.length; k++) h += p[k] * Math.min(1, c.hazard * (r.hazardRatio?.[k] ?? 1));
  let total = 0;
  for (let j = 1; j <= uses; j++) total += (1 - h) ** (j * months);
  return total;
}

/**
 * The one-step value of learning the customer's own answer (accept or not moves their profile),
 * over `uses` later decisions on them, each at the customer's survival to it.
 */
export function valueOfInformation(c: ProfiledCandidate, p: readonly number[], r: ResponseParameters, contactCost: number, months: number, uses: number): number {
  if (uses <= 0) return 0;
  const now = Math.max(0, contactValue(c, p, r, contactCost, months));
  let after = 0;
  for (const accepted of [true, false]) {
    const q = p.map((pk, k) => pk * (accepted ? r.acceptance[k] : 1 - r.acceptance[k]));
    const pa = q.reduce((s, v) => s + v, 0);
    if (pa <= 0) continue;
    after += pa * Math.max(0, contactValue(c, q.map((v) => v / pa), r, contactCost, months));
  }
  return expectedUses(c, p, r, months, uses) * Math.max(0, after - now);
}

/** Deterministic uniform in [0, 1) from a customer id and a seed, for the holdout draw. */
// FNV-1a's high bits barely move between ids that differ in their last character: mixed first.
export const uniformOf = (id: string, seed: number) => (fmix32(fnv1a32(id, seed)) >>> 0) / 4294967296;

/** Orders by customer id: the tie-break of every plan's ranking. */
export const byId = (a: { customerId: string }, b: { customerId: string }) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0);

/** Plans one month of a learning retention campaign (see the module's comment). */
export function planLearningCampaign(candidates: readonly ProfiledCandidate[], r: ResponsePosterior, o: LearningPlanOptions): LearningPlan {
  if (r.acceptance.length !== RESPONSE_CLASSES.length) throw new TwinloopError('BAD_INPUT', `acceptance needs one value per class (${RESPONSE_CLASSES.join(', ')})`);
  if (!(Number.isInteger(o.budget) && o.budget >= 0) || !(o.effectMonths > 0) || !(o.monthsLeft >= 1)) throw new TwinloopError('BAD_INPUT', 'a whole budget ≥ 0, effectMonths > 0 and monthsLeft ≥ 1 are required');
  const explorationShare = o.explorationShare ?? 0.3;
  const holdoutShare = o.holdoutShare ?? 0.1;
  const harm = o.harmThreshold ?? HARM_THRESHOLD;
  const H = o.effectMonths;
  const uses = Math.floor((o.monthsLeft - 1) / H);
  const draws = effectDraws(r.acceptedMultiplier, r.contactMultiplier);
  const weights = Float64Array.from(draws, (x) => x.weight);
  const risk = o.risk ?? PLAN_RISK;
  const mean = meanEffect(draws);
  const atMean: ResponseParameters = { ...r, ...mean };
  const counts: Record<PlanReason, number> = { exploit: 0, explore: 0, holdout: 0, 'contact-harms': 0, 'plan-risk': 0, 'not-worth-it': 0, budget: 0 };
  const worth: { x: Explorable; kept: Float64Array; sleepingDog: number }[] = [];
  const rest: Explorable[] = [];
  const base: Explorable[] = [];
  const dogOf = new Map<string, number>();
  for (const c of candidates) {
    const p = RESPONSE_CLASSES.map((k) => c.classes[k]);
    if (p[DOG] >= harm) {
      counts['contact-harms']++;
      continue;
    }
    dogOf.set(c.customerId, p[DOG]);
    const spend = contactSpend(c, p, r, o.contactCost);
    // Every contact is valued with the sleeping dogs' harm unsplit (unsplitHarm).
    const keptAt = (point: EffectPoint) => keptValue(c, p, unsplitHarm({ ...r, ...point }), H);
    const kept = Float64Array.from(draws, keptAt);
    const ev = kept.reduce((s, v, i) => s + weights[i] * v, 0) - spend;
    // Expected churns the contact adds to each effect's evidence: a persuadable who accepts, a sleeping dog contacted.
    const h = (k: number) => Math.min(1, c.hazard * (r.hazardRatio?.[k] ?? 1)) * H;
    const x: Explorable = {
      customerId: c.customerId,
      expectedValue: ev,
      ownInformation: ev > 0 ? 0 : valueOfInformation(c, p, unsplitHarm(atMean), o.contactCost, H, uses),
      acceptedExposure: p[PERSUADABLE] * r.acceptance[PERSUADABLE] * h(PERSUADABLE),
      contactExposure: p[DOG] * h(DOG),
      netAt: (point) => keptAt(point) - spend,
      kept,
    };
    base.push(x);
    if (ev > 0) worth.push({ x, kept, sleepingDog: p[DOG] });
    else rest.push(x);
  }
  worth.sort((a, b) => b.x.expectedValue - a.x.expectedValue || byId(a.x, b.x));
  const affordable = worth.slice(0, o.budget);
  counts.budget += worth.length - affordable.length;
  const length = longestGuardedPrefix(affordable.map((w) => w.kept), weights, risk);
  const exploit: PlannedCustomer[] = affordable.slice(0, length).map((w) => ({ customerId: w.x.customerId, reason: 'exploit', expectedValue: w.x.expectedValue, valueOfInformation: 0, sleepingDog: w.sleepingDog }));
  // What the guard left may still be worth exploring, so may the candidates not worth a contact on
  // their own: as long as the month's plan with them still passes the guard (base-exploration.ts).
  const guarded = affordable.slice(length).map((w) => w.x);
  const planKept = new Float64Array(draws.length);
  for (const w of affordable.slice(0, length)) for (let i = 0; i < planKept.length; i++) planKept[i] += w.kept[i];
  const exploration = explorationBatch([...guarded, ...rest], base, draws, mean, {
    budget: o.budget,
    slots: Math.max(0, Math.min(Math.floor(o.budget * explorationShare), o.budget - exploit.length)),
    effectMonths: H,
    monthsLeft: o.monthsLeft,
    holdoutShare,
    acceptedRate: r.acceptedMultiplier.rate,
    contactRate: r.contactMultiplier.rate,
    planKept,
    risk,
    exploitedAcceptedExposure: affordable.slice(0, length).reduce((s, w) => s + w.x.acceptedExposure, 0) * (1 - holdoutShare),
    exploitedContactExposure: affordable.slice(0, length).reduce((s, w) => s + w.x.contactExposure, 0) * (1 - holdoutShare),
  });
  const explored = new Set(exploration.chosen.map((e) => e.explorable.customerId));
  counts['plan-risk'] += guarded.filter((x) => !explored.has(x.customerId)).length;
  counts['not-worth-it'] += rest.filter((x) => !explored.has(x.customerId)).length;
  const explore: PlannedCustomer[] = exploration.chosen.map((e) => ({ customerId: e.explorable.customerId, reason: 'explore', expectedValue: e.explorable.expectedValue, valueOfInformation: e.valueOfInformation, sleepingDog: dogOf.get(e.explorable.customerId) ?? 0 }));
  const contact: PlannedCustomer[] = [];
  const holdout: PlannedCustomer[] = [];
  for (const c of [...exploit, ...explore]) {
    if (uniformOf(c.customerId, o.seed) < holdoutShare) {
      holdout.push({ ...c, reason: 'holdout' });
      counts.holdout++;
    } else {
      contact.push(c);
      counts[c.reason]++;
    }
  }
  return { contact, holdout, counts, expectedValue: contact.reduce((s, c) => s + c.expectedValue, 0), exploration: exploration.summary, effects: mean };
}
