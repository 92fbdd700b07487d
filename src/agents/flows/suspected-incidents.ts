import { alarmClearedWithin, alarmOpenAt, alarmOpenDuring, type Alarm } from '../../domain/connectors/network-alarms.js';
import type { Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { Actor } from '../../decisioning/policy/index.js';
import type { SuspectedIncident, SuspicionReview } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import type { AlarmInbox, ReceivedAlarm } from './alarm-inbox.js';
import { servesCustomers } from './service-ops-signals.js';
import { DAY_MS } from '../../domain/time.js';

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
  /**
   * The detector's quiet spell (DEFAULT_CELL_ANOMALY_OPTIONS.quietMs): the evidence's measure of an
   * incident over. A suspicion whose last signal is further back than this from now is over, and
   * one that opened within it of a clear on its place is the cleared alarm's incident going on.
   */
  quietMs: number;
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
  const on = alarms.filter((a) => servesCustomers(a) && alarmOpenDuring(a, s.openedMs, endMs) && overlaps(placeOfAlarm(a), place, cellsOfSite));
  return on.find((a) => alarmOpenAt(a, endMs)) ?? on.at(-1);
}

/**
 * The alarm whose incident one opening on `place` at `atMs` goes on: the last cleared alarm that
 * touches customers on an overlapping place, cleared at most `withinMs` before (the detector's quiet
 * spell, the evidence's measure of an incident over: a fault back within it was never over). Its
 * customers were told of the outage (and paid for it) under its request ids; they are not told
 * again of what is the same incident. After a longer quiet, a new outage is told.
 */
export function continuedAlarm(place: Place, atMs: number, alarms: readonly ReceivedAlarm[], withinMs: number, cellsOfSite: (siteId: string) => string[]): ReceivedAlarm | undefined {
  const cleared = alarms.filter((a) => servesCustomers(a) && alarmClearedWithin(a, atMs, withinMs) && overlaps(placeOfAlarm(a), place, cellsOfSite));
  return cleared.reduce<ReceivedAlarm | undefined>((last, a) => (!last || Date.parse(a.clearedTime!) > Date.parse(last.clearedTime!) ? a : last), undefined);
}

/**
 * The other alarms on `alarm`'s place (the same cell or site, a cell of its site, the site of its
 * cell) of a severity that serves customers, whenever raised, cleared or not: the service-operations
 * flow reads from them whether the fault is back after its clear (raised after it, open when a
 * resolution is due: version 8) and which earlier alarm there told its customers of the outage and not
 * yet that it was over (version 10).
 */
export function alarmsOnPlace(alarm: Alarm, alarms: readonly ReceivedAlarm[], cellsOfSite: (siteId: string) => string[]): ReceivedAlarm[] {
  return alarms.filter((a) => a.id !== alarm.id && servesCustomers(a) && overlaps(placeOfAlarm(a), placeOfAlarm(alarm), cellsOfSite));
}

/** How far back from an alarm's raise a chain of one incident's alarms reaches by default (`linkConfirmedIncidents`' `maxChainMs`). */
export const DEFAULT_CHAIN_REACH_MS = DAY_MS;

/** What a confirmation did besides its review: the alarm it raised or found, and the incident that alarm goes on. */
export interface ReviewOutcome {
  suspicion: SuspectedIncident;
  alarm: ReceivedAlarm | null;
  raised: boolean;
  /** The cleared alarm whose incident the raised one goes on (its customers are told it is back, not paid twice), or null. */
  continues: string | null;
  /** Raised already cleared, at the suspicion's last signal: its evidence says the outage is over (nobody is told of it now). */
  over: boolean;
}

