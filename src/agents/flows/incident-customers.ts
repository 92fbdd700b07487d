import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { StepRecord } from '../../store/workflow-journal.js';
import { severityHistory, type ReceivedAlarm } from './alarm-inbox.js';
import { affectedOfRun, BATCH_KEYS, FAULT_BACK_STEP_ID, SEVERITY_STEP_ID, TROUBLE_TICKET_STEP_ID, type BatchOutcome, type FaultBack, type SeverityJudged } from './service-ops-journal.js';
import { servesCustomers } from './service-ops-signals.js';
import type { ServiceOpsSettings } from './service-ops-settings.js';

/**
 * What an alarm's run did to each customer it found affected, with why wherever it did not tell or
 * pay them: the request's own answer where the run kept it (a policy refusal and its rule, a
 * leaver, a back end's failure, a person's approval awaited, an ask already made under the
 * incident), else what the run's course says (watched, over before the notice, a severity not
 * compensated, an outage shorter than the threshold, not decided yet). Read from the run's
 * journaled steps, as the incidents view is; one answer for the HTTP API and the console.
 */

/** One act for one customer: done, waiting for a person, not done (with why), or not decided yet. */
export interface Treatment {
  state: 'sent' | 'waiting' | 'not-sent' | 'not-yet';
  /** Why it is not sent; null when sent. */
  why: string | null;
}

/** A customer of the incident and its three acts. */
export interface CustomerTreatment {
  customerId: string;
  notice: Treatment;
  compensation: Treatment;
  resolution: Treatment;
}

/** Why some of an incident's affected customers have no outage notice: one reason, how it stands, and how many. */
export interface NotToldReason {
  state: Exclude<Treatment['state'], 'sent'>;
  why: string;
  customers: number;
}

/**
 * Why the affected customers not told were not told, most customers first: each notice that is not
 * sent grouped by its state and words (`incidentCustomers`). The counts add up to the affected less
 * the notified.
 */
export function notToldReasons(customers: readonly CustomerTreatment[]): NotToldReason[] {
  const groups = new Map<string, NotToldReason>();
  for (const { notice } of customers) {
    if (notice.state === 'sent') continue;
    const why = notice.why ?? 'no reason kept';
    const key = `${notice.state}\u0000${why}`;
    const g = groups.get(key);
    if (g) g.customers++;
    else groups.set(key, { state: notice.state, why, customers: 1 });
  }
  return [...groups.values()].sort((x, y) => y.customers - x.customers);
}

/** The reasons of several alarms' runs added up, reason by reason, most customers first (a customer affected by two alarms counts under each). */
export function addNotToldReasons(lists: readonly (readonly NotToldReason[])[]): NotToldReason[] {
  const groups = new Map<string, NotToldReason>();
  for (const r of lists.flat()) {
    const key = `${r.state}\u0000${r.why}`;
    const g = groups.get(key);
    if (g) g.customers += r.customers;
    else groups.set(key, { ...r });
  }
  return [...groups.values()].sort((x, y) => y.customers - x.customers);
}

/** The run as the reading needs it. */
export interface RunReading {
  status: string;
  steps: readonly StepRecord[];
  /** The run's input (the alarm as its run was started on); absent where the reader has none. */
  input?: unknown;
}


const SENT: Treatment = { state: 'sent', why: null };
const notSent = (why: string): Treatment => ({ state: 'not-sent', why });
const notYet = (why: string): Treatment => ({ state: 'not-yet', why });

const hours = (ms: number) => {
  const m = Math.round(ms / 60_000);
  if (m >= 2 * 1440 && m % 1440 === 0) return `${m / 1440} days`;
  return m < 60 ? `${m} min` : m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
};

/** What one kind of batch step reached: done, waiting, not done with why, and counts kept without names (batches journaled before `why`). */
function readBatches(steps: readonly StepRecord[], key: RegExp) {
  const done = new Set<string>();
  const why = new Map<string, { status: string; reason: string }>();
  let unnamed = { refused: 0, failed: 0 };
  let ran = false;
  for (const s of steps) {
    if (!key.test(s.key) || s.status !== 'succeeded' || !s.output) continue;
    ran = true;
    const b = JSON.parse(s.output) as BatchOutcome;
    for (const c of b.executed) done.add(c);
    if (b.why) {
      for (const [c, w] of Object.entries(b.why)) if (!why.has(c)) why.set(c, w);
    } else {
      unnamed = { refused: unnamed.refused + b.refused, failed: unnamed.failed + b.failed };
      for (const c of b.pending) why.set(c, { status: 'pending-approval', reason: 'a person decides (this run kept no reason)' });
    }
  }
  // One carried out in a later batch (a look that found them again, the later compensation) is done.
  for (const c of done) why.delete(c);
  return { done, why, unnamed, ran };
}

