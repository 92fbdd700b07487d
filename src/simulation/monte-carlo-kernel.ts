import { DrawRandom, drawState } from './sim-random.js';

/**
 * The hot loop of the simulator, pure and allocation-free per twin: for each draw, each twin's
 * months survived without and with the scenario, from one shared exponential variate (common
 * random numbers: a twin the scenario does not touch has the same fate in both arms, so the
 * difference carries no dice noise from it).
 *
 * Monthly steps with hazards h_1..h_M are the same as comparing E = −ln U with the cumulative
 * −ln(1 − h_t): the twin churns in the first month where the running sum passes E. With hazards
 * that are piecewise constant (before, during and after an offer's effect) that month is found
 * in closed form per piece.
 */

/** Per-twin inputs, all typed arrays of length `n` (shareable across threads). */
export interface KernelPopulation {
  readonly n: number;
  /** Baseline monthly churn hazard (before the per-draw calibration factor). */
  readonly hazard: Float32Array;
  /** Monthly revenue while active. */
  readonly revenue: Float32Array;
  /**
   * Variance of one month's revenue around `revenue` (usage, overage, top-ups; 0 when unknown).
   * Once a scenario changes anything, the world with it and the world without it draw those months
   * apart: the realised difference carries twice this per treated twin and month, noise the
   * expected revenue above leaves out.
   */
  readonly revenueVar: Float32Array;
  /** Segment index of each twin, < `segments`. */
  readonly segment: Uint8Array;
  /** 1 when the scenario touches the twin. */
  readonly treated: Uint8Array;
  /** Offer scenarios: contact attempts allowed (one a month until accepted). */
  readonly contacts: Uint8Array;
  /** Offer scenarios: cost of one contact attempt. */
  readonly contactCost: Float32Array;
  /** Offer scenarios: monthly revenue an acceptor gives up while the offer runs (the discount). */
  readonly discountLoss: Float32Array;
  /** Structural scenarios: the model's hazard ratio for the twin (scaled by the per-draw exponent). */
  readonly relHazard: Float32Array;
  /** Structural scenarios: change of monthly revenue while active (a price change). */
  readonly revenueDelta: Float32Array;
  /** Offer scenarios: the twin's shift of the acceptance's log-odds (its churn risk's; 0 = the scenario's acceptance). */
  readonly acceptShift: Float32Array;
  /**
   * Offer scenarios: the twin's share of the contact's effect (`contactedIncrease` × this; 1 = the
   * scenario's increase): a contact's harm that grows with the twin's own hazard (`contactedIncreaseByRisk`).
   */
  readonly contactScale: Float32Array;
  /**
   * The churn model's fall after a pick, this twin's own factor on its hazard from the second
   * month on (1 without one; the first month is the model's own): a twin's, not its group's, so
   * the world without the scenario is the same in every scenario of a run.
   */
  readonly fall: Float32Array;
}

/** An uncertain scalar: mean and standard deviation. */
export interface Uncertain {
  readonly mean: number;
  readonly sd: number;
}

/** Scenario-wide parameters of the kernel; the uncertain ones are drawn once per draw. */
export type KernelParams = {
  readonly months: number;
  readonly seed: number;
  readonly segments: number;
  /** The hazard level's mean factor (the group's level against the model's; default 1). */
  readonly level?: number;
  /** Relative sd of the hazard level: each draw multiplies every hazard by a lognormal factor. */
  readonly calibrationSd: number;
  /** One-off cost per draw (e.g. a network investment). */
  readonly fixedCost: number;
} & (
  | {
      readonly mode: 'offer';
      readonly acceptance: Uncertain;
      readonly acceptedMultiplier: Uncertain;
      /**
       * A contact's effect on the monthly hazard of a twin who does not accept (a customer reminded
       * that it could leave): + this from its first contact until `effectMonths` after its last. 0 = none.
       */
      readonly contactedIncrease: Uncertain;
      readonly effectMonths: number;
      readonly offerMonths: number;
      readonly costPerAcceptance: number;
    }
  | {
      readonly mode: 'structural';
      /** sd of the exponent θ on the hazard ratio (ratio^θ, θ ~ N(effectMean, sd)). */
      readonly effectSd: number;
      /** Mean of θ (default 1: the ratio as given); a unit ratio scaled by an uncertain effect otherwise. */
      readonly effectMean?: number;
      /**
       * Expected number of discrete events the effect is made of (incidents a network fix
       * prevents over the horizon), 0 when it is continuous: each draw then scales θ by K / this,
       * K ~ Poisson(this), so the effect comes in lumps and is nothing in a draw where K = 0.
       */
      readonly effectEvents?: number;
      /**
       * Months from the start during which the hazard ratio holds (a price rise that customers
       * absorb); after them the twin's hazard is its own again. Default: the whole horizon.
       */
      readonly effectMonths?: number;
    }
);

