import { TwinloopError } from '../../domain/errors.js';
import { Z90 } from '../evaluation/posterior-interval.js';
import { logisticCovariance, newtonLogistic } from '../learners/logistic-regression.js';
import { ACCEPTANCE_RIDGE } from './acceptance-covariates.js';

/**
 * What one randomised pilot of an offer says about contacting a customer with it, and the single
 * decision planned on that: who gets the offer now.
 *
 * A contact does two things, and the pilot measures each apart:
 * - the customers who **accept** get the offer: their churn hazard is multiplied by
 *   `acceptedMultiplier` (below 1 when the offer keeps them);
 * - the customers who **do not accept** were still contacted: their hazard is multiplied by
 *   `declinedMultiplier` (above 1 where a contact reminds some of them to leave, the sleeping
 *   dogs of retention marketing; a planner without this term contacts them gladly).
 * Each multiplier is a Gamma posterior: the churners seen in that branch of the pilot against
 * the churns the churn model expected of them, calibrated by the held-out arm (the model's own
 * error), on a prior worth a few expected churns. Who accepts is a ridge logistic regression of
 * the pilot's answers on a few covariates, with its Laplace covariance, so each customer's
 * acceptance comes with how sure the pilot is of it.
 *
 * The decision is on the contact's value at a cautious quantile: its posterior mean less `Z90`
 * posterior sds (the acceptance's, each multiplier's, the model calibration's), so a contact is
 * made only where the pilot's evidence says it very likely pays, and the harm term's uncertainty
 * weighs most on the customers least likely to accept. On a pilot of a few hundred, whose churners
 * number a dozen, that is nobody: the evidence for any effect is too thin, and the planner says so
 * instead of betting the customers' value on the prior.
 */

/** One customer of a randomised pilot, as the operator saw them. */
export interface PilotObservation {
  /** The acceptance model's covariates at the pilot's start. */
  readonly covariates: readonly number[];
  readonly treated: boolean;
  /** Accepted the offer (treated customers only; false for the held-out ones). */
  readonly accepted: boolean;
  /** Left within the horizon after the pilot's start. */
  readonly churned: boolean;
  /** The churn model's probability of leaving within the horizon, at the pilot's start. */
  readonly expectedChurn: number;
}

/** A normal summary of a posterior. */
export interface Estimate {
  readonly mean: number;
  readonly sd: number;
}

/** Priors of the contact's effects, in expected churns' worth of evidence. */
export interface ContactEffectPriors {
  /** Prior mean of an acceptor's hazard multiplier (the catalogue's 1 − retention effect). */
  readonly acceptedMultiplier: number;
  /** Prior mean of a non-acceptor's hazard multiplier: 1, no effect either way until the pilot says. */
  readonly declinedMultiplier: number;
  /** Strength of each prior, in expected churns (a pilot branch with more expected churns outweighs it). */
  readonly strength: number;
  /**
   * Prior probability that a branch's multiplier is exactly 1: the contact does nothing to those
   * customers, the hypothesis a pilot must beat. The rest of the prior is the Gamma above, truncated
   * to the side of 1 the branch allows. Without this point the truncation alone set the
   * non-acceptors' prior mean at 1.36, not the 1 stated: a 36 % harm assumed before any evidence,
   * which a pilot showing no harm (plain-effects, seed 2: 13 churners against 14 expected) still read as 1.17 ± 0.28 (1.05 ± 0.24 with it).
   */
  readonly noEffect: number;
}

/** Weak priors: an acceptor's hazard cut by a quarter and a non-acceptor's unchanged under the effect's branch, each worth 5 expected churns; even odds that a branch's effect is none at all, so before any evidence an acceptor's expected multiplier is about 0.87, half the stated cut. */
export const DEFAULT_CONTACT_EFFECT_PRIORS: ContactEffectPriors = { acceptedMultiplier: 0.75, declinedMultiplier: 1, strength: 5, noEffect: 0.5 };

/** The largest hazard multiplier a contact is allowed to have on those who do not take its offer: far beyond any measured sleeping-dog effect (about 2), so the range bounds nothing a pilot could show. */
export const MAX_CONTACT_HARM = 6;