/** A kept answer in words. */
function answered(w: { status: string; reason: string }): Treatment {
  if (w.status === 'pending-approval') return { state: 'waiting', why: `waiting for a person: ${w.reason}` };
  // Approved by a person since the run asked, not carried out yet (the view's reading): committed, not paid.
  if (w.status === 'approved') return { state: 'waiting', why: w.reason };
  const what = { refused: 'refused by policy', failed: 'failed', advised: 'advised only (policy: a person acts)', 'asked-before': 'not asked again', over: 'the outage was over', down: 'not told it is resolved' }[w.status] ?? w.status;
  // The executor words a back end's failure "the action failed: …": the column already says failed.
  return notSent(`${what}: ${w.reason.replace(/^the action failed: /, '')}`);
}

/**
 * Whether the run told nobody because the outage was over before its notices (version 3): a peek at
 * the clear found it, or the alarm came to it cleared (its ticket opened with no notice batch before it).
 */
const overBeforeNotice = (steps: readonly StepRecord[]) =>
  steps.some((s) => /^signal:cleared-before-notice(-first)?$/.test(s.key) && s.status === 'succeeded' && s.output !== null && (JSON.parse(s.output) as { timedOut: boolean }).timedOut === false) ||
  (steps.some((s) => s.key.startsWith('trouble-ticket')) && !steps.some((s) => s.key.startsWith('notice-first')));

/** Why the fault-back look kept a resolution: the fault back after the clear, or (version 11) another alarm open alongside it all along. */
function downWhy(back: FaultBack): string {
  const alongside = new Set(back.overlapping);
  if (alongside.size === 0) return `the fault was back when their notice was due (${back.alarmIds.join(', ')} open on the place)`;
  if (back.alarmIds.every((id) => alongside.has(id))) return `still down when their notice was due (${back.alarmIds.join(', ')}, open on the place alongside this one)`;
  return `down when their notice was due (${back.alarmIds.join(', ')} open on the place, ${[...alongside].join(', ')} alongside this one)`;
}

/** When a watched alarm escalated (the watch's end, journaled with its payload), or undefined. */
function escalation(steps: readonly StepRecord[]): { to: string; atMs: number | null } | undefined {
  for (const s of steps) {
    if (!s.key.startsWith('signal:alarm-watch-ended') || s.status !== 'succeeded' || !s.output) continue;
    const w = JSON.parse(s.output) as { payload: { escalatedTo?: string; escalatedTime?: string } | null; timedOut: boolean };
    if (!w.timedOut && w.payload?.escalatedTo) return { to: w.payload.escalatedTo, atMs: w.payload.escalatedTime ? Date.parse(w.payload.escalatedTime) : null };
  }
  return undefined;
}

/** The severity an alarm's run judged it by: as it started, as it acts now (null: it only watches), and when its outage counts from. */
export interface RunSeverity {
  raised: Alarm['perceivedSeverity'];
  acting: Alarm['perceivedSeverity'] | null;
  outageFromMs: number;
}

/**
 * What severity the run acted on, from its own record, not from the alarm's severity today (a major
 * alarm dropped to warning still acts; a warning made major acts only once its run heard it): the
 * severity it judged last (version 6 journals each judgement), else the escalation that ended its
 * watch, else the severity it was started on (its input; the alarm's first severity; today's).
 */
export function runSeverity(a: ReceivedAlarm, run: RunReading): RunSeverity {
  const raisedMs = Date.parse(a.raisedTime);
  const given = (run.input as { alarm?: { perceivedSeverity?: Alarm['perceivedSeverity'] } } | undefined)?.alarm?.perceivedSeverity;
  const raised = given ?? severityHistory(a)?.[0].perceivedSeverity ?? a.perceivedSeverity;
  const judged = run.steps.filter((s) => s.stepId === SEVERITY_STEP_ID && s.status === 'succeeded' && s.output);
  if (judged.length > 0) {
    const last = JSON.parse(judged[judged.length - 1].output!) as SeverityJudged;
    return { raised, acting: last.severity, outageFromMs: last.outageFromMs };
  }
  const escalated = escalation(run.steps);
  if (escalated) return { raised, acting: escalated.to as Alarm['perceivedSeverity'], outageFromMs: escalated.atMs ?? raisedMs };
  if (servesCustomers({ perceivedSeverity: raised })) return { raised, acting: raised, outageFromMs: raisedMs };
  // A run that ticketed or told someone acted (its escalation's wait, not kept past compaction, is gone): on today's severity, the best known.
  const acted = run.steps.some((s) => s.stepId === TROUBLE_TICKET_STEP_ID || BATCH_KEYS.noticeAtAlarm.test(s.key));
  return { raised, acting: acted ? a.perceivedSeverity : null, outageFromMs: raisedMs };
}

