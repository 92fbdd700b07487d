import { performance } from 'node:perf_hooks';
import { hostname } from 'node:os';
import { createAlarmInbox, type AlarmInbox, type ReceivedAlarm } from '../../agents/flows/alarm-inbox.js';
import { serviceOperationsView, type ServiceOperationsView } from '../../agents/flows/service-operations-view.js';
import { createServiceContactLog, type ServiceContacts } from '../../agents/flows/service-contact-log.js';
import { createBadSessionLog, type CellBadSessions } from '../../agents/flows/bad-session-log.js';
import { DEFAULT_SERVICE_OPS_POLICY, type ServiceOpsPolicy } from '../../agents/flows/service-ops-policy.js';
import type { IncidentEvidence } from '../../agents/flows/affected-customers.js';
import { serviceOpsSettings } from '../../agents/flows/service-ops-settings.js';
import { clearConfirmedWhenQuiet, closeCoveredSuspicions, DEFAULT_CHAIN_REACH_MS, reviewSuspicion, type ReviewOutcome, type ReviewRequest } from '../../agents/flows/suspected-incidents.js';
import { DEFAULT_CELL_ANOMALY_OPTIONS, type CellAnomalyDetector, type SuspectedIncident } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import { openKeptAnomalyDetector, type AnomalyBaseline } from '../../intelligence/anomaly/kept-anomaly-detector.js';
import { checkChurnPreventionOffers, churnPolicySettings, moveLegacyChurnPolicy, type ChurnPolicySettings } from '../../agents/flows/churn-prevention-policy.js';
import { connectorExecutor } from '../../agents/flows/connector-executor.js';
import { signalApprovalDecision } from '../../agents/flows/guarded-step.js';
import { wakeDecidedApprovals } from '../../agents/flows/approval-wake.js';
import { reportingExecutor } from '../../agents/governance/action-report.js';
import { startOutcomeWatch } from '../../agents/governance/outcome-watch.js';
import { acceptedAtAmong, answerAmong, createOfferSettler, type OfferSettlement } from '../../agents/governance/offer-settlement.js';
import { offerSettlementBook } from '../../agents/governance/offer-settlement-book.js';
import { holdoutRegister, notingHeldOut, type HoldoutRegister } from '../../agents/governance/holdout-register.js';
import { startOfferSettlement } from '../../agents/governance/offer-settlement-sweep.js';
import { openActionPolicySettings, type ActionPolicySettings } from '../../agents/governance/action-policy-settings.js';
import { addCreditsLeftRule } from '../../agents/governance/policy-upgrades.js';
import { createApprovalQueue, type ApprovalQueue } from '../../agents/governance/approval-queue.js';
import { createAuditTrail, type AuditTrail } from '../../agents/governance/audit-trail.js';
import { MONEY_WINDOW_COLLECTION, type MoneyWindowDocument } from '../../agents/governance/money-window.js';
import { twinFields } from '../auth/customer-reach.js';
import { createGuardedExecutor, type ActionExecutor, type GuardedExecutor, type GuardedResult, type KeptAnswer, type Ask, type DeferredApproval, ACTION_ASKS } from '../../agents/governance/guarded-executor.js';
import { horizonDays } from '../../agents/intents/intent-schema.js';
import { createIntentService, type ApprovedPlan, type ExecutePlan, type IntentService, type ObserveIntent, type PlanAudience, type PlanningPopulation } from '../../agents/intents/intent-service.js';
import { audienceFilters, describeSegment } from '../../agents/intents/segment-resolution.js';
import { intentsNeedAModel, intentsOnAShare } from '../../agents/intents/intents-refused.js';
import type { Intent, Segment } from '../../agents/intents/intent-schema.js';
import { answeredAction, planOutcome, planScenarios } from '../../agents/intents/plan-simulation.js';
import type { Plan } from '../../agents/intents/intent-planner.js';
import { onboardingWorkflow } from '../../agents/flows/onboarding-flow.js';
import { STOP_RUN_SIGNAL, type RunStop } from '../../agents/flows/run-stop.js';
import { createWorkflowEngine, type AnyWorkflowDefinition, type WorkflowEngine } from '../../agents/workflows/index.js';
import { DecisionService } from '../../decisioning/decision-service.js';
import { ACCEPTANCE_RETENTION_DAYS } from '../../decisioning/contact-ledger.js';
import { discountPctOf } from '../../decisioning/offer-catalogue.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, DEFAULT_CHURN_PREVENTION_POLICY, type Actor } from '../../decisioning/policy/index.js';
import { everyOnClock, realMsUntil, systemClock, type Clock } from '../../domain/clock.js';
import { recordDecline, type DeclinedAction, type DeclineRecorded } from '../../agents/governance/declined-action.js';
import { TwinloopError } from '../../domain/errors.js';
import { DAYS_PER_MONTH } from '../../domain/time.js';
import { whyUnscored, type Intelligence, type TwinDecorator } from '../../intelligence/live/live-intelligence.js';
import { NO_SCORES_TO_FILTER } from '../../intelligence/live/score-fields.js';
import { createSimulationRuns, operatorTwinSource, simulate, type KeepTwin, type OperatorEvidence, type SimulationRun, type SimulationRuns, type TwinSource } from '../../simulation/index.js';
import { recordDocuments, recordVersioned, type DocumentStore } from '../../store/document-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import type { StoreOptions } from '../../store/store-options.js';
import type { RecordStore } from '../../store/record-store.js';
import { countTwins, fieldValuesWhere, twinMatcher, type ExtraFields } from '../../twin/twin-query.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinEvent } from '../../domain/events.js';
import type { Bss } from './bss.js';
import type { BssProducts } from '../../domain/connectors/bss-connectors.js';
import { planPrices } from './plan-prices.js';
import { contactsFromLog } from './contacts-from-log.js';
import { keepRevenueLedger, revenueCaveat } from './revenue-ledger-from-log.js';
import { keepIncidentLedger } from './incidents-from-log.js';
import { startLogPass, startLogWaiting, type LogConsumer, type StartLogProgress } from './start-log-pass.js';

