import { expectedAtHorizon } from './expectation-math.js';
import type { ExpectationProgress, ExpectationStatus } from './intent-assessment.js';
import type { Plan } from './intent-planner.js';
import type { ChosenPlan, IntentEvent, IntentRecord } from './intent-store.js';
import type { PolicyMode } from '../../decisioning/policy/index.js';
import { intentHorizonEnd, type LifecycleStatus } from './intent-schema.js';
import { intentStage, workInProgress, type IntentStage, type IntentWork, type PeopleTime } from './intent-lifecycle.js';
import type { ResolvedSegment } from './segment-resolution.js';

/**
 * IntentReport (as TMF921 names it): per expectation the target, the current value, what the
 * plan expects at the horizon and the status; the plan; spend against budget; and the history.
 * This is the body of `GET /intents/:id/report`.
 */
export interface IntentReport {
  readonly intentId: string;
  readonly name: string;
  readonly lifecycleStatus: LifecycleStatus;
  /** Where it stands as a person reads it: awaiting approval (by whom, since when), acting, missed, not yet readable… */
  readonly stage: IntentStage;
  readonly policyMode: PolicyMode;
  /** ISO date-time. */
  readonly generatedAt: string;
  /** Overall status; absent before the intent is planned. */
  readonly status?: ExpectationStatus;
  readonly expectations: readonly ReportedExpectation[];
  readonly plan?: Plan;
  /** The plan's segment as resolved against the twins when it was made. */
  readonly segment?: ResolvedSegment;
  /** The control group the plan holds out (share, and about how many of the segment), when it said. */
  readonly control?: ChosenPlan['control'];
  /** What the plan's simulations went without (`ChosenPlan.caveats`), when they did. */
  readonly caveats?: ChosenPlan['caveats'];
  /** Whether the plan meets the expectations in simulation, or is the best effort. */
  readonly planSelection?: 'meets-expectations' | 'best-effort' | 'no-plan';
  readonly shortfalls: readonly string[];
  readonly pendingPlan?: Plan;
  readonly spend: { readonly spent: number; readonly budget?: number; readonly currency?: string };
  /** Why the intent failed (lifecycle status `failed`). */
  readonly failureReason?: string;
  /** When the intent's horizon ends (ISO, counted from its creation: the world's time). */
  readonly horizonEndsAt: string;
  /**
   * Set when an intent that has not run (accepted, planning) is past its horizon: it will not run,
   * and once closed (failed, `failure.expiredAt`) it says when its horizon ended and when it was closed.
   */
  readonly expired?: string;
  /** When the expectations' current values were last measured (ISO, the world's time), and on what; absent before the first check. */
  readonly measured?: { readonly at: string; readonly basis?: string };
  /** How much of the plan its runs carried out so far, and why not all (the last check's `carriedOut`). */
  readonly carriedOut?: string;
  /** What the service is still doing for it on its own (its plans being simulated, its run starting); absent when it waits for a person or has ended. */
  readonly inProgress?: IntentWork;
  readonly events: readonly IntentEvent[];
}

/**
 * An expectation's status before anything can judge it (no plan, so no simulation and no
 * measure): `planning` while the intent is accepted or being planned, `not-judged` when it was not
 * accepted yet or ended without a plan. Before a plan every expectation read `at-risk`, as if
 * something had found it short.
 */
export type UnjudgedStatus = 'planning' | 'not-judged';

/** An expectation as the report shows it: as assessed, or as the plan's simulation says, or not judged yet (`notJudged` says why). */
export type ReportedExpectation = Omit<ExpectationProgress, 'status'> & { readonly status: ExpectationStatus | UnjudgedStatus; readonly notJudged?: string };

