import type { SuspectedIncident } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { StepRecord } from '../../store/workflow-journal.js';
import { severityHistory, type AlarmInbox, type ReceivedAlarm, type SeverityChange } from './alarm-inbox.js';
import { affectedOfRun, BATCH_KEYS, type BatchOutcome } from './service-ops-journal.js';
import type { ServiceOpsSettings } from './service-ops-settings.js';
import { addNotToldReasons, incidentCustomers, notToldReasons, runSeverity, type CustomerTreatment, type NotToldReason, type RunReading } from './incident-customers.js';
import { TwinloopError } from '../../domain/errors.js';
import type { RequestStanding } from '../governance/guarded-executor.js';

/**
 * What service operations did about each alarm, read from the alarm inbox and each alarm's
 * service-operations run as journaled so far (a run waiting for the clear is shown as it
 * stands): whom it found affected, whom it told and when, whom it compensated, how long the
 * alarm took to reach us and to clear; with the suspected incidents (anomaly detection) on the
 * same cell or site around it. One read model for the HTTP API and the console.
 */

/** A suspected incident as the view needs it. */
export type ViewSuspicion = Pick<SuspectedIncident, 'id' | 'scope' | 'objectId' | 'siteId' | 'openedMs' | 'lastSignalMs' | 'history'>;

/** One alarm and its treatment. */
export interface IncidentView {
  alarmId: string;
  sourceSystemId: string;
  externalAlarmId: string | null;
  alarmedObject: ReceivedAlarm['alarmedObject'];
  perceivedSeverity: ReceivedAlarm['perceivedSeverity'];
  probableCause: string;
  state: ReceivedAlarm['state'];
  raisedTime: string;
  reportingTime: string;
  clearedTime: string | null;
  /** Raise → reaching the operator (ms). */
  timeToDetectMs: number;
  /** Raise → the first outage notice accepted (ms); null before any. */
  timeToFirstNoticeMs: number | null;
  /** Raise → clear (ms, the repair time this alarm took); null while open. */
  timeToRepairMs: number | null;
  /** The run's state: none (not started yet, or a warning sent in before warnings were watched), running, waiting, succeeded… */
  runStatus: string;
  /**
   * The run only watches (decision 0072): it was started on a quiet severity (warning,
   * indeterminate) and has heard no escalation, so its affected customers are listed and nobody is
   * told or compensated. Judged on the severity in force at each time as the run heard it, not on
   * today's: a major alarm dropped to warning still acts, a warning made major watches until its run hears it.
   */
  watch: boolean;
  /** The severity the run acts on (its raise's, or the last escalation it heard); null while it only watches, or with no run. */
  actingSeverity: ReceivedAlarm['perceivedSeverity'] | null;
  /** The severity in force from each time: the raise's, then each change (only today's for an alarm kept before they were). */
  severities: SeverityChange[];
  affectedCustomers: string[];
  notifiedCustomers: string[];
  /**
   * Why each affected customer without an outage notice has none (consent or quiet hours refused by
   * the policy, held for a person, the outage over first, still down under another alarm…), grouped
   * by reason, most customers first; the counts add up to the affected less the notified.
   */
  notNotified: NotToldReason[];
  compensatedCustomers: string[];
  /**
   * Customers paid the difference after the alarm was made worse than the severity they were first
   * paid at (the run's `compensation-uplift-*` batches, version 6): a top-up, on top of their payment.
   */
  compensationRaisedCustomers: string[];
  /** The credit the run carried out for the incident, payments and top-ups together (what finance pays for it). */
  compensationPaid: number;
  /**
   * The credit a person approved after the run asked and that is not carried out yet (its back end
   * failed it, a crash cut it short): committed, not paid, and not in `compensationPaid`. Read live
   * (`withDecisions`); 0 without a reading of the executor.
   */
  compensationApproved: number;
  resolutionNotices: number;
  /** Suspected incidents on the alarm's cell or site, opened from a day before its raise until its clear. */
  anomalyIds: string[];
  /** The first of them, ms before the raise (positive: anomaly detection was ahead of the alarm). */
  anomalyLeadMs: number | null;
  /**
   * When the operator first knew: the first linked suspicion's opening or the alarm's arrival
   * (`reportingTime`, TMF642's alarmReportingTime), whichever came first; and which. Not TMF642's: the
   * fault's detection at its source is `raisedTime` (alarmRaisedTime).
   */
  detectedTime: string;
  detectedBy: 'anomaly' | 'alarm';
  /**
   * Affected customers who called or complained about their service during the incident (from its
   * first sign until a week after its clear), and how many of them had the outage notice by their
   * first call or complaint; with the share (null when nobody called).
   */
  contactedCustomers: number;
  notifiedBeforeContact: number;
  notifiedBeforeContactShare: number | null;
}

