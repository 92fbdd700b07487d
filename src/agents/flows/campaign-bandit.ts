import { sampleBeta } from '../../decisioning/offer-learner.js';
import { createRng } from '../../intelligence/random.js';

/**
 * How a running campaign's budget is split between its variants (offer × channel), and when a
 * variant is paused. Pure: the campaign flow brings the counts it read and a seed, and gets back
 * shares and verdicts with their evidence, so the same counts and seed always give the same move.
 */

/** What has been seen of one variant so far. */
export interface VariantStats {
  readonly variantId: string;
  readonly presented: number;
  readonly accepted: number;
  readonly declined: number;
  /** Money spent on the variant so far: what its contacts cost when made, and the offers accepted. */
  readonly spent: number;
  /** Money reserved for the variant's offers still waiting for an answer (paid only if accepted; docs/policy.md, "Budgets"). */
  readonly reserved?: number;
  /** Customers treated by the variant and, of them, how many churned (when churn is known). */
  readonly treated?: number;
  readonly treatedChurned?: number;
  /** Contacts the back end failed or refused, or the policy refused for the variant itself (not for the customer). */
  readonly failed?: number;
  /** The newest such failure's reason, as the evidence of a pause. */
  readonly lastFailure?: string;
  /** Contacts of the variant asked of the guarded executor, and those that reached nobody, by why (the refusing rule, `failed`, `advised`, `pending-approval`). */
  readonly tried?: number;
  readonly notContacted?: Readonly<Record<string, number>>;
  /**
   * Expected acceptance of the variant's offer kind over the campaign's audience, from their
   * response profiles: the bandit's prior mean, worth PROFILE_PRIOR_STRENGTH answers, so the first
   * ticks lean toward the kind the audience takes and the campaign's own answers soon outweigh it.
   */
  readonly priorAcceptance?: number;
}

/** Pseudo-answers the profiles' expected acceptance is worth in a variant's posterior. */
export const PROFILE_PRIOR_STRENGTH = 10;

/** A variant's Beta posterior over acceptance: its profile prior (or uniform) plus its answers. */
export function variantPosterior(s: VariantStats): { readonly alpha: number; readonly beta: number } {
  const p = s.priorAcceptance;
  const prior = p !== undefined && p > 0 && p < 1 ? { alpha: p * PROFILE_PRIOR_STRENGTH, beta: (1 - p) * PROFILE_PRIOR_STRENGTH } : { alpha: 1, beta: 1 };
  return { alpha: prior.alpha + s.accepted, beta: prior.beta + s.declined };
}

/** Churn among the campaign's control group, when known. */
export interface ControlStats {
  /** Its customers whose turn came (campaign-state.ts `measuredControl`), in the comparison from then. */
  readonly customers: number;
  readonly churned: number;
  /** Those of it whose turn has not come yet (the campaign has not reached their rank): not compared yet. */
  readonly awaitingTurn?: number;
}

/** Limits on what the bandit may do without a human. */
export interface AllocationGuardrails {
  /** Every active variant keeps at least this share (keeps learning about the others). */
  readonly minShare: number;
  /** Largest total share moved in one tick (half the L1 distance between old and new shares). */
  readonly maxShiftPerTick: number;
}

/** 5% floor: a variant still gets about 1 in 20 contacts, enough to notice if it improves. */
export const DEFAULT_MIN_SHARE = 0.05;
/** 20% per tick: a few noisy answers cannot swing the whole budget at once. */
export const DEFAULT_MAX_SHIFT_PER_TICK = 0.2;
/** Posterior draws per allocation: enough for shares stable to about a percent. */
export const THOMPSON_DRAWS = 2_000;

/** Value of one variant's answer: what an acceptance is worth (retained value − offer cost). */
export type AcceptValue = (variantId: string) => number;

/**
 * Thompson allocation: each draw samples every active variant's acceptance from its posterior
 * (`variantPosterior`: Beta(1 + accepted, 1 + declined), or the profiles' prior instead of the
 * uniform one), times the value of an acceptance; the share of draws
 * a variant wins is its target share. Targets are floored at `minShare`, then the current shares
 * move toward them by at most `maxShiftPerTick`. Paused variants get 0.
 */
