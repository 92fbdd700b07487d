import { TwinloopError } from '../domain/errors.js';
import { createRng } from '../intelligence/random.js';
import type { DecisionRecord } from './decision-record.js';

/**
 * A policy to evaluate: for a logged decision, the probability of each of its candidates' actions
 * (summing to 1; a deterministic policy puts 1 on one action).
 */
export type TargetPolicy = (record: DecisionRecord) => ReadonlyMap<string, number>;

/** The direct model of doubly robust estimation: expected reward of `actionId` in the record's context. */
export type RewardModel = (record: DecisionRecord, actionId: string) => number;

/** One estimate of a policy's value per decision, with its bootstrap interval. */
export interface PolicyEstimate {
  readonly value: number;
  /** Lower end of the bootstrap percentile interval (5 % at the default 90 % level). */
  readonly lower: number;
  readonly upper: number;
}

/** Options of `estimatePolicyValue`. */
export interface EstimatorOptions {
  /** Direct reward model; DR is computed only when given. */
  readonly rewardModel?: RewardModel;
  /**
   * Logged propensities below this are raised to it before dividing. A zero propensity for the
   * chosen action means the log is inconsistent (the logging policy could not have chosen it);
   * clipping keeps the weights finite at the cost of a small bias, and `clipped` counts it.
   * Default 0.001.
   */
  readonly minPropensity?: number;
  /** Bootstrap resamples for the intervals. Default 500. */
  readonly bootstrap?: number;
  /** Interval level. Default 0.9. */
  readonly level?: number;
  /** Seed of the bootstrap resampling. Default 1. */
  readonly seed?: number;
}

/** What `estimatePolicyValue` reports. */
export interface OffPolicyReport {
  /** Decisions with an outcome, which the estimates use. */
  readonly decisions: number;
  /** Decisions left out because their outcome is not known yet. */
  readonly withoutOutcome: number;
  /** Decisions whose logged propensity was raised to `minPropensity`. */
  readonly clipped: number;
  /**
   * Average probability the target policy puts on candidates the logging policy never chooses
   * (propensity 0): IPS cannot see that part of the target policy, so > 0 means the estimate is
   * of a different policy than asked.
   */
  readonly unsupportedMass: number;
  /** Average logged reward (the logging policy's own value). */
  readonly loggedMean: number;
  /** Effective sample size of the importance weights, (Σw)² / Σw². */
  readonly effectiveSampleSize: number;
  readonly ips: PolicyEstimate;
  readonly snips: PolicyEstimate;
  readonly dr?: PolicyEstimate;
}

/** Per-decision terms the estimators are sums of; the bootstrap resamples these. */
interface Terms {
  readonly weight: Float64Array;
  readonly reward: Float64Array;
  readonly dr?: Float64Array;
}

const PROBABILITY_TOLERANCE = 1e-6;

/**
 * Estimates the value per decision of `target` from logged decisions with outcomes: inverse
 * propensity scoring (IPS, unbiased, high variance), self-normalised IPS (SNIPS, a small bias for
 * much less variance) and, with a reward model, doubly robust (DR: the model's value plus an
 * IPS correction of its error; unbiased when either the propensities or the model are right).
 */
