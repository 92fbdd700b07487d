import { z } from 'zod';
import { horizonSchema, intentDraftSchema, intentSchema, LIFECYCLE_STATUSES, segmentSchema, TARGET_CONDITIONS, TARGET_METRICS } from '../../agents/intents/intent-schema.js';
import { INTENT_STAGES, INTENT_WORK } from '../../agents/intents/intent-lifecycle.js';
import { POLICY_MODES } from '../../decisioning/policy/index.js';
import { isoTime, list } from './api-schemas.js';

/** The answers of the intent routes (docs/intents.md), as `agents/intents/` shapes them. */

const intent = intentSchema.meta({ id: 'Intent', description: 'A TMF921-shaped intent' });
// Named for the document only: `POST /intents` refers to it as IntentDraftInput (the intent service validates drafts).
intentDraftSchema.meta({ id: 'IntentDraft', description: 'What a caller supplies to create a structured intent' });

const expectationStatus = z.enum(['on-track', 'at-risk', 'off-track', 'achieved']);
const interval = z.object({ mean: z.number(), low: z.number(), high: z.number() });

const plan = z.object({
  id: z.string(),
  intentId: z.string(),
  segment: segmentSchema,
  horizon: horizonSchema,
  actions: list(
    z.object({
      templateId: z.string(),
      offerId: z.string().optional(),
      creditAmount: z.number().optional(),
      channels: list(z.string()),
      targeting: z.object({ rank: z.string(), limit: z.looseObject({ kind: z.string() }) }),
      controlGroupShare: z.number(),
      maxContactsPerCustomer: z.number().int(),
    }),
  ),
});

const filter = z.object({ field: z.string(), op: z.string(), value: z.number() });
const resolvedSegment = z
  .object({
    description: z.string(),
    filters: list(filter),
    size: z.number().int(),
    resolvedAt: z.number(),
    levels: z
      .object({ atRisk: z.object({ churn: z.number(), share: z.number(), of: z.number().int() }) })
      .optional()
      .describe("What its relative named segments meant when it was planned: `at-risk` is `churn >= atRisk.churn`, the score the riskiest `share` of the `of` active customers started at (the plan's segment and its campaign's audience carry that level as a filter)"),
    simulated: z
      .object({ size: z.number().int(), at: z.number() })
      .optional()
      .describe("The customers the plan's simulations read and when (ms), when the segment held another count (`size`) by the time the plan was chosen and its control counted; absent when they are one count"),
  })
  .describe('The segment as resolved against the twins when the plan was made: the conditions every run applies and how many customers it held when the plan was chosen (its control is counted from the same draw)');

const planControl = z
  .object({
    share: z.number(),
    expected: z.number().int(),
    of: z.number().int(),
    segment: z.number().int().optional().describe("The segment's customers, of whom `of` may be contacted"),
    leftOut: z.record(z.string(), z.number().int()).optional().describe('Of the segment, those the campaign may not contact, by why (no-consent, held-out, …)'),
    planned: z
      .object({ expected: z.number().int(), of: z.number().int(), segment: z.number().int() })
      .optional()
      .describe('The count made when the plan was chosen, when its start (an approval, an autonomous start) counted again and found another: `expected`, `of` and `segment` are then the start\'s, what its campaign opens with; absent when the two agree'),
    countedAt: z.number().optional().describe('When the start counted it again (ms), with `planned`'),
  })
  .optional()
  .describe("The control group the plan holds out: share of whom its campaign may contact, about `expected` of the segment's `of` customers counted at planning");

/** A candidate simulated to another's very outcome, named beside it. */
const samePlan = z.object({ planId: z.string(), actions: z.string().describe('Template, offer, targeting and channels of each action') });

