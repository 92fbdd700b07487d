import { z } from 'zod';
import { channelSchema, type Channel } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import { TWIN_SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import { featureFilterSchema, recordPredicate } from '../../twin/feature-filter.js';
import { contactPolicySchema, resolveContactPolicy, type ContactPolicy } from '../contact-policy.js';
import { ACTION_CLASS, type ActionRequest } from './action-request.js';
import { churnPreventionPolicySchema, type ChurnPreventionPolicy } from './churn-prevention-settings.js';

/**
 * The action policy document: segments, rules (mode per action class, channel and segment, with
 * guardrails, risk class and cost) and budgets. Parsed once with `parseActionPolicy`; the result
 * is plain typed data plus compiled segment predicates. See docs/policy.md.
 */

/** advise: only recommend; approve: a human approves first; autonomous: execute. */
export const POLICY_MODES = ['advise', 'approve', 'autonomous'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

/** How much harm a wrong action can do; shown to approvers and recorded in the audit. */
export const RISK_CLASSES = ['low', 'medium', 'high'] as const;
export type RiskClass = (typeof RISK_CLASSES)[number];

/** What a timed-out approval turns into: dropped, or shown as a recommendation only. Never executed. */
export const APPROVAL_FALLBACKS = ['reject', 'advise-only'] as const;
export type ApprovalFallback = (typeof APPROVAL_FALLBACKS)[number];

/**
 * The default money window: what lands on one monthly bill. A credit split in two, in ten, or over
 * a week reaches the same bill, and the bill is what an operator's finance reconciles; a shorter
 * window (a day) only makes the split take longer.
 */
export const MONEY_WINDOW_DAYS = 30;
/** The longest money window a policy may set, and so how long a money move is kept to be counted. */
export const MAX_MONEY_WINDOW_DAYS = 92;

/**
 * The money moves an asker's daily total counts (`askerMoneyPerDay`): money paid to customers.
 * Discounts are not counted: their cost is revenue forgone over months, which campaigns give by the
 * thousand, and their own percentage thresholds and caps bound them.
 */
export const ASKER_MONEY_MOVES: ReadonlySet<string> = new Set(['credit', 'compensation']);
/** The window an asker's total is counted over: a day, on the wall clock (an asker acts in people's time, decision 0028). */
export const ASKER_MONEY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** An asker as `askerMoneyPerDay` names one: every asker of a kind, or one (`kind:id`, a key's subject, a flow's id). */
const ASKER_KEY = /^(human|agent|system)(:[^\s]{1,200})?$/;

/** Matches any action class, channel or segment. */
export const ANY = '*';

const SEGMENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** A segment's filters read the twin's features and live scores: `{ field: 'arpu_3m', op: '>=', value: 60 }`. */
const filterSchema = featureFilterSchema(TWIN_SCORE_FIELDS);

const approvalSchema = z.object({
  /** How long an approval may wait. */
  timeoutMinutes: z.number().int().positive().max(60 * 24 * 90),
  onTimeout: z.enum(APPROVAL_FALLBACKS),
});

const guardrailsSchema = z
  .object({
    /** Hard cap on the cost of one action: above it the request is denied. */
    costCap: z.number().finite().nonnegative().optional(),
    /** An autonomous rule escalates to approval above this cost. */
    approveAboveCost: z.number().finite().nonnegative().optional(),
    /** Hard cap on a discount percentage: above it the request is denied. */
    discountCapPct: z.number().finite().min(0).max(100).optional(),
    /** An autonomous rule escalates to approval above this percentage. */
    approveAboveDiscountPct: z.number().finite().min(0).max(100).optional(),
  })
  .strict()
  .default({});

const ruleSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"'),
    actionClass: z.union([z.literal(ANY), z.string().regex(ACTION_CLASS)]).default(ANY),
    channel: z.union([z.literal(ANY), channelSchema]).default(ANY),
    segment: z.union([z.literal(ANY), z.string().regex(SEGMENT_NAME)]).default(ANY),
    mode: z.enum(POLICY_MODES),
    riskClass: z.enum(RISK_CLASSES).default('medium'),
    /** Cost of one action when the request names none (e.g. an SMS). */
    unitCost: z.number().finite().nonnegative().default(0),
    guardrails: guardrailsSchema,
    /** Overrides the policy's approval timeout for this rule. */
    approval: approvalSchema.optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

const budgetSchema = z
  .object({
    /** Action class the budget counts, or "*" for all. */
    actionClass: z.union([z.literal(ANY), z.string().regex(ACTION_CLASS)]).default(ANY),
    /** Agent domain the budget counts; absent counts every domain. */
    domain: z.string().min(1).max(64).optional(),
    period: z.enum(['day', 'month']),
    limit: z.number().finite().nonnegative(),
  })
  .strict();

const segmentSchema = z.object({ description: z.string().max(500).optional(), all: z.array(filterSchema).min(1) }).strict();

/** The policy document (JSON) schema. */
export const actionPolicySchema = z
  .object({
    /**
     * Which version of the operator's policy this document is: the number the store gave it (0 is
     * the built-in default), the same as `GET /policy`'s `version`. A document being put in force
     * may carry any number (the one it was read as, or none): it gets the next one.
     */
    version: z.number().int().min(0).optional(),
    /** Mode for a request no rule matches. Default advise: nothing unknown executes. */
    fallbackMode: z.enum(POLICY_MODES).default('advise'),
    /** Approval timeout when a rule names none. Default: 24 hours, then reject. */
    approval: approvalSchema.default({ timeoutMinutes: 24 * 60, onTimeout: 'reject' }),
    segments: z.record(z.string().regex(SEGMENT_NAME), segmentSchema).default({}),
    rules: z.array(ruleSchema).default([]),
    budgets: z.array(budgetSchema).default([]),
    /**
     * Days over which an approval threshold on cost (`approveAboveCost`) counts a money move with
     * what the same customer was given of its class before: carried out within them, or waiting for
     * a person. 0 judges each request alone. See MONEY_WINDOW_DAYS and decision 0068.
     */
    moneyWindowDays: z.number().int().min(0).max(MAX_MONEY_WINDOW_DAYS).default(MONEY_WINDOW_DAYS),
    /**
     * What one asker may pay out to customers (credits and compensations, ASKER_MONEY_MOVES) in a day
     * without a person, over all customers: by asker kind (`agent`) or one asker (`agent:llm-agent`,
     * which wins over its kind). Above it, what would run alone waits for a person. The money window
     * counts per customer; one AI agent's key crediting many customers 9.99 each was bounded by
     * nothing but the month's budget. Absent: no asker is bounded (decision 0070).
     */
    askerMoneyPerDay: z.record(z.string().min(1).max(210), z.number().finite().nonnegative()).default({}),
    /** The contact rules (caps, cool-downs, quiet hours) every path obeys; absent: their documented defaults. */
    contact: contactPolicySchema.optional(),
    /** Proactive churn prevention's floor, budget, offer set and cadence (churn-prevention-settings.ts); absent: its defaults. */
    churnPrevention: churnPreventionPolicySchema.optional(),
  })
  .strict();

/** The policy document as written (before defaults). */
export type ActionPolicyDocument = z.input<typeof actionPolicySchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type PolicyBudget = z.infer<typeof budgetSchema>;
export type ApprovalSettings = z.infer<typeof approvalSchema>;

/** A segment given in code: a predicate over the twin features (and scores) the request carries; a missing one fails its filter. */
export type SegmentPredicate = (features: Readonly<Record<string, number>>) => boolean;

/** A parsed, checked policy: plain data plus compiled segments. */
export interface ActionPolicy {
  readonly fallbackMode: PolicyMode;
  readonly approval: ApprovalSettings;
  readonly rules: readonly PolicyRule[];
  readonly budgets: readonly PolicyBudget[];
  /** Days an `approveAboveCost` counts a customer's earlier money moves of the class over (0: each request alone). */
  readonly moneyWindowDays: number;
  /** What an asker (its kind, or `kind:id`) may pay out in a day without a person (`askerMoneyLimit`). */
  readonly askerMoneyPerDay: Readonly<Record<string, number>>;
  readonly segments: ReadonlyMap<string, SegmentPredicate>;
  /**
   * The fields the segments read (the filters' fields of the document's segments), or null when a
   * segment written in code may read any: the facts of a customer the executor keeps with a request.
   */
  readonly segmentFields: ReadonlySet<string> | null;
  /** The contact rules, when the document sets them (else the contact policy's defaults apply). */
  readonly contact?: ContactPolicy;
  /** Proactive churn prevention's settings, when the document sets them (else their defaults apply). */
  readonly churnPrevention?: ChurnPreventionPolicy;
}

/**
 * Validates a policy document (BAD_INPUT naming the first problem) and compiles its segments;
 * `segments` adds predicates written in code. Every rule's segment must be defined somewhere.
 */
export function parseActionPolicy(document: unknown, options: { segments?: Readonly<Record<string, SegmentPredicate>> } = {}): ActionPolicy {
  const parsed = actionPolicySchema.safeParse(document);
  if (!parsed.success) {
    throw new TwinloopError('BAD_INPUT', `Invalid action policy at ${describeInputIssues(parsed.error.issues, document, { whole: 'the document' })}; see docs/policy.md`);
  }
  const doc = parsed.data;
  const segments = new Map<string, SegmentPredicate>();
  for (const [name, s] of Object.entries(doc.segments)) segments.set(name, recordPredicate(s.all));
  const codeSegments = Object.entries(options.segments ?? {});
  const segmentFields = codeSegments.length > 0 ? null : new Set(Object.values(doc.segments).flatMap((s) => s.all.map((f) => f.field)));
  for (const [name, fn] of codeSegments) {
    if (segments.has(name)) throw new TwinloopError('BAD_INPUT', `Segment "${name}" is defined both in the policy document and in code; keep one`);
    segments.set(name, fn);
  }
  const ids = new Set<string>();
  for (const r of doc.rules) {
    if (ids.has(r.id)) throw new TwinloopError('BAD_INPUT', `Policy rule id "${r.id}" is used twice; rule ids must be unique`);
    ids.add(r.id);
    if (r.segment !== ANY && !segments.has(r.segment)) {
      throw new TwinloopError('BAD_INPUT', `Policy rule "${r.id}" names segment "${r.segment}", which is not defined; add it under "segments"`);
    }
  }
  const budgetKeys = new Set<string>();
  for (const b of doc.budgets) {
    const key = `${budgetScope(b)} per ${b.period}`;
    if (budgetKeys.has(key)) throw new TwinloopError('BAD_INPUT', `Two budgets count ${key}; merge them into one`);
    budgetKeys.add(key);
  }
  // Checked here, not by the record's key schema, whose refusal said only "Invalid key in record".
  for (const key of Object.keys(doc.askerMoneyPerDay)) {
    if (!ASKER_KEY.test(key)) throw new TwinloopError('BAD_INPUT', `Invalid action policy at askerMoneyPerDay.${key}: "${key}" names no asker: give an asker kind (human, agent, system) or kind:id, e.g. agent:llm-agent; see docs/policy.md`);
  }
  const contact = doc.contact === undefined ? undefined : resolveContactPolicy(doc.contact);
  return Object.freeze({ fallbackMode: doc.fallbackMode, approval: doc.approval, rules: doc.rules, budgets: doc.budgets, moneyWindowDays: doc.moneyWindowDays, askerMoneyPerDay: doc.askerMoneyPerDay, segments, segmentFields, ...(contact ? { contact } : {}), ...(doc.churnPrevention ? { churnPrevention: doc.churnPrevention } : {}) });
}

/**
 * What the asker may pay out in a day without a person, and the policy's key that says so (the
 * asker's own, `kind:id`, else its kind's), or undefined when the policy bounds neither or the
 * class is no payout (ASKER_MONEY_MOVES).
 */
export function askerMoneyLimit(policy: Pick<ActionPolicy, 'askerMoneyPerDay'>, request: Pick<ActionRequest, 'actionClass' | 'actor'>): { readonly key: string; readonly limit: number } | undefined {
  if (!ASKER_MONEY_MOVES.has(request.actionClass)) return undefined;
  const own = `${request.actor.kind}:${request.actor.id}`;
  for (const key of [own, request.actor.kind]) {
    const limit = policy.askerMoneyPerDay[key];
    if (limit !== undefined) return { key, limit };
  }
  return undefined;
}

/** How specific a rule is: the number of its non-wildcard fields (0–3). */
export function ruleSpecificity(rule: Pick<PolicyRule, 'actionClass' | 'channel' | 'segment'>): number {
  return Number(rule.actionClass !== ANY) + Number(rule.channel !== ANY) + Number(rule.segment !== ANY);
}

/** The segments (by name) the request's features put the customer in. */
export function segmentsOf(policy: ActionPolicy, features: Readonly<Record<string, number>>): Set<string> {
  const inside = new Set<string>();
  for (const [name, predicate] of policy.segments) if (predicate(features)) inside.add(name);
  return inside;
}

/**
 * The rule that governs a request: among the rules whose class, channel and segment match, the
 * most specific; between equally specific ones, the first in the document. Null when none matches.
 */
export function matchRule(policy: ActionPolicy, request: Pick<ActionRequest, 'actionClass' | 'channel' | 'features'>): PolicyRule | null {
  const inside = segmentsOf(policy, request.features);
  let best: PolicyRule | null = null;
  for (const rule of policy.rules) {
    if (rule.actionClass !== ANY && rule.actionClass !== request.actionClass) continue;
    if (rule.channel !== ANY && rule.channel !== (request.channel as Channel)) continue;
    if (rule.segment !== ANY && !inside.has(rule.segment)) continue;
    if (best === null || ruleSpecificity(rule) > ruleSpecificity(best)) best = rule;
  }
  return best;
}

/** The budgets that count a request (by class and domain). */
export function budgetsFor(policy: ActionPolicy, request: { readonly actionClass: string; readonly domain?: string }): PolicyBudget[] {
  return policy.budgets.filter(
    (b) => (b.actionClass === ANY || b.actionClass === request.actionClass) && (b.domain === undefined || b.domain === request.domain),
  );
}

/** The ledger key of a budget: `class|domain`, with "*" for either when unrestricted. */
export function budgetScope(budget: Pick<PolicyBudget, 'actionClass' | 'domain'>): string {
  return `${budget.actionClass}|${budget.domain ?? ANY}`;
}

/** The period a time falls in (UTC): `2026-05` for month budgets, `2026-05-14` for day budgets. */
export function periodKey(period: PolicyBudget['period'], at: number): string {
  const iso = new Date(at).toISOString();
  return period === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}