/** Totals over the listed incidents. */
export interface IncidentSummary {
  incidents: number;
  /** Alarms whose run told or paid at least one customer (one that acted and reached nobody, the outage over before any notice, is not counted). */
  actedOn: number;
  affected: number;
  notified: number;
  /** Why the affected without a notice have none, over every incident (`IncidentView.notNotified` added up): the gap between affected and notified, said. */
  notNotified: NotToldReason[];
  compensated: number;
  /** The credit carried out over every incident listed, payments and top-ups together. */
  compensationPaid: number;
  /** The credit approved by a person over every incident listed and not carried out yet: committed, not paid. */
  compensationApproved: number;
  medianTimeToDetectMs: number | null;
  medianTimeToFirstNoticeMs: number | null;
  /** Mean raise → clear over cleared alarms (MTTR). */
  mttrMs: number | null;
  anomalies: number;
  /**
   * Of them, found in history (on signals that came in long after they happened: the sandbox's
   * backfill, whose alarms were never sent in), which no alarm here can follow.
   */
  anomaliesInHistory: number;
  /** Suspicions found as they happened that no alarm followed (or preceded) on their cell or site. */
  anomaliesWithoutAlarm: number;
  /** Over every incident: affected customers who called or complained, and the share of them notified first. */
  contactedCustomers: number;
  notifiedBeforeContactShare: number | null;
}

/** What the view reads. */
export interface ServiceOpsViewDeps {
  alarms: Pick<AlarmInbox, 'all'>;
  /** A run's status and journaled steps, or null when no run exists for that id. */
  run(workflowId: string): Promise<RunReading | null>;
  suspicions(): readonly ViewSuspicion[];
  /** The cells of a site, to match a suspicion on a cell to an alarm on its site. */
  cellsOfSite(siteId: string): string[];
  /** A customer's first call or complaint about their service in [fromMs, toMs] (`ServiceContactLog.firstContact`). */
  firstContact(customerId: string, fromMs: number, toMs: number): number | null;
  /** The outage settings the flows run on, answered with the incidents so that what is shown is what is in force. */
  settings: ServiceOpsSettings;
  /**
   * What a request id stands for now (`GuardedExecutor.standingOf`): a compensation the run left
   * waiting for a person reads as decided since (`withDecisions`). Without it, as the run kept it.
   */
  standingOf?: (requestId: string) => Promise<RequestStanding | null>;
}

/** How far before an alarm's raise a suspicion on its cell or site still counts as its early sign. */
const LOOKBACK_MS = 86_400_000;
/**
 * How long before a linked suspicion opened its incident's calls count: the calls that made the
 * burst came within the detector's contact window (2 h) before it. Without a suspicion an
 * incident's calls count from the raise (an outage's alarm comes at its start).
 */
const CONTACT_LOOKBACK_MS = 2 * 3_600_000;
/** How long after the clear a call or complaint still counts as about the incident (complaints come the next days). */
const CONTACT_AFTER_CLEAR_MS = 7 * 86_400_000;

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const parsed = <T>(s: StepRecord | undefined, fallback: T): T => (s?.output ? (JSON.parse(s.output) as T) : fallback);

/** Whether a suspicion is on the alarm's object: the same cell or site, a cell of the alarmed site, or the site of the alarmed cell. */
function sameObject(s: ViewSuspicion, a: ReceivedAlarm, cellsOfSite: (siteId: string) => string[]): boolean {
  const obj = a.alarmedObject;
  if (s.objectId === obj.id) return true;
  if (obj['@referredType'] === 'Site') return s.siteId === obj.id || (s.scope === 'Cell' && cellsOfSite(obj.id).includes(s.objectId));
  return s.scope === 'Site' && cellsOfSite(s.objectId).includes(obj.id);
}

const NO_BATCH: BatchOutcome = { executed: [], pending: [], refused: 0, failed: 0 };

