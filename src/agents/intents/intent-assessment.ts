import {
  describeExpectation,
  expectedAtHorizon,
  isCumulative,
  meetsTarget,
  relativeShortfall,
  type PlanOutcome,
} from './expectation-math.js';
import { intentHorizonEnd, type Intent, type IntentExpectation, type TargetCondition, type TargetMetric } from './intent-schema.js';

/**
 * Watching an intent: a pure judgement of observed metrics against the expectations and the
 * plan, saying whether each expectation is on track and when to re-plan.
 */

/**
 * A projected shortfall up to 10% of the target is `at-risk` (noise of a few weeks' data);
 * beyond it the intent is `off-track` and is re-planned.
 */
export const REPLAN_TOLERANCE = 0.1;
/**
 * Before 10% of the horizon has passed, too little has happened to extrapolate: expectations are
 * judged by the plan's simulation only and nothing triggers a re-plan.
 */
export const MIN_ELAPSED_SHARE = 0.1;

/** Status of one expectation, or of the intent as a whole. */
export type ExpectationStatus = 'on-track' | 'at-risk' | 'off-track' | 'achieved';

/** What has been observed since the plan started (the `observe` dependency supplies it). */
export interface Observation {
  /** When the figures were read (ms since epoch). */
  readonly asOf: number;
  /** Metric levels so far in the segment: counts and money accumulated, rates in percent. */
  readonly values: Partial<Record<TargetMetric, number>>;
  /** Levels without the plan (the control group's, scaled), for relative targets. */
  readonly baseline?: Partial<Record<TargetMetric, number>>;
  /** Money spent so far. */
  readonly spend: number;
  /** Set when the plan's run failed (its error): the intent then fails with it. */
  readonly failed?: string;
  /** What the figures were measured on, in words (the campaign's treated and held-out customers, its answers and spend). */
  readonly basis?: string;
  /**
   * The 90 % interval of a value that is an estimate from few customers (churners avoided, their
   * net value, a churn rate): an expectation is off track only when even the interval's better end
   * falls short, so a control group of a handful, none of whom has churned yet, triggers no re-plan.
   */
  readonly ranges?: Partial<Record<TargetMetric, { readonly low: number; readonly high: number }>>;
  /** The 90 % interval of each baseline (the control group's churn rate): a relative target's change is read from both. */
  readonly baselineRanges?: Partial<Record<TargetMetric, { readonly low: number; readonly high: number }>>;
  /** How far its runs carried out the plan: whom they contacted and why not the others (a campaign's delivery). */
  readonly delivery?: RunDelivery;
}

/** What a plan's runs did of it so far: the customers contacted, and why the others of its audience were not. */
export interface RunDelivery {
  /** Customers contacted (the offer or message delivered). */
  readonly contacted: number;
  /** Contacts asked of the executor, carried out or not. */
  readonly tried: number;
  /** Of its audience, those its ticks have not reached yet (its queue). */
  readonly notReached: number;
  /** Contacts waiting for a person's approval. */
  readonly awaitingApproval: number;
  /** Its audience's customers left out, by why (no-consent, channel-opt-out, contact caps, left-segment…). */
  readonly leftOut: Readonly<Record<string, number>>;
  /** Ticks a refusal for everyone cut short, by the rule (quiet-hours: the contact window closed before the tick had reached its part; budget). */
  readonly cutShort: Readonly<Record<string, number>>;
  /** Held out on purpose as the control group. */
  readonly heldOut: number;
}

/** Refusals for everyone that end a tick (campaign-delivery.ts NOT_NOW_GUARDRAILS), in words. */
const CUT_SHORT_WHY: Readonly<Record<string, string>> = {
  'quiet-hours': "the contact policy's quiet hours began before the tick had reached its part (its contacts go out a batch at a time, ten at once by default: decision 0089; the world's day ran on between batches)",
  budget: "the action policy's budget for the action class was used up",
};

/**
 * How much of the plan its runs carried out, in words: "27 of the 1482 customers the plan targeted
 * contacted (36 tried); 987 not reached yet: ticks cut short 3 times as the contact policy's quiet
 * hours began …; left out: 470 no-consent; 114 held out as its control". Before, an intent whose
 * campaign contacted 69 of the 2,140 planned ended not-achieved and nothing said why.
 */
