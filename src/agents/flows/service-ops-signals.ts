import type { Alarm } from '../../domain/connectors/network-alarms.js';

/**
 * What the service-operations flow hears while it runs (service-operations-flow.ts): the alarm
 * watcher's signals (the clear, an escalation, a worse severity), the senders the watcher calls,
 * and which severities serve customers (acted on) and which are only watched.
 */

/** What the senders need of the workflow engine. */
type SignalTarget = { signal(workflowId: string, name: string, payload: unknown): Promise<boolean> };

/** Signal the alarm watcher sends when the alarm clears; payload `{ clearedTime? }`. */
export const ALARM_CLEARED_SIGNAL = 'alarm-cleared';

/**
 * The same clear, for the second wait (after compensation): the engine journals a wait by its
 * signal name, so a second wait needs a second name. `signalAlarmCleared` sends both.
 */
export const ALARM_CLEARED_LATE_SIGNAL = 'alarm-cleared-late';

/** Tells an alarm's workflow that the alarm cleared (whichever wait it is in: a watch's too); false when no such run is waiting. */
export async function signalAlarmCleared(engine: SignalTarget, alarmId: string, payload: AlarmCleared): Promise<boolean> {
  const first = await engine.signal(alarmId, ALARM_CLEARED_SIGNAL, payload);
  const late = await engine.signal(alarmId, ALARM_CLEARED_LATE_SIGNAL, payload);
  const watch = await engine.signal(alarmId, ALARM_WATCH_ENDED_SIGNAL, payload);
  return first || late || watch;
}

/** Tells a watching run that its alarm escalated to `escalatedTo` (a severity that serves customers); false when no such run is waiting. */
export function signalAlarmEscalated(engine: SignalTarget, alarmId: string, payload: AlarmEscalated): Promise<boolean> {
  return engine.signal(alarmId, ALARM_WATCH_ENDED_SIGNAL, payload);
}

/**
 * The signal telling a run that acts (version 6) that its alarm was raised to `severity`: one name
 * per severity, as the engine keeps the first signal of a name, so minor → major → critical is two
 * signals the run hears one after the other, and a second "major" (after a drop back) is no news.
 */
export const alarmSeveritySignal = (severity: Alarm['perceivedSeverity']): string => `alarm-severity-${severity}`;

/** Tells an acting run (version 6) that its alarm now has `escalatedTo`, from `escalatedTime`; false when no such run is waiting. */
export function signalAlarmSeverity(engine: SignalTarget, alarmId: string, payload: AlarmEscalated): Promise<boolean> {
  return engine.signal(alarmId, alarmSeveritySignal(payload.escalatedTo), payload);
}

/**
 * Severities that take service away from nobody (TMF642's warning, and indeterminate: not known to):
 * their flow watches (version 4): it lists the affected customers and keeps looking for those showing
 * it, tells and pays nobody, and acts only if the alarm escalates (decision 0072).
 */
export const QUIET_SEVERITIES: readonly Alarm['perceivedSeverity'][] = ['warning', 'indeterminate'];
const QUIET = new Set(QUIET_SEVERITIES);

/** Alarms that touch a service: everything but the quiet severities; their flow tells the affected customers. */
export const servesCustomers = (a: Pick<Alarm, 'perceivedSeverity'>): boolean => !QUIET.has(a.perceivedSeverity);

/** The severities that serve customers, least first: a change to a later one is an escalation (version 6). */
export const ACTING_ORDER: readonly Alarm['perceivedSeverity'][] = ['minor', 'major', 'critical'];

/**
 * Signal ending a watch (version 4): the alarm escalated to a severity that serves customers
 * (`{ escalatedTo, escalatedTime? }`, sent by the watcher on the update) or cleared (`{ clearedTime? }`,
 * sent by `signalAlarmCleared`); the first sent is the one the watch reads.
 */
export const ALARM_WATCH_ENDED_SIGNAL = 'alarm-watch-ended';

/** The signal's payload. */
export interface AlarmCleared {
  clearedTime?: string;
}

/** The escalation's payload: the severity the alarm has now, and when it changed (the inbox's `changedTime`). */
export interface AlarmEscalated {
  escalatedTo: Alarm['perceivedSeverity'];
  escalatedTime?: string;
}
