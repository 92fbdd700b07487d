import type { Channel } from '../../domain/events.js';
import { cents } from '../../decisioning/action-pricing.js';
import type { Observation } from '../intents/intent-assessment.js';
import type { PlannedAction } from '../intents/intent-planner.js';
import type { ExecutePlan, ObserveIntent } from '../intents/intent-service.js';
import { horizonEnd, type Intent, type IntentChannel } from '../intents/intent-schema.js';
import type { WorkflowEngine, WorkflowRun, WorkflowStepView } from '../workflows/index.js';
import type { GuardedOutcome } from './guarded-step.js';
import { CAMPAIGN_MANAGEMENT_WORKFLOW_ID, campaignRunId, type CampaignInput, type CampaignResult, type CampaignStats } from './campaign-management-flow.js';
import { CHURN_OFFER_STEP_ID, CHURN_PREVENTION_WORKFLOW_ID, CHURN_TASK_STEP_ID, churnPreventionWorkflowId, type ChurnPreventionInput, type ChurnPreventionResult } from './churn-prevention-flow.js';
import { DAY_MS } from '../../domain/time.js';
import { AT_RISK_CHURN } from '../../intelligence/live/churn-risk-levels.js';
import { audienceFilters } from '../intents/segment-resolution.js';

/**
 * Connects the intent service to the flows: a plan of retention offers starts the churn prevention
 * workflow, any other plan runs as a managed campaign (its actions × channels are the variants);
 * the observer reads the run's result record back as the intent's metrics.
 */

/** What executing and observing need. */
export interface IntentExecutionDeps {
  readonly engine: Pick<WorkflowEngine, 'start' | 'get'>;
  readonly now: () => number;
  /** Cost to the operator of one accepted offer, by offer id (default 0). */
  readonly offerCost?: (offerId: string) => number;
  /** Ticks of a managed campaign (default one day). */
  readonly campaignTickMs?: number;
  readonly seed?: number;
}

/** Campaigns of intents send mid-morning (10:00 UTC), outside the default quiet hours (21:00–08:00). */
export const CAMPAIGN_SEND_HOUR_UTC = 10;

const RETENTION_TEMPLATES = new Set(['retention-offer-digital', 'retention-offer-assisted']);

/** Where a notification channel of the plan is delivered among the twin's channels. */
export function deliveryChannelOf(channel: IntentChannel): Channel {
  return channel === 'human_task' ? 'call' : channel === 'in_app' || channel === 'push' ? 'app' : 'web';
}

/** The intent's horizon from now, on the calendar ("this month" ends at the month's end). */
const horizonMs = (intent: Intent, now: number) => Math.max(DAY_MS, horizonEnd(intent.horizon, now) - now);
const budgetOf = (intent: Intent, a: PlannedAction) => intent.budget?.amount ?? (a.targeting.limit.kind === 'budget' ? a.targeting.limit.amount : Number.MAX_SAFE_INTEGER);

/** The flow input a plan maps to (exported so callers and tests can see the mapping). */
export function flowInputOf(plan: Parameters<ExecutePlan>[0], intent: Intent, deps: Pick<IntentExecutionDeps, 'now' | 'offerCost' | 'campaignTickMs' | 'seed'>):
  | { definitionId: typeof CHURN_PREVENTION_WORKFLOW_ID; workflowId: string; input: ChurnPreventionInput }
  | { definitionId: typeof CAMPAIGN_MANAGEMENT_WORKFLOW_ID; workflowId: string; input: CampaignInput } {
  const now = deps.now();
  const first = plan.actions[0];
  const seed = deps.seed ?? 1;
  // The segment as the plan resolved it goes into the run: the run acts on no one outside it.
  const segment = audienceFilters(plan.segment);
  if (plan.actions.length === 1 && RETENTION_TEMPLATES.has(first.templateId) && first.offerId) {
    const input: ChurnPreventionInput = {
      periodId: plan.id,
      scanAt: now,
      horizonMs: horizonMs(intent, now),
      budget: budgetOf(intent, first),
      controlShare: first.controlGroupShare,
      seed,
      offer: { offerId: first.offerId, cost: deps.offerCost?.(first.offerId) ?? 0 },
      contactCost: 0.05,
      retentionEffect: 0.5,
      // The segment's own "at risk": an at-risk customer of the segment is never left alone as low risk.
      minChurn: AT_RISK_CHURN,
      minValue: 0,
      assistedValueAbove: first.templateId === 'retention-offer-assisted' ? 0 : undefined,
      segment,
    };
    return { definitionId: CHURN_PREVENTION_WORKFLOW_ID, workflowId: churnPreventionWorkflowId(plan.id), input };
  }
  // One variant per planned channel: a check-in planned on e-mail goes out as an e-mail.
  const variants = plan.actions.flatMap((a, i) =>
    [...new Set(a.channels)].map((planned) => ({ id: `a${i}-${a.offerId ?? a.templateId}-${planned}`, offerId: a.offerId ?? a.templateId, channel: deliveryChannelOf(planned), notificationChannel: planned })),
  );
  const input: CampaignInput = {
    campaignId: plan.id,
    variants,
    audience: segment,
    budget: budgetOf(intent, first),
    controlShare: first.controlGroupShare,
    endAt: now + horizonMs(intent, now),
    tickMs: deps.campaignTickMs ?? DAY_MS,
    sendHourUtc: CAMPAIGN_SEND_HOUR_UTC,
    seed,
    minShare: 0.05,
    maxShiftPerTick: 0.2,
    acceptValue: {},
  };
  return { definitionId: CAMPAIGN_MANAGEMENT_WORKFLOW_ID, workflowId: campaignRunId(input.campaignId), input };
}

