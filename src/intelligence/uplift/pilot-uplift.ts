import { TwinloopError } from '../../domain/errors.js';
import { logisticCovariance, newtonLogistic } from '../learners/logistic-regression.js';
import { ACCEPTANCE_RIDGE } from './acceptance-covariates.js';
import { logGamma } from '../evaluation/posterior-interval.js';
import { longestGuardedPrefix } from './plan-guard.js';
import { bestCertaintyEquivalentPrefix } from './plan-size.js';

/**
 * What one randomised pilot of an offer says about contacting a customer with it, and the single
 * decision planned on that: who gets the offer now.
 *
 * A contact does two things:
 * - the customers who **accept** get the offer: their churn hazard is multiplied by
 *   `acceptedMultiplier` (below 1 when the offer keeps them);
 * - the customers who **do not accept** were still contacted: their hazard is multiplied by
 *   `declinedMultiplier` (above 1 where a contact reminds some of them to leave, the sleeping
 *   dogs of retention marketing; a planner without this term contacts them gladly).
 * The multipliers are read from both arms and both answers (since 2026-12-06). Untreated, a
 * customer who would accept churns r times as much as one with the same covariates who would not
 * (the selection factor: sure things accept and stay, lost causes refuse and leave), the two
 * averaging the churn model's calibrated expectation at the customer's predicted acceptance a(x);
 * so the held-out arm (and every customer the campaign's random sample left out, as randomly
 * untouched) measures the calibration, the offered acceptors r·m_A and the offered others m_N,
 * each against that normalising term. r itself is never observed (the held out never answered);
 * the pilot bounds it (m_A ≤ 1, m_N ≥ 1) and reads it from how both answers' churn moves with a,
 * and the rest is its prior (log r normal, sd `selectionSd`), integrated over with the effects on
 * one grid. Read from the offered arm's total alone, as this did until then, the effect was
 * unbiased but too noisy at the issue's 6,000 customers for any plan; read from the acceptors
 * against the held-out, as until 2026-12-05, it took selection for effect (an acceptor branch
 * churning 0 against 5.4 expected made an offer look strong that lost 2,776 on answering-base).
 * Who accepts is a ridge logistic regression of the pilot's answers on a few covariates.
 *
 * The decision (`planSingleDecision`) treats that shared uncertainty as the plan's, not each
 * customer's: candidates are ranked by their posterior expected value, and the plan is the run of
 * them, best first, with the largest certainty equivalent (plan-size.ts): sized by the evidence,
 * the whole list when the pilot's posterior is narrow, its best few when it is wide. Per customer,
 * a 5th percentile over a parameter every candidate shares asked each contact to be sure on its own
 * of what only the pilot can say once for all, and contacted nobody on a world where a contact
 * plainly pays; the plan-level guard that followed (kept value ≥ 0 with probability 0.9, still
 * `risk`) was all or nothing, the whole budget on a pilot a little lucky.
 */

/** One customer of a randomised pilot, as the operator saw them. */
export interface PilotObservation {
  /** The acceptance model's covariates at the pilot's start. */
  readonly covariates: readonly number[];
  /** Offered; false for a control: the held out, or a customer the campaign's random sample left out. */
  readonly treated: boolean;
  /** Accepted the offer (treated customers only; false for the controls). */
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
  /**
   * The sd of the selection factor's log (r: how much more an offered customer who accepts would
   * have churned untreated than one with the same covariates who does not). A pilot cannot measure
   * r (the held-out never answered), only bound it: an acceptors' branch churning little is an
   * effect if r ≈ 1 and selection if r is small, and the bounds m_A ≤ 1, m_N ≥ 1 cut off only its
   * far ends. 0 assumes no selection beyond the covariates.
   */
  readonly selectionSd: number;
}

/** Weak priors: an acceptor's hazard cut by a quarter and a non-acceptor's unchanged under the effect's branch, each worth 5 expected churns; even odds that a branch's effect is none at all, so before any evidence an acceptor's expected multiplier is about 0.87, half the stated cut. */
export const DEFAULT_CONTACT_EFFECT_PRIORS: ContactEffectPriors = { acceptedMultiplier: 0.75, declinedMultiplier: 1, strength: 5, noEffect: 0.5, selectionSd: 0.5 };

/** The largest hazard multiplier a contact is allowed to have on those who do not take its offer: far beyond any measured sleeping-dog effect (about 2), so the range bounds nothing a pilot could show. */
export const MAX_CONTACT_HARM = 6;


