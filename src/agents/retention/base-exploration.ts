import { TwinloopError } from '../../domain/errors.js';
import { PLAN_RISK, riskQuantileNonNegative } from '../../intelligence/uplift/plan-guard.js';
import type { EffectDraw, EffectPoint } from './effect-draws.js';

/**
 * What a month's exploration batch is worth to the learning agent, and which batch, if any, to
 * contact. The effects of a contact (m_A, what an accepted offer does to a persuadable's churn;
 * m_D, what a contact does to a sleeping dog's) are every customer's: each contact's answer and
 * the churn that follows teach them for the whole base, so their value is the base's, not one
 * customer's (a profile-level value of information is nearly nothing on a flat profile, and the
 * agent that counted only that never explored).
 *
 * Expected value of sample information, per month's campaign to come:
 *
 *     B(θ)       = Σ of the `budget` best positive net values of the base's candidates at effects θ
 *     EVSI(n)    = U · ( E_θ'[ B(θ') ] − E_θ₀[ B(θ₀) ] ),   θ' = θ̄ + √s · (θ − θ̄),  θ over the effects' posterior
 *     s          = Δ / (b + Δ) per effect,  Δ = the month's expected churns on the effect's branch (contacted share):
 *                  the exploited contacts' and the batch's; θ₀ the same with the exploited contacts' alone (θ̄ when none)
 *     U          = months left after this one, less half the effect window (when its churn is watched, on average)
 *
 * θ' is the posterior mean the batch would leave (a Gamma's preposterior mean varies by the
 * share s of its variance that Δ more expected churns remove, b being the posterior's rate in
 * expected churns); B convex in θ makes EVSI ≥ 0 and EVSI(n) at s = 1 the value of perfect
 * information. The batch costs its expected net loss, Σ max(0, −EV_i) (a candidate the plan-level
 * guard left, worth a contact on the expected value, costs nothing and gains nothing: a batch is
 * paid for by what it teaches, never by the expected value the guard declined). Candidates are taken least costly
 * per unit of information first (information: the relative shrink of each effect's posterior a
 * contact brings), and the batch is the size where EVSI plus the candidates' own answers' worth
 * (learning-planner's `valueOfInformation`) exceeds its cost by most, among the sizes whose loss is
 * bounded by their own value: with probability 1 − `risk` over the effects' posterior (the plan
 * guard's level) the batch loses less than its value of information. Without that bound a batch of
 * the candidates the guard left, free in expectation, lost 1,144 in a month on answering-base (seed
 * 5): the guard had left them for their downside, and the exploration took them for nothing.
 * None when no size pays.
 *
 * Nor is exploration a way round the plan-level guard: a candidate joins the batch only while the
 * month's whole plan, the exploited contacts and the batch so far with it, still keeps its kept
 * value ≥ 0 with probability 1 − `risk` (one that would break it is passed over and the next
 * tried). Without that, a candidate the guard refused cost nothing here and was taken first: with
 * 12 months left, 9 of the guard world's 30 refusals were contacted, and the month's contacts drove
 * away more than they kept with probability 0.22 where the guard allows 0.10.
 */

/** A candidate the exploration may pick, as the planner valued it. */
export interface Explorable {
  readonly customerId: string;
  /** Expected net value of the contact over the effects' posterior. */
  readonly expectedValue: number;
  /** What the customer's own answer is worth to their later campaigns. */
  readonly ownInformation: number;
  /** Expected churns the contact would add to each effect's evidence (no effect assumed). */
  readonly acceptedExposure: number;
  readonly contactExposure: number;
  /** Net value at a point of the effects. */
  readonly netAt: (point: EffectPoint) => number;
  /** Kept value (before the contact's costs) at each of the draws, the guard's reading. */
  readonly kept: ArrayLike<number>;
}

/** What the exploration weighed this month. */
export interface Exploration {
  /** Customers in the batch (0: none paid). */
  readonly customers: number;
  /** Its value of information: the effects' (EVSI) plus the customers' own answers'. */
  readonly valueOfInformation: number;
  /** Its expected cost: the batch's expected net loss (Σ max(0, −EV)). */
  readonly cost: number;
  /** A month's campaign's value of knowing the effects exactly (EVPI per month). */
  readonly perfectInformation: number;
  /** Months the learning can serve (U). */
  readonly monthsOfUse: number;
}