/** Why an intent with no plan has nothing judged yet, and the status that says so. */
function unjudged(record: IntentRecord): { status: UnjudgedStatus; why: string } {
  const status = record.intent.lifecycleStatus;
  if (status === 'accepted' || status === 'planning') return { status: 'planning', why: 'not judged yet: its plan is being made (simulated over the segment); each target is judged once a plan says what to expect' };
  if (status === 'proposed') return { status: 'not-judged', why: 'not judged: the intent is proposed, not accepted; it is planned once accepted' };
  return { status: 'not-judged', why: `not judged: the intent is ${status} and never had a plan${record.failure ? ` (${record.failure.reason})` : ''}` };
}

/** Builds the report from a stored record (pure; the last assessment supplies current values). */
export function buildIntentReport(record: IntentRecord, now: number, people?: PeopleTime): IntentReport {
  const { intent } = record;
  const assessed = record.lastAssessment;
  const outcome = record.plan?.outcome;
  const none = record.plan ? undefined : unjudged(record);
  const expectations: ReportedExpectation[] = assessed
    ? [...assessed.expectations]
    : intent.intentExpectation.map((e) => {
        const expected = outcome ? expectedAtHorizon(e, outcome) : undefined;
        return {
          expectationId: e.id,
          targetName: e.targetName,
          targetCondition: e.targetCondition,
          targetValue: e.targetValue,
          ...(expected !== undefined ? { expectedAtHorizon: expected } : {}),
          // With a plan and nothing measured yet, its simulation judges; with none, nothing does.
          ...(none ? { status: none.status, notJudged: none.why } : { status: record.plan!.selection === 'meets-expectations' ? 'on-track' : 'at-risk' }),
        };
      });
  const work = workInProgress(record);
  const horizonEndsAt = intentHorizonEnd(intent, now);
  const notRun = intent.lifecycleStatus === 'accepted' || intent.lifecycleStatus === 'planning' || intent.lifecycleStatus === 'planned';
  const lastPlanFailure = [...record.events].reverse().find((e) => e.kind === 'plan-failed');
  return {
    intentId: intent.id,
    name: intent.name,
    lifecycleStatus: intent.lifecycleStatus,
    stage: intentStage(record, now, horizonEndsAt, people),
    policyMode: intent.policyMode,
    generatedAt: new Date(now).toISOString(),
    ...(assessed ? { status: assessed.status } : record.plan ? { status: record.plan.selection === 'meets-expectations' ? 'on-track' : 'at-risk' } : {}),
    expectations,
    ...(record.plan?.segment ? { segment: record.plan.segment } : {}),
    ...(record.plan?.control ? { control: record.plan.control } : {}),
    ...(record.plan?.caveats?.length ? { caveats: record.plan.caveats } : {}),
    ...(record.plan ? { plan: record.plan.plan, planSelection: record.plan.selection } : lastPlanFailure ? { planSelection: 'no-plan' as const } : {}),
    shortfalls: record.plan ? record.plan.shortfalls : lastPlanFailure ? [lastPlanFailure.detail] : [],
    ...(record.pendingPlan ? { pendingPlan: record.pendingPlan.plan } : {}),
    spend: { spent: record.spend, ...(intent.budget ? { budget: intent.budget.amount, currency: intent.budget.currency } : {}) },
    ...(record.failure ? { failureReason: record.failure.reason } : {}),
    horizonEndsAt: new Date(horizonEndsAt).toISOString(),
    ...(record.failure?.expiredAt
      ? { expired: `expired at ${record.failure.expiredAt}, closed ${record.failure.at}: ${record.failure.reason}` }
      : notRun && now >= horizonEndsAt
        ? { expired: `expired before it ran: its horizon ended ${new Date(horizonEndsAt).toISOString()}; its plan will not run (the server's sweep closes it within 6 hours of the world's time)` }
        : {}),
    ...(assessed?.measuredAt ? { measured: { at: assessed.measuredAt, ...(assessed.basis ? { basis: assessed.basis } : {}) } } : {}),
    ...(assessed?.carriedOut ? { carriedOut: assessed.carriedOut } : {}),
    ...(work ? { inProgress: work } : {}),
    events: record.events,
  };
}