/** Each affected customer of the alarm's run, in the order found, with its notice, compensation and resolution and why any is not sent. */
export function incidentCustomers(a: ReceivedAlarm, run: RunReading | null, settings: ServiceOpsSettings): CustomerTreatment[] {
  if (!run) return [];
  const steps = run.steps;
  const finished = run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled';
  const judged = runSeverity(a, run);
  const watching = judged.acting === null;
  const severity = judged.acting ?? judged.raised;
  const notices = readBatches(steps, BATCH_KEYS.notice);
  const comp = readBatches(steps, BATCH_KEYS.compensation);
  // Version 6: the difference asked of those paid a lower severity's amount before the alarm was made worse.
  const raised = readBatches(steps, BATCH_KEYS.uplift);
  const resolution = readBatches(steps, BATCH_KEYS.resolution);
  // Version 10: customers an earlier alarm's unresolved outage notice stands for: owed the end as if told here.
  const toldEarlier = new Set(steps.filter((s) => BATCH_KEYS.notice.test(s.key) && s.status === 'succeeded' && s.output).flatMap((s) => Object.keys((JSON.parse(s.output!) as BatchOutcome).toldBefore ?? {})));
  const over = overBeforeNotice(steps);
  // Version 8: the fault back on the place when a resolution held to the morning was due (version 10: any resolution), and whom it touched.
  const backStep = steps.find((s) => s.stepId === FAULT_BACK_STEP_ID && s.status === 'succeeded' && s.output);
  const back = backStep ? (JSON.parse(backStep.output!) as FaultBack | null) : null;
  const downAgain = new Set(back?.customers);
  const amount = settings.compensation.find((c) => c.severity === severity);
  const outageFromMs = judged.outageFromMs;
  const lastedMs = a.clearedTime ? Date.parse(a.clearedTime) - outageFromMs : null;
  const threshold = hours(settings.compensateAfterMs);
  const unnamedWhy = (u: { refused: number; failed: number }) => `refused or failed (this run kept counts only: ${u.refused} refused, ${u.failed} failed in its batches)`;

  const noticeOf = (c: string): Treatment => {
    if (notices.done.has(c)) return SENT;
    const w = notices.why.get(c);
    if (w) return answered(w);
    if (watching) return notSent(`watched: a ${judged.raised} alarm tells nobody unless it escalates to ${settings.actingSeverities.join(', ')}`);
    if (over) return notSent('the outage was over before their notice: nobody is told of an outage that has ended');
    if (notices.unnamed.refused + notices.unnamed.failed > 0) return notSent(unnamedWhy(notices.unnamed));
    return finished ? notSent('not asked') : notYet('not asked yet');
  };
  const compensationOf = (c: string, notice: Treatment): Treatment => {
    if (comp.done.has(c)) {
      const up = raised.done.has(c) ? undefined : raised.why.get(c);
      if (!up) return SENT;
      const t = answered(up);
      return { state: t.state, why: `paid at an earlier severity; the difference for ${severity}: ${t.why ?? up.status}` };
    }
    const w = comp.why.get(c);
    const difference = raised.done.has(c) ? SENT : raised.why.get(c) && answered(raised.why.get(c)!);
    // Version 8: a payment waiting for a person is topped up after an escalation too; both are said.
    if (w && (w.status === 'pending-approval' || w.status === 'approved') && difference) {
      const t = answered(w);
      return { state: 'waiting', why: `${t.why}; the difference for ${severity}: ${difference.state === 'sent' ? 'sent' : difference.why}` };
    }
    if (w) return answered(w);
    if (watching) return notSent(`watched: a ${judged.raised} alarm pays nobody unless it escalates`);
    if (!amount) return notSent(`a ${severity} alarm is not compensated (compensated: ${settings.compensation.map((x) => x.severity).join(', ') || 'no severity'})`);
    if (lastedMs !== null && lastedMs <= settings.compensateAfterMs) return notSent(`the outage lasted ${hours(lastedMs)}, not past ${threshold}`);
    if (comp.unnamed.refused + comp.unnamed.failed > 0) return notSent(unnamedWhy(comp.unnamed));
    // Runs before version 5 paid only those told.
    if (comp.ran && notice.state !== 'sent') return notSent(`not told of the outage (${notice.why ?? 'no notice'}), and this run compensated only those told`);
    if (!finished) return notYet(`decided once the outage has lasted past ${threshold}${outageFromMs !== Date.parse(a.raisedTime) ? ' from its escalation' : ''}, or at its clear`);
    return notSent('not asked');
  };
  const resolutionOf = (c: string, notice: Treatment): Treatment => {
    if (resolution.done.has(c)) return SENT;
    const w = resolution.why.get(c);
    if (w) return answered(w);
    // Before the notice's state: one an earlier alarm told of the outage (version 10) is owed the end as if told here.
    if (downAgain.has(c)) return notSent(`${downWhy(back!)}: not told it is resolved while it is down; that alarm's run tells them`);
    const by = back?.resolvedBy?.[c];
    if (by !== undefined) return notSent(`told it is resolved already by ${by}'s run (the fault came back and went): one notice a fault`);
    if (notice.state !== 'sent' && !toldEarlier.has(c)) return notSent('not told of the outage, so not told of its end');
    if (a.state !== 'cleared') return finished ? notSent(`the alarm did not clear within the flow's wait (${hours(settings.maxOpenMs)}): left to people`) : notYet('sent when the alarm clears');
    if (resolution.unnamed.refused + resolution.unnamed.failed > 0) return notSent(unnamedWhy(resolution.unnamed));
    return finished ? notSent('not asked') : notYet('not asked yet');
  };
  return affectedOfRun(steps).map((customerId) => {
    const notice = noticeOf(customerId);
    return { customerId, notice, compensation: compensationOf(customerId, notice), resolution: resolutionOf(customerId, notice) };
  });
}