export function describeDelivery(d: RunDelivery, targeted: number | undefined, horizonReached: boolean): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const of = targeted !== undefined ? ` of the ${n(targeted)} customers the plan targeted` : '';
  const cut = Object.entries(d.cutShort).filter(([, k]) => k > 0);
  const why = cut.length ? `: ticks cut short ${cut.map(([rule, k]) => `${k} time${k === 1 ? '' : 's'} as ${CUT_SHORT_WHY[rule] ?? rule}`).join('; ')}` : '';
  const left = Object.entries(d.leftOut).filter(([, k]) => k > 0);
  return [
    `${n(d.contacted)}${of} contacted (${n(d.tried)} tried)`,
    ...(d.notReached > 0 ? [`${n(d.notReached)} of its audience ${horizonReached ? 'never reached before its horizon' : 'not reached yet'}${why}`] : cut.length ? [`ticks cut short${why.slice(1)}`] : []),
    ...(d.awaitingApproval > 0 ? [`${n(d.awaitingApproval)} waiting for a person's approval`] : []),
    ...(left.length ? [`left out: ${left.map(([w, k]) => `${n(k)} ${w}`).join(', ')}`] : []),
    ...(d.heldOut > 0 ? [`${n(d.heldOut)} held out as its control group`] : []),
  ].join('; ');
}

/**
 * Metrics whose observed value is an estimate (churners avoided and their net value are a
 * difference against a control group; a churn rate is read on the few treated so far): the
 * verdict "achieved" needs its 90 % interval, an exact value comes with a zero-width one.
 * Accepted offers and the acceptance rate are counted, not estimated.
 */
export const ESTIMATED_METRICS: ReadonlySet<TargetMetric> = new Set(['retained_customers', 'net_value', 'churn_rate']);

/** Whether an expectation's observed value is an estimate: an estimated metric, or any change relative to a baseline. */
export const isEstimate = (e: IntentExpectation): boolean => ESTIMATED_METRICS.has(e.targetName) || e.targetCondition === 'increaseBy' || e.targetCondition === 'decreaseBy';

/**
 * The 90 % interval of an expectation's observed value in its own terms: the level's, or for a
 * relative change the widest reading of the level's and the baseline's intervals together
 * (undefined when either is missing, or the baseline's may be 0).
 */
export function observedRange(e: IntentExpectation, observed: Observation): { low: number; high: number } | undefined {
  const level = observed.ranges?.[e.targetName];
  if (!level) return undefined;
  if (e.targetCondition === 'atLeast' || e.targetCondition === 'atMost') return level;
  const base = observed.baselineRanges?.[e.targetName];
  if (!base || !(base.low > 0)) return undefined;
  const sign = e.targetCondition === 'decreaseBy' ? -1 : 1;
  const corners = [level.low, level.high].flatMap((now) => [base.low, base.high].map((b) => (sign * (now - b) * 100) / b));
  return { low: Math.min(...corners), high: Math.max(...corners) };
}

/** The plan being watched: its simulated outcome and when it started. */
export interface ActivePlan {
  readonly outcome: PlanOutcome;
  /** ms since epoch. */
  readonly startedAt: number;
}

/** One expectation as assessed. */
export interface ExpectationProgress {
  readonly expectationId: string;
  readonly targetName: TargetMetric;
  readonly targetCondition: TargetCondition;
  readonly targetValue: number;
  /** Value so far, in the expectation's terms (undefined when not observed). */
  readonly current?: number;
  /** When `current` was measured (ISO date-time, the world's time). */
  readonly measuredAt?: string;
  /** The 90 % interval of `current` when it is an estimate (`Observation.ranges`). */
  readonly currentRange?: { readonly low: number; readonly high: number };
  /**
   * Why a value that meets the target by its point estimate is not shown to (its interval's worse
   * end misses it, or it is an estimate with no interval: "not yet readable"), or, at the horizon,
   * why one that misses it by its point estimate is not shown to miss it (its interval's better end
   * meets it, or it came with none: "not yet readable").
   */
  readonly notShown?: string;
  /**
   * Where the current pace leads at the horizon, once MIN_ELAPSED_SHARE of it has passed (before,
   * absent, and `notProjected` says why): a point read on a tenth of a horizon or less, divided by it,
   * read "−267,644.65" from a net value of −4,340.5 measured three days in.
   */
  readonly projected?: number;
  /** The 90 % interval of `projected`: `currentRange` carried to the horizon the same way. */
  readonly projectedRange?: { readonly low: number; readonly high: number };
  /** Why nothing is projected yet: "too early to project: 2% of the horizon has passed; …". */
  readonly notProjected?: string;
  /** What the plan's simulation expected at the horizon. */
  readonly expectedAtHorizon?: number;
  readonly status: ExpectationStatus;
}