/**
 * What the run paid: whom it paid the difference after an escalation, and the credit carried out in
 * all (payments and top-ups); and the credit a person approved that is not carried out yet (a batch's
 * customers `withDecisions` read so). Each batch says its credit since it was kept
 * (`BatchOutcome.amount`); an earlier one's is read from the settings: a top-up's from its key (its
 * severity's amount less what its customers had), a payment's as what its customers had before a
 * top-up, else the amount of the severity the run acts on.
 */
export function compensationPaid(steps: readonly StepRecord[], settings: Pick<ServiceOpsSettings, 'compensation'>, acting: ReceivedAlarm['perceivedSeverity'] | null): { raised: string[]; paid: number; approved: number } {
  const amountOf = (severity: string | null) => settings.compensation.find((c) => c.severity === severity)?.amount ?? 0;
  const ok = steps.filter((s) => s.status === 'succeeded' && s.output);
  const uplifts = ok.flatMap((s) => {
    const m = BATCH_KEYS.uplift.exec(s.key);
    return m ? [{ batch: parsed<BatchOutcome>(s, NO_BATCH), severity: m[1], before: Number(m[2]) }] : [];
  });
  const hadBefore = new Map<string, number>();
  for (const u of uplifts) for (const c of [...u.batch.executed, ...u.batch.pending, ...Object.keys(u.batch.why ?? {})]) hadBefore.set(c, u.before);
  const approvedIn = (b: BatchOutcome) => b.pending.filter((c) => b.why?.[c]?.status === 'approved').length;
  let paid = 0;
  let approved = 0;
  for (const s of ok) {
    if (!BATCH_KEYS.compensation.test(s.key)) continue;
    const b = parsed<BatchOutcome>(s, NO_BATCH);
    const known = [...b.executed, ...b.pending].find((c) => hadBefore.has(c));
    const each = b.amount ?? (known !== undefined ? hadBefore.get(known)! : amountOf(acting));
    // Version 11: a customer an overlapping alarm paid part of was credited the rest (`amounts`).
    const of = (c: string) => b.amounts?.[c] ?? each;
    for (const c of b.executed) paid += of(c);
    for (const c of b.pending) if (b.why?.[c]?.status === 'approved') approved += of(c);
  }
  for (const u of uplifts) {
    const each = u.batch.amount ?? Math.max(0, amountOf(u.severity) - u.before);
    paid += u.batch.executed.length * each;
    approved += approvedIn(u.batch) * each;
  }
  const cents = (x: number) => Math.round(x * 100) / 100;
  return { raised: [...new Set(uplifts.flatMap((u) => u.batch.executed))], paid: cents(paid), approved: cents(approved) };
}

/**
 * The run with its compensation batches as they stand now: a payment or top-up the run left waiting
 * for a person, decided since, reads as what became of it (carried out; approved and not carried out
 * yet, `approved`, committed and not paid; or refused, with the executor's word), asked under its
 * request id (`{incident}:{purpose}:{customer}`, the incident the run's input `continues`, else the
 * alarm; the alarm where the batch says the run asked under its own id, `BatchOutcome.underAlarm`).
 * A batch keeps what was true when the run asked; finance reads what was paid, a person's approval
 * included, and what is committed.
 */
export async function withDecisions(alarmId: string, run: RunReading, standingOf: (requestId: string) => Promise<RequestStanding | null>): Promise<RunReading> {
  const continues = (run.input as { continues?: unknown } | undefined)?.continues;
  const under = typeof continues === 'string' ? continues : alarmId;
  const steps: StepRecord[] = [];
  for (const st of run.steps) {
    const up = BATCH_KEYS.uplift.exec(st.key);
    const purpose = up ? `compensation-uplift-${up[1]}` : BATCH_KEYS.compensation.test(st.key) ? 'compensation' : undefined;
    const b = purpose && st.status === 'succeeded' ? parsed<BatchOutcome>(st, NO_BATCH) : undefined;
    if (!purpose || !b || b.pending.length === 0) {
      steps.push(st);
      continue;
    }
    const now: BatchOutcome = { ...b, executed: [...b.executed], pending: [], ...(b.why ? { why: { ...b.why } } : {}) };
    // Asked under the alarm's own id where the incident's was held (`underAlarm`); a batch kept before
    // that was said is looked up under the alarm's id first: only this run asks under it with that purpose.
    for (const c of b.pending) {
      const [own, incident] = [`${alarmId}:${purpose}:${c}`, `${under}:${purpose}:${c}`];
      const standing = b.underAlarm ? await standingOf(b.underAlarm.includes(c) ? own : incident) : ((await standingOf(own)) ?? (await standingOf(incident)));
      const status = standing?.status ?? null;
      if (status === 'executed') {
        now.executed.push(c);
        if (now.why) delete now.why[c];
      } else if (status === null || status === 'pending-approval') {
        now.pending.push(c);
        if (standing?.approvedBy !== undefined) (now.why ??= {})[c] = { status: 'approved', reason: standing.reason };
      } else (now.why ??= {})[c] = { status, reason: status === 'failed' ? 'approved by a person after the run asked, then the back end failed it' : `decided after the run asked: ${standing?.reason ?? status}` };
    }
    steps.push({ ...st, output: JSON.stringify(now) });
  }
  return { ...run, steps };
}