/**
 * The running operator's services, as the HTTP routes, the MCP tools and the CLI use them. One
 * bag, built once by `openOperatorServices` (called by `startOperator`), so that every edge acts
 * through the same policy, the same audit trail and the same logs.
 */
export interface OperatorServices {
  readonly twins: TwinService;
  /** The operator's clock (the sandbox's simulated time while it runs): what records made at the edge are dated with. */
  readonly clock: Clock;
  readonly decorateTwin: TwinDecorator;
  /** The live scores twin searches may filter on (`churn`, `clv`). */
  readonly scoreFields: ExtraFields;
  readonly decisions: DecisionService;
  readonly guarded: GuardedExecutor;
  /** Offers presented whose acceptance-paid part waits for the customer's answer, by request id (docs/policy.md, "Budgets"). */
  readonly settlements: DocumentStore<OfferSettlement>;
  /** Who is held out as a control group, by which run, until when: every flow that contacts customers reads it. */
  readonly holdouts: HoldoutRegister;
  readonly approvals: ApprovalQueue;
  readonly audit: AuditTrail;
  readonly simulations: SimulationRuns;
  /** Why no churn model serves yet and when one will, as the error work needing one is refused with at once; null once one serves. */
  readonly noChurnModel: () => TwinloopError | null;
  readonly intents: IntentService;
  readonly workflows: WorkflowEngine;
  /** Documents (catalogue, runs, intents, campaigns) and the decision log. */
  readonly records: RecordStore;
  /** The alarms network systems sent in (TMF642), the feed service operations watches. */
  readonly alarms: AlarmInbox;
  /** Suspected network incidents from the twins' service calls (anomaly detection over every applied event). */
  readonly anomalies: CellAnomalyDetector;
  /** Each alarm with its treatment (affected, notified, compensated, times) and the suspicions around it. */
  readonly serviceOperations: ServiceOperationsView;
  /** Who is living through an incident now (bad sessions by cell, service calls), for service operations' later looks. */
  readonly incidentEvidence: IncidentEvidence;
  /** The policy the service-operations flows run on: the one the incidents answer shows as its settings. */
  readonly serviceOpsPolicy: ServiceOpsPolicy;
  /** Network operations confirms a suspicion (an alarm is raised on its cell or site and service operations acts) or dismisses it; audited. */
  reviewSuspicion(id: string, review: ReviewRequest): Promise<ReviewOutcome>;
  /** The proactive churn prevention's policy (floor, budget, offers, cadence), as the operator edits it. */
  readonly churnPolicy: ChurnPolicySettings;
  /** The action policy in force (modes, caps, approvals, budgets, contact rules), its versions and how to change it. */
  readonly actionPolicy: ActionPolicySettings;
  /** What the BSS sells (plans, add-ons), which an order is checked against at the edge; absent without a BSS. */
  readonly products?: BssProducts;
  /** Approves or rejects an approval and wakes the workflow that asked for it, if any. */
  decideApproval(id: string, decision: { approve: boolean; by: Actor; reason: string }): Promise<GuardedResult>;
  /** A person declined a recommended action, saying why: audited and written on the customer's timeline. */
  declineAction(declined: DeclinedAction): Promise<DeclineRecorded>;
}

/** The flows beyond onboarding, built on the services: registered on the engine, and how intents' plans run through them. */
export interface ServiceFlows {
  readonly definitions: readonly AnyWorkflowDefinition[];
  readonly execute: ExecutePlan;
  readonly observe: ObserveIntent;
  /** Whom a plan's campaign would contact and hold out if it opened now (its delivery's own draw). */
  readonly audienceOf?: (approved: ApprovedPlan, intent: Intent) => Promise<PlanAudience>;
  scheduleChurnPrevention?(): Promise<string | undefined>;
  close?(): void;
}

/** What the services are built from. */
export interface OperatorServicesOptions {
  readonly twins: TwinService;
  readonly storeOptions: StoreOptions;
  readonly clock: Clock;
  /**
   * The world's time, which the operator's acts are judged and dated by: the guarded executor
   * (budgets' periods, quiet hours, an approval's facts), the audit trail and offers' settlements
   * (`worldClock` in sandbox-operator.ts: during the sandbox's backfill, its date, not the wall's).
   * Default `clock`.
   */
  readonly worldClock?: Clock;
  readonly intelligence: Intelligence;
  /** The BSS whose back ends carry actions out (the sandbox's, or one over HTTP); without one, actions fail with a clear reason. */
  readonly bss?: Bss;
  /** Flows beyond onboarding, built with the services. */
  readonly flows?: (services: OperatorServices) => ServiceFlows;
  /** Budget per run of the proactive churn-prevention scan where the action policy in force has no churnPrevention section (`--retention-budget`; 0 turns it off). */
  readonly retentionBudget?: number;
  /** An action policy document to put in force at start unless it already is (`--policy FILE`), and where it came from. */
  readonly actionPolicyFile?: { readonly document: unknown; readonly path: string };
  /**
   * On a partition worker: whether a customer's twin is live here now. An approval is decided
   * (its action carried out) only where its customer's twin is: UNAVAILABLE elsewhere, whatever
   * the edge (HTTP, MCP); the gateway passes a decision to the owner. Absent: every twin is here.
   */
  readonly answersFor?: (customerId: string) => boolean;
  /**
   * Why no churn model serves yet and when one will (operator.ts: the first start's history still
   * loading, the first model being fitted, or none to come without a training), as the error a
   * route that would queue work needing one answers at once; null once one serves. Absent: said
   * from `intelligence` alone.
   */
  readonly noChurnModel?: () => TwinloopError | null;
  /** What else keeps part of the log held at start (the omnichannel context's last day: operator.ts), taken from the one pass over it. */
  readonly fromLog?: readonly LogConsumer[];
  readonly log: (line: string) => void;
}