/** The judgement: overall status, per expectation, and the reason to re-plan when there is one. */
export interface Assessment {
  readonly status: ExpectationStatus;
  readonly horizonReached: boolean;
  /** Share of the horizon elapsed, 0..1. */
  readonly elapsedShare: number;
  readonly expectations: readonly ExpectationProgress[];
  readonly replan?: string;
  /** When the figures were read (ISO date-time) and what on (`Observation.basis`). */
  readonly measuredAt?: string;
  readonly basis?: string;
  /** How much of the plan its runs carried out, and why not all (`describeDelivery`), when they say. */
  readonly carriedOut?: string;
  readonly delivery?: RunDelivery;
}

const SEVERITY: Record<ExpectationStatus, number> = { achieved: 0, 'on-track': 1, 'at-risk': 2, 'off-track': 3 };

/** Judges observed metrics against the intent's expectations and the active plan (pure). */
export function assess(intent: Intent, plan: ActivePlan, observed: Observation): Assessment {
  // The horizon is the intent's (from its creation); the share elapsed is of what was left of it when the plan started.
  const end = intentHorizonEnd(intent, plan.startedAt);
  const span = end - plan.startedAt;
  const elapsedShare = span > 0 ? Math.min(1, Math.max(0, (observed.asOf - plan.startedAt) / span)) : 1;
  const horizonReached = observed.asOf >= end;
  const expectations = intent.intentExpectation.map((e) => progressOf(e, plan.outcome, observed, elapsedShare, horizonReached));
  const reasons: string[] = [];
  for (const [i, p] of expectations.entries()) {
    if (p.status !== 'off-track' || horizonReached) continue;
    const e = intent.intentExpectation[i];
    reasons.push(`${describeExpectation(e)} projected at ${round(p.projected ?? NaN)} (more than ${REPLAN_TOLERANCE * 100}% short)`);
  }
  let status: ExpectationStatus = expectations.every((p) => p.status === 'achieved')
    ? 'achieved'
    : expectations.reduce<ExpectationStatus>((w, p) => (SEVERITY[p.status] > SEVERITY[w] ? p.status : w), 'on-track');
  if (intent.budget && observed.spend > intent.budget.amount) {
    if (!horizonReached) reasons.push(`spend ${round(observed.spend)} exceeds the budget of ${intent.budget.amount} ${intent.budget.currency}`);
    status = 'off-track';
  }
  return {
    status,
    horizonReached,
    elapsedShare,
    expectations,
    ...(reasons.length ? { replan: reasons.join('; ') } : {}),
    measuredAt: new Date(observed.asOf).toISOString(),
    ...(observed.basis ? { basis: observed.basis } : {}),
    ...(observed.delivery ? { delivery: observed.delivery, carriedOut: describeDelivery(observed.delivery, plan.outcome.targeted, horizonReached) } : {}),
  };
}

/** The observed value of an expectation, in its own terms (level, or relative change in percent). */
export function observedValue(e: IntentExpectation, observed: Observation): number | undefined {
  const now = observed.values[e.targetName];
  if (now === undefined) return undefined;
  if (e.targetCondition === 'atLeast' || e.targetCondition === 'atMost') return now;
  const base = observed.baseline?.[e.targetName];
  if (base === undefined || base === 0) return undefined;
  const change = ((now - base) / Math.abs(base)) * 100;
  return e.targetCondition === 'decreaseBy' ? -change : change;
}

