import { TwinloopError } from '../../domain/errors.js';
import { fmix32 } from '../../domain/seeded-random.js';
import { fnv1a32 } from '../../domain/string-hash.js';
import { RESPONSE_CLASSES, type ResponseClass } from '../../intelligence/profile/response-model.js';

/**
 * Who gets a retention offer this month when each customer's response profile is known only
 * up to a posterior, and contacting a customer also teaches the agent who they are. Pure: the
 * caller brings each candidate's churn hazard, value, offer cost and profile, and the population's
 * response parameters; it gets back who is contacted (to exploit or to explore), who is held out
 * to measure the campaign, and why the rest are left alone.
 *
 * Expected net value of contacting customer i over the effect window of H months:
 *
 *     EV = Σ_c P(c) · [ V · (S_c(contact) − S_c(no contact)) − contactCost − α_c · offerCost ]
 *     S_c(no contact) = (1 − h_c)^H,  S_c(contact) = α_c (1 − h_c·m_c,acc)^H + (1 − α_c)(1 − h_c·m_c,dec)^H
 *
 * with h_c = the churn model's hazard × the class's hazard ratio, and
 *
 * m = the persuadables' multiplier once they accept, the sleeping dogs' once contacted, 1
 * otherwise. The value of information is the one-step knowledge gradient: the answer (accept or
 * not) moves the profile, and the better decisions it allows on the customer's later campaigns
 * are worth
 *
 *     VOI = uses · ( Σ_a P(a) · max(0, EV | a) − max(0, EV) ),   uses = ⌊(months left − 1) / H⌋
 *
 * A candidate is contacted to *exploit* when EV > 0, to *explore* when EV ≤ 0 < EV + VOI (within
 * `explorationShare` of the budget). Never when the profile says a contact is likely to hurt:
 * P(sleeping dog) ≥ `harmThreshold`.
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

/** The population's response parameters for the offer planned (from the fitted response model). */
export interface ResponseParameters {
  /** Acceptance of the offer per class, RESPONSE_CLASSES order. */
  readonly acceptance: readonly number[];
  /** Each class's untreated hazard relative to the churn model's (default all 1). */
  readonly hazardRatio?: readonly number[];
  /** Hazard multiplier of a persuadable who accepts (< 1). */
  readonly acceptedMultiplier: number;
  /** Hazard multiplier of a sleeping dog once contacted (> 1). */
  readonly contactMultiplier: number;
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
  /** Seed of the holdout draw. */
  readonly seed: number;
}

/** Why a candidate was chosen or left. */
/**
 * P(sleeping dog) at or above which a customer's profile says contact likely hurts: more likely a
 * sleeping dog than anything else put together, so no offer's expected gain is trusted over it.
 */
export const HARM_THRESHOLD = 0.5;

export type PlanReason = 'exploit' | 'explore' | 'holdout' | 'contact-harms' | 'not-worth-it' | 'budget';

/** One decision of the plan, with the numbers behind it. */
export interface PlannedCustomer {
  readonly customerId: string;
  readonly reason: PlanReason;
  readonly expectedValue: number;
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
  /** Sum of the contacted customers' expected net value (exploration's included, VOI not). */
  readonly expectedValue: number;
}

const DOG = RESPONSE_CLASSES.indexOf('sleeping-dog');
const PERSUADABLE = RESPONSE_CLASSES.indexOf('persuadable');

/** Expected net value of a contact under class probabilities `p`. */
export function contactValue(c: ProfiledCandidate, p: readonly number[], r: ResponseParameters, contactCost: number, months: number): number {
  let ev = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k] === 0) continue;
    const a = r.acceptance[k];
    const h = c.hazard * (r.hazardRatio?.[k] ?? 1);
    const mAcc = k === PERSUADABLE ? r.acceptedMultiplier : k === DOG ? r.contactMultiplier : 1;
    const mDec = k === DOG ? r.contactMultiplier : 1;
    const survive = (m: number) => (1 - Math.min(1, h * m)) ** months;
    const untreated = survive(1);
    const treated = a * survive(mAcc) + (1 - a) * survive(mDec);
    ev += p[k] * (c.value * (treated - untreated) - contactCost - a * c.offerCost);
  }
  return ev;
}