export function allocateBudget(
  stats: readonly VariantStats[],
  current: Readonly<Record<string, number>>,
  paused: ReadonlySet<string>,
  guardrails: AllocationGuardrails,
  seed: number,
  valueOf: AcceptValue = () => 1,
): Record<string, number> {
  const active = stats.filter((s) => !paused.has(s.variantId));
  const out: Record<string, number> = Object.fromEntries(stats.map((s) => [s.variantId, 0]));
  if (active.length === 0) return out;
  const rng = createRng(seed);
  const u = () => rng.next();
  const wins = new Array<number>(active.length).fill(0);
  for (let d = 0; d < THOMPSON_DRAWS; d++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let i = 0; i < active.length; i++) {
      const post = variantPosterior(active[i]);
      const v = sampleBeta(post.alpha, post.beta, u) * valueOf(active[i].variantId);
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    wins[best]++;
  }
  const target = floorShares(wins.map((w) => w / THOMPSON_DRAWS), Math.min(guardrails.minShare, 1 / active.length));
  // Current shares of the active variants, renormalised (a pause frees its share to the others).
  const cur = active.map((s) => current[s.variantId] ?? 1 / active.length);
  const curSum = cur.reduce((a, b) => a + b, 0);
  const from = curSum > 0 ? cur.map((c) => c / curSum) : cur.map(() => 1 / active.length);
  const shift = from.reduce((a, f, i) => a + Math.abs(target[i] - f), 0) / 2;
  const step = shift > guardrails.maxShiftPerTick ? guardrails.maxShiftPerTick / shift : 1;
  active.forEach((s, i) => (out[s.variantId] = from[i] + (target[i] - from[i]) * step));
  return out;
}

/** Raises every share to `floor`, taking the difference pro rata from the shares above it. */
function floorShares(shares: readonly number[], floor: number): number[] {
  const low = shares.map((s) => s < floor);
  const need = shares.reduce((a, s, i) => a + (low[i] ? floor - s : 0), 0);
  const spare = shares.reduce((a, s, i) => a + (low[i] ? 0 : s - floor), 0);
  return shares.map((s, i) => (low[i] ? floor : spare > 0 ? s - ((s - floor) / spare) * need : s));
}

/** Failed contacts that, when they are at least half of the variant's attempts, pause it as undeliverable. */
export const MIN_FAILURES_TO_PAUSE = 5;
/** Share of a variant's attempts that failed from which it is undeliverable (with MIN_FAILURES_TO_PAUSE). */
export const FAILURE_SHARE_TO_PAUSE = 0.5;
/** Answers a variant needs before it may be paused for low acceptance: fewer is noise. */
export const MIN_ANSWERS_TO_PAUSE = 50;
/** Treated customers with known churn a variant needs before its uplift is judged. */
export const MIN_TREATED_TO_JUDGE_UPLIFT = 50;
/** 95% two-sided: a pause acts on evidence, not on a bad week. */
export const Z_95 = 1.96;
/** "Far below": the variant's acceptance upper bound is under this fraction of the best variant's rate. */
export const FAR_BELOW_FRACTION = 0.5;

/** Why a variant is paused, with the numbers that decided it. */
export type VariantVerdict =
  | { readonly action: 'keep'; readonly variantId: string }
  | { readonly action: 'pause'; readonly variantId: string; readonly rule: 'undeliverable' | 'harmful-uplift' | 'low-acceptance'; readonly reason: string; readonly evidence: Record<string, number | string> };

/** Wilson score interval of a proportion (k of n) at z. */
export function wilson(k: number, n: number, z = Z_95): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const m = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, (c - m) / d), high: Math.min(1, (c + m) / d) };
}

/**
 * Interval of a difference of two proportions, a/n − b/m, at z: Newcombe's hybrid score interval
 * (from each proportion's Wilson interval), which keeps its coverage on the small groups a run's
 * treated and control are. Null when either group is empty (nothing to read).
 */
export function differenceInterval(a: number, n: number, b: number, m: number, z = Z_95): { low: number; high: number } | null {
  if (n === 0 || m === 0) return null;
  const p1 = a / n;
  const p2 = b / m;
  const w1 = wilson(a, n, z);
  const w2 = wilson(b, m, z);
  const d = p1 - p2;
  return { low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2), high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2) };
}

