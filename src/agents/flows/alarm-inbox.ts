import type { Clock } from '../../domain/clock.js';
import { ok } from '../../domain/connectors/connector-result.js';
import { alarmOpenAt, type Alarm, type NetworkAlarmsConnector } from '../../domain/connectors/network-alarms.js';
import { TwinloopError } from '../../domain/errors.js';
import type { DocumentStore } from '../../store/document-store.js';

/**
 * The alarms the network's systems send in (TMF642 Alarm Management: the HTTP edge maps the
 * standard resource onto these records). Each alarm is kept in the record store; raising,
 * updating and clearing one tells the subscribers, so the inbox is the alarm feed the
 * service-operations watcher listens to (`NetworkAlarmsConnector`). A source's alarm is known by
 * its own id (`sourceSystemId` + `externalAlarmId`): sent twice, it is refused as a conflict.
 * Alarms are numbered in the order received (TMF642 ids are integers); the record's id, which is
 * also its service-operations run's id, is `alarm-{number}`.
 */

/** The record id of alarm number `n`, and the number of a record id (undefined for another id). */
export const alarmIdOf = (n: number): string => `alarm-${n}`;
export const alarmNumberOf = (id: string): number | undefined => (/^alarm-[1-9]\d{0,15}$/.test(id) ? Number(id.slice(6)) : undefined);

/** An alarm as received, with what the sending system said about it besides the feed's fields. */
export interface ReceivedAlarm extends Alarm {
  /** The system that sent it (a network management system, the sandbox's OSS). */
  sourceSystemId: string;
  /** Its id in that system. */
  externalAlarmId?: string;
  /** When it reached us, and when it last changed here. */
  reportingTime: string;
  changedTime: string;
  specificProblem?: string;
  alarmDetails?: string;
  /** Attributes of the standard resource Twinloop keeps but does not act on (comments, places…). */
  other?: Record<string, unknown>;
  /**
   * The severity in force from each time: the raise's (from the raise), then each change of it (from
   * when it reached us). What service operations owed at a time is judged on the severity then, not
   * today's (decision 0072, amended). Absent on alarms kept before it was.
   */
  severities?: SeverityChange[];
}

/** A severity an alarm took, and from when. */
export interface SeverityChange {
  perceivedSeverity: Alarm['perceivedSeverity'];
  fromTime: string;
}

/**
 * The severity history of an alarm from the inbox (its `severities`), or undefined for an alarm of
 * another feed or kept before the inbox kept it: then only today's severity is known.
 */
export function severityHistory(alarm: Alarm): readonly SeverityChange[] | undefined {
  const h = (alarm as Partial<ReceivedAlarm>).severities;
  return Array.isArray(h) && h.length > 0 ? h : undefined;
}

/** A new alarm: the feed's fields without the id (the inbox gives one), as the sender says them. */
export type NewAlarm = Omit<ReceivedAlarm, 'id' | 'reportingTime' | 'changedTime' | 'severities'>;

/** What an update may change: the severity, the details, or the clear. */
export interface AlarmChange {
  perceivedSeverity?: Alarm['perceivedSeverity'];
  /** `cleared` clears the alarm (so does severity `cleared` or a `clearedTime`). */
  state?: Alarm['state'];
  clearedTime?: string;
  probableCause?: string;
  specificProblem?: string;
  alarmDetails?: string;
  other?: Record<string, unknown>;
}

/** The inbox: the feed for the watcher, and raise/update/get for the edge. */
export interface AlarmInbox extends NetworkAlarmsConnector {
  /** Loads the stored alarms (once, at start). */
  load(): Promise<void>;
  /** Keeps a new alarm and tells the subscribers; CONFLICT when its source already sent it. */
  raise(alarm: NewAlarm): Promise<ReceivedAlarm>;
  /** Changes an alarm (a clear included) and tells the subscribers; NOT_FOUND, or CONFLICT once cleared. */
  update(id: string, change: AlarmChange): Promise<ReceivedAlarm>;
  get(id: string): ReceivedAlarm | undefined;
  /** The alarm a source sent under its own id. */
  bySource(sourceSystemId: string, externalAlarmId: string): ReceivedAlarm | undefined;
  /** Every alarm, oldest raise first. */
  all(): ReceivedAlarm[];
  /** Whether an alarm open at `atMs` (raised by then, not cleared before) is on the cell or on its site: a known incident there. */
  covers(cellId: string, siteId: string | null, atMs: number): boolean;
}