/** Figures accumulated per draw and segment, in this order. */
export const METRICS = ['churnersBase', 'churnersScenario', 'revenueBase', 'revenueScenario', 'cost', 'treated', 'accepted'] as const;
export const METRIC_COUNT = METRICS.length;

/** Largest monthly hazard (as in the churn models' own convention), so factors never reach certainty. */
export const MAX_HAZARD = 0.95;

/**
 * Months of revenue a twin brings in the month it leaves: half. Customers leave on any day of a
 * month and are billed (or top up) on a day of their own until then, so a leaver pays, on average,
 * for half of its last month; counting only the months survived in full put every churner's loss
 * (or gain) half a month of revenue too high in both arms, and so the value of each churner a
 * scenario adds or avoids.
 */
export const LEAVING_MONTH_SHARE = 0.5;

/** Months of revenue of a twin that survived `t` full months and leaves within a horizon of `M` months if t < M. */
function paidMonths(t: number, M: number): number {
  return t < M ? t + LEAVING_MONTH_SHARE : M;
}

/** The uncertain parameters of one draw. */
export interface DrawParameters {
  readonly calibration: number;
  readonly acceptance: number;
  readonly acceptedMultiplier: number;
  readonly contactedIncrease: number;
  readonly exponent: number;
}

/** Draws draw `d`'s parameters from their uncertainty (stream 1, independent of the twins' stream). */
export function drawParameters(p: KernelParams, d: number): DrawParameters {
  const r = new DrawRandom(p.seed, d, 1);
  // A lognormal of mean `level` keeps the expected hazard level where the model (or the group's check) put it.
  const calibration = (p.level ?? 1) * Math.exp(p.calibrationSd * r.normal() - (p.calibrationSd * p.calibrationSd) / 2);
  if (p.mode === 'offer') {
    const acceptance = Math.min(1, Math.max(0, p.acceptance.mean + p.acceptance.sd * r.normal()));
    const acceptedMultiplier = Math.max(0, p.acceptedMultiplier.mean + p.acceptedMultiplier.sd * r.normal());
    // Drawn after the others, so that a scenario without a contact effect keeps its earlier draws.
    const contactedIncrease = p.contactedIncrease.mean + p.contactedIncrease.sd * r.normal();
    return { calibration, acceptance, acceptedMultiplier, contactedIncrease, exponent: 1 };
  }
  const events = p.effectEvents ?? 0;
  const lumps = events > 0 ? r.poisson(events) / events : 1;
  return { calibration, acceptance: 0, acceptedMultiplier: 1, contactedIncrease: 0, exponent: lumps * ((p.effectMean ?? 1) + p.effectSd * r.normal()) };
}

/**
 * Runs draws [from, to) and writes their figures into `out` at
 * `(draw · segments + segment) · METRIC_COUNT + metric` (out covers all draws).
 * `onDraw` is called after each draw (progress, cancellation checks between draws).
 */