/**
 * The pause rule, in order:
 * 0. undeliverable: at least MIN_FAILURES_TO_PAUSE contacts failed (the back end failed or refused
 *    them) and they are at least FAILURE_SHARE_TO_PAUSE of the variant's attempts: money kept on it
 *    buys nothing, so it is paused even when it is the last one (the campaign then ends);
 * 1. harmful uplift: with ≥ MIN_TREATED_TO_JUDGE_UPLIFT treated and a control group, the treated
 *    churn rate exceeds the control's with a two-proportion z statistic above Z_95 (uplift =
 *    control churn − treated churn is significantly negative);
 * 2. low acceptance: with ≥ MIN_ANSWERS_TO_PAUSE answers, the upper end of the variant's 95%
 *    Wilson interval is below FAR_BELOW_FRACTION × the best other active variant's acceptance.
 * The last active variant is never paused by rule 2 (a weak campaign is the budget's question, not
 * the bandit's); rule 1 pauses it too, since contacting harms.
 */
export function judgeVariants(stats: readonly VariantStats[], control: ControlStats | undefined, paused: ReadonlySet<string>): VariantVerdict[] {
  const active = stats.filter((s) => !paused.has(s.variantId));
  const rate = (s: VariantStats) => (s.accepted + s.declined > 0 ? s.accepted / (s.accepted + s.declined) : 0);
  const verdicts: VariantVerdict[] = [];
  let stillActive = active.length;
  for (const s of active) {
    const broken = undeliverable(s);
    if (broken) {
      verdicts.push(broken);
      stillActive--;
      continue;
    }
    const harm = harmfulUplift(s, control);
    if (harm) {
      verdicts.push(harm);
      stillActive--;
      continue;
    }
    const answers = s.accepted + s.declined;
    const others = active.filter((o) => o.variantId !== s.variantId && o.accepted + o.declined > 0);
    const bestOther = others.reduce((b, o) => Math.max(b, rate(o)), 0);
    const high = wilson(s.accepted, answers).high;
    if (stillActive > 1 && answers >= MIN_ANSWERS_TO_PAUSE && others.length > 0 && high < FAR_BELOW_FRACTION * bestOther) {
      verdicts.push({
        action: 'pause',
        variantId: s.variantId,
        rule: 'low-acceptance',
        reason: `acceptance ${pct(rate(s))} (95% upper bound ${pct(high)}) is below half the best variant's ${pct(bestOther)} after ${answers} answers`,
        evidence: { accepted: s.accepted, answers, acceptance: rate(s), upperBound: high, bestOtherAcceptance: bestOther },
      });
      stillActive--;
      continue;
    }
    verdicts.push({ action: 'keep', variantId: s.variantId });
  }
  return verdicts;
}

function undeliverable(s: VariantStats): VariantVerdict | undefined {
  const failed = s.failed ?? 0;
  const delivered = Math.max(s.presented, s.treated ?? 0);
  const attempts = failed + delivered;
  if (failed < MIN_FAILURES_TO_PAUSE || failed < FAILURE_SHARE_TO_PAUSE * attempts) return undefined;
  return {
    action: 'pause',
    variantId: s.variantId,
    rule: 'undeliverable',
    reason: `${failed} of ${attempts} contacts failed${s.lastFailure ? ` (last: ${s.lastFailure})` : ''}: the back end cannot deliver it`,
    evidence: { failed, delivered, attempts, ...(s.lastFailure ? { lastFailure: s.lastFailure } : {}) },
  };
}

function harmfulUplift(s: VariantStats, control: ControlStats | undefined): VariantVerdict | undefined {
  const n1 = s.treated ?? 0;
  const k1 = s.treatedChurned ?? 0;
  if (!control || control.customers === 0 || n1 < MIN_TREATED_TO_JUDGE_UPLIFT) return undefined;
  const p1 = k1 / n1;
  const p0 = control.churned / control.customers;
  const pooled = (k1 + control.churned) / (n1 + control.customers);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / control.customers));
  const z = se > 0 ? (p1 - p0) / se : 0;
  if (z <= Z_95) return undefined;
  return {
    action: 'pause',
    variantId: s.variantId,
    rule: 'harmful-uplift',
    reason: `treated churn ${pct(p1)} vs control ${pct(p0)} (uplift ${pct(p0 - p1)}, z = ${z.toFixed(2)} > ${Z_95}): contacting harms`,
    evidence: { treated: n1, treatedChurned: k1, control: control.customers, controlChurned: control.churned, uplift: p0 - p1, z },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
