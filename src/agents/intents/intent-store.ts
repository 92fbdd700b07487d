import type { Actor } from '../../decisioning/policy/index.js';
import type { DocumentStore } from '../../store/document-store.js';
import type { Assessment } from './intent-assessment.js';
import type { Plan, PlanAlternative, PlanSelection, SamePlan } from './intent-planner.js';
import type { PlanOutcome } from './expectation-math.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import type { Intent } from './intent-schema.js';
import type { ResolvedSegment } from './segment-resolution.js';
import { describeLeftOut } from '../flows/campaign-audience.js';

/** What happened to an intent, in order; the report lists these. */
export type IntentEventKind =
  | 'created'
  | 'accepted'
  | 'planning'
  | 'planned'
  | 'plan-failed'
  | 'executed'
  | 'execution-refused'
  | 'assessed'
  | 're-planned'
  | 'achieved'
  | 'not-achieved'
  | 'failed'
  /** Closed at its horizon before its plan ran (status `failed`, `failure.expiredAt`). */
  | 'expired'
  | 'cancelled'
  | 'runs-stopped';

/** One entry of an intent's history. */
export interface IntentEvent {
  /** ISO date-time. */
  readonly at: string;
  readonly kind: IntentEventKind;
  readonly detail: string;
}

/** A plan with its simulated outcome, as chosen by the planner. */
export interface ChosenPlan {
  readonly plan: Plan;
  readonly outcome: PlanOutcome;
  readonly selection: PlanSelection['status'];
  readonly shortfalls: readonly string[];
  /** The segment as resolved against the twins when the plan was made (absent for plans made before segments were resolved). */
  readonly segment?: ResolvedSegment;
  /** The candidates simulated and not chosen, best first, each with why not (absent for plans made before they were kept). */
  readonly alternatives?: readonly PlanAlternative[];
  /** Candidates simulated to this plan's very outcome (`sameAsChosen`): named with it, not listed as alternatives. */
  readonly same?: readonly SamePlan[];
  /**
   * The control group it holds out: `share` of whom its campaign may contact, `expected` of them.
   * With `segment`, counted by the campaign's own draw when the plan was made (`IntentServiceDeps.audienceOf`):
   * `of` are those it may contact, the segment's `segment` active customers less those left out
   * before drawing (`leftOut`, by why: no marketing consent, held out by another run, likely sleeping
   * dogs). Without it (plans made before), `of` was the segment's count and `expected` its share of
   * that, which overstated it (18 said, 11 held). Absent for plans made before it was said.
   */
  readonly control?: {
    readonly share: number;
    readonly expected: number;
    readonly of: number;
    readonly segment?: number;
    readonly leftOut?: Readonly<Record<string, number>>;
    /**
     * The count made when the plan was chosen, when its start (an approval, an autonomous start)
     * counted again and found another (`expected`, `of`, `segment` are then the start's, what its
     * campaign opens with; `countedAt` when, ms). Absent when the two agree.
     */
    readonly planned?: { readonly expected: number; readonly of: number; readonly segment: number };
    readonly countedAt?: number;
  };
  /** What its simulations went without, in words (planned after a restart before the billing records were read again); absent when nothing. */
  readonly caveats?: readonly string[];
}

/**
 * A plan's control group in words: "holds out 10 % of the 110 it may contact as its control group:
 * 11 (the segment's 179 less 60 without marketing consent, 9 held out by other runs)".
 */
export function describeControl(c: NonNullable<ChosenPlan['control']>): string {
  if (c.share <= 0) return 'holds out no control group: nothing measures what it changes';
  const pct = Math.round(c.share * 100);
  if (c.segment === undefined) return `holds out ${pct} % of whom it may contact as its control group (about ${c.expected} of the segment's ${c.of})`;
  const less = c.leftOut && Object.keys(c.leftOut).length > 0 ? ` (the segment's ${c.segment} less ${describeLeftOut(c.leftOut)})` : '';
  const none = c.expected === 0 ? '; that is nobody, so its campaign will not run: widen the segment' : '';
  return `holds out ${pct} % of the ${c.of} it may contact as its control group: ${c.expected}${less}${none}`;
}

/** Everything kept about one intent: the intent, its plans, spend, assessments and history. */
export interface IntentRecord {
  readonly intent: Intent;
  /** Who created it (the credential's holder); absent for intents made before it was kept, or by the system. Nobody approves a plan of their own intent. */
  readonly createdBy?: Actor;
  /**
   * The role the creator's credential held when they created it: what an autonomous plan's start
   * reads for a creator whose standing cannot be read again (an OIDC identity, the local admin);
   * one the API keys name is judged by their keys as they are then. Absent before it was kept.
   */
  readonly createdByRole?: string;
  /** How the parser read the text, line by line (text intents only). */
  readonly interpretation?: readonly string[];
  /** The model's raw answer (LLM proposals only). */
  readonly rawText?: string;
  /** The plan executing, or chosen and awaiting execution. */
  readonly plan?: ChosenPlan;
  /** A re-plan awaiting approval while the current plan runs. */
  readonly pendingPlan?: ChosenPlan;
  /** When execution started (ms since epoch); the horizon counts from here. */
  readonly startedAt?: number;
  /**
   * When the plan now running started (ms since epoch): the first execution's, or a re-plan's
   * switch. A plan is not re-planned before MIN_ELAPSED_SHARE of the horizon has passed since it
   * started (absent in records saved before: `startedAt`).
   */
  readonly planStartedAt?: number;
  readonly executionIds: readonly string[];
  readonly spend: number;
  readonly lastAssessment?: Assessment;
  /**
   * Why the intent failed (status `failed`): no plan could be made, its run failed, or it expired
   * before its plan ran (`expiredAt`: when its horizon ended, ISO).
   */
  readonly failure?: { readonly at: string; readonly reason: string; readonly expiredAt?: string };
  readonly events: readonly IntentEvent[];
}

/**
 * A stored record in today's shape (read so everywhere; rewritten so on its next save, and at each
 * start by `IntentService.upgradeStored`): intents stored before the filter vocabulary was one named
 * a segment filter's field `feature`, read as `field`; an intent stored `planning` with its plan
 * chosen, before the status `planned` was (decision 0061), is `planned`.
 */
export function upgradeIntentRecord(r: IntentRecord): IntentRecord {
  const filters = r.intent.segment.filters as readonly (FeatureFilter | (Omit<FeatureFilter, 'field'> & { feature: string }))[];
  let upgraded = r;
  if (!filters.every((f) => 'field' in f)) {
    const named = filters.map((f) => ('field' in f ? f : { field: f.feature, op: f.op, value: f.value }));
    upgraded = { ...upgraded, intent: { ...upgraded.intent, segment: { ...upgraded.intent.segment, filters: named } } };
  }
  if (upgraded.intent.lifecycleStatus === 'planning' && upgraded.plan) upgraded = { ...upgraded, intent: { ...upgraded.intent, lifecycleStatus: 'planned' } };
  return upgraded;
}

/** Where intents are kept: documents by intent id. */
export type IntentStore = DocumentStore<IntentRecord>;