/** The services and how to stop them. */
export interface RunningServices {
  readonly services: OperatorServices;
  /** How far the start's one pass over the log is (`startLogPass`): what a part waiting for it says. */
  startLog(): StartLogProgress;
  close(): Promise<void>;
}

/** How often (real time) the next period's proactive scan is made sure of, and intents a stop left unplanned are looked for. */
const SCHEDULE_EVERY_MS = 60_000;
/**
 * How often, in the operator's time (the world's while the sandbox runs), executing intents are
 * checked and those past their horizon before they ran are closed: four times a world day, a
 * campaign's daily tick read within hours of it (6 real seconds at 3,600x). Checked once a real
 * minute, they were checked every 2.5 world days at 3,600x: an intent closed up to 2.5 days after
 * its horizon, and a month's intent was looked at 12 times (decision 0034: waits follow the world's pace).
 */
const INTENT_CHECK_EVERY_MS = 6 * 3_600_000;
/** How often overdue approvals get their timeout fallback. */
const APPROVAL_SWEEP_MS = 30_000;

/**
 * The live population for the simulation lab: the twins and the serving churn model, with the
 * same evidence `simulate validate` hands its scenarios (`operatorTwinSource`, docs/simulation.md,
 * "The server's lab").
 */
export function liveTwinSource(twins: TwinService, intelligence: Intelligence, evidence: OperatorEvidence = {}, keep?: KeepTwin): TwinSource {
  const live = intelligence.live();
  if (!live) throw noChurnModelServes(intelligence)!;
  return operatorTwinSource(twins.engine, live.model, evidence, keep);
}

/** What to do when no churn model serves and none is coming by itself. */
export const TRAIN_A_CHURN_MODEL = 'train one (POST /models/train, or twinloop model train-twins), then ask again';

/**
 * The one refusal of work that needs a churn model while none serves (a simulation, an intent's
 * planning, a churn-prevention run and its scan; over HTTP, the CLI, MCP, on a worker): `why` none
 * serves and what to do. With `retryAfterSeconds`, one is coming by itself ("serves yet", and when
 * to ask again); without, asking again does not mend it (not retryable).
 */
export function noChurnModelRefusal(why: string, retryAfterSeconds?: number): TwinloopError {
  return retryAfterSeconds === undefined
    ? new TwinloopError('UNAVAILABLE', `no churn model serves: ${why}`, { context: { retryable: false } })
    : new TwinloopError('UNAVAILABLE', `no churn model serves yet: ${why}`, { context: { retryAfterSeconds } });
}

/** The refusal where nothing says when a churn model will serve (services opened without the operator's `noChurnModel`): null once one does. */
export function noChurnModelServes(intelligence: Pick<Intelligence, 'live'>): TwinloopError | null {
  if (intelligence.live()) return null;
  return noChurnModelRefusal(`none has been trained or promoted; ${TRAIN_A_CHURN_MODEL}`);
}

/**
 * A customer's logged offer events (presented, answered) after log seq `afterSeq` (all: 0), oldest
 * first. Read in a turn of the event loop of its own: the embedded log is read synchronously, and
 * the sweeps (the outcome watch's answers, the settlements) read hundreds of customers one after the
 * other with only resolved promises between them, which held the default world's server 7–8 s at a
 * time after its first proactive run (BENCHMARKS.md, "The first minutes after ready").
 */
async function offerEventsOf(twins: Pick<TwinService, 'history'>, customerId: string, afterSeq = 0): Promise<TwinEvent[]> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const out: TwinEvent[] = [];
  for await (const e of twins.history.entries(customerId, undefined, afterSeq)) if (e.kind === 'offer') out.push(e.event);
  return out;
}

/**
 * Opens next-best-action, the action policy with approvals and audit, the simulation lab,
 * intents and the durable workflows over the configured store, wired to the operator's back ends,
 * with their timers (intents watched, the proactive scan scheduled, overdue approvals swept).
 */
