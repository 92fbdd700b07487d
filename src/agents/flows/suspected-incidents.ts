import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { Actor } from '../../decisioning/policy/index.js';
import type { SuspectedIncident, SuspicionReview } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import type { AlarmInbox, ReceivedAlarm } from './alarm-inbox.js';
import { servesCustomers } from './alarm-watcher.js';

/**
 * What a suspected incident (anomaly detection's suspicion, raised before or without an alarm)
 * becomes: network operations confirms it or dismisses it, with a reason, audited. A confirmation
 * raises an alarm in the inbox on the suspicion's cell or site (source
 * `ANOMALY_SOURCE_SYSTEM_ID`, its raise the moment the burst was seen), and the ordinary
 * service-operations flow acts on that alarm: the outage notices go out, a trouble ticket is
 * opened, compensation follows the severity's policy. Nothing reaches a customer on a suspicion
 * alone (docs/decisions/0015-suspected-incidents.md says why). When the network's own alarm then
 * arrives on the same cell or site, its flow continues the confirmed incident (the same request
 * ids: nobody is told twice), and its clear clears the confirmed alarm too.
 */

/** The source system of the alarms confirmations raise. */
export const ANOMALY_SOURCE_SYSTEM_ID = 'twinloop-anomaly-detection';

/** Severities a confirmation may give its alarm (the default, minor, notifies and compensates no one). */
export const CONFIRM_SEVERITIES = ['critical', 'major', 'minor'] as const;

/** A review as asked for: confirm (with the alarm's severity) or dismiss, by whom, why. */
export interface ReviewRequest {
  decision: 'confirm' | 'dismiss';
  reason: string;
  severity?: (typeof CONFIRM_SEVERITIES)[number];
  by: Actor;
}

/** What reviewing needs. */
export interface SuspectedIncidentDeps {
  anomalies: { suspicions(): SuspectedIncident[]; review(id: string, review: SuspicionReview): Promise<SuspectedIncident> };
  alarms: Pick<AlarmInbox, 'raise' | 'all'>;
  audit: Pick<AuditTrail, 'record'>;
  clock: Clock;
  cellsOfSite(siteId: string): string[];
}

/** A cell or site: an alarm's object or a suspicion's place. */
interface Place {
  scope: 'Cell' | 'Site';
  id: string;
}
const placeOfAlarm = (a: Alarm): Place => ({ scope: a.alarmedObject['@referredType'], id: a.alarmedObject.id });

/** Whether two places overlap: the same one, a site and one of its cells. */
export function overlaps(a: Place, b: Place, cellsOfSite: (siteId: string) => string[]): boolean {
  if (a.scope === b.scope) return a.id === b.id;
  const [site, cell] = a.scope === 'Site' ? [a, b] : [b, a];
  return cellsOfSite(site.id).includes(cell.id);
}

const isOpenAt = (a: ReceivedAlarm, ms: number) => Date.parse(a.raisedTime) <= ms && (a.clearedTime === undefined || ms < Date.parse(a.clearedTime));

/**
 * The alarm a suspicion belongs to: one that touches customers (not a warning), on its cell or
 * site, open at some moment of the suspicion's life (from its opening until `untilMs`: now, or
 * its last signal if later). The one open at `untilMs` first, else the latest raised. A network
 * alarm raised and cleared while the suspicion was open is the incident it saw: its flow told
 * and compensated whom it touched, and a confirmation raises nothing on top of it.
 */
export function coveringAlarm(s: Pick<SuspectedIncident, 'scope' | 'objectId' | 'openedMs' | 'lastSignalMs'>, alarms: readonly ReceivedAlarm[], untilMs: number, cellsOfSite: (siteId: string) => string[]): ReceivedAlarm | undefined {
  const place: Place = { scope: s.scope, id: s.objectId };
  const endMs = Math.max(untilMs, s.lastSignalMs);
  const on = alarms.filter((a) => servesCustomers(a) && Date.parse(a.raisedTime) <= endMs && (a.clearedTime === undefined || Date.parse(a.clearedTime) >= s.openedMs) && overlaps(placeOfAlarm(a), place, cellsOfSite));
  return on.find((a) => isOpenAt(a, endMs)) ?? on.at(-1);
}