/** An ExecutePlan that starts the plan's workflow (idempotent: the workflow id is the plan's). */
export function createPlanExecutor(deps: IntentExecutionDeps): ExecutePlan {
  return async (plan, intent) => {
    const { definitionId, workflowId, input } = flowInputOf(plan, intent, deps);
    const started = await deps.engine.start(definitionId, input, { workflowId });
    return { executionId: started.workflowId };
  };
}

/**
 * The metrics a finished churn prevention run reports, in the intent's terms (rates in percent).
 * What it spent is its contacts and what its accepted offers committed (`acceptedCost`): the net
 * value is the value kept less both.
 */
export function observationOfChurnRun(r: ChurnPreventionResult, asOf: number): Observation {
  const m = r.measured;
  const spend = cents(r.spend + (r.acceptedCost ?? 0));
  // A finished run that contacted nobody (nothing worth doing, or refused by its simulation) kept
  // nobody and spent what it spent: that is its outcome, not a missing one.
  if (!m) return { asOf, values: { net_value: -spend, retained_customers: 0, accepted_offers: 0 }, spend };
  return {
    asOf,
    values: {
      churn_rate: m.treatedChurnRate * 100,
      retained_customers: m.retainedEstimate,
      acceptance_rate: m.acceptanceRate * 100,
      accepted_offers: m.accepted,
      net_value: m.valueRetainedEstimate - spend,
    },
    baseline: { churn_rate: m.controlChurnRate * 100 },
    spend,
  };
}

/** The metrics a finished campaign reports. */
export function observationOfCampaign(r: CampaignResult, asOf: number): Observation {
  return { asOf, values: { accepted_offers: r.accepted, acceptance_rate: r.presented ? (r.accepted / r.presented) * 100 : 0 }, spend: r.spent };
}

/**
 * What a running campaign has done so far, from its delivery's counts (contacts the executor
 * carried out and what it charged for them, answers from the offer events), never from the plan.
 */
export function observationOfCampaignStats(stats: CampaignStats, asOf: number): Observation {
  let presented = 0;
  let accepted = 0;
  let spent = 0;
  for (const v of stats.variants) {
    presented += v.presented;
    accepted += v.accepted;
    spent += v.spent;
  }
  return { asOf, values: { accepted_offers: accepted, acceptance_rate: presented ? (accepted / presented) * 100 : 0 }, spend: Math.round(spent * 100) / 100 };
}

/**
 * What a churn prevention run still going has done so far, from its journaled contact steps: the
 * contacts carried out and what they cost when made (its report, written once it has gone through
 * its list, says the same; its answers and churn are measured at its horizon).
 */
export function observationOfChurnSteps(steps: readonly WorkflowStepView[], asOf: number): Observation {
  let spend = 0;
  for (const s of steps) {
    if ((s.stepId !== CHURN_OFFER_STEP_ID && s.stepId !== CHURN_TASK_STEP_ID) || s.status !== 'succeeded') continue;
    const out = s.output as GuardedOutcome | null;
    if (out?.status === 'executed' || out?.status === 'pending-approval') spend += out.cost ?? 0;
  }
  return { asOf, values: {}, spend: Math.round(spend * 100) / 100 };
}

/** Counts and money add up over an intent's runs; a rate and its baseline are the newest run's. */
const COUNTED_METRICS = new Set(['accepted_offers', 'retained_customers', 'net_value']);

/** One observation of several runs' (oldest first): counts and spend summed, rates the newest's. */
export function combinedObservation(parts: readonly Observation[], asOf: number): Observation {
  if (parts.length === 1) return parts[0];
  const values: Record<string, number> = {};
  let baseline: Observation['baseline'];
  let spend = 0;
  for (const p of parts) {
    spend += p.spend;
    for (const [k, v] of Object.entries(p.values)) if (v !== undefined) values[k] = COUNTED_METRICS.has(k) ? (values[k] ?? 0) + v : v;
    baseline = p.baseline ?? baseline;
  }
  return { asOf, values, ...(baseline ? { baseline } : {}), spend: Math.round(spend * 100) / 100 };
}

/**
 * An ObserveIntent reading every run the intent started (a re-plan starts another): each one's
 * result record once it has finished; before that what it has done so far when `progress` can
 * tell (a running campaign's counts, a churn run's contacts), else nothing measured yet; then
 * counts and spend added up over the runs. The newest run failing fails the observation.
 */
export function createIntentObserver(
  deps: Pick<IntentExecutionDeps, 'engine' | 'now'> & {
    executionIdsOf: (intent: Intent) => Promise<readonly string[]>;
    progress?: (run: WorkflowRun) => Promise<Observation | undefined>;
  },
): ObserveIntent {
  const one = async (run: WorkflowRun | null, asOf: number): Promise<Observation> => {
    if (run && run.status !== 'succeeded') return (await deps.progress?.(run)) ?? { asOf, values: {}, spend: 0 };
    if (!run || !run.output) return { asOf, values: {}, spend: 0 };
    return run.definitionId === CHURN_PREVENTION_WORKFLOW_ID ? observationOfChurnRun(run.output as ChurnPreventionResult, asOf) : observationOfCampaign(run.output as CampaignResult, asOf);
  };
  return async (intent) => {
    const asOf = deps.now();
    const runs = await Promise.all((await deps.executionIdsOf(intent)).map((id) => deps.engine.get(id)));
    const newest = runs.at(-1);
    if (newest?.status === 'failed') return { asOf, values: {}, spend: 0, failed: newest.error ?? 'no error recorded' };
    if (runs.length === 0) return { asOf, values: {}, spend: 0 };
    return combinedObservation(await Promise.all(runs.map((r) => one(r?.status === 'failed' ? null : r, asOf))), asOf);
  };
}