/** Settings of the exploration. */
export interface ExplorationOptions {
  /** Contacts a month's budget pays for (B's size). */
  readonly budget: number;
  /** Contacts this month's exploration may take at most. */
  readonly slots: number;
  readonly effectMonths: number;
  readonly monthsLeft: number;
  /** Share of the chosen held out (they teach the effects nothing). */
  readonly holdoutShare: number;
  /** The plan-level guard's risk (default `PLAN_RISK`; 1: no guard): the month's plan with the batch keeps its kept value ≥ 0, and the batch loses less than its value of information, each with probability 1 − risk. */
  readonly risk?: number;
  /** The effects' posterior rates (expected churns: prior + evidence). */
  readonly acceptedRate: number;
  readonly contactRate: number;
  /**
   * Expected churns the month's exploited contacts (their contacted share) add to each effect's
   * evidence: they teach the effects too, so the batch is worth only what it teaches beyond them
   * (default 0).
   */
  readonly exploitedAcceptedExposure?: number;
  readonly exploitedContactExposure?: number;
  /** The exploited contacts' kept value summed per draw, which the batch joins under the guard. */
  readonly planKept: ArrayLike<number>;
}

/** The exploration's choice: the batch, best first, each with its share of the value of information. */
export interface ExplorationChoice {
  readonly chosen: readonly { readonly explorable: Explorable; readonly valueOfInformation: number }[];
  readonly summary: Exploration;
}

/** Σ of the `budget` largest positive values. */
function bestSum(values: Float64Array, budget: number): number {
  const positive = values.filter((v) => v > 0);
  if (positive.length <= budget) return positive.reduce((s, v) => s + v, 0);
  positive.sort();
  let s = 0;
  for (let i = positive.length - budget; i < positive.length; i++) s += positive[i];
  return s;
}

/** Batch sizes tried: 1, 2, 3, then growing by half, and the largest allowed. */
function batchSizes(slots: number): number[] {
  const sizes: number[] = [];
  for (let n = 1; n < slots; n = Math.max(n + 1, Math.round(n * 1.5))) sizes.push(n);
  if (slots > 0) sizes.push(slots);
  return sizes;
}

/**
 * The first `o.slots` of `ranked` the guard admits, in order: each joins only if the plan (the
 * exploited contacts and those admitted before it) with it still passes at the guard's risk.
 */
function underGuard(ranked: readonly Explorable[], draws: readonly EffectDraw[], o: ExplorationOptions): Explorable[] {
  const risk = o.risk ?? PLAN_RISK;
  if (risk >= 1) return ranked.slice(0, Math.max(0, o.slots));
  if (o.planKept.length !== draws.length) throw new TwinloopError('BAD_INPUT', `the plan's kept value needs one value per draw (${draws.length}); got ${o.planKept.length}`);
  const weights = Float64Array.from(draws, (x) => x.weight);
  const plan = Float64Array.from(o.planKept);
  const trial = new Float64Array(plan.length);
  const admitted: Explorable[] = [];
  for (const x of ranked) {
    if (admitted.length >= o.slots) break;
    for (let i = 0; i < plan.length; i++) trial[i] = plan[i] + x.kept[i];
    if (!riskQuantileNonNegative(trial, weights, risk)) continue;
    plan.set(trial);
    admitted.push(x);
  }
  return admitted;
}

