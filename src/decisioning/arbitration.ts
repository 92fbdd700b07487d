import { discountGivenFor, type CompiledOffer } from './offer-catalogue.js';

/**
 * Arbitration: the value of an offering for one customer, its score, and the choice among the
 * candidates with the probability each had of being chosen.
 *
 *   Δ lifetime value  = Δchurn × clv, with Δchurn = churn × retentionEffect (or an UpliftEstimate)
 *   gain if accepted  = Δ lifetime value + revenue − cost paid on acceptance (incl. discount given away)
 *   expected value    = p × gain if accepted − cost paid on presentation
 *   score             = contextWeight(channel, reason) × lever × expected value
 *
 * p (acceptance) enters once, through the expected value. DO_NOTHING has value and score 0.
 */

/** The live scores the funnel reads (LiveScoring.scoreOf gives them). */
export interface CustomerScores {
  /** Churn probability within the model horizon. */
  readonly churn: number;
  /** Customer lifetime value in currency units. */
  readonly clv: number;
  /** Among the riskiest AT_RISK_SHARE of the scored customers (LiveScore.atRisk); absent: not known to be (a rule's `at_risk` reads 0). */
  readonly atRisk?: boolean;
  /** Why there is no score (churn and clv are then NaN): said with the decision (score-basis.ts). */
  readonly unscored?: string;
}

/** Replaces the retention prior: the reduction in churn probability if the customer accepts. */
export type UpliftEstimate = (offer: CompiledOffer, features: Float64Array, scores: CustomerScores) => number;

/** The parts of one offering's value for one customer. */
export interface OfferValue {
  /** Reduction in churn probability if accepted. */
  deltaChurn: number;
  /** Δ lifetime value if accepted. */
  deltaLtv: number;
  /** Cost paid only if accepted (fixed cost when so configured, plus the discount given away). */
  acceptCost: number;
  /** Cost paid on every presentation. */
  contactCost: number;
  /** Δ lifetime value + revenue − acceptCost. */
  gainIfAccepted: number;
}

/** Computes an offering's value parts for a customer paying `monthlyPrice` a month. */
export function offerValue(offer: CompiledOffer, deltaChurn: number, clv: number, monthlyPrice: number, out: OfferValue): OfferValue {
  const deltaLtv = deltaChurn * clv;
  const given = discountGivenFor(offer, monthlyPrice);
  const acceptCost = given + (offer.costOnAcceptance ? offer.fixedCost : 0);
  out.deltaChurn = deltaChurn;
  out.deltaLtv = deltaLtv;
  out.acceptCost = acceptCost;
  out.contactCost = offer.costOnAcceptance ? 0 : offer.fixedCost;
  out.gainIfAccepted = deltaLtv + offer.revenue - acceptCost;
  return out;
}

/** Expected value of making an offer accepted with probability p. */
export const expectedValue = (p: number, gainIfAccepted: number, contactCost: number) => p * gainIfAccepted - contactCost;

/**
 * How the choice is made and its propensities computed (off-policy evaluation divides by them,
 * so they are exact probabilities of the policy that ran):
 * - `greedy`: the best mean score; propensity 1 for it, 0 for the rest.
 * - `epsilon-greedy`: the best with probability 1 − ε, else uniform over candidates; exact.
 * - `thompson`: `draws` posterior draws are made, each votes for its best candidate; the choice is
 *   drawn from the votes mixed with a uniform `floor` share, so the logged propensity
 *   (1 − floor) × votes/draws + floor/K is exactly the probability the choice had.
 */
export type Exploration =
  | { readonly kind: 'greedy' }
  | { readonly kind: 'epsilon-greedy'; readonly epsilon: number }
  | { readonly kind: 'thompson'; readonly draws: number; readonly floor: number };

/** Thompson defaults: 16 draws (propensities in steps of 1/16, cheap enough for the HTTP path); a 2 % uniform floor keeps every candidate loggable. */
export const DEFAULT_THOMPSON: Exploration = { kind: 'thompson', draws: 16, floor: 0.02 };

/**
 * Index of the best score (the first on ties, so DO_NOTHING at index 0 wins a tie). Only the
 * first `n` entries are read.
 */
export function argmax(scores: Float64Array, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (scores[k] > scores[best]) best = k;
  return best;
}

/** Draws an index from probabilities `p[0..n)` (summing to 1) with a uniform number `u`. */
export function drawIndex(p: Float64Array, n: number, u: number): number {
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += p[k];
    if (u < acc) return k;
  }
  // Rounding can leave the sum a hair below 1: fall back to the last candidate with mass.
  for (let k = n - 1; k >= 0; k--) if (p[k] > 0) return k;
  return 0;
}

/**
 * Chooses among `n` candidates whose mean scores are in `meanScores` and writes each one's
 * probability of being chosen into `propensity`. For Thompson, `drawScores(r, out)` fills `out`
 * with the scores of posterior draw r. Returns the chosen index.
 */
export function choose(
  exploration: Exploration,
  meanScores: Float64Array,
  n: number,
  propensity: Float64Array,
  random: () => number,
  drawScores?: (out: Float64Array) => void,
  scratch?: Float64Array,
): number {
  propensity.fill(0, 0, n);
  if (n === 1) {
    propensity[0] = 1;
    return 0;
  }
  if (exploration.kind === 'greedy') {
    const best = argmax(meanScores, n);
    propensity[best] = 1;
    return best;
  }
  if (exploration.kind === 'epsilon-greedy') {
    const best = argmax(meanScores, n);
    const eps = exploration.epsilon;
    for (let k = 0; k < n; k++) propensity[k] = eps / n;
    propensity[best] += 1 - eps;
    return drawIndex(propensity, n, random());
  }
  const draws = exploration.draws;
  const buf = scratch && scratch.length >= n ? scratch : new Float64Array(n);
  if (!drawScores) {
    propensity[argmax(meanScores, n)] = draws;
  } else {
    for (let r = 0; r < draws; r++) {
      drawScores(buf);
      propensity[argmax(buf, n)]++;
    }
  }
  const floor = exploration.floor;
  for (let k = 0; k < n; k++) propensity[k] = ((1 - floor) * propensity[k]) / draws + floor / n;
  return drawIndex(propensity, n, random());
}