/** Confirms or dismisses a suspicion (NOT_FOUND, CONFLICT when already reviewed, BAD_INPUT without a reason). */
export async function reviewSuspicion(deps: SuspectedIncidentDeps, id: string, req: ReviewRequest): Promise<{ suspicion: SuspectedIncident; alarm: ReceivedAlarm | null; raised: boolean }> {
  const s = deps.anomalies.suspicions().find((x) => x.id === id);
  if (!s) throw new TwinloopError('NOT_FOUND', `no suspected incident "${id}"; GET /service-operations/anomalies lists them`);
  if (s.review) throw new TwinloopError('CONFLICT', `${id} was already ${s.review.decision} by ${s.review.by.id} at ${new Date(s.review.atMs).toISOString()} (${s.review.reason})`);
  const reason = req.reason.trim();
  if (reason.length === 0) throw new TwinloopError('BAD_INPUT', 'reason: say why the suspicion is confirmed or dismissed');
  const now = deps.clock.now();
  let alarm: ReceivedAlarm | null = null;
  let raised = false;
  if (req.decision === 'confirm') {
    // An alarm on the place during the suspicion's life covers it (open now, or raised and
    // cleared since it opened): its flow told and compensated whom it touched; nothing is raised
    // twice, nobody told twice. The confirmation names it.
    const all = deps.alarms.all();
    alarm = (s.coveredBy ? all.find((a) => a.id === s.coveredBy) : undefined) ?? coveringAlarm(s, all, now, deps.cellsOfSite) ?? null;
    if (!alarm && s.state === 'closed') {
      throw new TwinloopError('CONFLICT', `${id} closed at ${new Date(s.lastSignalMs).toISOString()} plus the quiet spell (its signals stopped): there is nobody left to warn; dismiss it, or raise an alarm through TMF642 if the fault goes on`);
    }
    raised = alarm === null;
    alarm ??= await deps.alarms.raise({
      alarmType: 'qualityOfServiceAlarm',
      perceivedSeverity: req.severity ?? 'minor',
      probableCause: s.signal === 'bad-session-burst' ? 'performanceDegraded' : 'customerReportedDegradation',
      specificProblem: `suspected incident ${s.id}: ${s.signals} ${s.signal === 'bad-session-burst' ? 'bad sessions' : 'service calls'} against ${s.expected} expected`,
      alarmDetails: `confirmed by ${req.by.id}: ${reason}`,
      alarmedObject: { id: s.objectId, '@referredType': s.scope },
      raisedTime: new Date(s.openedMs).toISOString(),
      state: 'raised',
      sourceSystemId: ANOMALY_SOURCE_SYSTEM_ID,
      externalAlarmId: s.id,
    });
  }
  const decision = req.decision === 'confirm' ? 'confirmed' : 'dismissed';
  const event = `suspicion.${decision}`;
  await deps.audit.record({
    type: 'action.executed',
    requestId: `${s.id}:${event}`,
    actor: req.by,
    action: { actionClass: 'incident_review', channel: '*', cost: 0, params: { event, anomalyId: s.id, scope: s.scope, objectId: s.objectId, alarmId: alarm?.id ?? null, alarmRaised: raised } },
    why: { summary: reason, evidence: { signal: s.signal, signals: s.signals, expected: s.expected, pValue: s.pValue, customers: s.customers.length } },
    outcome: { status: 'executed', event, alarmId: alarm?.id ?? null },
  });
  const suspicion = await deps.anomalies.review(s.id, { decision, by: req.by, reason, atMs: now, alarmId: alarm?.id ?? null });
  return { suspicion, alarm, raised };
}

/**
 * Ties the network's own alarms to the confirmed suspicions they follow: `incidentOf(alarm)` is
 * the id of the open confirmed alarm on the same cell or site (the incident the new alarm's flow
 * continues), and a clear of the network's alarm clears the confirmed alarms it continued.
 * Returns the unsubscribe function with it.
 */