function progressOf(e: IntentExpectation, outcome: PlanOutcome, observed: Observation, f: number, horizonReached: boolean): ExpectationProgress {
  const expected = expectedAtHorizon(e, outcome);
  const current = observedValue(e, observed);
  const base = { expectationId: e.id, targetName: e.targetName, targetCondition: e.targetCondition, targetValue: e.targetValue, ...(expected !== undefined ? { expectedAtHorizon: expected } : {}) };
  const planSays: ExpectationStatus = expected !== undefined && meetsTarget(e, expected) ? 'on-track' : 'at-risk';
  if (current === undefined) return { ...base, status: horizonReached ? 'off-track' : planSays };
  // Too little of the horizon has passed to carry anything to it: nothing is projected, and the status is read on the value as it stands.
  const early = !horizonReached && f < MIN_ELAPSED_SHARE;
  // Counts and money accumulate: extrapolate the pace so far; rates are read as they stand.
  const toHorizon = (x: number) => (isCumulative(e) && f > 0 && !horizonReached ? x / f : x);
  const projected = toHorizon(current);
  const range = observedRange(e, observed);
  const pct = `${Math.round(f * 1000) / 10}%`;
  const projection = early
    ? { notProjected: `too early to project: ${pct} of the horizon has passed, and a pace is read from ${MIN_ELAPSED_SHARE * 100}% on` }
    : { projected, ...(range ? { projectedRange: { low: toHorizon(range.low), high: toHorizon(range.high) } } : {}) };
  const withValues = { ...base, current, measuredAt: new Date(observed.asOf).toISOString(), ...(range ? { currentRange: range } : {}), ...projection };
  // An estimate is shown to meet the target only by its interval's worse end; one with no interval is not yet readable.
  const unshown = (): string | undefined => {
    if (!isEstimate(e)) return undefined;
    if (!range) return `not yet readable: ${round(current)} meets the target by its point estimate, but ${e.targetName} is an estimate and came with no 90% interval (${observed.basis ?? 'no basis given'})`;
    const worse = e.targetCondition === 'atMost' ? range.high : range.low;
    return meetsTarget(e, worse) ? undefined : `${round(current)} meets the target but its 90% interval's worse end ${round(worse)} does not`;
  };
  if (horizonReached) {
    if (!meetsTarget(e, current)) {
      // A miss is shown as a hit is: an estimate whose 90 % interval's better end still meets the
      // target (or that came with no interval) is not read as missed on its point. A month's campaign
      // with 11 held out, none churned, ended "off-track" on a net value of −57 whose interval ran from −2,449 to 14,903.
      const better = range ? (e.targetCondition === 'atMost' ? range.low : range.high) : undefined;
      if (isEstimate(e) && (better === undefined || meetsTarget(e, better))) {
        const why = better === undefined ? `came with no 90% interval (${observed.basis ?? 'no basis given'})` : `its 90% interval's better end ${round(better)} meets it`;
        return { ...withValues, status: 'at-risk', notShown: `not yet readable: ${round(current)} misses the target by its point estimate, but ${e.targetName} is an estimate and ${why}` };
      }
      return { ...withValues, status: 'off-track' };
    }
    // The final verdict of an estimate: achieved only when its interval's worse end meets the
    // target too; a point estimate that meets it with an interval that does not, or with none, is not shown.
    const notShown = unshown();
    if (notShown) return { ...withValues, status: 'at-risk', notShown };
    return { ...withValues, status: 'achieved' };
  }
  // Offers accepted only grow, and customers kept as shown by their interval: once the target is reached it stays reached.
  if ((e.targetName === 'retained_customers' || e.targetName === 'accepted_offers') && e.targetCondition === 'atLeast' && current >= e.targetValue && !unshown()) {
    return { ...withValues, status: 'achieved' };
  }
  if (early) {
    // Shown to meet the target already as it stands (an estimate by its interval's worse end): on
    // track; otherwise too early to tell, whatever the plan said (its "on-track" stood beside a net
    // value of −4,340.5). Never off track: nothing is re-planned on so little.
    const worse = range ? (e.targetCondition === 'atMost' ? range.high : range.low) : isEstimate(e) ? undefined : current;
    if (worse !== undefined && meetsTarget(e, worse)) return { ...withValues, status: 'on-track' };
    const read = `${round(current)}${range ? ` (90%: ${round(range.low)} to ${round(range.high)})` : ''}`;
    const plan = expected !== undefined ? `; the plan's simulation expected ${round(expected)} at the horizon` : '';
    return { ...withValues, status: 'at-risk', notShown: `too early to tell: ${read} measured at ${pct} of the horizon ${meetsTarget(e, current) ? 'meets the target by its point estimate only' : 'is short of the target as it stands'}, and a pace is read from ${MIN_ELAPSED_SHARE * 100}% on${plan}` };
  }
  const shortfall = relativeShortfall(e, projected, expected ?? 0);
  const status: ExpectationStatus = shortfall === 0 ? 'on-track' : shortfall <= REPLAN_TOLERANCE ? 'at-risk' : 'off-track';
  if (status !== 'off-track' || !range) return { ...withValues, status };
  // Off track by the point estimate: the estimate's better end projected the same way decides.
  const best = e.targetCondition === 'atMost' ? range.low : range.high;
  const bestProjected = isCumulative(e) && f > 0 ? best / f : best;
  return { ...withValues, status: relativeShortfall(e, bestProjected, expected ?? 0) <= REPLAN_TOLERANCE ? 'at-risk' : 'off-track' };
}

const round = (x: number) => Math.round(x * 100) / 100;
