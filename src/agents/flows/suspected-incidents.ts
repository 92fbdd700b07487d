import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { Actor } from '../../decisioning/policy/index.js';
import type { SuspectedIncident, SuspicionReview } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import type { AlarmInbox, ReceivedAlarm } from './alarm-inbox.js';

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

/** Confirms or dismisses a suspicion (NOT_FOUND, CONFLICT when already reviewed, BAD_INPUT without a reason). */
export async function reviewSuspicion(deps: SuspectedIncidentDeps, id: string, req: ReviewRequest): Promise<{ suspicion: SuspectedIncident; alarm: ReceivedAlarm | null }> {
  const s = deps.anomalies.suspicions().find((x) => x.id === id);
  if (!s) throw new TwinloopError('NOT_FOUND', `no suspected incident "${id}"; GET /service-operations/anomalies lists them`);
  if (s.review) throw new TwinloopError('CONFLICT', `${id} was already ${s.review.decision} by ${s.review.by.id} at ${new Date(s.review.atMs).toISOString()} (${s.review.reason})`);
  const reason = req.reason.trim();
  if (reason.length === 0) throw new TwinloopError('BAD_INPUT', 'reason: say why the suspicion is confirmed or dismissed');
  const now = deps.clock.now();
  let alarm: ReceivedAlarm | null = null;
  if (req.decision === 'confirm') {
    if (s.state === 'closed') {
      throw new TwinloopError('CONFLICT', `${id} closed at ${new Date(s.lastSignalMs).toISOString()} plus the quiet spell (its signals stopped): there is nobody left to warn; dismiss it, or raise an alarm through TMF642 if the fault goes on`);
    }
    // An alarm already open on the place covers it: its flow is acting, nothing is raised twice.
    const place: Place = { scope: s.scope, id: s.objectId };
    alarm = deps.alarms.all().find((a) => isOpenAt(a, now) && overlaps(placeOfAlarm(a), place, deps.cellsOfSite)) ?? null;
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
    action: { actionClass: 'incident_review', channel: '*', cost: 0, params: { event, anomalyId: s.id, scope: s.scope, objectId: s.objectId, alarmId: alarm?.id ?? null } },
    why: { summary: reason, evidence: { signal: s.signal, signals: s.signals, expected: s.expected, pValue: s.pValue, customers: s.customers.length } },
    outcome: { status: 'executed', event, alarmId: alarm?.id ?? null },
  });
  const suspicion = await deps.anomalies.review(s.id, { decision, by: req.by, reason, atMs: now, alarmId: alarm?.id ?? null });
  return { suspicion, alarm };
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
