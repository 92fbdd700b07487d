import { cents } from '../../decisioning/action-pricing.js';
import { ESTIMATED_METRICS, type Observation, type RunDelivery } from '../intents/intent-assessment.js';
import type { Plan } from '../intents/intent-planner.js';
import type { ApprovedPlan, ExecutePlan, ObserveIntent, SignedActor } from '../intents/intent-service.js';
import { TwinloopError } from '../../domain/errors.js';
import { intentHorizonEnd, type Intent, type TargetMetric } from '../intents/intent-schema.js';
import type { WorkflowEngine, WorkflowRun, WorkflowStepView } from '../workflows/index.js';
import type { GuardedOutcome } from './guarded-step.js';
import { CAMPAIGN_MANAGEMENT_WORKFLOW_ID, campaignRunId, type CampaignInput, type CampaignResult, type CampaignStats } from './campaign-management-flow.js';
import { CHURN_OFFER_STEP_ID, CHURN_PREVENTION_WORKFLOW_ID, CHURN_TASK_STEP_ID, type ChurnPreventionResult } from './churn-prevention-flow.js';
import { DAY_MS } from '../../domain/time.js';
import { audienceHolding } from './campaign-audience.js';
import { audienceFilters } from '../intents/segment-resolution.js';
import { differenceInterval, wilson } from './campaign-bandit.js';
import { deliveryChannelOf } from '../../decisioning/action-contact.js';
import { auditRunStart, type StartedRun } from './run-start-audit.js';
import type { AuditTrail } from '../governance/audit-trail.js';

/**
 * Connects the intent service to the flows: every plan runs as a managed campaign (its actions ×
 * channels are the variants, its segment the audience, its control share held out of it), which
 * the operator sees, pauses and stops on the campaigns page; the observer measures the intent's
 * KPIs on the campaign's customers, treated and held out, while it runs and after it ends.
 * (Plans of retention offers ran as churn prevention runs before: their runs are still read.)
 */

