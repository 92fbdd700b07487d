import { z } from 'zod';
import { POLICY_MODES } from '../../decisioning/policy/index.js';
import { NOTIFICATION_CHANNELS } from '../../domain/connectors/notifications.js';
import { TWIN_SCORE_FIELDS, type ScoreField } from '../../intelligence/live/score-fields.js';
import { featureFilterSchema } from '../../twin/feature-filter.js';
import type { FeatureName } from '../../twin/twin-features.js';
import { DAY_MS } from '../../domain/time.js';

/**
 * The intent model, shaped like a TM Forum TMF921 Intent: an id, a name and description, a
 * lifecycle status and a list of `intentExpectation`s, each naming a target (`targetName`), a
 * condition and a value. The retention-specific parts (segment, horizon, budget, constraints,
 * policy mode) sit beside the expectations as plain fields rather than as free-form
 * characteristics, so that the planner reads typed data.
 */

/** What the operator wants done; decides which action templates may serve the intent. */
export const INTENT_GOALS = ['retain', 'win-back', 'upsell', 'inform'] as const;
export type IntentGoal = (typeof INTENT_GOALS)[number];

/**
 * Metrics an expectation can target. Rates are percentages (0..100) of the segment;
 * `retained_customers` counts churners avoided; `net_value` is in the budget's currency.
 */
export const TARGET_METRICS = ['churn_rate', 'retained_customers', 'net_value', 'acceptance_rate', 'accepted_offers'] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

/**
 * `atLeast` / `atMost` compare the metric's level at the horizon with the value; `increaseBy` /
 * `decreaseBy` ask for a relative change, in percent of the level without the plan.
 */
export const TARGET_CONDITIONS = ['atLeast', 'atMost', 'increaseBy', 'decreaseBy'] as const;
export type TargetCondition = (typeof TARGET_CONDITIONS)[number];

/** Named segments the planner and the simulation lab know how to select. */
export const NAMED_SEGMENTS = ['high-value', 'prepaid', 'postpaid', 'at-risk', 'business', 'consumer', 'new-customers', 'churned'] as const;
export type NamedSegment = (typeof NAMED_SEGMENTS)[number];

/** Fields a segment filter may read: the twin's features plus the live scores (`churn`, `clv`). */
export const SEGMENT_FIELDS = TWIN_SCORE_FIELDS.names;
export type SegmentField = FeatureName | ScoreField;

/**
 * The intent's lifecycle (see intent-lifecycle.ts for the allowed moves). `planning` while its plans
 * are simulated, `planned` once one is chosen and waits to run (decision 0061); `failed`: no plan
 * could be made, or its run failed; final, with the reason (`IntentRecord.failure`).
 */
export const LIFECYCLE_STATUSES = ['proposed', 'accepted', 'planning', 'planned', 'executing', 'achieved', 'not-achieved', 'failed', 'cancelled'] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

/** Channels an intent may contact customers on (the notification connector's channels). */
export const INTENT_CHANNELS = NOTIFICATION_CHANNELS;
export type IntentChannel = (typeof INTENT_CHANNELS)[number];

const idString = z.string().trim().min(1).max(128);
const finite = z.number().finite();

/** One TMF921-style expectation: target metric, condition and value. */
export const intentExpectationSchema = z.strictObject({
  id: idString,
  name: z.string().max(200).optional(),
  targetName: z.enum(TARGET_METRICS),
  targetCondition: z.enum(TARGET_CONDITIONS),
  targetValue: finite,
});
export type IntentExpectation = z.infer<typeof intentExpectationSchema>;

/** Who the intent is about: the intersection of named segments, filters and cells (empty = everyone). */
export const segmentSchema = z.strictObject({
  named: z.array(z.enum(NAMED_SEGMENTS)).default([]),
  /** `{ field, op, value }` conditions over a twin feature or live score (the twin layer's FeatureFilter). */
  filters: z.array(featureFilterSchema(TWIN_SCORE_FIELDS)).default([]),
  cells: z.array(idString).default([]),
});
export type Segment = z.infer<typeof segmentSchema>;

/**
 * How long the intent runs: an amount of days or months from acceptance, optionally aligned to
 * the end of the calendar month or quarter ("this month", "by end of quarter").
 */
export const horizonSchema = z.strictObject({
  amount: z.number().int().min(1).max(366),
  unit: z.enum(['days', 'months']),
  alignTo: z.enum(['month_end', 'quarter_end']).optional(),
});
export type Horizon = z.infer<typeof horizonSchema>;

