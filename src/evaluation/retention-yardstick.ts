import { fastClv } from '../intelligence/live/fast-clv.js';
import { DEFAULT_CLV_SETTINGS } from '../intelligence/live/twin-signals.js';
import type { FeatureView, OfferTruth } from '../sandbox/oracle/index.js';

/**
 * How `agent evaluate` values a retention contact, from the sandbox's hidden truth at the moment
 * of the decision. Acceptance is integrated over its true probability and churn over the true
 * hazards in each branch, so a policy's value does not hang on one roll of the world's dice.
 */

/** The horizon one contact's value is measured over: three months, the length of an offer's effect. */
export const HORIZON_MONTHS = 3;

/** Probability of still being a customer after `months` at monthly hazard h. */
export const survive = (h: number, months: number) => (1 - h) ** months;

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

/** The value of contacting a customer in one (true) state. */
export function contactValueOf(t: Pick<OfferTruth, 'acceptProbability' | 'hazardUntreated' | 'hazardIfAccepted' | 'hazardIfDeclined'>, monthlyPrice: number, offer: OfferTerms, contactCost: number): ContactValue {
  const untreated = survive(t.hazardUntreated, HORIZON_MONTHS);
  const treated = t.acceptProbability * survive(t.hazardIfAccepted, HORIZON_MONTHS) + (1 - t.acceptProbability) * survive(t.hazardIfDeclined, HORIZON_MONTHS);
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
    const state = { acceptProbability: s.acceptProbability[j], hazardUntreated: s.hazardUntreated[j], hazardIfAccepted: s.hazardIfAccepted[j], hazardIfDeclined: s.hazardIfDeclined[j] };
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