/** What executing and observing need. */
export interface IntentExecutionDeps {
  readonly engine: Pick<WorkflowEngine, 'start' | 'get'>;
  readonly now: () => number;
  /** Ticks of a managed campaign (default one day). */
  readonly campaignTickMs?: number;
  readonly seed?: number;
  /** Where who started each plan's run is recorded (auditRunStart); none: not recorded (a test's). */
  readonly audit?: Pick<AuditTrail, 'record'>;
  /**
   * Whether `by` may start a run of the flow now (decision 0047: a managed campaign needs
   * campaigns:manage), asked before every start: the approver's execute and an autonomous intent's
   * plan alike, which starts in the background, as its owner, maybe long after they created it.
   */
  readonly mayStart: (by: SignedActor | undefined, definitionId: string) => Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** Campaigns of intents send mid-morning (10:00 UTC), outside the default quiet hours (21:00–08:00). */
export const CAMPAIGN_SEND_HOUR_UTC = 10;


/**
 * The money a plan was simulated and approved with: its actions' targeting budgets added up (a pair
 * of actions shares one between them), never the intent's whole budget (its campaign ran on the
 * intent's 5,000 where the plan approved 2,500; the rest is kept for a re-plan). A plan targeting
 * the top k by rank, the intent giving no budget, has none: its audience (`audienceMax`) bounds it.
 */
export function planBudget(plan: Pick<Plan, 'actions'>): number {
  let sum = 0;
  for (const a of plan.actions) {
    if (a.targeting.limit.kind !== 'budget') return Number.MAX_SAFE_INTEGER;
    sum += a.targeting.limit.amount;
  }
  return cents(sum);
}

/**
 * The flow input a plan maps to (exported so callers and tests can see the mapping): a managed
 * campaign, whatever the plan's templates. A plan of one retention offer ran as a churn prevention
 * run, the proactive programme's flow: it showed on no campaign page, could not be paused, and
 * measured nothing until its horizon (the intent read no current value while it ran).
 */
export function flowInputOf(approved: ApprovedPlan, intent: Intent, deps: Pick<IntentExecutionDeps, 'now' | 'campaignTickMs' | 'seed'>): { definitionId: typeof CAMPAIGN_MANAGEMENT_WORKFLOW_ID; workflowId: string; input: CampaignInput } {
  const now = deps.now();
  const { plan, outcome } = approved;
  const first = plan.actions[0];
  const seed = deps.seed ?? 1;
  // The segment as the plan resolved it goes into the run: the run acts on no one outside it.
  const segment = audienceFilters(plan.segment);
  // One variant per planned channel: a check-in planned on e-mail goes out as an e-mail.
  const variants = plan.actions.flatMap((a, i) =>
    [...new Set(a.channels)].map((planned) => ({ id: `a${i}-${a.offerId ?? a.templateId}-${planned}`, offerId: a.offerId ?? a.templateId, channel: deliveryChannelOf(planned), notificationChannel: planned })),
  );
  const input: CampaignInput = {
    campaignId: plan.id,
    variants,
    audience: segment,
    // As many as its simulation targeted, its control group drawn among them (a plan made before it said: the whole segment).
    ...(outcome.targeted !== undefined ? { audienceMax: audienceHolding(outcome.targeted, first.controlGroupShare) } : {}),
    // Never above the intent's own budget, whatever the plan's limits (a top-k plan under a budgeted intent has no sum).
    budget: Math.min(planBudget(plan), intent.budget?.amount ?? Number.MAX_SAFE_INTEGER),
    controlShare: first.controlGroupShare,
    // At the intent's horizon, from its creation (what its plan was simulated to and its checks read):
    // counted from the execute it ran two days past it.
    endAt: intentHorizonEnd(intent, now),
    tickMs: deps.campaignTickMs ?? DAY_MS,
    sendHourUtc: CAMPAIGN_SEND_HOUR_UTC,
    seed,
    minShare: 0.05,
    maxShiftPerTick: 0.2,
    acceptValue: {},
  };
  return { definitionId: CAMPAIGN_MANAGEMENT_WORKFLOW_ID, workflowId: campaignRunId(input.campaignId), input };
}

/**
 * An ExecutePlan that starts the plan's workflow as `by` (idempotent: the workflow id is the plan's),
 * once `mayStart` says they may: else FORBIDDEN with why, nothing started.
 */
export function createPlanExecutor(deps: IntentExecutionDeps): ExecutePlan {
  return async (approved, intent, by) => {
    const { plan } = approved;
    const { definitionId, workflowId, input } = flowInputOf(approved, intent, deps);
    const standing = await deps.mayStart(by, definitionId);
    if (!standing.ok) {
      throw new TwinloopError('FORBIDDEN', `plan ${plan.id} is not started as ${by ? `${by.kind} ${by.id}` : 'nobody'}: ${standing.reason}; a person who holds it executes the plan (POST /intents/${intent.id}/execute)`, {
        context: { intentId: intent.id, planId: plan.id, definitionId },
      });
    }
    // Who starts it is audited before the run is written (a crash between cannot lose it), once per run.
    const audit = deps.audit;
    const beforeCreate = audit && by ? (run: StartedRun) => auditRunStart(audit, { kind: by.kind, id: by.id }, run, `intent ${intent.id}'s plan ${plan.id}`) : undefined;
    const started = await deps.engine.start(definitionId, input, { workflowId, ...(beforeCreate ? { beforeCreate } : {}) });
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
  // nobody and spent what it spent: that is its outcome, not a missing one, and exact.
  if (!m) return { asOf, values: { net_value: -spend, retained_customers: 0, accepted_offers: 0 }, spend, ranges: { net_value: { low: -spend, high: -spend }, retained_customers: { low: 0, high: 0 } } };
  const treated = r.treatedIds.length;
  const control = r.controlIds.length;
  // What one customer kept is worth: kept by the run since it was; read back from the estimate for runs before.
  const meanValue = m.meanValue ?? (m.retainedEstimate !== 0 ? m.valueRetainedEstimate / m.retainedEstimate : undefined);
  // 90 % intervals of the estimates: churners avoided from the uplift's (Newcombe's), their value
  // likewise, each churn rate its group's (Wilson). No uplift interval (a group empty): none.
  const u = m.upliftInterval;
  const treatedCi = treated > 0 ? wilson(Math.round(m.treatedChurnRate * treated), treated, Z_90) : undefined;
  const controlCi = control > 0 ? wilson(Math.round(m.controlChurnRate * control), control, Z_90) : undefined;
  const ranges: Observation['ranges'] = {
    ...(u ? { retained_customers: { low: round2(u.low * treated), high: round2(u.high * treated) } } : {}),
    ...(u && meanValue !== undefined ? { net_value: { low: cents(u.low * treated * meanValue - spend), high: cents(u.high * treated * meanValue - spend) } } : {}),
    ...(treatedCi ? { churn_rate: { low: round2(treatedCi.low * 100), high: round2(treatedCi.high * 100) } } : {}),
  };
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
    ...(controlCi ? { baselineRanges: { churn_rate: { low: round2(controlCi.low * 100), high: round2(controlCi.high * 100) } } } : {}),
    spend,
    basis: `churn prevention run of period ${r.periodId}: ${m.reading}`,
    ranges,
  };
}

/** The metrics a finished campaign's result record reports (when its delivery cannot be measured). */
export function observationOfCampaign(r: CampaignResult, asOf: number): Observation {
  return { asOf, values: { accepted_offers: r.accepted, acceptance_rate: r.presented ? (r.accepted / r.presented) * 100 : 0 }, spend: r.spent, basis: `campaign ${r.campaignId}'s result: ${r.presented} presented, ${r.accepted} accepted, ${r.spent} spent` };
}

/**
 * What a campaign's customers say now, read from its delivery: every count is of the customers
 * it treated and the control group it held out of the same segment, so the churn among them
 * measures what the campaign changed.
 */
export interface CampaignMeasure {
  readonly campaignId: string;
  readonly stats: CampaignStats;
  /** What it spent: its contacts and its offers accepted since (the delivery's `spent`). */
  readonly spent: number;
  /** The mean lifetime value of the customers it treated, when known (what a customer kept is worth). */
  readonly meanValue?: number;
  /** Its audience's customers left out, by why (no-consent, held-out, left-segment…): said in the basis. */
  readonly leftOut?: Readonly<Record<string, number>>;
  /** Of its audience, those not reached yet (its queue), and those whose contact waits for a person. */
  readonly audienceLeft?: number;
  readonly awaitingApproval?: number;
}

/** Refusals for everyone that end a tick (the delivery's "not now"): counted as ticks cut short, not as customers. */
const CUT_SHORT_RULES = ['quiet-hours', 'budget'] as const;

/** How far a campaign carried out its plan, from its delivery's counts (`RunDelivery`). */
function deliveryOf(m: CampaignMeasure, contacted: number): RunDelivery {
  let tried = 0;
  const cutShort: Record<string, number> = {};
  for (const v of m.stats.variants) {
    tried += v.tried ?? v.presented;
    for (const rule of CUT_SHORT_RULES) if (v.notContacted?.[rule]) cutShort[rule] = (cutShort[rule] ?? 0) + v.notContacted[rule];
  }
  const control = m.stats.control;
  return { contacted, tried, notReached: m.audienceLeft ?? 0, awaitingApproval: m.awaitingApproval ?? 0, leftOut: m.leftOut ?? {}, cutShort, heldOut: (control?.customers ?? 0) + (control?.awaitingTurn ?? 0) };
}

/**
 * The intent's KPIs measured on its campaign (rates in percent): churn among the treated (the
 * control group's churn as the baseline), the churners avoided (control rate − treated rate, times
 * the treated), their value less what was spent, and the offers' answers. A rate is left out while
 * nobody was treated, the churners avoided while nobody is held out; the net value is then what was
 * spent, lost (nobody kept yet).
 */
export function observationOfCampaignMeasure(m: CampaignMeasure, asOf: number): Observation {
  let presented = 0;
  let accepted = 0;
  let treated = 0;
  let treatedChurned = 0;
  for (const v of m.stats.variants) {
    presented += v.presented;
    accepted += v.accepted;
    treated += v.treated ?? v.presented;
    treatedChurned += v.treatedChurned ?? 0;
  }
  const control = m.stats.control;
  const spend = cents(m.spent);
  const treatedRate = treated > 0 ? treatedChurned / treated : undefined;
  const controlRate = control && control.customers > 0 ? control.churned / control.customers : undefined;
  // Nobody treated yet: nothing is measured (a net value of 0, "90 %: 0 to 0", read as certain before anything was sent).
  const retained = treatedRate !== undefined && controlRate !== undefined ? (controlRate - treatedRate) * treated : undefined;
  const valueKept = retained !== undefined && m.meanValue !== undefined ? retained * m.meanValue : undefined;
  const values: Observation['values'] = {
    accepted_offers: accepted,
    acceptance_rate: presented ? (accepted / presented) * 100 : 0,
    ...(treatedRate !== undefined ? { churn_rate: treatedRate * 100 } : {}),
    ...(retained !== undefined ? { retained_customers: round2(retained) } : {}),
    ...(valueKept !== undefined ? { net_value: cents(valueKept - spend) } : {}),
  };
  // 90 % intervals of the estimates: each churn rate's (Wilson), their difference's Newcombe's (as a
  // churn prevention run's uplift): the difference of the two intervals' far ends, read before, is
  // wider than a 90 % interval of the difference.
  const treatedCi = treated > 0 ? wilson(treatedChurned, treated, Z_90) : undefined;
  const controlCi = control && control.customers > 0 ? wilson(control.churned, control.customers, Z_90) : undefined;
  const uplift = control ? differenceInterval(control.churned, control.customers, treatedChurned, treated, Z_90) : null;
  const retainedCi = uplift ? { low: uplift.low * treated, high: uplift.high * treated } : undefined;
  const ranges: Observation['ranges'] = {
    ...(treatedCi ? { churn_rate: { low: round2(treatedCi.low * 100), high: round2(treatedCi.high * 100) } } : {}),
    ...(retainedCi ? { retained_customers: { low: round2(retainedCi.low), high: round2(retainedCi.high) } } : {}),
    ...(retainedCi && m.meanValue !== undefined ? { net_value: { low: cents(retainedCi.low * m.meanValue - spend), high: cents(retainedCi.high * m.meanValue - spend) } } : {}),
  };
  const pc = (x: number | undefined) => (x === undefined ? 'n/a' : `${round2(x * 100)}%`);
  const basis =
    `campaign ${m.campaignId}: ${treated} treated (${treatedChurned} churned since, ${pc(treatedRate)}), ` +
    `${control?.customers ?? 0} held out (${control?.churned ?? 0} churned, ${pc(controlRate)}${control?.awaitingTurn ? `; ${control.awaitingTurn} more held out whose turn has not come` : ''}); ${accepted} of ${presented} presented accepted; ${spend} spent` +
    // Where the net value comes from, in its figures: a newcomer read "net value 10014.24" beside a plan expected at −421 and could not tell.
    (valueKept !== undefined
      ? `; net value (${pc(controlRate)} held out churned − ${pc(treatedRate)} treated) × ${treated} treated × ${round2(m.meanValue!)} a treated customer's mean lifetime value − ${spend} spent = ${cents(valueKept - spend)}: each customer kept valued at their lifetime value (the plan's simulation counts the revenue kept to its horizon only)`
      : m.meanValue !== undefined
        ? `; a treated customer's mean value ${round2(m.meanValue)}`
        : '') +
    (m.leftOut && Object.keys(m.leftOut).length ? `; left out: ${Object.entries(m.leftOut).map(([why, n]) => `${n} ${why}`).join(', ')}` : '');
  return {
    asOf,
    values,
    ...(controlRate !== undefined ? { baseline: { churn_rate: controlRate * 100 } } : {}),
    ...(controlCi ? { baselineRanges: { churn_rate: { low: round2(controlCi.low * 100), high: round2(controlCi.high * 100) } } } : {}),
    spend,
    basis,
    ...(Object.keys(ranges).length ? { ranges } : {}),
    delivery: deliveryOf(m, treated),
  };
}
const round2 = (x: number) => Math.round(x * 100) / 100;
/** z of a two-sided 90 % interval: the intervals the simulation lab and the reports show are 90 % ones. */
const Z_90 = 1.645;

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
  const bases: string[] = [];
  // An estimate's interval adds up as its value does (a run measured exactly gives a zero-width
  // one); an estimate a run gave no interval for leaves the sum with none: it is not readable, and
  // an interval made up of its point would show it as exact.
  const ranges: Record<string, { low: number; high: number } | null> = {};
  let baselineRanges: Observation['baselineRanges'];
  for (const p of parts) {
    spend += p.spend;
    for (const [k, v] of Object.entries(p.values)) {
      if (v === undefined) continue;
      const metric = k as TargetMetric;
      const r = p.ranges?.[metric] ?? (ESTIMATED_METRICS.has(metric) ? null : { low: v, high: v });
      const counted = COUNTED_METRICS.has(k);
      const before = ranges[k];
      values[k] = counted ? (values[k] ?? 0) + v : v;
      ranges[k] = counted && before !== undefined ? (before && r ? { low: before.low + r.low, high: before.high + r.high } : null) : r;
    }
    baseline = p.baseline ?? baseline;
    baselineRanges = p.baseline ? p.baselineRanges : baselineRanges;
    if (p.basis) bases.push(p.basis);
  }
  const known = Object.fromEntries(Object.entries(ranges).filter((e): e is [string, { low: number; high: number }] => e[1] !== null));
  const deliveries = parts.flatMap((p) => (p.delivery ? [p.delivery] : []));
  const delivery = deliveries.length ? addDeliveries(deliveries) : undefined;
  return { asOf, values, ...(baseline ? { baseline } : {}), ...(baselineRanges ? { baselineRanges } : {}), spend: Math.round(spend * 100) / 100, ...(bases.length ? { basis: bases.join('; ') } : {}), ranges: known, ...(delivery ? { delivery } : {}) };
}