const chosenPlan = z.object({
  plan,
  outcome: z.object({
    netValue: interval,
    churnersAvoided: interval,
    cost: interval,
    baselineChurners: interval.optional(),
    segmentSize: z.number().optional(),
    targeted: z.number().optional(),
    acceptances: interval.optional(),
  }),
  selection: z.enum(['meets-expectations', 'best-effort', 'no-plan']),
  shortfalls: list(z.string()),
  segment: resolvedSegment.optional(),
  control: planControl,
  caveats: list(z.string()).optional().describe('What its simulations went without, in words (planned after a restart before the billing records of the log were read again: no revenue noise in the net value interval)'),
  alternatives: list(
    z.object({
      planId: z.string(),
      actions: z.string().describe('Template, offer and targeting of each action'),
      outcome: z.object({ netValue: interval, cost: interval, churnersAvoided: interval, targeted: z.number().optional() }),
      fitsBudget: z.boolean(),
      meetsExpectations: z.boolean(),
      shortfalls: list(z.string()),
      whyNot: z.string().describe('Why the planner chose another: over budget, short of an expectation, or less expected value'),
      same: list(samePlan).optional().describe('Candidates simulated to this very outcome, collapsed into this row'),
    }),
  )
    .optional()
    .describe('The candidate plans simulated and not chosen, best first (at most 20), those of one outcome in one row; absent for plans made before they were kept'),
  same: list(samePlan).optional().describe("Candidates simulated to this plan's very outcome (they differ in what the simulation does not tell apart, e.g. one digital channel for another): named with it, not listed as alternatives"),
});

const expectationProgress = z.object({
  expectationId: z.string(),
  targetName: z.enum(TARGET_METRICS),
  targetCondition: z.enum(TARGET_CONDITIONS),
  targetValue: z.number(),
  current: z.number().optional().describe("The KPI measured now, in the expectation's terms, on the customers of the intent's campaign (treated and held out of its segment)"),
  measuredAt: isoTime.optional().describe('When `current` was measured (the world time)'),
  currentRange: z.object({ low: z.number(), high: z.number() }).optional().describe('The 90 % interval of `current` when it is an estimate from few customers (churners avoided, net value, churn rate); off track only when its better end falls short too'),
  notShown: z.string().optional().describe("Why the status is not the point estimate's: at the horizon, a value that meets the target by its point estimate is not shown to (its interval's worse end misses it), and the intent then ends not-achieved; before a tenth of the horizon has passed, 'too early to tell: …' (the value as it stands is not shown to meet the target)"),
  projected: z.number().optional().describe('Where the pace so far leads at the horizon; absent before a tenth of the horizon has passed (notProjected says so)'),
  projectedRange: z.object({ low: z.number(), high: z.number() }).optional().describe("The 90 % interval of `projected`: `currentRange` carried to the horizon the same way"),
  notProjected: z.string().optional().describe("Why nothing is projected yet ('too early to project: 2% of the horizon has passed, …')"),
  expectedAtHorizon: z.number().optional(),
  status: expectationStatus,
});

/** An expectation in the report: as assessed, or not judged yet (no plan: `planning`, or `not-judged` when the intent was not accepted or ended without one). */
const reportedExpectation = expectationProgress.extend({
  status: z.enum([...expectationStatus.options, 'planning', 'not-judged']).describe('on-track, at-risk, off-track, achieved; before a plan exists nothing is judged: planning (being planned) or not-judged (proposed, or ended without a plan)'),
  notJudged: z.string().optional().describe('Why the expectation is not judged yet (no plan)'),
});

const assessment = z.object({
  status: expectationStatus,
  horizonReached: z.boolean(),
  elapsedShare: z.number(),
  expectations: list(expectationProgress),
  replan: z.string().optional(),
  measuredAt: isoTime.optional().describe('When the figures were read (the world time)'),
  basis: z.string().optional().describe('What they were measured on: the campaign, its treated and held-out customers and their churn, its answers and spend'),
  carriedOut: z.string().optional().describe("How much of the plan its runs carried out, and why not all: \"27 of the 1,482 customers the plan targeted contacted (36 tried); 987 of its audience not reached yet: ticks cut short …; left out: …\""),
  delivery: z
    .object({
      contacted: z.number().int(),
      tried: z.number().int(),
      notReached: z.number().int(),
      awaitingApproval: z.number().int(),
      leftOut: z.record(z.string(), z.number().int()),
      cutShort: z.record(z.string(), z.number().int()),
      heldOut: z.number().int(),
    })
    .optional()
    .describe("Its runs' delivery counted: customers contacted, contacts tried, the audience not reached yet, awaiting a person, left out by why, ticks cut short by the rule that ended them (quiet-hours, budget), held out as control"),
});

const intentEvent = z.object({ at: isoTime, kind: z.string(), detail: z.string() });