/** Confirms or dismisses a suspicion (NOT_FOUND, CONFLICT when already reviewed, BAD_INPUT without a reason). */
export async function reviewSuspicion(deps: SuspectedIncidentDeps, id: string, req: ReviewRequest): Promise<ReviewOutcome> {
  const s = deps.anomalies.suspicions().find((x) => x.id === id);
  if (!s) throw new TwinloopError('NOT_FOUND', `no suspected incident "${id}"; GET /service-operations/anomalies lists them`);
  if (s.history) throw new TwinloopError('CONFLICT', `${id} was found in history (its signals came in ${new Date(s.openedMs).toISOString()}, a day or more before anyone saw them): it was over before anyone could act on it, so there is nothing to confirm or dismiss`);
  if (s.review) throw new TwinloopError('CONFLICT', `${id} was already ${s.review.decision} by ${s.review.by.id} at ${new Date(s.review.atMs).toISOString()} (${s.review.reason})`);
  const reason = req.reason.trim();
  if (reason.length === 0) throw new TwinloopError('BAD_INPUT', 'reason: say why the suspicion is confirmed or dismissed');
  const now = deps.clock.now();
  let alarm: ReceivedAlarm | null = null;
  let raised = false;
  let continues: ReceivedAlarm | undefined;
  let over = false;
  if (req.decision === 'confirm') {
    // An alarm on the place during the suspicion's life covers it (open now, or raised and
    // cleared since it opened): its flow told and compensated whom it touched; nothing is raised
    // twice, nobody told twice. The confirmation names it.
    const all = deps.alarms.all();
    alarm = (s.coveredBy ? all.find((a) => a.id === s.coveredBy) : undefined) ?? coveringAlarm(s, all, now, deps.cellsOfSite) ?? null;
    raised = alarm === null;
    if (raised) {
      // Over by its evidence: closed, or its last signal further back than the quiet spell on the
      // world's clock (the intake trailing the world keeps it "open" while nothing new comes in).
      // The NOC's confirmation is still the record that this was an incident: its alarm is raised
      // cleared at the last signal, as its quiet close would have cleared it (0057), so its flow
      // tells nobody of an outage that is over and pays only if it lasted past the threshold.
      over = s.state === 'closed' || now - s.lastSignalMs > deps.quietMs;
      const place: Place = { scope: s.scope, id: s.objectId };
      continues = continuedAlarm(place, s.openedMs, all, deps.quietMs, deps.cellsOfSite);
      const last = new Date(s.lastSignalMs).toISOString();
      const notes = [
        `confirmed by ${req.by.id}: ${reason}`,
        ...(continues ? [`goes on with ${continues.id} (cleared ${continues.clearedTime}, ${hours(s.openedMs - Date.parse(continues.clearedTime!))} before this suspicion opened): its customers are told it is back, not paid twice`] : []),
        ...(over ? [`over by its evidence: last signal ${last}, ${hours(now - s.lastSignalMs)} before the confirmation (quiet spell ${hours(deps.quietMs)}): cleared at it, nobody told of an outage that is over`] : []),
      ];
      alarm = await deps.alarms.raise({
        alarmType: 'qualityOfServiceAlarm',
        perceivedSeverity: req.severity ?? 'minor',
        probableCause: s.signal === 'bad-session-burst' ? 'performanceDegraded' : 'customerReportedDegradation',
        specificProblem: `suspected incident ${s.id}: ${s.signals} ${s.signal === 'bad-session-burst' ? 'bad sessions' : 'service calls'} against ${s.expected} expected`,
        alarmDetails: notes.join('; '),
        alarmedObject: { id: s.objectId, '@referredType': s.scope },
        raisedTime: new Date(s.openedMs).toISOString(),
        ...(over ? { state: 'cleared' as const, clearedTime: last } : { state: 'raised' as const }),
        sourceSystemId: ANOMALY_SOURCE_SYSTEM_ID,
        externalAlarmId: s.id,
      });
    }
  }
  const decision = req.decision === 'confirm' ? 'confirmed' : 'dismissed';
  const event = `suspicion.${decision}`;
  await deps.audit.record({
    type: 'action.executed',
    requestId: `${s.id}:${event}`,
    actor: req.by,
    action: { actionClass: 'incident_review', channel: '*', cost: 0, params: { event, anomalyId: s.id, scope: s.scope, objectId: s.objectId, alarmId: alarm?.id ?? null, alarmRaised: raised, continues: continues?.id ?? null, over } },
    why: { summary: reason, evidence: { signal: s.signal, signals: s.signals, expected: s.expected, pValue: s.pValue, customers: s.customers.length } },
    outcome: { status: 'executed', event, alarmId: alarm?.id ?? null },
  });
  const suspicion = await deps.anomalies.review(s.id, { decision, by: req.by, reason, atMs: now, alarmId: alarm?.id ?? null });
  return { suspicion, alarm, raised, continues: continues?.id ?? null, over };
}

const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;