export function linkConfirmedIncidents(o: { alarms: Pick<AlarmInbox, 'all' | 'update' | 'subscribe' | 'get'>; cellsOfSite(siteId: string): string[]; onError(err: Error): void }): { incidentOf(alarm: Alarm): string | undefined; stop(): void } {
  const confirmedOpenOn = (alarm: Alarm, atMs: number) =>
    o.alarms.all().filter((a) => a.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID && a.id !== alarm.id && isOpenAt(a, atMs) && overlaps(placeOfAlarm(a), placeOfAlarm(alarm), o.cellsOfSite));
  const stop = o.alarms.subscribe((alarm) => {
    const full = o.alarms.get(alarm.id);
    if (alarm.state !== 'cleared' || !full || full.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID || !alarm.clearedTime) return;
    const clearedMs = Date.parse(alarm.clearedTime);
    for (const c of confirmedOpenOn(alarm, clearedMs - 1)) {
      if (Date.parse(c.raisedTime) > Date.parse(alarm.raisedTime)) continue;
      o.alarms.update(c.id, { state: 'cleared', clearedTime: alarm.clearedTime, alarmDetails: `${c.alarmDetails ?? ''}; cleared with ${alarm.id}`.replace(/^; /, '') }).catch((err: Error) => o.onError(err));
    }
  });
  return {
    incidentOf(alarm) {
      const full = o.alarms.get(alarm.id);
      if (full?.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID) return undefined;
      return confirmedOpenOn(alarm, Date.parse(alarm.raisedTime))[0]?.id;
    },
    stop,
  };
}

/**
 * Closes the suspicions an alarm covered once it clears: each open suspicion on its cell or site
 * (or the site of its cell, a cell of its site) opened before the clear is `coveredBy` it, so
 * none is left "open" after its incident is over (a signal after the clear is a new incident's).
 * `sweep()` does the same for the alarms already cleared (at start: a clear missed while down).
 * Returns the unsubscribe function with it.
 */
export function closeCoveredSuspicions(o: {
  alarms: Pick<AlarmInbox, 'all' | 'subscribe'>;
  suspicions(): SuspectedIncident[];
  cover(id: string, alarmId: string): Promise<unknown>;
  cellsOfSite(siteId: string): string[];
  onError(err: Error): void;
}): { sweep(): Promise<number>; stop(): void } {
  const coverAll = async (cleared: readonly ReceivedAlarm[]) => {
    let n = 0;
    for (const s of o.suspicions()) {
      if (s.state !== 'open') continue;
      // Still open: its life runs to now, past any clear.
      const by = coveringAlarm(s, cleared, Number.POSITIVE_INFINITY, o.cellsOfSite);
      if (!by?.clearedTime || Date.parse(by.clearedTime) < s.openedMs) continue;
      await o.cover(s.id, by.id);
      n++;
    }
    return n;
  };
  const stop = o.alarms.subscribe((alarm) => {
    if (alarm.state !== 'cleared') return;
    const full = o.alarms.all().find((a) => a.id === alarm.id);
    if (full) coverAll([full]).catch((err: Error) => o.onError(err));
  });
  return { sweep: () => coverAll(o.alarms.all().filter((a) => a.state === 'cleared')), stop };
}

/**
 * The network is healthy again by the evidence: a confirmed suspicion closed because its signals
 * stopped (no bad session or service call on its place for the detector's quiet spell), so the
 * alarm its confirmation raised clears, at its last signal (the last evidence of the fault). An
 * alarm it was linked to (another system's, or cleared already) is left alone. For
 * `openKeptAnomalyDetector`'s `onClosed`.
 */
export async function clearConfirmedWhenQuiet(alarms: Pick<AlarmInbox, 'bySource' | 'update'>, s: SuspectedIncident, quietMs: number): Promise<ReceivedAlarm | undefined> {
  if (s.review?.decision !== 'confirmed' || s.coveredBy !== undefined) return undefined;
  const raised = alarms.bySource(ANOMALY_SOURCE_SYSTEM_ID, s.id);
  if (!raised || raised.state === 'cleared' || raised.id !== s.review.alarmId) return undefined;
  const last = new Date(s.lastSignalMs).toISOString();
  const why = `back to normal: no bad session or service call on ${s.scope} ${s.objectId} since ${last} (${Math.round(quietMs / 3_600_000)} h quiet)`;
  return alarms.update(raised.id, { state: 'cleared', clearedTime: last, alarmDetails: [raised.alarmDetails, why].filter(Boolean).join('; ') });
}