/** Weighs the exploration of `pool` (the candidates not exploited) against the value of learning, over the base's candidates `base`. */
export function explorationBatch(pool: readonly Explorable[], base: readonly Explorable[], draws: readonly EffectDraw[], mean: EffectPoint, o: ExplorationOptions): ExplorationChoice {
  const monthsOfUse = Math.max(0, o.monthsLeft - 1 - o.effectMonths / 2);
  const values = new Float64Array(base.length);
  const best = (point: EffectPoint) => {
    for (let i = 0; i < base.length; i++) values[i] = base[i].netAt(point);
    return bestSum(values, o.budget);
  };
  const atMean = best(mean);
  // E over the draws of B at the posterior mean a batch of shares (sA, sD) would leave.
  const expectedBest = (sA: number, sD: number) => {
    const a = Math.sqrt(sA), d = Math.sqrt(sD);
    let total = 0;
    for (const x of draws) total += x.weight * best({ acceptedMultiplier: mean.acceptedMultiplier + a * (x.acceptedMultiplier - mean.acceptedMultiplier), contactMultiplier: mean.contactMultiplier + d * (x.contactMultiplier - mean.contactMultiplier) });
    return total;
  };
  const perfectInformation = Math.max(0, expectedBest(1, 1) - atMean);
  const none: ExplorationChoice = { chosen: [], summary: { customers: 0, valueOfInformation: 0, cost: 0, perfectInformation, monthsOfUse } };
  if (o.slots <= 0 || pool.length === 0) return none;
  // Least costly per unit of information first; those whose own answer already pays for them before all.
  const information = (x: Explorable) => x.acceptedExposure / o.acceptedRate + x.contactExposure / o.contactRate;
  // A candidate worth a contact on the expected value, that the plan-level guard left, costs
  // nothing in expectation; it is not counted as a gain either, so a batch is paid for by what it
  // teaches, never by the expected value the guard declined.
  const cost = (x: Explorable) => Math.max(0, -x.expectedValue) - x.ownInformation;
  const ranked = [...pool].sort((x, y) => {
    const cx = cost(x), cy = cost(y);
    if (cx <= 0 || cy <= 0) return cx - cy || (x.customerId < y.customerId ? -1 : 1);
    return cx / Math.max(1e-12, information(x)) - cy / Math.max(1e-12, information(y)) || (x.customerId < y.customerId ? -1 : 1);
  });
  const admitted = underGuard(ranked, draws, o);
  const contacted = 1 - o.holdoutShare;
  let pick = { n: 0, net: 0, value: 0, cost: 0 };
  // The exposure starts from the exploited contacts', and the batch's value is what it adds to theirs.
  const exploitedA = o.exploitedAcceptedExposure ?? 0, exploitedD = o.exploitedContactExposure ?? 0;
  let accepted = exploitedA, contact = exploitedD, own = 0, loss = 0, taken = 0;
  const learntByExploiting = exploitedA > 0 || exploitedD > 0 ? expectedBest(exploitedA / (o.acceptedRate + exploitedA), exploitedD / (o.contactRate + exploitedD)) : atMean;
  // The batch's net value under each draw of the effects, and the guard's weights over them.
  const netByDraw = new Float64Array(draws.length);
  const weights = Float64Array.from(draws, (x) => x.weight);
  const shifted = new Float64Array(draws.length);
  for (const n of batchSizes(admitted.length)) {
    for (; taken < n; taken++) {
      const x = admitted[taken];
      accepted += x.acceptedExposure * contacted;
      contact += x.contactExposure * contacted;
      own += x.ownInformation;
      loss += Math.max(0, -x.expectedValue);
      for (let j = 0; j < draws.length; j++) netByDraw[j] += x.netAt(draws[j]);
    }
    const sample = monthsOfUse > 0 ? monthsOfUse * Math.max(0, expectedBest(accepted / (o.acceptedRate + accepted), contact / (o.contactRate + contact)) - learntByExploiting) : 0;
    const net = sample + own - loss;
    // Bounded by its own value: with probability 1 − risk over the effects the batch loses less than what it teaches is worth.
    for (let j = 0; j < draws.length; j++) shifted[j] = netByDraw[j] + sample + own;
    if (sample + own > 0 && net > pick.net && riskQuantileNonNegative(shifted, weights, o.risk ?? PLAN_RISK)) pick = { n, net, value: sample + own, cost: loss };
  }
  if (pick.n === 0) return none;
  const batch = admitted.slice(0, pick.n);
  const totalInformation = batch.reduce((s, x) => s + information(x), 0);
  const sample = pick.value - batch.reduce((s, x) => s + x.ownInformation, 0);
  return {
    chosen: batch.map((x) => ({ explorable: x, valueOfInformation: x.ownInformation + (totalInformation > 0 ? (sample * information(x)) / totalInformation : 0) })),
    summary: { customers: pick.n, valueOfInformation: pick.value, cost: pick.cost, perfectInformation, monthsOfUse },
  };
}