/** What a pilot showed. */
export interface PilotUplift {
  /** Held-out churners ÷ the churns the model expected of them: the model's calibration. */
  readonly calibration: Estimate;
  readonly acceptedMultiplier: Estimate;
  readonly declinedMultiplier: Estimate;
  readonly treated: number;
  readonly acceptedShare: number;
  /** Churners and expected churns per branch, as measured. */
  readonly branches: Readonly<Record<'heldOut' | 'accepted' | 'notAccepted', { readonly customers: number; readonly churned: number; readonly expected: number }>>;
  /** A customer's probability of accepting, with the sd of the estimate. */
  acceptance(covariates: readonly number[]): Estimate;
}

interface Branch {
  customers: number;
  churned: number;
  expected: number;
}

const branchOf = (rows: readonly PilotObservation[]): Branch => ({
  customers: rows.length,
  churned: rows.reduce((a, r) => a + (r.churned ? 1 : 0), 0),
  expected: rows.reduce((a, r) => a + r.expectedChurn, 0),
});

/** log Σ exp(x). */
const logSumExp = (xs: readonly number[]) => {
  const top = Math.max(...xs);
  return top + Math.log(xs.reduce((a, x) => a + Math.exp(x - top), 0));
};

/**
 * Posterior of a rate ratio m: with prior probability `noEffect` exactly 1, otherwise a Gamma of
 * mean `mean` worth `strength` expected events truncated to [low, high] (on a grid), times the
 * Poisson likelihood of `observed` events against `exposure` expected at m = 1. The range carries
 * what the branch can do: an offer nobody accepted cannot keep anyone (m ≥ 1), an accepted one
 * does not drive away (m ≤ 1). The point at 1 keeps "no effect" a hypothesis the evidence weighs
 * (its posterior weight is its prior odds times the Bayes factor of the counts), where a truncated
 * prior alone puts its mean, and so an effect, on the allowed side before any evidence.
 */
function ratioPosterior(mean: number, strength: number, observed: number, exposure: number, low: number, high: number, noEffect: number): Estimate {
  // Midpoint nodes; 400 put the mean and sd well inside 1 % for any range used here.
  const nodes = 400;
  const at = (i: number) => low + ((i + 0.5) * (high - low)) / nodes;
  const logPrior = Array.from({ length: nodes }, (_, i) => (strength * mean - 1) * Math.log(at(i)) - strength * at(i));
  const logPost = logPrior.map((lp, i) => lp + observed * Math.log(at(i)) - exposure * at(i));
  const top = Math.max(...logPost);
  let w = 0, m1 = 0, m2 = 0;
  for (let i = 0; i < nodes; i++) {
    const p = Math.exp(logPost[i] - top);
    w += p;
    m1 += p * at(i);
    m2 += p * at(i) ** 2;
  }
  const slabMean = m1 / w;
  const slabSecond = m2 / w;
  // Weight of m = 1: prior odds × (likelihood at 1 ÷ the slab's marginal likelihood), in logs.
  const logSlab = Math.log(1 - noEffect) + logSumExp(logPost) - logSumExp(logPrior);
  const logPoint = noEffect > 0 ? Math.log(noEffect) - exposure : -Infinity;
  const point = noEffect >= 1 ? 1 : noEffect <= 0 ? 0 : 1 / (1 + Math.exp(logSlab - logPoint));
  const mu = point + (1 - point) * slabMean;
  const second = point + (1 - point) * slabSecond;
  return { mean: mu, sd: Math.sqrt(Math.max(0, second - mu * mu)) };
}

/** Gamma(shape, rate) posterior of a rate ratio: prior mean `mean` worth `strength` expected events, then `observed` events against `exposure` expected. */
function gammaRatio(mean: number, strength: number, observed: number, exposure: number): Estimate {
  const shape = strength * mean + observed;
  const rate = strength + exposure;
  return { mean: shape / rate, sd: Math.sqrt(shape) / rate };
}