export async function openOperatorServices(o: OperatorServicesOptions): Promise<RunningServices> {
  const { twins, clock, intelligence } = o;
  const records = await openRecordStore(o.storeOptions, { clock });
  const governance = await openGovernanceStore(o.storeOptions);
  const journal = await openWorkflowJournal(o.storeOptions);

  /** A customer's channel consents as their profile holds them (false: opted out; null: not known). */
  const channelConsentOf = (customerId: string) => twins.engine.view(customerId)?.profile?.channelConsent ?? { sms: null, email: null };
  const decisions = await DecisionService.open({
    twins: twins.engine,
    scores: (id) => {
      const s = intelligence.live()?.scoreOf(id);
      return s && s.active ? { churn: s.churn, clv: s.clv, atRisk: s.atRisk } : undefined;
    },
    unscored: () => whyUnscored(intelligence.live() !== null),
    records,
    clock,
    log: o.log,
    // The customer's channel opt-outs, read where the guarded executor reads them: a decision ranks no offering the executor would refuse for one.
    consents: channelConsentOf,
  });
  const detachDecisions = twins.intake.onApplied((batch) => void decisions.observe(batch.map((a) => a.event)));
  // Offers unanswered within their window become `ignored`, open decisions are closed, and every
  // action's stay-or-churn outcome is written at its horizon.
  /** A customer's answer to an offer's request, read from their logged events: the outcome watch and the settlement sweep ask it. */
  const loggedAnswerOf = async (customerId: string, requestId: string, afterSeq?: number) => answerAmong(await offerEventsOf(twins, customerId, afterSeq), requestId);
  // What was applied after the watch's last save is read again from the log at start; on a
  // partition worker the log holds every partition's customers, so it is not (docs/learning.md).
  const logAfter = async (afterSeq: number, limit: number) => (await twins.store.readLog(afterSeq, limit)).map((e) => ({ event: JSON.parse(e.body) as TwinEvent, time: e.time, seq: e.seq }));
  const outcomes = await startOutcomeWatch({ intake: twins.intake, twin: (id) => twins.engine.view(id), answerOf: loggedAnswerOf, ...(o.answersFor ? {} : { logAfter }), recordOutcome: (id, outcome) => decisions.recordOutcome(id, outcome), records, clock, log: o.log });

  const backends = o.bss?.connectors;
  // What the back ends carried out is written on each customer's timeline (`action` events), at
  // the time of the world the back ends live in: during the sandbox's backfill its clock is months
  // behind the wall clock, and an action stamped with the wall clock would put the customer's
  // latest event ahead of the history still coming in, which the intake then refuses as late.
  const executor: ActionExecutor = backends
    ? reportingExecutor(connectorExecutor({ ...backends, resolveOffer: (id) => decisions.catalogue.byId.get(id)?.offering.sandboxOfferId ?? (decisions.catalogue.byId.has(id) ? id : undefined) }), { sink: twins.intake, clock: o.bss?.clock ?? clock, log: o.log })
    : async (request) => ({ ok: false, error: `no back ends are connected to carry out a ${request.actionClass}; start with the sandbox operator or configure BSS adapters` });
  // People decide approvals in their own time, not in the sandbox's accelerated time; what they
  // approve is judged again as at the approval, on the world's clock (decision 0028).
  const approvals = createApprovalQueue(governance, systemClock);
  const world = o.worldClock ?? clock;
  const audit = createAuditTrail(governance, world);
  // The policy in force is data: read per request, so a change (PUT /policy, another process) applies at once;
  // the contact rules of each version move into the decision funnel and the executor's contact check.
  // Proactive churn prevention's settings are a section of the same document; `--retention-budget`
  // is its budget in the built-in default (version 0) and wherever a stored version has no section.
  const churnDefaults = { ...DEFAULT_CHURN_PREVENTION_POLICY, budget: o.retentionBudget ?? DEFAULT_CHURN_PREVENTION_POLICY.budget };
  const actionPolicy = await openActionPolicySettings({
    records,
    audit,
    // A version's changedAt is its audit entry's time: the wall clock's, a person's act (audit-trail.ts, WALL_CLOCK_ENTRY_TYPES).
    now: () => Date.now(),
    defaults: { ...DEFAULT_ACTION_POLICY, churnPrevention: churnDefaults },
    onChange: (p) => decisions.setContactPolicy(p.contact ?? {}),
    check: (p) => checkChurnPreventionOffers(p, [...decisions.catalogue.byId.keys()]),
  });
  const movedTo = await moveLegacyChurnPolicy(recordDocuments(records, 'settings'), actionPolicy, { kind: 'system', id: 'twinloop-start' });
  if (movedTo !== undefined) o.log(`action policy: version ${movedTo} holds the churn prevention policy set before at /churn-prevention/policy`);
  const creditsLeft = await addCreditsLeftRule(recordDocuments(records, 'settings'), actionPolicy, { kind: 'system', id: 'twinloop-start' });
  if (creditsLeft !== undefined) o.log(`action policy: version ${creditsLeft} adds the credits-left rule to the stored policy (a credit to a customer who has left waits for a person)`);
  if (o.actionPolicyFile) {
    const { version } = await actionPolicy.adopt(o.actionPolicyFile.document, { kind: 'system', id: 'twinloop-start' }, `loaded from ${o.actionPolicyFile.path} at start (--policy)`);
    o.log(`action policy: version ${version} from ${o.actionPolicyFile.path}`);
  }
  const ledger = createBudgetLedger(governance);
  // The control groups held out (by churn prevention and campaigns), read back as they stood.
  const holdouts = holdoutRegister(records);
  await holdouts.load(world.now());
  /**
   * A marketing contact carried out while another run held the customer out (a person's, or one
   * asked before the hold) is noted for that run's report. Never fails the act: it is done.
   */
  const noteHeldOut: ActionExecutor = notingHeldOut(executor, holdouts, () => world.now());
  // Offers paid on acceptance wait for the customer's answer with that part reserved (docs/policy.md, "Budgets").
  const settlements = offerSettlementBook(records);
  const guarded = createGuardedExecutor({
    policy: () => actionPolicy.current(),
    // Every request is priced from the live catalogue at its customer's monthly price, and meets the contact rules.
    // A plan change from the plans the BSS sells and the plan the twin says the customer is on.
    pricing: { offering: (id) => decisions.catalogue.byId.get(id), monthlyPrice: (id) => twins.engine.features(id)?.[FEATURE_INDEX.monthly_price], ...(o.bss ? { plans: planPrices(o.bss.plans, twins.engine) } : {}) },
    // The policy's segments read the twin and its scores as they are, never what a caller says of them.
    facts: twinFields(twins.engine, intelligence.scoreFields),
    // An approval for a customer who has left says when they did.
    leftAt: (id) => twins.engine.contactRecord(id)?.leftAt || undefined,
    // An automated marketing contact of a customer another run holds out is refused first (`held-out`).
    contact: (request, now) => holdouts.refusal(request, now) ?? decisions.contactRefusal(request, () => channelConsentOf(request.customerId!)),
    // Read once, when a request is first judged, and kept with it (an approval after the call judges what was asked on it).
    inContact: (request) => (request.customerId ? decisions.inContactOf(request.customerId, request.actor, request.channel) : undefined),
    // The holds read again when another process (a partition worker) placed one since: one record read a marketing contact otherwise.
    contactFresh: (request, now) => holdouts.fresh(now, request),
    ledger,
    settlements,
    queue: approvals,
    audit,
    executor: noteHeldOut,
    clock: world,
    // A repeated request id (a retry, a step replayed after a crash) gets its first answer, also after a restart.
    answers: recordDocuments<KeptAnswer>(records, 'action-answers'),
    // What each request id was first asked for: the same id with another request is 409, also after a restart.
    asks: recordDocuments<Ask>(records, ACTION_ASKS),
    // Approved acts the customer's quiet hours hold back, carried out after them (the sweep below), also after a restart.
    deferrals: recordDocuments<DeferredApproval>(records, 'approvals-deferred'),
    // What each customer was given, by money class, over the policy's window: its thresholds count it, on every worker alike (decision 0068).
    moneyWindow: recordVersioned<MoneyWindowDocument>(records, MONEY_WINDOW_COLLECTION),
    decisionLogged: () => decisions.flush(),
    actsHeld: o.bss?.actsHeld,
    // A back end that says it moved more than was checked, or a cost that is no cost: booked at the amount checked, audited, and said here.
    onOverrun: (x) =>
      o.log(
        x.kind === 'overrun'
          ? `ALERT actions: the back end reported ${x.reported} for ${x.actionClass} ${x.requestId}${x.customerId ? ` (${x.customerId})` : ''}, ${x.excess} above the ${x.booked} the policy checked; ${x.booked} is booked (audit seq ${x.auditSeq}: action.overrun)`
          : `ALERT actions: the back end reported ${x.reported} for ${x.actionClass} ${x.requestId}${x.customerId ? ` (${x.customerId})` : ''}, which is not a cost; the ${x.booked} the policy checked is booked, nothing comes back to the budget (audit seq ${x.auditSeq}: action.cost-refused)`,
      ),
  });
  // The answer (accepted, declined, or the outcome watch's ignored) commits or releases what the
  // offer reserved; a sweep at start and on a timer settles what a failed write or a crash left reserved.
  const offerSettlement = startOfferSettlement({
    intake: twins.intake,
    settler: createOfferSettler({ ledger, settlements, audit, policy: () => actionPolicy.current(), clock: world }),
    book: settlements,
    answerOf: loggedAnswerOf,
    acceptedAt: async (customerId, requestId) => acceptedAtAmong(await offerEventsOf(twins, customerId), requestId),
    clock: world,
    here: o.answersFor,
    log: o.log,
  });

  const runStore = recordDocuments<SimulationRun>(records, 'simulations');
  // A run that was going when the process stopped will not finish: say so rather than leave it running.
  for (const run of await runStore.list()) {
    if (run.status === 'running') await runStore.put(run.id, { ...run, status: 'failed', error: { code: 'UNAVAILABLE', message: 'interrupted by a restart of the server; start it again' } });
  }
  // Every bill and top-up the twins apply (the sandbox's backfill included), and after a restart
  // those already in the log: the lab's revenue noise. A run waits for the log's to be read.
  const revenue = keepRevenueLedger(twins, o.log);
  // One pass over what the log held at start, for each part that keeps some of it in memory: the
  // lab's billing records, and the decision service's contacts (its ledger is the intake's alone).
  // And every incident, plan's end and customer's time with the network: an incident's effect on churn, learned for the lab's network scenarios.
  const incidents = keepIncidentLedger(twins);
  const startLog = startLogPass(twins, [revenue.fromLog, incidents.fromLog, contactsFromLog(twins.engine.eventClock, ACCEPTANCE_RETENTION_DAYS, (events) => decisions.rememberContacts(events), o.log), ...(o.fromLog ?? [])]);
  const labSource = async (waiting: (what: string) => void, signal?: AbortSignal) => {
    if (!startLog.progress().done) {
      // Say what the run waits for while it does (minutes after a restart at load), then draw;
      // a run cancelled while it waits stops saying it (the log's read goes on for the next run).
      const say = () => waiting(startLogWaiting(startLog.progress()));
      say();
      const every = setInterval(say, 2_000).unref();
      const stop = () => clearInterval(every);
      signal?.addEventListener('abort', stop, { once: true });
      await startLog.loaded.finally(() => (stop(), signal?.removeEventListener('abort', stop)));
    }
    return liveTwinSource(twins, intelligence, { revenue: revenue.ledger, answers: true, incidents: incidents.ledger });
  };
  // Runs are dated on the operator's clock, as the intents and decisions they sit beside: in the
  // sandbox a run stamped with the wall clock read as months after the world's "now".
  // A run that cannot draw (no churn model serves) is refused at its start, saying when one will, not failed after a 202.
  const noChurnModel = o.noChurnModel ?? (() => noChurnModelServes(intelligence));
  const simulations = createSimulationRuns({
    store: runStore,
    source: labSource,
    clock,
    admit: () => {
      const refused = noChurnModel();
      if (refused) throw refused;
    },
  });

  const workflows: WorkflowEngine = createWorkflowEngine({
    journal,
    workerId: `${hostname()}-${process.pid}`,
    clock,
    // Leases on the wall clock: the sandbox's clock waits for wall time before it runs ahead at its
    // speed, so a lease scaled by that speed kept a dead worker's runs for half an hour of real time.
    leaseClock: systemClock,
    // Finished runs' step records are compacted after DEFAULT_COMPACTION's retention (each flow's kept steps stay).
    onCompactionError: (err) => o.log(`workflows: compacting finished runs failed (${err.message}); trying again in a minute`),
  });

  const offerAssumption = (offerId: string) => {
    const offer = decisions.catalogue.byId.get(offerId);
    if (!offer) return undefined;
    return { discountPct: discountPctOf(offer) ?? 0, months: offer.months, acceptance: decisions.learner.mean(offerId, 'app|medium-risk'), costPerAcceptance: offer.fixedCost, retentionEffect: offer.retentionEffect };
  };
  /**
   * The intents' time: the world's, and never behind the runtime's. While a restarted sandbox
   * rebuilds its world from its seed the runtime's clock reads the wall's (the replay is months
   * behind it), and an intent said then was dated a month back, its "this month" over before it
   * was planned: the twins hold the world's latest time meanwhile.
   */
  const intentClock = () => Math.max(clock.now(), world.now());
  /**
   * Each plan's scenarios (one per action) simulated in one run over `source`, summed back per plan;
   * `target` empty when the source holds the segment's customers alone.
   */
  const simulatePlansOver = async (source: TwinSource, plans: readonly Plan[], draws?: number, target?: readonly FeatureFilter[]) => {
    const perPlan = plans.map((plan) => planScenarios(plan, Math.max(1, Math.min(12, Math.round(horizonDays(plan.horizon, intentClock()) / DAYS_PER_MONTH))), offerAssumption, draws, target));
    const results = await simulate(source, perPlan.flat());
    let at = 0;
    return perPlan.map((scenarios, i) => planOutcome(results.slice(at, (at += scenarios.length)), plans[i].actions.map(answeredAction)));
  };
  const simulateIntentPlans = async (plans: readonly Plan[], options?: { readonly draws?: number }) => simulatePlansOver(await labSource(() => {}), plans, options?.draws); // an intent's plan is not a lab run: it has no run to show the wait on
  /**
   * A planning's population: the segment's active customers (the campaign's audience filters, on the
   * live scores) read and scored once, every candidate's draws over them alone.
   */
  const planningPopulation = async (segment: Segment): Promise<PlanningPopulation> => {
    const read = performance.now();
    const inSegment = twinMatcher(audienceFilters(segment), intelligence.scoreFields);
    // Planned on what the twins hold now. After a restart the billing records of the log are read
    // again in the background (each twin's month-to-month revenue noise, which only widens the net
    // value's interval): a planning waited for them, 294 s on the default world at load 40, with the
    // intent in `planning` and nothing said. Until they are in, it plans without that noise and says so.
    // A read that failed is said as well, until the intake's own records make up for it.
    const billing = revenue.progress(startLog.progress());
    const caveat = revenueCaveat(billing, twins.engine.eventClock);
    const source = liveTwinSource(twins, intelligence, { ...(billing.done ? { revenue: revenue.ledger } : {}), answers: true }, inSegment);
    const s = (ms: number) => (ms / 1000).toFixed(1);
    o.log(`intents: planning over "${describeSegment(segment)}": ${source.capacity} customers read in ${s(performance.now() - read)} s${caveat ? `; ${caveat}` : ''}`);
    const many = (plans: readonly Plan[], options?: { readonly draws?: number }) => simulatePlansOver(source, plans, options?.draws, []);
    return { size: source.capacity, simulate: async (plan) => (await many([plan]))[0], simulateMany: many, ...(caveat ? { caveat } : {}) };
  };
  // The flows are built on the finished services, and intents execute through them: bound late.
  const late: { flows?: ServiceFlows } = {};
  // A partition worker holds a share of the customers: it plans no intent (a plan read off its share would be wrong, decision 0099).
  // Nor is an intent planned without one: accepting it is refused at once, saying when one will serve.
  const intents = (o.answersFor ? intentsOnAShare : (s: IntentService) => intentsNeedAModel(s, noChurnModel))(createIntentService({
    store: recordDocuments(records, 'intents'),
    clock: intentClock,
    // By when a plan awaiting approval must be approved, in people's time: the world's clock at its pace (3,600x in the sandbox).
    realMsUntil: (t) => realMsUntil(clock, t),
    simulate: async (plan) => (await simulateIntentPlans([plan]))[0],
    // The planner's candidates in one run: the population (twins read, features computed, scored)
    // is read once for all of them; one run per candidate read the default world's 20,000 twins
    // some 50 times, minutes on a busy machine (the intent sat unplanned meanwhile).
    simulateMany: simulateIntentPlans,
    planningPopulation,
    // Plans name only what the catalogue has now (an offer retired since is not planned; its run would be refused at its start).
    planner: { known: (offerId) => decisions.catalogue.byId.has(offerId) },
    execute: async (approved, intent, by) => {
      if (!late.flows) throw new TwinloopError('UNAVAILABLE', 'no flow is registered to execute intent plans');
      return late.flows.execute(approved, intent, by);
    },
    // Every plan's segment is counted over the live twins first: an empty or tiny one is refused.
    countSegments: async (lists) => countTwins(twins.engine, lists, intelligence.scoreFields),
    // A segment too small is offered its thresholds loosened just enough, read from the same twins.
    segmentValues: async (field, filters) => fieldValuesWhere(twins.engine, field, filters, intelligence.scoreFields),
    // "At risk" is the riskiest share of today's active customers, whatever the serving model's window and the world's churn.
    // The level live scoring serves (off its typed arrays, by selection: `bench at-risk`), which the
    // catalogue's `at_risk` reads too: one notion of "at risk".
    segmentLevels: async () => {
      const live = intelligence.live();
      if (!live) {
        if (twins.engine.size === 0) return undefined;
        throw new TwinloopError('UNAVAILABLE', NO_SCORES_TO_FILTER);
      }
      const atRisk = live.atRiskLevel();
      // Customers scored and no level: a partition worker the gateway has not sent the population's yet (decision 0092), not the fixed level of old plans.
      if (!atRisk && live.activeChurn().length > 0) throw new TwinloopError('UNAVAILABLE', "the population's at-risk level is not known here yet (the gateway reads it over every worker every 10 s); retry", { context: { retryAfterSeconds: 10 } });
      return atRisk ? { atRisk } : undefined;
    },
    observe: async (intent, plan, startedAt) => (late.flows ? late.flows.observe(intent, plan, startedAt) : { asOf: intentClock(), values: {}, spend: 0 }),
    // The plan's control group as its campaign will draw it (consent, other runs' holdouts, sleeping dogs), not a share of the segment.
    audienceOf: async (approved, intent) => late.flows?.audienceOf?.(approved, intent),
    // A closed intent's runs stop: their waits end, nothing new is presented (a finished or unknown run: nothing to do).
    stop: async (executionId, reason) => void (await workflows.signal(executionId, STOP_RUN_SIGNAL, { reason } satisfies RunStop)),
    // An intent closed at its horizon before its plan ran is in the audit trail (intent.expired).
    audit,
    // A planning finished after its caller's answer and could not be saved: the next start resumes it.
    onBackgroundError: (id, err) => o.log(`intent ${id}: planning in the background stopped (the next start resumes it): ${err.message}`),
  }));
  // Intents stored in an older shape are rewritten in today's before anyone reads the store (a plan
  // chosen and waiting was stored `planning` before the status `planned` was: decision 0061).
  const upgradedIntents = await intents.upgradeStored();
  if (upgradedIntents > 0) o.log(`intents: ${upgradedIntents} stored intent(s) rewritten in today's shape (a chosen plan waiting to run is now "planned", not "planning")`);

  const alarms = createAlarmInbox({ store: recordDocuments<ReceivedAlarm>(records, 'alarms'), clock });
  await alarms.load();
  // Anomaly detection sees every event the twins apply, the sandbox's backfill included (where it
  // learns the base's usual rates of bad sessions and service calls); a cell under an open alarm
  // is a known incident, not a suspicion. Its suspicions and rates are kept in the record store.
  const keptAnomalies = await openKeptAnomalyDetector({
    cells: twins.engine.cells,
    suspicions: recordDocuments<SuspectedIncident>(records, 'anomalies'),
    baseline: recordDocuments<AnomalyBaseline>(records, 'anomaly-baseline'),
    known: (cellId, siteId, atMs) => alarms.covers(cellId, siteId, atMs),
    // The sandbox's history comes in months behind this clock: what it finds there is marked found in history.
    now: () => clock.now(),
    // A confirmed suspicion whose signals stopped clears the alarm its confirmation raised (the cell is healthy again).
    onClosed: (s) => void clearConfirmedWhenQuiet(alarms, s, DEFAULT_CELL_ANOMALY_OPTIONS.quietMs).catch((err: Error) => o.log(`anomalies: ${s.id} closed, its alarm not cleared: ${err.message}`)),
    onError: (err) => o.log(`anomalies: could not keep a suspicion yet (tried again with the next events): ${err.message}`),
  });
  const anomalies = keptAnomalies.detector;
  const detachAnomalies = twins.intake.onApplied((batch) => keptAnomalies.observe(batch));
  // An alarm's clear closes the suspicions it covered (none stays "open" after its incident), and so do the clears already in.
  const covered = closeCoveredSuspicions({
    alarms,
    suspicions: () => anomalies.suspicions(),
    cover: (id, alarmId) => keptAnomalies.cover(id, alarmId),
    cellsOfSite: (siteId) => twins.engine.cells.cellsOfSite(siteId),
    onError: (err) => o.log(`anomalies: a cleared alarm's suspicions not closed: ${err.message}`),
  });
  await covered.sweep();
  // Who called or complained about their service, and when: per incident, notified before that or not.
  const contacts = createServiceContactLog({ store: recordDocuments<ServiceContacts>(records, 'service-contacts'), onError: (err) => o.log(`service contacts: could not keep one yet (tried again with the next events): ${err.message}`) });
  await contacts.load();
  const detachContacts = twins.intake.onApplied((batch) => contacts.observe(batch));
  // Who had bad sessions on which cell lately: service operations finds the visitors an incident caught.
  const badSessions = createBadSessionLog({ store: recordDocuments<CellBadSessions>(records, 'bad-sessions'), onError: (err) => o.log(`bad sessions: could not keep one yet (tried again with the next events): ${err.message}`) });
  await badSessions.load();
  const detachBadSessions = twins.intake.onApplied((batch) => badSessions.observe(batch));
  // The flows' policy in force (the defaults: no option sets it yet); the incidents answer shows it.
  const serviceOpsPolicy = DEFAULT_SERVICE_OPS_POLICY;
  const serviceOperations = serviceOperationsView({
    alarms,
    run: async (id) => {
      const run = await journal.getRun(id);
      return run ? { status: run.status, steps: (await journal.loadHistory(id)).steps, input: JSON.parse(run.input) as unknown } : null;
    },
    suspicions: () => anomalies.suspicions(),
    cellsOfSite: (siteId) => twins.engine.cells.cellsOfSite(siteId),
    firstContact: (customerId, fromMs, toMs) => contacts.firstContact(customerId, fromMs, toMs),
    settings: serviceOpsSettings(serviceOpsPolicy, { quietSpellMs: DEFAULT_CELL_ANOMALY_OPTIONS.quietMs, chainReachMs: DEFAULT_CHAIN_REACH_MS }),
    // A payment a run left waiting for a person reads as decided since (finance's total counts an approval).
    standingOf: (requestId) => guarded.standingOf(requestId),
  });

  const services: OperatorServices = {
    twins,
    clock,
    decorateTwin: intelligence.decorateTwin,
    scoreFields: intelligence.scoreFields,
    decisions,
    guarded,
    settlements,
    holdouts,
    approvals,
    audit,
    simulations,
    noChurnModel,
    intents,
    workflows,
    records,
    alarms,
    anomalies,
    serviceOperations,
    serviceOpsPolicy,
    incidentEvidence: { customersOn: (cellIds, fromMs, toMs) => badSessions.customersOn(cellIds, fromMs, toMs), firstContact: (customerId, fromMs, toMs) => contacts.firstContact(customerId, fromMs, toMs) },
    actionPolicy,
    churnPolicy: churnPolicySettings(actionPolicy, churnDefaults),
    ...(o.bss ? { products: { plans: o.bss.plans, ...(o.bss.addons ? { addons: o.bss.addons } : {}) } } : {}),
    // Dated on the clock the action reports use, so that a decline sits among them on the timeline.
    reviewSuspicion: (id, review) => reviewSuspicion({ anomalies: { suspicions: () => anomalies.suspicions(), review: (x, r) => keptAnomalies.review(x, r) }, alarms, audit, clock, cellsOfSite: (siteId) => twins.engine.cells.cellsOfSite(siteId), quietMs: DEFAULT_CELL_ANOMALY_OPTIONS.quietMs }, id, review),
    declineAction: (declined) => recordDecline({ sink: twins.intake, audit, clock: o.bss?.clock ?? clock }, declined),
    async decideApproval(id, d) {
      const item = await approvals.get(id);
      if (!item) throw new TwinloopError('NOT_FOUND', `no approval ${id}; GET /approvals lists the pending ones`);
      const customerId = item.request.customerId;
      if (o.answersFor && typeof customerId === 'string' && !o.answersFor(customerId)) {
        throw new TwinloopError('UNAVAILABLE', `approval ${id} acts on customer ${customerId}, whose partition is not live at this worker: decide it through the gateway (or at its owner, GET /partitions/owners); retry`, { context: { retryAfterSeconds: 1 } });
      }
      const result = d.approve ? await guarded.approve(id, d.by, d.reason) : await guarded.reject(id, d.by, d.reason);
      // Approved and held by the customer's quiet hours: its workflow hears what came of it when it is carried out (the sweep).
      if (result.status !== 'pending-approval') await signalApprovalDecision(workflows, item.request, id, result);
      return result;
    },
  };
  const flows = (late.flows = o.flows?.(services));

  if (backends) workflows.register(onboardingWorkflow({ identity: backends.identityVerification, credit: backends.creditBureau, orders: backends.orderManagement, provisioning: backends.provisioning, notifications: backends.notifications, plans: o.bss!.plans }) as AnyWorkflowDefinition);
  for (const def of flows?.definitions ?? []) workflows.register(def);
  // An approval decided just before the last stop wakes its workflow now rather than at its
  // timeout. Not awaited: carrying an approved action out waits for the back ends, and the
  // sandbox's open only once its world is restored, after the services are up.
  void wakeDecidedApprovals({ journal, guarded, engine: workflows }).then(
    (woken) => woken > 0 && o.log(`approvals: woke ${woken} workflow(s) whose approval was decided before the restart`),
    (err: Error) => o.log(`approvals: could not wake the workflows of approvals decided before the restart: ${err.message}`),
  );
  workflows.run().catch((err: Error) => o.log(`workflows: the engine stopped: ${err.message}`));

  // The proactive churn-prevention scan of each period is scheduled as soon as a model serves.
  // Executing intents are watched: assessed, re-planned when off track, closed at their horizon.
  const watchIntents = async () => {
    // Intents that never ran and are past their horizon (waiting in planning for an approval nobody
    // gave) are closed as expired on the runtime's clock, not left to the next person who reads them.
    for (const closed of await intents.expireDue()) o.log(`intent ${closed.intent.id}: ${closed.failure?.reason ?? 'expired'}`);
    for (const record of await intents.list()) {
      if (record.intent.lifecycleStatus !== 'executing') continue;
      await intents.check(record.intent.id).catch((err: Error) => o.log(`intent ${record.intent.id}: ${err.message}`));
    }
  };
  // Intents a stop left accepted without a plan (or in the middle of planning), or autonomous and
  // planned with their run not started, are finished once a churn model serves to simulate with:
  // once per start, the server's own requests start the rest.
  let waitingPlanned = false;
  const schedule = () => {
    void flows?.scheduleChurnPrevention?.().catch((err: Error) => o.log(`churn prevention: ${err.message}`));
    if (!waitingPlanned && intelligence.live()) {
      waitingPlanned = true;
      void intents.planWaiting().then(
        (ids) => ids.length > 0 && o.log(`intents: planned or started ${ids.length} accepted intent(s) a stop had left unfinished`),
        (err: Error) => o.log(`intents: ${err.message}`),
      );
    }
  };
  const scheduler = setInterval(schedule, SCHEDULE_EVERY_MS);
  scheduler.unref();
  schedule();
  // Intents on the operator's clock, waited for at its pace (at most a real minute between looks).
  const stopIntentWatch = everyOnClock(clock, INTENT_CHECK_EVERY_MS, () => watchIntents().catch((err: Error) => o.log(`intents: ${err.message}`)), { maxRealWaitMs: SCHEDULE_EVERY_MS });

  const sweep = setInterval(() => {
    void guarded
      .expireDue()
      .then(async (expired) => [...expired, ...(await guarded.actDeferred()).filter((r) => r.status !== 'pending-approval')])
      .then(async (results) => {
        for (const r of results) {
          const item = r.approvalId ? await approvals.get(r.approvalId) : null;
          if (item) await signalApprovalDecision(workflows, item.request, item.id, r);
        }
      })
      .catch((err: Error) => o.log(`approvals: ${err.message}`));
  }, APPROVAL_SWEEP_MS);
  sweep.unref();

  return {
    services,
    startLog: () => startLog.progress(),
    async close() {
      clearInterval(sweep);
      clearInterval(scheduler);
      stopIntentWatch();
      actionPolicy.close();
      detachDecisions();
      await offerSettlement.close();
      revenue.detach();
      incidents.detach();
      detachAnomalies();
      covered.stop();
      detachContacts();
      detachBadSessions();
      await contacts.flushed();
      await badSessions.flushed();
      await keptAnomalies.close();
      await outcomes.close();
      flows?.close?.();
      await workflows.stop();
      await decisions.close();
      await journal.close();
      await governance.close();
      await records.close();
    },
  };
}