/** Money the plan may spend (upper bound of its simulated cost). */
export const budgetSchema = z.strictObject({
  amount: finite.positive(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
});
export type Budget = z.infer<typeof budgetSchema>;

/** Guardrails every plan for the intent must respect. */
export const constraintsSchema = z.strictObject({
  maxContactsPerCustomer: z.number().int().min(1).max(10).default(1),
  channels: z.array(z.enum(INTENT_CHANNELS)).min(1).default([...INTENT_CHANNELS]),
  excludedOffers: z.array(idString).default([]),
  maxDiscountPct: z.number().min(0).max(100).default(100),
});
export type IntentConstraints = z.infer<typeof constraintsSchema>;

/** Where the intent came from; an `llm` intent is a proposal until someone accepts it. */
export const intentSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('structured') }),
  z.strictObject({ kind: z.literal('text'), text: z.string() }),
  z.strictObject({ kind: z.literal('llm'), text: z.string(), model: z.string() }),
]);
export type IntentSource = z.infer<typeof intentSourceSchema>;

/** What a caller supplies to create an intent (the service assigns id, status and dates). */
export const intentDraftSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  goal: z.enum(INTENT_GOALS),
  intentExpectation: z.array(intentExpectationSchema).min(1),
  segment: segmentSchema.default({ named: [], filters: [], cells: [] }),
  horizon: horizonSchema,
  budget: budgetSchema.optional(),
  constraints: constraintsSchema.default({ maxContactsPerCustomer: 1, channels: [...INTENT_CHANNELS], excludedOffers: [], maxDiscountPct: 100 }),
  /** How far the intent may act without a human (the action policy's modes); the policy still decides each action. */
  policyMode: z.enum(POLICY_MODES).default('approve'),
});
/** A validated draft (defaults filled in). */
export type IntentDraft = z.infer<typeof intentDraftSchema>;
/** A draft as a caller may write it (defaults optional). */
export type IntentDraftInput = z.input<typeof intentDraftSchema>;

/** A stored intent. */
export const intentSchema = intentDraftSchema.extend({
  id: idString,
  lifecycleStatus: z.enum(LIFECYCLE_STATUSES),
  /** ISO date-times, as TMF921 names them. */
  creationDate: z.iso.datetime(),
  lastUpdate: z.iso.datetime(),
  source: intentSourceSchema,
});
export type Intent = z.infer<typeof intentSchema>;

/** One validation problem, with the path of the field at fault (`intentExpectation.0.targetValue`). */
export interface IntentIssue {
  readonly path: string;
  readonly message: string;
}

/** The outcome of validating untrusted input. */
export type IntentValidation<T> = { ok: true; value: T } | { ok: false; issues: IntentIssue[] };

function validateWith<S extends z.ZodType>(schema: S, input: unknown): IntentValidation<z.infer<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => ({ path: i.path.length ? i.path.map(String).join('.') : '(root)', message: i.message })),
  };
}

/** Validates a draft from outside (HTTP body, MCP call, LLM output); issues name the path. */
export function validateIntentDraft(input: unknown): IntentValidation<IntentDraft> {
  return validateWith(intentDraftSchema, input);
}

/** Validates a whole intent document (e.g. one read back from a store). */
export function validateIntent(input: unknown): IntentValidation<Intent> {
  return validateWith(intentSchema, input);
}

/** Formats issues as one line each, `path: message`, for error messages and CLI output. */
export function formatIntentIssues(issues: readonly IntentIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/**
 * The instant the horizon ends, counted from `fromMs` (UTC). Months are calendar months; an
 * aligned horizon ends at the close of the calendar month or quarter the amount lands in.
 */
export function horizonEnd(horizon: Horizon, fromMs: number): number {
  if (horizon.unit === 'days') return fromMs + horizon.amount * DAY_MS;
  const d = new Date(fromMs);
  if (!horizon.alignTo) return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + horizon.amount, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
  // "This month" is 1 month aligned to month end: the close of the current month, not a month later.
  let month = d.getUTCMonth() + horizon.amount - 1;
  if (horizon.alignTo === 'quarter_end') month = Math.floor(month / 3) * 3 + 2;
  return Date.UTC(d.getUTCFullYear(), month + 1, 1);
}

/**
 * When the intent's own horizon ends: counted from its creation, not from when its plan started.
 * "This month" said on 12 December ends on 1 January however long planning took; counted from the
 * plan's start it quietly became the next month. `fallbackMs` serves a record with no readable date.
 */
export function intentHorizonEnd(intent: { readonly horizon: Horizon; readonly creationDate: string }, fallbackMs: number): number {
  const created = Date.parse(intent.creationDate);
  return horizonEnd(intent.horizon, Number.isFinite(created) ? created : fallbackMs);
}

/** The horizon's length in days from `fromMs` (at least 1). */
export function horizonDays(horizon: Horizon, fromMs: number): number {
  return Math.max(1, Math.round((horizonEnd(horizon, fromMs) - fromMs) / DAY_MS));
}