export function runDraws(pop: KernelPopulation, p: KernelParams, from: number, to: number, out: Float64Array, onDraw?: (draw: number) => void): void {
  const { n, hazard, revenue, segment, treated } = pop;
  const M = p.months;
  const noiseVar = new Float64Array(p.segments);
  for (let d = from; d < to; d++) {
    const q = drawParameters(p, d);
    const base = d * p.segments * METRIC_COUNT;
    out.fill(0, base, base + p.segments * METRIC_COUNT);
    let s = drawState(p.seed, d, 0);
    // Treated twins' second variate comes from a stream of its own, so that the untreated path
    // reads the same variate per twin whatever a scenario treats (common random numbers).
    let s2 = drawState(p.seed, d, 3);
    const cal = q.calibration;
    const offer = p.mode === 'offer';
    const a = q.acceptance;
    // ln(1 − a): attempts until acceptance are geometric; a = 1 accepts at the first attempt.
    const logNoAccept = a >= 1 ? -Infinity : Math.log1p(-a);
    const effectMonths = offer ? p.effectMonths : 0;
    const offerMonths = offer ? p.offerMonths : 0;
    const costPerAcceptance = offer ? p.costPerAcceptance : 0;
    const structuralMonths = offer ? M : (p.effectMonths ?? M);
    // A draw in which the scenario changes no hazard (a network fix with no incident to prevent)
    // leaves the two worlds identical, but for a twin whose revenue it changes: no noise between them.
    const diverges = offer || q.exponent !== 0;
    noiseVar.fill(0);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const e = -Math.log(((s >>> 0) + 0.5) / 4294967296);
      // The first month at the model's own hazard (h), the months after at its fall's (hl).
      let h = hazard[i] * cal;
      if (h > MAX_HAZARD) h = MAX_HAZARD;
      const fall = pop.fall[i];
      let hl = fall === 1 ? h : hazard[i] * fall * cal;
      if (hl > MAX_HAZARD) hl = MAX_HAZARD;
      const l0 = -Math.log1p(-h);
      const ll = fall === 1 ? l0 : -Math.log1p(-hl);
      // Months survived in full; the twin churns in month t0 + 1 when that is within the horizon.
      const t0 = ll === l0 ? (l0 > 0 ? Math.floor(e / l0) : Infinity) : monthsSurvivedFrom(e, l0, ll, 0, ll, 0, ll);
      const alive0 = t0 < M ? t0 : M;
      const paid0 = paidMonths(t0, M);
      const rev = revenue[i];
      const k = base + segment[i] * METRIC_COUNT;
      const churn0 = t0 < M ? 1 : 0;
      out[k] += churn0;
      out[k + 2] += rev * paid0;
      if (treated[i] === 0) {
        out[k + 1] += churn0;
        out[k + 3] += rev * paid0;
        continue;
      }
      out[k + 5] += 1;
      // A price change moves the twin's bills whatever its churn does.
      if (diverges || pop.revenueDelta[i] !== 0) noiseVar[segment[i]] += 2 * pop.revenueVar[i] * alive0;
      if (!offer) {
        const ratio = Math.pow(pop.relHazard[i], q.exponent);
        const l1 = -Math.log1p(-Math.min(MAX_HAZARD, h * ratio));
        const l1l = ll === l0 ? l1 : -Math.log1p(-Math.min(MAX_HAZARD, hl * ratio));
        // The ratio for structuralMonths (≥ 1) from the first, then the twin's own hazard again.
        const t1 = monthsSurvivedFrom(e, l1, l1l, structuralMonths < M ? structuralMonths : M, ll, 0, ll);
        out[k + 1] += t1 < M ? 1 : 0;
        out[k + 3] += (rev + pop.revenueDelta[i]) * paidMonths(t1, M);
        continue;
      }
      s2 ^= s2 << 13;
      s2 ^= s2 >>> 17;
      s2 ^= s2 << 5;
      const u2 = ((s2 >>> 0) + 0.5) / 4294967296;
      // This twin's acceptance: the draw's, shifted on the log-odds scale by its churn risk.
      const shift = pop.acceptShift[i];
      const ai = shift === 0 || a <= 0 || a >= 1 ? a : 1 / (1 + ((1 - a) / a) * Math.exp(-shift));
      const logNo = ai === a ? logNoAccept : Math.log1p(-ai);
      // Index of the accepting attempt (0-based), one attempt a month while active and not accepted.
      const kAccept = ai <= 0 ? Infinity : ai >= 1 ? 0 : Math.floor(Math.log(u2) / logNo);
      const allowed = pop.contacts[i];
      // While contacted and not (yet) accepting, the hazard is the contacted one: from the first
      // attempt until effectMonths after the last one the twin lives to receive.
      const increase = q.contactedIncrease * pop.contactScale[i];
      const lc = -Math.log1p(-contactedHazard(h, increase));
      const lcl = ll === l0 ? lc : -Math.log1p(-contactedHazard(hl, increase));
      const accepted = kAccept < allowed && kAccept < M && monthsSurvivedFrom(e, lc, lcl, kAccept, lcl, 0, lcl) >= kAccept;
      if (!accepted) {
        const window = Math.min(allowed, M) - 1 + effectMonths;
        const t1 = monthsSurvivedFrom(e, lc, lcl, window, ll, 0, ll);
        const attempts = Math.min(allowed, t1 + 1, M);
        out[k + 4] += attempts * pop.contactCost[i];
        out[k + 1] += t1 < M ? 1 : 0;
        out[k + 3] += rev * paidMonths(t1, M);
        continue;
      }
      out[k + 4] += (kAccept + 1) * pop.contactCost[i] + costPerAcceptance;
      out[k + 6] += 1;
      const la = -Math.log1p(-Math.min(MAX_HAZARD, h * q.acceptedMultiplier));
      const lal = ll === l0 ? la : -Math.log1p(-Math.min(MAX_HAZARD, hl * q.acceptedMultiplier));
      // Pieces: contacted before month kAccept, the acceptor's for effectMonths, then its own again
      // (the first month at the model's own level, whichever piece it falls in).
      const t1 = kAccept === 0 ? monthsSurvivedFrom(e, la, lal, effectMonths, ll, 0, ll) : monthsSurvivedFrom(e, lc, lcl, kAccept, lal, effectMonths, ll);
      const paid1 = paidMonths(t1, M);
      // The discount runs for offerMonths from acceptance, on the bills the twin pays.
      const discounted = Math.max(0, Math.min(paid1, kAccept + offerMonths) - kAccept);
      out[k + 1] += t1 < M ? 1 : 0;
      out[k + 3] += rev * paid1 - pop.discountLoss[i] * discounted;
    }
    if (p.fixedCost > 0) out[base + 4] += p.fixedCost;
    // Stream 2: the months' revenue noise between the two worlds, one normal per segment.
    const noise = new DrawRandom(p.seed, d, 2);
    for (let g = 0; g < p.segments; g++) if (noiseVar[g] > 0) out[base + g * METRIC_COUNT + 3] += Math.sqrt(noiseVar[g]) * noise.normal();
    onDraw?.(d);
  }
}