/**
 * How many of the customer's later campaigns an answer now can serve, each counted at the
 * probability that the customer is still there for it: the j-th later decision, j·H months on,
 * counts (1 − h̄)^(j·H), h̄ the profile's expected untreated hazard. A customer likely to leave
 * before the next chance is worth little to learn about.
 */
export function expectedUses(c: ProfiledCandidate, p: readonly number[], r: ResponseParameters, months: number, uses: number): number {
  let h = 0;
  for (let k = 0; k < p.length; k++) h += p[k] * Math.min(1, c.hazard * (r.hazardRatio?.[k] ?? 1));
  let total = 0;
  for (let j = 1; j <= uses; j++) total += (1 - h) ** (j * months);
  return total;
}

/** The one-step value of learning the customer's answer, over `uses` later decisions on them (each at the customer's survival to it). */
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
const uniformOf = (id: string, seed: number) => (fmix32(fnv1a32(id, seed)) >>> 0) / 4294967296;

/** Plans one month of a learning retention campaign. */
export function planLearningCampaign(candidates: readonly ProfiledCandidate[], r: ResponseParameters, o: LearningPlanOptions): LearningPlan {
  if (r.acceptance.length !== RESPONSE_CLASSES.length) throw new TwinloopError('BAD_INPUT', `acceptance needs one value per class (${RESPONSE_CLASSES.join(', ')})`);
  if (!(o.budget >= 0) || !(o.effectMonths > 0) || !(o.monthsLeft >= 1)) throw new TwinloopError('BAD_INPUT', 'budget ≥ 0, effectMonths > 0 and monthsLeft ≥ 1 are required');
  const explorationShare = o.explorationShare ?? 0.3;
  const holdoutShare = o.holdoutShare ?? 0.1;
  const harm = o.harmThreshold ?? HARM_THRESHOLD;
  const uses = Math.floor((o.monthsLeft - 1) / o.effectMonths);
  const counts: Record<PlanReason, number> = { exploit: 0, explore: 0, holdout: 0, 'contact-harms': 0, 'not-worth-it': 0, budget: 0 };
  const exploit: PlannedCustomer[] = [];
  const explore: PlannedCustomer[] = [];
  for (const c of candidates) {
    const p = RESPONSE_CLASSES.map((k) => c.classes[k]);
    const ev = contactValue(c, p, r, o.contactCost, o.effectMonths);
    const base = { customerId: c.customerId, expectedValue: ev, sleepingDog: p[DOG] };
    if (p[DOG] >= harm) {
      counts['contact-harms']++;
      continue;
    }
    if (ev > 0) {
      exploit.push({ ...base, reason: 'exploit', valueOfInformation: 0 });
      continue;
    }
    const voi = valueOfInformation(c, p, r, o.contactCost, o.effectMonths, uses);
    if (ev + voi > 0) explore.push({ ...base, reason: 'explore', valueOfInformation: voi });
    else counts['not-worth-it']++;
  }
  exploit.sort((a, b) => b.expectedValue - a.expectedValue || (a.customerId < b.customerId ? -1 : 1));
  explore.sort((a, b) => b.expectedValue + b.valueOfInformation - (a.expectedValue + a.valueOfInformation) || (a.customerId < b.customerId ? -1 : 1));
  const exploreSlots = Math.min(explore.length, Math.floor(o.budget * explorationShare));
  const exploitSlots = Math.min(exploit.length, o.budget - exploreSlots);
  const chosen = [...exploit.slice(0, exploitSlots), ...explore.slice(0, exploreSlots)];
  counts.budget += exploit.length - exploitSlots + explore.length - exploreSlots;
  const contact: PlannedCustomer[] = [];
  const holdout: PlannedCustomer[] = [];
  for (const c of chosen) {
    if (uniformOf(c.customerId, o.seed) < holdoutShare) {
      holdout.push({ ...c, reason: 'holdout' });
      counts.holdout++;
    } else {
      contact.push(c);
      counts[c.reason]++;
    }
  }
  return { contact, holdout, counts, expectedValue: contact.reduce((s, c) => s + c.expectedValue, 0) };
}