/** Several runs' deliveries added up (a re-plan's run beside the first's): counts summed, by why too. */
function addDeliveries(list: readonly RunDelivery[]): RunDelivery {
  const add = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
    const out: Record<string, number> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return list.reduce((a, b) => ({
    contacted: a.contacted + b.contacted,
    tried: a.tried + b.tried,
    notReached: a.notReached + b.notReached,
    awaitingApproval: a.awaitingApproval + b.awaitingApproval,
    leftOut: add(a.leftOut, b.leftOut),
    cutShort: add(a.cutShort, b.cutShort),
    heldOut: a.heldOut + b.heldOut,
  }));
}

/**
 * An ObserveIntent reading every run the intent started (a re-plan starts another): what `measure`
 * reads of it now, running or finished (a campaign's customers, treated and held out: their churn
 * goes on being measured after its last contact, to the intent's horizon), else a finished run's
 * result record, else nothing measured yet; then counts and spend added up over the runs. The
 * newest run failing fails the observation.
 */
export function createIntentObserver(
  deps: Pick<IntentExecutionDeps, 'engine' | 'now'> & {
    executionIdsOf: (intent: Intent) => Promise<readonly string[]>;
    measure?: (run: WorkflowRun) => Promise<Observation | undefined>;
  },
): ObserveIntent {
  const one = async (run: WorkflowRun | null, asOf: number): Promise<Observation> => {
    const measured = run ? await deps.measure?.(run) : undefined;
    if (measured) return measured;
    if (!run || run.status !== 'succeeded' || !run.output) return { asOf, values: {}, spend: 0 };
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