/** The incident an alarm goes on: its first alarm, and the alarm its notices are asked under when the fault is back after a clear. */
export interface IncidentLink {
  /** The first alarm of the chain: compensation is asked under its request ids (nobody paid twice for one incident). */
  incident: string;
  /**
   * Set when the chain goes back past a clear (the confirmed alarm continuing a cleared one): its
   * customers were told it was resolved, so they are told it is back, under the ids of the first
   * alarm after that clear (this one, or the open confirmed alarm it goes on), then resolved again.
   */
  noticesUnder?: string;
  /**
   * With `noticesUnder`: the chain's earlier alarms (first first, the one notices are asked under
   * aside), whose outage notices say who heard of the incident: told by any of them, a customer is
   * told the fault is back; told by none, of an outage.
   */
  toldOf?: string[];
}

/**
 * Ties the alarms of one incident together: `incidentOf(alarm)` is the incident a new alarm's flow
 * goes on (whose request ids it asks under, so nobody is told or paid twice), or undefined for a
 * new one. The network's alarm goes on the open confirmed alarm on the same cell or
 * site; a confirmed alarm goes on the alarm cleared there within `sameIncidentMs` before it opened
 * (continuedAlarm); either way the incident is the first alarm of the chain. A clear of the
 * network's alarm clears the confirmed alarms it continued. A chain reaches back at most
 * `maxChainMs` (default a day) from the alarm's raise: a fault that keeps coming back over days is
 * told and paid as new incidents, and a chain's walk is bounded. Returns the unsubscribe function with it.
 */
export function linkConfirmedIncidents(o: { alarms: Pick<AlarmInbox, 'all' | 'update' | 'subscribe' | 'get'>; cellsOfSite(siteId: string): string[]; sameIncidentMs: number; maxChainMs?: number; onError(err: Error): void }): { incidentOf(alarm: Alarm): IncidentLink | undefined; stop(): void } {
  const maxChainMs = o.maxChainMs ?? DEFAULT_CHAIN_REACH_MS;
  const confirmedOpenOn = (alarm: Alarm, atMs: number) =>
    o.alarms.all().filter((a) => a.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID && a.id !== alarm.id && alarmOpenAt(a, atMs) && overlaps(placeOfAlarm(a), placeOfAlarm(alarm), o.cellsOfSite));
  const stop = o.alarms.subscribe((alarm) => {
    const full = o.alarms.get(alarm.id);
    if (alarm.state !== 'cleared' || !full || full.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID || !alarm.clearedTime) return;
    const clearedMs = Date.parse(alarm.clearedTime);
    for (const c of confirmedOpenOn(alarm, clearedMs - 1)) {
      if (Date.parse(c.raisedTime) > Date.parse(alarm.raisedTime)) continue;
      o.alarms.update(c.id, { state: 'cleared', clearedTime: alarm.clearedTime, alarmDetails: `${c.alarmDetails ?? ''}; cleared with ${alarm.id}`.replace(/^; /, '') }).catch((err: Error) => o.onError(err));
    }
  });
  /**
   * The alarm this one goes on, one step back (each step reaches an alarm raised no later, another
   * one), and whether that one had cleared (a confirmed alarm goes on a cleared one: the fault is back).
   */
  const previous = (alarm: Alarm): { alarm: ReceivedAlarm; cleared: boolean } | undefined => {
    const raisedMs = Date.parse(alarm.raisedTime);
    const confirmed = o.alarms.get(alarm.id)?.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID;
    const p = confirmed ? continuedAlarm(placeOfAlarm(alarm), raisedMs, o.alarms.all().filter((a) => a.id !== alarm.id), o.sameIncidentMs, o.cellsOfSite) : confirmedOpenOn(alarm, raisedMs)[0];
    return p && { alarm: p, cleared: confirmed };
  };
  return {
    incidentOf(alarm) {
      const seen = new Set([alarm.id]);
      const fromMs = Date.parse(alarm.raisedTime) - maxChainMs;
      let first: Alarm | undefined;
      let noticesUnder: string | undefined;
      const chain: string[] = [];
      for (let at: Alarm = alarm, p = previous(at); p && !seen.has(p.alarm.id) && Date.parse(p.alarm.raisedTime) >= fromMs; at = p.alarm, p = previous(at)) {
        seen.add(p.alarm.id);
        chain.push(p.alarm.id);
        if (p.cleared && noticesUnder === undefined) noticesUnder = at.id;
        first = p.alarm;
      }
      // Who was told of the incident: those any earlier alarm's outage notice reached (not only the first's, review: a chain of three told "back" only to the first's).
      return first && { incident: first.id, ...(noticesUnder ? { noticesUnder, toldOf: chain.filter((id) => id !== noticesUnder).reverse() } : {}) };
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