/** One point of the effects' joint posterior. */
export interface EffectDraw {
  /** Posterior weight (the draws' weights sum to 1). */
  readonly weight: number;
  readonly acceptedMultiplier: number;
  readonly declinedMultiplier: number;
  /** The selection factor r: acceptors' untreated hazard ÷ non-acceptors', at the same covariates. */
  readonly selection: number;
  /** The churn model's calibration given these multipliers (its conditional posterior mean). */
  readonly calibration: number;
}

/** What a pilot showed. */
export interface PilotUplift {
  /** Held-out churners ÷ the churns the model expected of them: the model's calibration. */
  readonly calibration: Estimate;
  /** Marginal posteriors of the two multipliers (for reports; the planner uses `draws`, which keeps how they trade off). */
  readonly acceptedMultiplier: Estimate;
  readonly declinedMultiplier: Estimate;
  /** The selection factor's marginal posterior (acceptors' untreated hazard ÷ the others', same covariates): what the pilot bounds of it, the rest its prior. */
  readonly selection: Estimate;
  /** The joint posterior of the effects, on a grid. */
  readonly draws: readonly EffectDraw[];
  readonly treated: number;
  readonly acceptedShare: number;
  /** Churners and expected churns per branch, as measured (`heldOut`: every control). */
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

/** Nodes of the selection factor's prior. */
const SELECTION_NODES = 25;

/** Grid nodes per multiplier's slab; 60 put the planner's values within 1 % of a finer grid on the harness dumps. */
const GRID_NODES = 60;

/**
 * A multiplier's prior on a grid: probability `noEffect` exactly 1, the rest a Gamma of mean
 * `mean` worth `strength` expected events truncated to [low, high] (midpoint nodes). The range
 * carries what the branch can do (an offer nobody accepted cannot keep anyone, m ≥ 1; an accepted
 * one does not drive away, m ≤ 1); the point at 1 keeps "no effect" a hypothesis the evidence
 * weighs, where a truncated prior alone puts an effect on the allowed side before any evidence.
 */
function multiplierPrior(mean: number, strength: number, low: number, high: number, noEffect: number): { x: number; logP: number }[] {
  const xs = Array.from({ length: GRID_NODES }, (_, i) => low + ((i + 0.5) * (high - low)) / GRID_NODES);
  const logDensity = xs.map((x) => (strength * mean - 1) * Math.log(x) - strength * x);
  const top = Math.max(...logDensity);
  const total = logDensity.reduce((a, l) => a + Math.exp(l - top), 0);
  const slab = xs.map((x, i) => ({ x, logP: Math.log(1 - noEffect) + logDensity[i] - top - Math.log(total) }));
  return noEffect > 0 ? [{ x: 1, logP: Math.log(noEffect) }, ...(noEffect < 1 ? slab : [])] : slab;
}

/** Nodes of the selection factor's prior: log r normal with sd `sd`, on 25 equally spaced nodes over ± 3 sd (r = 1 alone when sd is 0). */
function selectionPrior(sd: number): { x: number; logP: number }[] {
  if (!(sd >= 0 && sd <= 3)) throw new TwinloopError('BAD_INPUT', `selectionSd must be in [0, 3]; got ${sd}`);
  if (sd === 0) return [{ x: 1, logP: 0 }];
  const zs = Array.from({ length: SELECTION_NODES }, (_, i) => -3 + (6 * i) / (SELECTION_NODES - 1));
  const total = zs.reduce((a, z) => a + Math.exp(-z * z / 2), 0);
  return zs.map((z) => ({ x: Math.exp(sd * z), logP: -z * z / 2 - Math.log(total) }));
}

/** Weighted mean and sd of `f` over the draws. */
function summarise(draws: readonly EffectDraw[], f: (d: EffectDraw) => number): Estimate {
  let m1 = 0, m2 = 0;
  for (const d of draws) {
    const v = f(d);
    m1 += d.weight * v;
    m2 += d.weight * v * v;
  }
  return { mean: m1, sd: Math.sqrt(Math.max(0, m2 - m1 * m1)) };
}

/** Fits the pilot: acceptance by covariates, then the effects on the randomised comparison (see the module's comment). */
export function fitPilotUplift(pilot: readonly PilotObservation[], priors: ContactEffectPriors = DEFAULT_CONTACT_EFFECT_PRIORS): PilotUplift {
  const treated = pilot.filter((p) => p.treated);
  const heldOutRows = pilot.filter((p) => !p.treated);
  const heldOut = branchOf(heldOutRows);
  const accepted = branchOf(treated.filter((p) => p.accepted));
  const notAccepted = branchOf(treated.filter((p) => !p.accepted));
  if (treated.length === 0 || heldOut.customers === 0) throw new TwinloopError('BAD_INPUT', `a pilot needs treated and held-out customers; got ${treated.length} treated and ${heldOut.customers} held out`);
  const d = treated[0].covariates.length;
  for (const p of pilot) if (p.covariates.length !== d || !p.covariates.every(Number.isFinite) || !(p.expectedChurn >= 0 && p.expectedChurn <= 1)) throw new TwinloopError('BAD_INPUT', `every pilot customer needs ${d} finite covariates and an expected churn in [0, 1]`);

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

  // The effects, on both arms and both answers. A customer whose predicted acceptance is a would,
  // untreated, churn e·c·r/(a·r + 1 − a) if they are one who accepts and e·c/(a·r + 1 − a) if not
  // (so that the two average e·c at a: the churn model is about right on average for the covariates
  // it reads, up to its calibration c), with r the selection factor. Contacted, the acceptors'
  // hazard is multiplied by m_A and the others' by m_N. The held-out (and any customer the
  // campaign's random sample left out) give c; each offered branch gives its product (r·m_A, m_N
  // against the normalising term); r itself only through the bounds on the multipliers and how
  // the branches' churn varies with a, so its prior is kept and integrated over. c has a Gamma
  // prior of mean 1 worth `strength` expected churns, integrated out analytically (Poisson counts
  // against a Gamma give Γ(α + Y) / (β + E)^(α + Y)).
  const offered = treated.map((p) => ({ a: acceptance(p.covariates).mean, e: p.expectedChurn, churned: p.churned, accepted: p.accepted }));
  const acceptorChurners = offered.filter((p) => p.accepted && p.churned).length;
  const otherChurners = offered.filter((p) => !p.accepted && p.churned).length;
  const churners = heldOut.churned + acceptorChurners + otherChurners;
  const alpha = priors.strength, rate = priors.strength;
  const cells: { mA: number; mN: number; r: number; logW: number; exposure: number }[] = [];
  const As = multiplierPrior(priors.acceptedMultiplier, priors.strength, 0, 1, priors.noEffect);
  const Ns = multiplierPrior(priors.declinedMultiplier, priors.strength, 1, MAX_CONTACT_HARM, priors.noEffect);
  for (const R of selectionPrior(priors.selectionSd)) {
    // What depends on r alone: each branch's exposure and its churners' log-rate, per unit of its multiplier.
    let exposureA = 0, exposureN = 0, logA = 0, logN = 0;
    for (const p of offered) {
      const norm = p.a * R.x + 1 - p.a;
      if (p.accepted) {
        exposureA += (p.e * R.x) / norm;
        if (p.churned) logA += Math.log(R.x / norm);
      } else {
        exposureN += p.e / norm;
        if (p.churned) logN -= Math.log(norm);
      }
    }
    for (const A of As) {
      for (const N of Ns) {
        const exposure = heldOut.expected + A.x * exposureA + N.x * exposureN;
        const logLik = acceptorChurners * Math.log(A.x) + logA + otherChurners * Math.log(N.x) + logN + logGamma(alpha + churners) - (alpha + churners) * Math.log(rate + exposure);
        cells.push({ mA: A.x, mN: N.x, r: R.x, exposure, logW: R.logP + A.logP + N.logP + logLik });
      }
    }
  }
  let top = -Infinity;
  for (const c of cells) if (c.logW > top) top = c.logW;
  let total = 0;
  for (const c of cells) total += Math.exp(c.logW - top);
  // Cells carrying under a millionth of the posterior are dropped: they change no value the planner reads.
  const kept = cells.filter((c) => Math.exp(c.logW - top) / total >= 1e-6);
  const keptTotal = kept.reduce((s, c) => s + Math.exp(c.logW - top), 0);
  const draws: EffectDraw[] = kept.map((c) => ({ weight: Math.exp(c.logW - top) / keptTotal, acceptedMultiplier: c.mA, declinedMultiplier: c.mN, selection: c.r, calibration: (alpha + churners) / (rate + c.exposure) }));
  // The calibration's marginal: a mixture of the Gammas Gamma(α + Y, β + E) over the cells.
  let c1 = 0, c2 = 0;
  for (let i = 0; i < kept.length; i++) {
    const shape = alpha + churners, r = rate + kept[i].exposure;
    c1 += draws[i].weight * (shape / r);
    c2 += draws[i].weight * (shape * (shape + 1)) / (r * r);
  }
  return {
    calibration: { mean: c1, sd: Math.sqrt(Math.max(0, c2 - c1 * c1)) },
    acceptedMultiplier: summarise(draws, (x) => x.acceptedMultiplier),
    declinedMultiplier: summarise(draws, (x) => x.declinedMultiplier),
    selection: summarise(draws, (x) => x.selection),
    draws,
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
  /** The churn model's monthly hazard now (untreated); with `endHazard`, the lock-in's alone. */
  readonly hazard: number;
  /**
   * The probability of leaving at a contract's end within the horizon, untreated (absent or 0: no
   * end falls in it): a one-off decision the contact's multipliers scale as they scale a month's
   * hazard (`contract-end-model.ts`).
   */
  readonly endHazard?: number;
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
  /**
   * The risk tolerance that sizes the plan (plan-size.ts), as a share of what the worth list (the
   * candidates with a positive expected value, up to the budget) is expected to make: default
   * `PLAN_TOLERANCE`. The plan is the run of them, best first, with the largest certainty
   * equivalent; about a share tolerance × (mean ÷ sd)² of the list when the effects' uncertainty is
   * the plan's. Ignored when `risk` is given.
   */
  readonly tolerance?: number;
  /**
   * Plans with the plan-level guard instead (plan-guard.ts, as the single decision did until
   * 2026-12-06 and the staged decision still does): the longest run whose kept value is ≥ 0 with
   * posterior probability 1 − `risk`; 1 plans on the posterior expected value alone. What the
   * contacts and offers cost is not in this guard: the expected value already weighs it.
   */
  readonly risk?: number;
}

/**
 * The single decision's default risk tolerance: the worth list's expected value. A pilot whose
 * posterior makes a contact's value as uncertain as it is large (mean ÷ sd about 1) contacts the
 * whole list; one where the sd is twice the mean, about a quarter of it, the best first. Measured
 * on the harness's dumps of eight worlds (docs/learning.md, "A plan sized by the evidence").
 */
export const PLAN_TOLERANCE = 0.75;


/** A contact's value under the pilot's posterior. */
export interface ContactValueEstimate {
  readonly customerId: string;
  /** Posterior expected net value (what the decision ranks by) and its sd. */
  readonly mean: number;
  readonly sd: number;
  /** Expected value of the acceptors' part and of the non-acceptors' part (the harm, when negative), before the contact's cost. */
  readonly benefit: number;
  readonly harm: number;
}

/** The single decision: whom to contact, best first, and why the others were left. */
export interface SingleDecisionPlan {
  readonly contact: readonly ContactValueEstimate[];
  /** `plan-risk`: worth a contact on the expected value, but past the plan the evidence sizes (or the guard allows, with `risk`). */
  readonly left: Readonly<Record<'not-worth-it' | 'contact-harms' | 'plan-risk' | 'budget', number>>;
}

const survive = (h: number, months: number) => (1 - Math.min(1, Math.max(0, h))) ** months;
/** Staying through a one-off hazard q (a contract's end). */
const stay = (q: number) => 1 - Math.min(1, Math.max(0, q));

/** `survive` for a whole number of months by repeated products: the planner's inner loop calls it four times per candidate and draw, and a power call was most of a plan's time. */
function surviveWhole(h: number, months: number): number {
  const s = 1 - Math.min(1, Math.max(0, h));
  let p = 1;
  for (let k = 0; k < months; k++) p *= s;
  return p;
}

/** The draws as columns, made once per posterior: a plan values every candidate under every draw (1,700 × 12,000 on the harness's 2,000-customer worlds), and a loop over typed columns does it several times faster than over the draws' objects. */
interface DrawColumns {
  readonly weight: Float64Array;
  readonly calibration: Float64Array;
  readonly selection: Float64Array;
  readonly accepted: Float64Array;
  readonly declined: Float64Array;
}
const columnsOf = new WeakMap<PilotUplift, DrawColumns>();
function drawColumns(model: PilotUplift): DrawColumns {
  let c = columnsOf.get(model);
  if (!c) {
    const col = (f: (d: EffectDraw) => number) => Float64Array.from(model.draws, f);
    c = { weight: col((d) => d.weight), calibration: col((d) => d.calibration), selection: col((d) => d.selection), accepted: col((d) => d.acceptedMultiplier), declined: col((d) => d.declinedMultiplier) };
    columnsOf.set(model, c);
  }
  return c;
}

/** One candidate under every draw: its summary, and per draw (`keep`) the kept value (before costs) or the net value. */
function valueByDraw(model: PilotUplift, c: UpliftCandidate, contactCost: number, H: number, keep: false | 'kept' | 'net'): { estimate: ContactValueEstimate; kept: Float64Array | null } {
  const a = model.acceptance(c.covariates).mean;
  const spend = contactCost + a * c.offerCost;
  const d = drawColumns(model);
  const n = d.weight.length;
  const S = Number.isInteger(H) && H >= 0 && H <= 24 ? surviveWhole : survive;
  const q = c.endHazard ?? 0;
  // Kept per draw only for a plan's candidates: a posterior of thousands of draws × every customer would not fit in memory.
  const kept = keep ? new Float64Array(n) : null;
  let mean = 0, second = 0, benefit = 0, harm = 0;
  for (let i = 0; i < n; i++) {
    const selection = d.selection[i];
    // The candidate's hazard if one who accepts and if not (the two average the calibrated hazard at a).
    const hA = (c.hazard * d.calibration[i] * selection) / (a * selection + 1 - a);
    const hN = (c.hazard * d.calibration[i]) / (a * selection + 1 - a);
    let b: number, h: number;
    if (q > 0) {
      // The end's decision split and scaled as the month's hazard is: leaving at it is a one-off hazard.
      const qA = (q * d.calibration[i] * selection) / (a * selection + 1 - a);
      const qN = (q * d.calibration[i]) / (a * selection + 1 - a);
      b = c.value * a * (S(hA * d.accepted[i], H) * stay(qA * d.accepted[i]) - S(hA, H) * stay(qA));
      h = c.value * (1 - a) * (S(hN * d.declined[i], H) * stay(qN * d.declined[i]) - S(hN, H) * stay(qN));
    } else {
      b = c.value * a * (S(hA * d.accepted[i], H) - S(hA, H));
      h = c.value * (1 - a) * (S(hN * d.declined[i], H) - S(hN, H));
    }
    if (kept) kept[i] = keep === 'net' ? b + h - spend : b + h;
    const net = b + h - spend;
    const w = d.weight[i];
    mean += w * net;
    second += w * net * net;
    benefit += w * b;
    harm += w * h;
  }
  return { estimate: { customerId: c.customerId, mean, sd: Math.sqrt(Math.max(0, second - mean * mean)), benefit: benefit - a * c.offerCost, harm }, kept };
}

/**
 * Plans the single decision: every candidate valued under the pilot's posterior, those with a
 * positive expected value ranked best first up to `contacts` (the worth list), and the plan the run
 * of them with the largest certainty equivalent at risk tolerance `tolerance` × the list's expected
 * value (plan-size.ts; the effects are every candidate's, so the plan's risk is theirs, summed per
 * draw, not each customer's), or with `risk` the longest run the plan-level guard allows. A
 * candidate the contact would pay for but for its harm to those who do not accept is left as
 * `contact-harms`; one whose benefit does not cover the contact and the offer as `not-worth-it`;
 * one past the plan as `plan-risk`.
 */
export function planSingleDecision(model: PilotUplift, candidates: readonly UpliftCandidate[], options: SingleDecisionOptions): SingleDecisionPlan {
  if (!(Number.isInteger(options.contacts) && options.contacts >= 0)) throw new TwinloopError('BAD_INPUT', `contacts must be a whole number ≥ 0; got ${options.contacts}`);
  const tolerance = options.tolerance ?? PLAN_TOLERANCE;
  if (options.risk === undefined && !(tolerance > 0)) throw new TwinloopError('BAD_INPUT', `tolerance must be above 0; got ${tolerance}`);
  const valued = candidates.map((c) => ({ candidate: c, ...valueByDraw(model, c, options.contactCost, options.horizonMonths, false) }));
  valued.sort((x, y) => y.estimate.mean - x.estimate.mean || (x.estimate.customerId < y.estimate.customerId ? -1 : 1));
  const left = { 'not-worth-it': 0, 'contact-harms': 0, 'plan-risk': 0, budget: 0 };
  const worth: typeof valued = [];
  for (const v of valued) {
    if (v.estimate.mean > 0) {
      if (worth.length < options.contacts) worth.push(v);
      else left.budget++;
    } else if (v.estimate.benefit - options.contactCost > 0) left['contact-harms']++;
    else left['not-worth-it']++;
  }
  const weights = drawColumns(model).weight;
  const length =
    options.risk !== undefined
      ? // The longest prefix the guard allows (the expected value only grows along it).
        longestGuardedPrefix(worth.map((v) => valueByDraw(model, v.candidate, options.contactCost, options.horizonMonths, 'kept').kept!), weights, options.risk)
      : worth.length === 0
        ? 0
        : bestCertaintyEquivalentPrefix(
            worth.map((v) => valueByDraw(model, v.candidate, options.contactCost, options.horizonMonths, 'net').kept!),
            weights,
            tolerance * worth.reduce((a, v) => a + v.estimate.mean, 0),
          );
  left['plan-risk'] = worth.length - length;
  return { contact: worth.slice(0, length).map((v) => v.estimate), left };
}