/** How far ahead of the operator's clock an alarm's raise time may be (the sender's clock drifts). */
export const RAISE_TIME_TOLERANCE_MS = 5 * 60_000;

const sourceKey = (a: { sourceSystemId: string; externalAlarmId?: string }) => (a.externalAlarmId === undefined ? undefined : `${a.sourceSystemId}\u0000${a.externalAlarmId}`);

/** Opens an inbox over a document store (`recordDocuments(records, 'alarms')` in the server). */
export function createAlarmInbox(o: { store: DocumentStore<ReceivedAlarm>; clock: Clock }): AlarmInbox {
  const alarms = new Map<string, ReceivedAlarm>();
  const bySource = new Map<string, string>();
  const listeners = new Set<(alarm: Alarm) => void>();
  let last = 0;
  const nowIso = () => new Date(o.clock.now()).toISOString();
  // Changes to one alarm are applied one after another (a clear right behind its raise).
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next;
  };

  const keep = async (alarm: ReceivedAlarm) => {
    await o.store.put(alarm.id, alarm);
    alarms.set(alarm.id, alarm);
    last = Math.max(last, alarmNumberOf(alarm.id) ?? 0);
    const key = sourceKey(alarm);
    if (key) bySource.set(key, alarm.id);
    for (const l of listeners) l(structuredClone(alarm));
    return structuredClone(alarm);
  };

  return {
    async load() {
      for (const a of await o.store.list()) {
        alarms.set(a.id, a);
        last = Math.max(last, alarmNumberOf(a.id) ?? 0);
        const key = sourceKey(a);
        if (key) bySource.set(key, a.id);
      }
    },
    raise: (input) =>
      serial(async () => {
        const key = sourceKey(input);
        const existing = key && bySource.get(key);
        if (existing) throw new TwinloopError('CONFLICT', `externalAlarmId: ${input.sourceSystemId} already sent alarm ${input.externalAlarmId} (it is ${existing}); PATCH it to update or clear it`);
        const now = nowIso();
        if (Date.parse(input.raisedTime) > Date.parse(now) + RAISE_TIME_TOLERANCE_MS) {
          throw new TwinloopError('BAD_INPUT', `alarmRaisedTime: ${input.raisedTime} is in the future (the operator's clock says ${now}); send alarms when they are raised`);
        }
        const cleared = input.state === 'cleared' || input.perceivedSeverity === 'cleared' || input.clearedTime !== undefined;
        const alarm: ReceivedAlarm = {
          ...structuredClone(input),
          id: alarmIdOf(last + 1),
          state: cleared ? 'cleared' : 'raised',
          reportingTime: now,
          changedTime: now,
          ...(cleared ? { clearedTime: input.clearedTime ?? now } : {}),
          severities: [{ perceivedSeverity: input.perceivedSeverity, fromTime: input.raisedTime }],
        };
        return keep(alarm);
      }),
    update: (id, change) =>
      serial(async () => {
        const current = alarms.get(id);
        if (!current) throw new TwinloopError('NOT_FOUND', `no alarm "${alarmNumberOf(id) ?? id.replace(/^none:/, '')}"; GET the alarm list to see them`);
        if (current.state === 'cleared') throw new TwinloopError('CONFLICT', `alarm ${id} was cleared at ${current.clearedTime}; a cleared alarm does not change (raise a new one)`);
        const clears = change.state === 'cleared' || change.perceivedSeverity === 'cleared' || change.clearedTime !== undefined;
        if (!clears && change.state !== undefined && change.state !== 'updated' && change.state !== 'raised') throw new TwinloopError('BAD_INPUT', `state: "${change.state}" is not raised, updated or cleared`);
        const next: ReceivedAlarm = {
          ...current,
          ...(change.perceivedSeverity && change.perceivedSeverity !== 'cleared' ? { perceivedSeverity: change.perceivedSeverity } : {}),
          ...(change.probableCause !== undefined ? { probableCause: change.probableCause } : {}),
          ...(change.specificProblem !== undefined ? { specificProblem: change.specificProblem } : {}),
          ...(change.alarmDetails !== undefined ? { alarmDetails: change.alarmDetails } : {}),
          ...(change.other ? { other: { ...current.other, ...change.other } } : {}),
          state: clears ? 'cleared' : 'updated',
          changedTime: nowIso(),
        };
        if (clears) next.clearedTime = change.clearedTime ?? next.changedTime;
        // A new severity is kept with when it came (a later PATCH of the details moves changedTime, not it).
        if (next.perceivedSeverity !== current.perceivedSeverity && current.severities) next.severities = [...current.severities, { perceivedSeverity: next.perceivedSeverity, fromTime: next.changedTime }];
        if (next.clearedTime !== undefined && Date.parse(next.clearedTime) < Date.parse(next.raisedTime)) {
          throw new TwinloopError('BAD_INPUT', `alarmClearedTime: ${next.clearedTime} is before the alarm was raised (${next.raisedTime})`);
        }
        return keep(next);
      }),
    get: (id) => {
      const a = alarms.get(id);
      return a && structuredClone(a);
    },
    bySource(sourceSystemId, externalAlarmId) {
      const id = bySource.get(`${sourceSystemId}\u0000${externalAlarmId}`);
      return id === undefined ? undefined : structuredClone(alarms.get(id));
    },
    covers(cellId, siteId, atMs) {
      for (const a of alarms.values()) {
        const on = a.alarmedObject['@referredType'] === 'Cell' ? a.alarmedObject.id === cellId : siteId !== null && a.alarmedObject.id === siteId;
        if (on && alarmOpenAt(a, atMs)) return true;
      }
      return false;
    },
    all: () => [...alarms.values()].sort((a, b) => Date.parse(a.raisedTime) - Date.parse(b.raisedTime) || (a.id < b.id ? -1 : 1)).map((a) => structuredClone(a)),
    async list(req) {
      const since = req.since === undefined ? -Infinity : Date.parse(req.since);
      const out = [...alarms.values()].filter((a) => (req.state === undefined || a.state === req.state) && Date.parse(a.clearedTime ?? a.raisedTime) >= since);
      return ok(out.map((a) => structuredClone(a)));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Sends a network system's alarm feed into the inbox, as that system would post to the TMF642
 * API: each raise within `maxAgeMs` of now (a system that starts does not resend its history),
 * and the clear of each alarm it sent. Work is done in order, so a clear never overtakes its
 * raise. Returns the function that stops forwarding.
 */
export function forwardAlarms(feed: NetworkAlarmsConnector, inbox: AlarmInbox, o: { sourceSystemId: string; now: () => number; maxAgeMs: number; onError: (err: Error, alarm: Alarm) => void }): () => void {
  let chain: Promise<unknown> = Promise.resolve();
  const forward = async (a: Alarm) => {
    const known = inbox.bySource(o.sourceSystemId, a.id);
    if (a.state === 'cleared') {
      if (known && known.state !== 'cleared') await inbox.update(known.id, { state: 'cleared', clearedTime: a.clearedTime });
      return;
    }
    if (known || Date.parse(a.raisedTime) < o.now() - o.maxAgeMs) return;
    const { id, ...rest } = a;
    await inbox.raise({ ...rest, sourceSystemId: o.sourceSystemId, externalAlarmId: id });
  };
  return feed.subscribe((a) => {
    chain = chain.then(() => forward(a)).catch((err: Error) => o.onError(err, a));
  });
}