export function estimatePolicyValue(records: readonly DecisionRecord[], target: TargetPolicy, options: EstimatorOptions = {}): OffPolicyReport {
  const minPropensity = options.minPropensity ?? 0.001;
  if (!(minPropensity > 0 && minPropensity <= 1)) throw new TwinloopError('BAD_INPUT', `minPropensity must be in (0, 1]; got ${minPropensity}`);
  const bootstrap = options.bootstrap ?? 500;
  if (!(Number.isInteger(bootstrap) && bootstrap >= 1)) throw new TwinloopError('BAD_INPUT', `bootstrap must be a positive integer; got ${bootstrap}`);
  const level = options.level ?? 0.9;
  if (!(level > 0 && level < 1)) throw new TwinloopError('BAD_INPUT', `level must be in (0, 1); got ${level}`);

  const done = records.filter((r) => r.outcome !== undefined);
  const n = done.length;
  if (n === 0) throw new TwinloopError('BAD_INPUT', `none of the ${records.length} decisions has an outcome yet; estimate once outcomes are recorded`);

  const weight = new Float64Array(n);
  const reward = new Float64Array(n);
  const dr = options.rewardModel ? new Float64Array(n) : undefined;
  let clipped = 0;
  let unsupported = 0;
  for (let i = 0; i < n; i++) {
    const r = done[i];
    const pi = checkedPolicy(target(r), r);
    for (const c of r.candidates) if (c.propensity <= 0) unsupported += pi.get(c.actionId) ?? 0;
    let p = r.propensity;
    if (!(p >= minPropensity)) {
      p = minPropensity;
      clipped++;
    }
    weight[i] = (pi.get(r.chosen) ?? 0) / p;
    reward[i] = r.outcome?.reward ?? 0;
    if (dr && options.rewardModel) {
      const model = options.rewardModel;
      let direct = 0;
      for (const [a, q] of pi) if (q > 0) direct += q * model(r, a);
      dr[i] = direct + weight[i] * (reward[i] - model(r, r.chosen));
    }
  }
  const terms: Terms = { weight, reward, dr };
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const point = statistics(terms, all);
  const samples = { ips: new Float64Array(bootstrap), snips: new Float64Array(bootstrap), dr: new Float64Array(bootstrap) };
  const rng = createRng(options.seed ?? 1);
  const idx = new Uint32Array(n);
  let kept = 0;
  for (let b = 0; b < bootstrap; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    const s = statistics(terms, idx);
    // A resample where the target policy's actions were never logged has no SNIPS value; skip it.
    if (!Number.isFinite(s.snips)) continue;
    samples.ips[kept] = s.ips;
    samples.snips[kept] = s.snips;
    samples.dr[kept] = s.dr;
    kept++;
  }
  const interval = (value: number, xs: Float64Array): PolicyEstimate => {
    if (kept === 0) return { value, lower: value, upper: value };
    const sorted = xs.slice(0, kept).sort();
    return { value, lower: quantile(sorted, (1 - level) / 2), upper: quantile(sorted, 1 - (1 - level) / 2) };
  };
  let sw = 0;
  let sw2 = 0;
  for (const w of weight) {
    sw += w;
    sw2 += w * w;
  }
  return {
    decisions: n,
    withoutOutcome: records.length - n,
    clipped,
    unsupportedMass: unsupported / n,
    loggedMean: mean(reward),
    effectiveSampleSize: sw2 > 0 ? (sw * sw) / sw2 : 0,
    ips: interval(point.ips, samples.ips),
    // With no weight at all, SNIPS has nothing to normalise; 0 is reported and the ESS (0) says why.
    snips: interval(Number.isFinite(point.snips) ? point.snips : 0, samples.snips),
    ...(dr ? { dr: interval(point.dr, samples.dr) } : {}),
  };
}

/** The estimators over the decisions at `idx` (the identity for point estimates, a resample for the bootstrap). */
function statistics(t: Terms, idx: Uint32Array): { ips: number; snips: number; dr: number } {
  let swr = 0;
  let sw = 0;
  let sdr = 0;
  for (const i of idx) {
    swr += t.weight[i] * t.reward[i];
    sw += t.weight[i];
    if (t.dr) sdr += t.dr[i];
  }
  const n = idx.length;
  return { ips: swr / n, snips: sw > 0 ? swr / sw : Number.NaN, dr: sdr / n };
}

/** Checks that a target policy's answer is a distribution over the record's candidates. */
function checkedPolicy(pi: ReadonlyMap<string, number>, r: DecisionRecord): ReadonlyMap<string, number> {
  let sum = 0;
  for (const [a, q] of pi) {
    if (!(q >= 0)) throw new TwinloopError('BAD_INPUT', `target policy gave probability ${q} to ${a} in decision ${r.decisionId}; probabilities must be ≥ 0`);
    if (q > 0 && !r.candidates.some((c) => c.actionId === a)) {
      throw new TwinloopError('BAD_INPUT', `target policy chose ${a} in decision ${r.decisionId}, which is not among its candidates; choose among the logged candidates`);
    }
    sum += q;
  }
  if (Math.abs(sum - 1) > PROBABILITY_TOLERANCE) {
    throw new TwinloopError('BAD_INPUT', `target policy's probabilities sum to ${sum} in decision ${r.decisionId}; they must sum to 1`);
  }
  return pi;
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : 0;
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