/** One alarm's view from its run's journaled steps. */
export function incidentView(a: ReceivedAlarm, run: RunReading | null, suspicions: readonly ViewSuspicion[], deps: Pick<ServiceOpsViewDeps, 'cellsOfSite' | 'firstContact' | 'settings'>): IncidentView {
  const raised = Date.parse(a.raisedTime);
  const steps = run?.steps ?? [];
  const batches = (prefix: RegExp) => steps.filter((s) => prefix.test(s.key) && s.status === 'succeeded');
  // At the alarm (notice-first-N, notice-N), and to those found showing it later (notice-showing-R-N).
  const notices = batches(BATCH_KEYS.notice);
  // Each notified customer with when their batch was done (the notice was accepted by then).
  const noticeAt = new Map<string, number>();
  for (const s of notices) for (const c of parsed<BatchOutcome>(s, NO_BATCH).executed) if (!noticeAt.has(c)) noticeAt.set(c, s.updatedAt);
  const notified = [...noticeAt.keys()];
  const firstNotice = [...noticeAt.values()];
  const end = a.clearedTime ? Date.parse(a.clearedTime) : Infinity;
  const linked = suspicions.filter((s) => s.openedMs >= raised - LOOKBACK_MS && s.openedMs <= end && sameObject(s, a, deps.cellsOfSite)).sort((x, y) => x.openedMs - y.openedMs);
  const reported = Date.parse(a.reportingTime);
  const ahead = linked.length > 0 && linked[0].openedMs < reported;
  const affected = affectedOfRun(steps);
  const judged = run ? runSeverity(a, run) : null;
  const money = compensationPaid(steps, deps.settings, judged?.acting ?? null);
  const contactFrom = linked.length > 0 ? Math.min(raised, linked[0].openedMs - CONTACT_LOOKBACK_MS) : raised;
  let contacted = 0;
  let toldFirst = 0;
  for (const c of affected) {
    const first = deps.firstContact(c, contactFrom, end + CONTACT_AFTER_CLEAR_MS);
    if (first === null) continue;
    contacted++;
    const told = noticeAt.get(c);
    if (told !== undefined && told <= first) toldFirst++;
  }
  return {
    alarmId: a.id,
    sourceSystemId: a.sourceSystemId,
    externalAlarmId: a.externalAlarmId ?? null,
    alarmedObject: a.alarmedObject,
    perceivedSeverity: a.perceivedSeverity,
    probableCause: a.probableCause,
    state: a.state,
    raisedTime: a.raisedTime,
    reportingTime: a.reportingTime,
    clearedTime: a.clearedTime ?? null,
    timeToDetectMs: Date.parse(a.reportingTime) - raised,
    timeToFirstNoticeMs: firstNotice.length ? Math.min(...firstNotice) - raised : null,
    timeToRepairMs: a.clearedTime ? Date.parse(a.clearedTime) - raised : null,
    runStatus: run?.status ?? 'none',
    watch: judged !== null && judged.acting === null,
    actingSeverity: judged?.acting ?? null,
    severities: [...(severityHistory(a) ?? [{ perceivedSeverity: a.perceivedSeverity, fromTime: a.raisedTime }])],
    affectedCustomers: affected,
    notifiedCustomers: notified,
    notNotified: notToldReasons(incidentCustomers(a, run, deps.settings)),
    compensatedCustomers: batches(BATCH_KEYS.compensation).flatMap((s) => parsed<BatchOutcome>(s, NO_BATCH).executed),
    compensationRaisedCustomers: money.raised,
    compensationPaid: money.paid,
    compensationApproved: money.approved,
    resolutionNotices: batches(BATCH_KEYS.resolution).reduce((n, s) => n + parsed<BatchOutcome>(s, NO_BATCH).executed.length, 0),
    anomalyIds: linked.map((s) => s.id),
    anomalyLeadMs: linked.length ? raised - linked[0].openedMs : null,
    detectedTime: new Date(ahead ? linked[0].openedMs : reported).toISOString(),
    detectedBy: ahead ? 'anomaly' : 'alarm',
    contactedCustomers: contacted,
    notifiedBeforeContact: toldFirst,
    notifiedBeforeContactShare: contacted ? Math.round((1000 * toldFirst) / contacted) / 1000 : null,
  };
}