/** Fits the pilot: acceptance by covariates, the calibration of the churn model, and the two multipliers. */
export function fitPilotUplift(pilot: readonly PilotObservation[], priors: ContactEffectPriors = DEFAULT_CONTACT_EFFECT_PRIORS): PilotUplift {
  const treated = pilot.filter((p) => p.treated);
  const heldOut = branchOf(pilot.filter((p) => !p.treated));
  const accepted = branchOf(treated.filter((p) => p.accepted));
  const notAccepted = branchOf(treated.filter((p) => !p.accepted));
  if (treated.length === 0 || heldOut.customers === 0) throw new TwinloopError('BAD_INPUT', `a pilot needs treated and held-out customers; got ${treated.length} treated and ${heldOut.customers} held out`);
  const d = treated[0].covariates.length;
  for (const p of pilot) if (p.covariates.length !== d || !p.covariates.every(Number.isFinite) || !(p.expectedChurn >= 0 && p.expectedChurn <= 1)) throw new TwinloopError('BAD_INPUT', `every pilot customer needs ${d} finite covariates and an expected churn in [0, 1]`);

  // The model's calibration: held-out churners against what it expected (prior: calibrated).
  const calibration = gammaRatio(1, priors.strength, heldOut.churned, heldOut.expected);
  // Each branch against the calibrated expectation; the calibration's own uncertainty is added
  // to each multiplier's (a ratio of two independent estimates, to first order).
  const ratio = (prior: number, b: Branch, low: number, high: number): Estimate => {
    const m = ratioPosterior(prior, priors.strength, b.churned, calibration.mean * b.expected, low, high, priors.noEffect);
    return { mean: m.mean, sd: Math.sqrt(m.sd ** 2 + (m.mean * calibration.sd) ** 2 / calibration.mean ** 2) };
  };

  // Acceptance: ridge logistic on the centred covariates; the Laplace covariance gives each prediction's sd.
  const n = treated.length;
  const centre = Array.from({ length: d }, (_, k) => treated.reduce((a, p) => a + p.covariates[k], 0) / n);
  const X = new Float64Array(n * d);
  treated.forEach((p, i) => p.covariates.forEach((v, k) => (X[i * d + k] = v - centre[k])));
  const y = treated.map((p) => (p.accepted ? 1 : 0));
  const beta = newtonLogistic(X, n, d, y, ACCEPTANCE_RIDGE, 50);
  const cov = logisticCovariance(X, n, d, beta, ACCEPTANCE_RIDGE);
  const m = d + 1;
  const g = new Float64Array(m);
  const acceptance = (x: readonly number[]): Estimate => {
    if (x.length !== d) throw new TwinloopError('BAD_INPUT', `a candidate needs ${d} covariates, as the pilot's; got ${x.length}`);
    g[0] = 1;
    let z = beta[0];
    for (let k = 0; k < d; k++) {
      g[k + 1] = x[k] - centre[k];
      z += beta[k + 1] * g[k + 1];
    }
    let v = 0;
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) v += g[a] * cov[a * m + b] * g[b];
    const p = 1 / (1 + Math.exp(-z));
    // Delta method: dp/dz = p(1 − p).
    return { mean: p, sd: p * (1 - p) * Math.sqrt(Math.max(0, v)) };
  };
  return {
    calibration,
    acceptedMultiplier: ratio(priors.acceptedMultiplier, accepted, 0, 1),
    declinedMultiplier: ratio(priors.declinedMultiplier, notAccepted, 1, MAX_CONTACT_HARM),
    treated: n,
    acceptedShare: accepted.customers / n,
    branches: { heldOut, accepted, notAccepted },
    acceptance,
  };
}

/** A customer the single decision may contact. */
export interface UpliftCandidate {
  readonly customerId: string;
  readonly covariates: readonly number[];
  /** The churn model's monthly hazard now (untreated). */
  readonly hazard: number;
  /** What keeping the customer is worth (lifetime value). */
  readonly value: number;
  /** What the offer costs if accepted. */
  readonly offerCost: number;
}