/** A contacted twin's monthly hazard while it has not accepted: its own plus the contact's increase, kept within [0, MAX_HAZARD]. */
export function contactedHazard(h: number, increase: number): number {
  const hc = h + increase;
  return hc < 0 ? 0 : hc > MAX_HAZARD ? MAX_HAZARD : hc;
}

/**
 * Months survived in full by a twin of exponential variate `e` whose monthly cumulative hazard is
 * `la` for `na` months, then `lb` for `nb` months, then `lc` (Infinity when it never churns): the
 * first month where the running sum passes `e`, in closed form per piece.
 */
export function monthsSurvived(e: number, la: number, na: number, lb: number, nb: number, lc: number): number {
  if (la * na > e) return Math.floor(e / la);
  let rest = e - la * na;
  if (lb * nb > rest) return na + Math.floor(rest / lb);
  rest -= lb * nb;
  return lc > 0 ? na + nb + Math.floor(rest / lc) : Infinity;
}

/**
 * `monthsSurvived` with the first month at `first` instead of its piece's own: the twin's first
 * month at the model's own hazard, the months after at its fall's (`KernelPopulation.fall`). The
 * pieces count from the first month (`na` months of `la` include it).
 */
export function monthsSurvivedFrom(e: number, first: number, la: number, na: number, lb: number, nb: number, lc: number): number {
  if (first > e) return 0;
  const rest = e - first;
  if (na >= 1) return 1 + monthsSurvived(rest, la, na - 1, lb, nb, lc);
  if (nb >= 1) return 1 + monthsSurvived(rest, lb, nb - 1, lc, 0, lc);
  return 1 + monthsSurvived(rest, lc, 0, lc, 0, lc);
}

/**
 * The bare loop of the benchmark: draws the same random numbers as `runDraws` (one per twin and
 * draw, a second for treated twins of an offer) and sums them, doing nothing else.
 */
export function bareDraws(pop: KernelPopulation, p: KernelParams, from: number, to: number): number {
  let total = 0;
  const offer = p.mode === 'offer';
  for (let d = from; d < to; d++) {
    let s = drawState(p.seed, d, 0);
    let s2 = drawState(p.seed, d, 3);
    for (let i = 0; i < pop.n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      total += (s >>> 0) / 4294967296;
      if (offer && pop.treated[i] !== 0) {
        s2 ^= s2 << 13;
        s2 ^= s2 >>> 17;
        s2 ^= s2 << 5;
        total += (s2 >>> 0) / 4294967296;
      }
    }
  }
  return total;
}