/** The service-operations read model over the inbox, the runs and the suspicions. */
export function serviceOperationsView(deps: ServiceOpsViewDeps) {
  /** A run as journaled, with what people decided since on the payments it left waiting for them. */
  const runNow = async (alarmId: string): Promise<RunReading | null> => {
    const run = await deps.run(alarmId);
    return run && deps.standingOf ? withDecisions(alarmId, run, deps.standingOf) : run;
  };
  return {
    /** Every alarm with its treatment, newest raise first, the totals, and the settings in force. */
    async incidents(options: { limit?: number } = {}): Promise<{ settings: ServiceOpsSettings; summary: IncidentSummary; items: IncidentView[] }> {
      const suspicions = deps.suspicions();
      const all = deps.alarms.all().reverse();
      const items: IncidentView[] = [];
      for (const a of all) items.push(incidentView(a, await runNow(a.id), suspicions, deps));
      const linked = new Set(items.flatMap((i) => i.anomalyIds));
      const contacted = items.reduce((n, i) => n + i.contactedCustomers, 0);
      const repairs = items.flatMap((i) => (i.timeToRepairMs === null ? [] : [i.timeToRepairMs]));
      const summary: IncidentSummary = {
        incidents: items.length,
        // Acted on: a run that told or paid someone. One that only watches a warning tells nobody (0072),
        // and one whose outage was over before its notices (a sandbox at 3,600x on a loaded machine) reached nobody.
        actedOn: items.filter((i) => !i.watch && (i.notifiedCustomers.length > 0 || i.compensatedCustomers.length > 0)).length,
        affected: items.reduce((n, i) => n + i.affectedCustomers.length, 0),
        notified: items.reduce((n, i) => n + i.notifiedCustomers.length, 0),
        notNotified: addNotToldReasons(items.map((i) => i.notNotified)),
        compensated: items.reduce((n, i) => n + i.compensatedCustomers.length, 0),
        compensationPaid: Math.round(items.reduce((n, i) => n + i.compensationPaid, 0) * 100) / 100,
        compensationApproved: Math.round(items.reduce((n, i) => n + i.compensationApproved, 0) * 100) / 100,
        medianTimeToDetectMs: median(items.map((i) => i.timeToDetectMs)),
        medianTimeToFirstNoticeMs: median(items.flatMap((i) => (i.timeToFirstNoticeMs === null ? [] : [i.timeToFirstNoticeMs]))),
        mttrMs: repairs.length ? Math.round(repairs.reduce((x, y) => x + y, 0) / repairs.length) : null,
        anomalies: suspicions.length,
        anomaliesInHistory: suspicions.filter((s) => s.history === true).length,
        anomaliesWithoutAlarm: suspicions.filter((s) => s.history !== true && !linked.has(s.id)).length,
        contactedCustomers: contacted,
        notifiedBeforeContactShare: contacted ? Math.round((1000 * items.reduce((n, i) => n + i.notifiedBeforeContact, 0)) / contacted) / 1000 : null,
      };
      return { settings: deps.settings, summary, items: options.limit === undefined ? items : items.slice(0, options.limit) };
    },
    /**
     * One alarm's treatment with each affected customer's notice, compensation and resolution, and
     * why any of them is not sent (NOT_FOUND for an alarm the inbox does not have).
     */
    async incident(alarmId: string): Promise<{ settings: ServiceOpsSettings; incident: IncidentView; customers: CustomerTreatment[] }> {
      const a = deps.alarms.all().find((x) => x.id === alarmId);
      if (!a) throw new TwinloopError('NOT_FOUND', `no alarm "${alarmId}"; GET /service-operations/incidents lists them`);
      const run = await runNow(a.id);
      return { settings: deps.settings, incident: incidentView(a, run, deps.suspicions(), deps), customers: incidentCustomers(a, run, deps.settings) };
    },
  };
}

/** The read model's type. */
export type ServiceOperationsView = ReturnType<typeof serviceOperationsView>;