/** Where an intent stands as a person reads it (intent-lifecycle.ts, `intentStage`). */
export const intentStage = z
  .object({
    stage: z.enum(INTENT_STAGES),
    since: isoTime.describe('When it entered the stage (the world time)'),
    waitingFor: z.string().optional().describe('Whom it waits for, when it waits for a person (an approver other than its creator, for a plan awaiting approval)'),
    approveBy: isoTime
      .optional()
      .describe("For a plan awaiting approval: the latest time in people's time (the wall clock) its approval lets it run, its horizon's end at the world's pace now (the sandbox's 3,600x: 'this month' may leave minutes); absent when the world does not move by itself"),
    summary: z.string().describe('The stage in one sentence: the plan awaiting approval and until when, what was measured while acting, each target with its 90 % interval at the end'),
  })
  .describe('Where the intent stands: planning, awaiting-approval (by whom, since when), advice-only, starting-run, acting, achieved, missed (a value short of its target), not-yet-readable (meets it by its point estimate, not by its 90 % interval or with none), expired, failed, cancelled')
  .meta({ id: 'IntentStage' });

/** Everything kept about one intent: the intent, its plans, spend, assessments and history. */
export const intentRecord = z.object({
  intent,
  createdBy: z.object({ kind: z.enum(['human', 'agent', 'system']), id: z.string() }).optional().describe('Who created it (the credential); nobody approves a plan of their own intent'),
  createdByRole: z.string().optional().describe("The role the creator's credential held when they created it (read, at an autonomous plan's start, for a creator no API key names: an OIDC identity, the local admin)"),
  interpretation: list(z.string()).optional().describe('How the parser read the text, line by line'),
  rawText: z.string().optional().describe("The model's raw answer (LLM proposals)"),
  plan: chosenPlan.optional(),
  pendingPlan: chosenPlan.optional(),
  startedAt: z.number().optional().describe('When execution started (ms since the epoch)'),
  planStartedAt: z.number().optional().describe("When the plan now running started (ms since the epoch): the first execution's, or a re-plan's switch"),
  executionIds: list(z.string()),
  spend: z.number(),
  lastAssessment: assessment.optional(),
  failure: z
    .object({ at: isoTime, reason: z.string(), expiredAt: isoTime.optional().describe('Set when it expired before its plan ran: when its horizon ended') })
    .optional()
    .describe('Why the intent failed (status failed): no plan could be made, its run failed, or it expired before its plan ran (expiredAt)'),
  events: list(intentEvent),
  stage: intentStage.optional().describe('Where it stands now (GET /intents, GET /intents/:id)'),
}).meta({ id: 'IntentRecord' });

/** The IntentReport: progress against each expectation, plan, spend against budget. */
export const intentReport = z.object({
  intentId: z.string(),
  name: z.string(),
  lifecycleStatus: z.enum(LIFECYCLE_STATUSES),
  stage: intentStage,
  policyMode: z.enum(POLICY_MODES),
  generatedAt: isoTime,
  status: expectationStatus.optional(),
  expectations: list(reportedExpectation),
  plan: plan.optional(),
  segment: resolvedSegment.optional(),
  control: planControl,
  caveats: list(z.string()).optional().describe("What the plan's simulations went without (planned after a restart before the billing records were read again)"),
  planSelection: z.enum(['meets-expectations', 'best-effort', 'no-plan']).optional(),
  shortfalls: list(z.string()),
  pendingPlan: plan.optional(),
  spend: z.object({ spent: z.number(), budget: z.number().optional(), currency: z.string().optional() }),
  failureReason: z.string().optional().describe('Why the intent failed (lifecycle status failed)'),
  horizonEndsAt: isoTime.describe("When the intent's horizon ends (counted from its creation, the world time)"),
  expired: z.string().optional().describe('Set when an intent not yet run (accepted, planning) is past its horizon: it will not run; the server closes it (failed, failure.expiredAt) within 6 hours of the world time, and then this says when its horizon ended and when it was closed'),
  measured: z
    .object({ at: isoTime, basis: z.string().optional() })
    .optional()
    .describe("When the expectations' current values were last measured, and on what (the campaign's treated and held-out customers); absent before the first check"),
  carriedOut: z.string().optional().describe("How much of the plan its runs carried out so far, and why not all (the last check's reading; also in the stage's summary)"),
  inProgress: z
    .enum(INTENT_WORK)
    .optional()
    .describe('What the server is still doing for the intent on its own: `planning` (its plans being simulated; it survives a restart), `starting-run` (an autonomous plan about to run); absent when it waits for a person or has ended'),
  events: list(intentEvent),
}).meta({ id: 'IntentReport' });

/** What `POST /intents/:id/check` answers. */
export const intentCheck = z.object({ record: intentRecord, assessment });
