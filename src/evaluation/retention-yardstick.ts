import { fastClv } from '../intelligence/live/fast-clv.js';
import { DEFAULT_CLV_SETTINGS } from '../intelligence/live/twin-signals.js';
import { DAYS_PER_MONTH } from '../domain/time.js';
import type { ContractEndTruth, FeatureView, OfferTruth } from '../sandbox/oracle/index.js';

/**
 * How `agent evaluate` values a retention contact, from the sandbox's hidden truth at the moment
 * of the decision. Acceptance is integrated over its true probability and churn over the true
 * hazards in each branch, so a policy's value does not hang on one roll of the world's dice.
 */

/** The horizon one contact's value is measured over: three months, the length of an offer's effect. */
export const HORIZON_MONTHS = 3;

/** Probability of still being a customer after `months` at monthly hazard h. */
export const survive = (h: number, months: number) => (1 - h) ** months;

/** The horizon in days (the sandbox's average month): a contract ending inside it is decided inside it. */
export const HORIZON_DAYS = HORIZON_MONTHS * DAYS_PER_MONTH;

/**
 * The chance to stay through the horizon's contract end, if one falls in it, at that day's
 * month-to-month hazard h: (1 − h)^hazardMonths, as the world draws it (1 without an end in the horizon).
 */
function staysThroughEnd(end: { readonly inDays: number; readonly hazardMonths: number } | undefined, h: number): number {
  return end !== undefined && end.inDays < HORIZON_DAYS ? survive(h, end.hazardMonths) : 1;
}

/**
 * What a retained customer is worth: the lifetime value (the live scoring's own formula and
 * settings) at the customer's true untreated hazard. Every policy is judged with the same value.
 */
export function yardstickValue(monthlyPrice: number, hazardUntreated: number): number {
  return fastClv(monthlyPrice, 0, hazardUntreated, DEFAULT_CLV_SETTINGS);
}

/** The offer's terms as they cost the operator. */
export interface OfferTerms {
  readonly discountPct: number;
  readonly months: number;
}

/** Cost of an accepted offer: the discount over its months (non-discount offers: 10 % of the price a month). */
export function offerCostOf(offer: OfferTerms, monthlyPrice: number): number {
  return offer.discountPct > 0 ? (offer.discountPct / 100) * monthlyPrice * offer.months : monthlyPrice * 0.1 * offer.months;
}

/** A contact's true expected value: retained customers × value, less the contact and the expected offer cost. */
export interface ContactValue {
  readonly net: number;
  /** Expected customers retained over the horizon (negative: driven away). */
  readonly retained: number;
  readonly cost: number;
}

/** What the yardstick reads of a customer's true state: acceptance, the monthly hazards and the contract's end, if any. */
export type ContactState = Pick<OfferTruth, 'acceptProbability' | 'hazardUntreated' | 'hazardIfAccepted' | 'hazardIfDeclined'> & { readonly contractEnd?: ContractEndTruth };

/**
 * Probability of staying through the horizon, untreated, if the offer is accepted and if it is
 * not: the monthly hazard's over its months and, when the contract ends inside it, the decision
 * taken that day (`contractEnd`), each with the branch's multipliers: a renewal inside the offer's
 * window is where a retention contact keeps (or loses) the most. Until 2026-12-06 the yardstick
 * ignored that day, valuing such a customer at the lock-in's hazard alone (a quarter to a fifth of
 * the churn the live model expects of them).
 */
export function horizonSurvival(t: ContactState): { readonly untreated: number; readonly accepted: number; readonly declined: number } {
  const end = t.contractEnd;
  return {
    untreated: survive(t.hazardUntreated, HORIZON_MONTHS) * staysThroughEnd(end, end?.hazardUntreated ?? 0),
    accepted: survive(t.hazardIfAccepted, HORIZON_MONTHS) * staysThroughEnd(end, end?.hazardIfAccepted ?? 0),
    declined: survive(t.hazardIfDeclined, HORIZON_MONTHS) * staysThroughEnd(end, end?.hazardIfDeclined ?? 0),
  };
}

/** The value of contacting a customer in one (true) state. */
export function contactValueOf(t: ContactState, monthlyPrice: number, offer: OfferTerms, contactCost: number): ContactValue {
  const s = horizonSurvival(t);
  const untreated = s.untreated;
  const treated = t.acceptProbability * s.accepted + (1 - t.acceptProbability) * s.declined;
  const retained = treated - untreated;
  const cost = contactCost + t.acceptProbability * offerCostOf(offer, monthlyPrice);
  return { net: retained * yardstickValue(monthlyPrice, t.hazardUntreated) - cost, retained, cost };
}

/**
 * The feature oracle's expected value of a contact: the value averaged over the customer's latent
 * states given observables. With `type` (an index into RESPONSE_TYPES), over the states of that
 * response type only: what a learner that had found out the customer's type, and nothing more
 * (strain and frailty still hidden), would expect.
 */
export function expectedContactValue(v: FeatureView, offer: OfferTerms, contactCost: number, type?: number): number {
  const s = v.states;
  let net = 0;
  let weight = 0;
  for (let j = 0; j < s.weight.length; j++) {
    if (s.weight[j] < 1e-12 || (type !== undefined && s.type[j] !== type)) continue;
    const contractEnd = v.contractEnd && { ...v.contractEnd, hazardUntreated: s.contractEndUntreated[j], hazardIfDeclined: s.contractEndIfDeclined[j], hazardIfAccepted: s.contractEndIfAccepted[j] };
    const state = { acceptProbability: s.acceptProbability[j], hazardUntreated: s.hazardUntreated[j], hazardIfAccepted: s.hazardIfAccepted[j], hazardIfDeclined: s.hazardIfDeclined[j], contractEnd };
    net += s.weight[j] * contactValueOf(state, v.monthlyPrice, offer, contactCost).net;
    weight += s.weight[j];
  }
  return type === undefined ? net : weight > 0 ? net / weight : 0;
}

/** Mean over seeds with a 90 % t-interval. */
export interface Interval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

// Student t quantiles (0.95) for 1..9 degrees of freedom: a 90 % two-sided interval.
const T95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833];

/** Mean and 90 % t-interval of a handful of numbers. */
export function tInterval(xs: readonly number[]): Interval {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, low: mean, high: mean };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (T95[Math.min(n - 2, T95.length - 1)] * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}