/** Options of the single decision. */
export interface SingleDecisionOptions {
  /** Contacts at most (the budget). */
  readonly contacts: number;
  readonly contactCost: number;
  /** Months the offer's effect lasts, over which retention is counted. */
  readonly horizonMonths: number;
  /** Posterior sds the value must clear above zero (default `Z90`: its 5th percentile must be positive). */
  readonly caution?: number;
}

/** A contact's value under the pilot's posterior. */
export interface ContactValueEstimate {
  readonly customerId: string;
  readonly mean: number;
  readonly sd: number;
  /** mean − caution × sd: what the decision ranks by. */
  readonly score: number;
  /** Expected value of the acceptors' part and of the non-acceptors' part (the harm, when negative). */
  readonly benefit: number;
  readonly harm: number;
}

/** The single decision: whom to contact, best first, and why the others were left. */
export interface SingleDecisionPlan {
  readonly contact: readonly ContactValueEstimate[];
  readonly left: Readonly<Record<'not-worth-it' | 'contact-harms' | 'budget', number>>;
}

const survive = (h: number, months: number) => (1 - Math.min(1, Math.max(0, h))) ** months;
/** d/dm of survival at hazard h·m over `months`. */
const dSurvive = (h: number, m: number, months: number) => -months * h * (1 - Math.min(1, h * m)) ** (months - 1);

/** The value of contacting one candidate under the pilot's posterior, with its sd (delta method over the independent estimates). */
export function contactValue(model: PilotUplift, c: UpliftCandidate, options: Pick<SingleDecisionOptions, 'contactCost' | 'horizonMonths' | 'caution'>): ContactValueEstimate {
  const H = options.horizonMonths;
  const a = model.acceptance(c.covariates);
  const mA = model.acceptedMultiplier;
  const mN = model.declinedMultiplier;
  const s0 = survive(c.hazard, H);
  const sA = survive(c.hazard * mA.mean, H);
  const sN = survive(c.hazard * mN.mean, H);
  const benefit = c.value * a.mean * (sA - s0) - a.mean * c.offerCost;
  const harm = c.value * (1 - a.mean) * (sN - s0);
  const mean = benefit + harm - options.contactCost;
  const dA = c.value * (sA - sN) - c.offerCost;
  const dMA = c.value * a.mean * dSurvive(c.hazard, mA.mean, H);
  const dMN = c.value * (1 - a.mean) * dSurvive(c.hazard, mN.mean, H);
  const sd = Math.sqrt((dA * a.sd) ** 2 + (dMA * mA.sd) ** 2 + (dMN * mN.sd) ** 2);
  const caution = options.caution ?? Z90;
  return { customerId: c.customerId, mean, sd, score: mean - caution * sd, benefit, harm };
}

/**
 * Plans the single decision: every candidate valued (`contactValue`), the ones whose cautious
 * value is positive contacted best first up to `contacts`. A candidate the contact would pay for
 * but for its harm to those who do not accept is left as `contact-harms`; one whose benefit does
 * not cover the contact and the offer, or whose value is positive only short of its caution, as
 * `not-worth-it`.
 */
export function planSingleDecision(model: PilotUplift, candidates: readonly UpliftCandidate[], options: SingleDecisionOptions): SingleDecisionPlan {
  if (!(Number.isInteger(options.contacts) && options.contacts >= 0)) throw new TwinloopError('BAD_INPUT', `contacts must be a whole number ≥ 0; got ${options.contacts}`);
  const valued = candidates.map((c) => contactValue(model, c, options));
  valued.sort((x, y) => y.score - x.score || (x.customerId < y.customerId ? -1 : 1));
  const left = { 'not-worth-it': 0, 'contact-harms': 0, budget: 0 };
  const contact: ContactValueEstimate[] = [];
  for (const v of valued) {
    if (v.benefit - options.contactCost > 0 && v.mean <= 0) left['contact-harms']++;
    else if (v.score <= 0) left['not-worth-it']++;
    else if (contact.length >= options.contacts) left.budget++;
    else contact.push(v);
  }
  return { contact, left };
}
