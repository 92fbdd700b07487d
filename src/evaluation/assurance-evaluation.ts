import { createOracle, type IncidentTruth } from '../sandbox/oracle/index.js';

/**
 * Service assurance judged against the sandbox's truth: for each network incident whose alarm
 * service operations acted on, did it find the customers the incident really touched (precision
 * and recall of the affected set), how fast did the first notice go out, were the touched
 * customers told before they complained, and how long until the alarm cleared (MTTR). Only this
 * module reads the incidents' truth (the oracle); the operator's side is what it observed.
 */

/** What service operations did about one alarm, as observed outside the sandbox. */
export interface ObservedAlarm {
  /** The alarm's id in the world's feed (the inbox's `externalAlarmId`). */
  alarmId: string;
  /** When the alarm reached the operator (ms, operator time). */
  reportedMs: number;
  /** When it cleared (ms), if it did. */
  clearedMs?: number;
  /** The customers the flow found affected. */
  affected: readonly string[];
  /** When each notified customer got the outage notice (ms). */
  notifiedAt: ReadonlyMap<string, number>;
}

/** Figures per incident and over all of them. */
export interface AssuranceReport {
  incidents: number;
  /** Share of incidents with at least one touched customer for which the flow found someone. */
  foundShare: number;
  /** Micro-averaged over incidents: found ∩ touched / found, found ∩ touched / touched. */
  precision: number;
  recall: number;
  /**
   * Median ms from the incident's start (when it began to hurt customers, which may be well
   * before its alarm) to the alarm reaching the operator, and to the first notice; and from
   * the alarm's raise to the first notice (the flow's own reaction).
   */
  medianTimeToDetectMs: number | null;
  medianTimeToFirstNoticeMs: number | null;
  medianRaiseToFirstNoticeMs: number | null;
  /** Touched customers who complained about the incident, and the share of them notified before their first complaint. */
  complainers: number;
  notifiedBeforeComplaintShare: number | null;
  /** Share of touched customers notified at all. */
  notifiedShare: number;
  /** Mean ms from the incident's start to the alarm's clear (MTTR), over cleared alarms: the sandbox's repair time, which no handling shortens. */
  mttrMs: number | null;
  perIncident: { alarmId: string; severity: IncidentTruth['severity']; touched: number; found: number; hit: number; timeToFirstNoticeMs: number | null }[];
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Judges the observed alarms against the world's incidents. `complaintsOf(customerId)` gives the
 * times (ms) of a customer's network complaints (tickets), as the operator received them; a
 * complaint counts for an incident when it falls between its start and a week after its end.
 */
export function evaluateAssurance(world: object, observed: readonly ObservedAlarm[], complaintsOf: (customerId: string) => readonly number[]): AssuranceReport {
  const truth = new Map(createOracle(world).incidents().map((t) => [t.alarmId, t]));
  let tp = 0;
  let foundTotal = 0;
  let touchedTotal = 0;
  let withTouched = 0;
  let foundSome = 0;
  let complainers = 0;
  let toldFirst = 0;
  let notified = 0;
  const detect: number[] = [];
  const firstNotice: number[] = [];
  const raiseToNotice: number[] = [];
  const repair: number[] = [];
  const perIncident: AssuranceReport['perIncident'] = [];
  for (const o of observed) {
    const t = truth.get(o.alarmId);
    if (!t) continue;
    const touched = new Set(t.touched);
    const hit = o.affected.filter((c) => touched.has(c)).length;
    tp += hit;
    foundTotal += o.affected.length;
    touchedTotal += touched.size;
    if (touched.size > 0) {
      withTouched++;
      if (o.affected.length > 0) foundSome++;
    }
    detect.push(o.reportedMs - t.startMs);
    const first = o.notifiedAt.size > 0 ? Math.min(...o.notifiedAt.values()) - t.startMs : null;
    if (first !== null) firstNotice.push(first);
    if (first !== null && t.alarmMs !== null) raiseToNotice.push(first + t.startMs - t.alarmMs);
    if (o.clearedMs !== undefined) repair.push(o.clearedMs - t.startMs);
    for (const c of touched) {
      const told = o.notifiedAt.get(c);
      if (told !== undefined) notified++;
      const complaint = complaintsOf(c).find((ms) => ms >= t.startMs && ms <= t.endMs + 7 * 86_400_000);
      if (complaint === undefined) continue;
      complainers++;
      if (told !== undefined && told <= complaint) toldFirst++;
    }
    perIncident.push({ alarmId: o.alarmId, severity: t.severity, touched: touched.size, found: o.affected.length, hit, timeToFirstNoticeMs: first });
  }
  const mean = repair.length ? repair.reduce((a, b) => a + b, 0) / repair.length : null;
  return {
    incidents: perIncident.length,
    foundShare: withTouched ? round3(foundSome / withTouched) : 0,
    precision: foundTotal ? round3(tp / foundTotal) : 0,
    recall: touchedTotal ? round3(tp / touchedTotal) : 0,
    medianTimeToDetectMs: median(detect),
    medianTimeToFirstNoticeMs: median(firstNotice),
    medianRaiseToFirstNoticeMs: median(raiseToNotice),
    complainers,
    notifiedBeforeComplaintShare: complainers ? round3(toldFirst / complainers) : null,
    notifiedShare: touchedTotal ? round3(notified / touchedTotal) : 0,
    mttrMs: mean === null ? null : Math.round(mean),
    perIncident,
  };
}

/** A suspected incident as the detector raised it (`SuspectedIncident` fits). */
export interface ObservedSuspicion {
  id?: string;
  scope: 'Cell' | 'Site';
  objectId: string;
  siteId: string | null;
  openedMs: number;
  /** The customers whose signals it holds (to say which incident, if any, they were really caught in). */
  customers?: readonly string[];
}

/** How well anomaly detection found incidents, and how long before their alarms. */
export interface AnomalyReport {
  suspicions: number;
  /** Suspicions that fell on a real incident (its cell or site, while it lasted) / all suspicions. */
  precision: number;
  /** Incidents that hurt someone and take service away (severity above low), and the share found by a suspicion. */
  incidents: number;
  recall: number;
  /** The same over every incident, low severity included. */
  recallAll: number;
  /** Of the found incidents that raised an alarm: median ms from the first suspicion to the alarm (positive: before it), and the share found before it. */
  medianLeadMs: number | null;
  foundBeforeAlarmShare: number | null;
  /** Incidents that never raised an alarm (above low severity), and how many a suspicion found. */
  silentIncidents: number;
  silentFound: number;
  /**
   * Incidents above low severity that hurt customers before any alarm (a late alarm or none: the
   * ones detection can be ahead of; an alarm raised at the start is known at once), and the share
   * of them a suspicion found before the alarm (or at all, for a silent one).
   */
  aheadPossible: number;
  foundAheadShare: number | null;
  /**
   * Each suspicion no incident explains, with what its customers were really caught in: the
   * incident touching most of them around that time (its cell, site, impact and start relative
   * to the suspicion), or none. Why detection was wrong, for whoever tunes it.
   */
  falseSuspicions: { id: string | null; scope: 'Cell' | 'Site'; objectId: string; openedMs: number; touchedBy: string | null }[];
  /**
   * Each incident above low severity that began in the window and no suspicion found ahead of its
   * alarm, with why: `alarmed-at-start` (its alarm came the moment it began to hurt, so the place
   * was a known incident and detection rightly suspected nothing there), `found-after-alarm` (a
   * suspicion came, but only once the alarm was in), `missed` (none came, or a silent incident was
   * never suspected). What recall lost and where, for whoever tunes detection.
   */
  missedIncidents: MissedIncident[];
  /** How many of `missedIncidents` fall in each kind. */
  missedByKind: Record<MissedIncident['why'], number>;
}

/** An incident anomaly detection did not find ahead of its alarm, and why. */
export interface MissedIncident {
  alarmId: string;
  cellId: string;
  siteId: string;
  impact: IncidentTruth['impact'];
  severity: IncidentTruth['severity'];
  touched: number;
  startMs: number;
  /** Minutes from the start to its alarm; null for a silent incident. */
  alarmAfterMin: number | null;
  durationMin: number;
  why: 'alarmed-at-start' | 'found-after-alarm' | 'missed';
}

/** How long after an incident's end the complaints about it still come (the sandbox's come the next day). */
const LATE_SIGNAL_MS = 86_400_000;

/**
 * Judges the suspected incidents opened in [fromMs, toMs) against the world's incidents (any
 * that could explain them), and finds which incidents that started in the window were found.
 * A suspicion matches an incident when it was opened from its start until a day after its end
 * (a burst of next-day complaints found a real incident, late; the lead says how late), on its cell,
 * on its site, or on any cell of its site for an outage (which takes the site down).
 */
export function evaluateAnomalies(world: object, suspicions: readonly ObservedSuspicion[], o: { fromMs: number; toMs: number }): AnomalyReport {
  // Every incident can explain a suspicion (one that began before the window still draws calls
  // in it); recall and lead count the incidents that began in the window.
  const everyIncident = createOracle(world)
    .incidents()
    .filter((t) => t.touched.length > 0);
  const incidents = everyIncident.filter((t) => t.startMs >= o.fromMs && t.startMs < o.toMs);
  const seen = suspicions.filter((s) => s.openedMs >= o.fromMs && s.openedMs < o.toMs);
  const matches = (s: ObservedSuspicion, t: IncidentTruth) => {
    if (s.openedMs < t.startMs || s.openedMs > t.endMs + LATE_SIGNAL_MS) return false;
    if (s.scope === 'Site') return s.objectId === t.siteId;
    return s.objectId === t.cellId || (t.impact === 'outage' && s.siteId === t.siteId);
  };
  const unmatched = seen.filter((s) => !everyIncident.some((t) => matches(s, t)));
  const matched = seen.length - unmatched.length;
  const touchedBy = (s: ObservedSuspicion): string | null => {
    const who = new Set(s.customers ?? []);
    let best: { t: IncidentTruth; n: number } | undefined;
    for (const t of everyIncident) {
      if (s.openedMs < t.startMs - LATE_SIGNAL_MS || s.openedMs > t.endMs + LATE_SIGNAL_MS) continue;
      const n = t.touched.filter((c) => who.has(c)).length;
      if (n > 0 && (!best || n > best.n)) best = { t, n };
    }
    if (!best) return null;
    const { t, n } = best;
    return `${n} of ${who.size} touched by ${t.impact} ${t.severity} on ${t.cellId} (${t.siteId}), started ${Math.round((s.openedMs - t.startMs) / 60_000)} min before`;
  };
  const serving = incidents.filter((t) => t.severity !== 'low');
  const firstFound = (t: IncidentTruth) => {
    let first: number | undefined;
    for (const s of seen) if (matches(s, t) && (first === undefined || s.openedMs < first)) first = s.openedMs;
    return first;
  };
  const leads: number[] = [];
  let found = 0;
  let silent = 0;
  let silentFound = 0;
  for (const t of serving) {
    const f = firstFound(t);
    if (f !== undefined) found++;
    if (t.alarmMs === null) {
      silent++;
      if (f !== undefined) silentFound++;
    } else if (f !== undefined) leads.push(t.alarmMs - f);
  }
  const foundAll = incidents.filter((t) => firstFound(t) !== undefined).length;
  const missedIncidents: MissedIncident[] = [];
  for (const t of serving) {
    const f = firstFound(t);
    if (f !== undefined && (t.alarmMs === null || f < t.alarmMs)) continue;
    const why: MissedIncident['why'] = t.alarmMs === t.startMs ? 'alarmed-at-start' : f !== undefined ? 'found-after-alarm' : 'missed';
    const minutesOf = (ms: number) => Math.round(ms / 6_000) / 10;
    missedIncidents.push({ alarmId: t.alarmId, cellId: t.cellId, siteId: t.siteId, impact: t.impact, severity: t.severity, touched: t.touched.length, startMs: t.startMs, alarmAfterMin: t.alarmMs === null ? null : minutesOf(t.alarmMs - t.startMs), durationMin: minutesOf(t.endMs - t.startMs), why });
  }
  const missedByKind: AnomalyReport['missedByKind'] = { 'alarmed-at-start': 0, 'found-after-alarm': 0, missed: 0 };
  for (const m of missedIncidents) missedByKind[m.why]++;
  const possible = serving.filter((t) => t.alarmMs === null || t.alarmMs > t.startMs);
  const ahead = possible.filter((t) => {
    const f = firstFound(t);
    return f !== undefined && (t.alarmMs === null || f < t.alarmMs);
  }).length;
  return {
    suspicions: seen.length,
    precision: seen.length ? round3(matched / seen.length) : 0,
    incidents: serving.length,
    recall: serving.length ? round3(found / serving.length) : 0,
    recallAll: incidents.length ? round3(foundAll / incidents.length) : 0,
    medianLeadMs: median(leads),
    foundBeforeAlarmShare: leads.length ? round3(leads.filter((l) => l > 0).length / leads.length) : null,
    silentIncidents: silent,
    silentFound,
    aheadPossible: possible.length,
    foundAheadShare: possible.length ? round3(ahead / possible.length) : null,
    falseSuspicions: unmatched.map((s) => ({ id: s.id ?? null, scope: s.scope, objectId: s.objectId, openedMs: s.openedMs, touchedBy: touchedBy(s) })),
    missedIncidents,
    missedByKind,
  };
}
