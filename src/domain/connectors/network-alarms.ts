import type { ConnectorResult, Idempotent } from './connector-result.js';

/** An alarm shaped like TM Forum TMF642 (the fields the platform needs). */
export interface Alarm {
  id: string;
  alarmType: 'communicationsAlarm' | 'qualityOfServiceAlarm' | 'processingErrorAlarm' | 'equipmentAlarm' | 'environmentalAlarm';
  perceivedSeverity: 'critical' | 'major' | 'minor' | 'warning' | 'indeterminate' | 'cleared';
  probableCause: string;
  alarmedObject: { id: string; '@referredType': 'Cell' | 'Site' };
  raisedTime: string;
  clearedTime?: string;
  state: 'raised' | 'updated' | 'cleared';
}

/** The network alarm feed: list alarms in a time window, or subscribe to raised/cleared alarms. */
export interface NetworkAlarmsConnector {
  list(request: Idempotent & { since?: string; state?: Alarm['state'] }): Promise<ConnectorResult<Alarm[]>>;
  /** Calls `listener` for every alarm raised or cleared from now on; returns the unsubscribe function. */
  subscribe(listener: (alarm: Alarm) => void): () => void;
}

/** Whether the alarm is open at `ms`: raised by then and not cleared yet (its clear's instant is no longer open). */
export const alarmOpenAt = (a: Pick<Alarm, 'raisedTime' | 'clearedTime'>, ms: number): boolean => Date.parse(a.raisedTime) <= ms && (a.clearedTime === undefined || ms < Date.parse(a.clearedTime));

/** Whether the alarm was open at some moment of [fromMs, toMs]: raised by its end, not cleared before its start (cleared at `fromMs` counts). */
export const alarmOpenDuring = (a: Pick<Alarm, 'raisedTime' | 'clearedTime'>, fromMs: number, toMs = Number.POSITIVE_INFINITY): boolean =>
  Date.parse(a.raisedTime) <= toMs && (a.clearedTime === undefined || Date.parse(a.clearedTime) >= fromMs);

/** Whether the alarm cleared at `atMs` or in the `withinMs` before it. */
export const alarmClearedWithin = (a: Pick<Alarm, 'clearedTime'>, atMs: number, withinMs: number): boolean =>
  a.clearedTime !== undefined && Date.parse(a.clearedTime) <= atMs && atMs - Date.parse(a.clearedTime) <= withinMs;

/** The cells an alarm's object covers: the cell itself, or every cell known on the site. */
export function cellsOfAlarmedObject(obj: Alarm['alarmedObject'], cellsOfSite: (siteId: string) => string[]): string[] {
  return obj['@referredType'] === 'Site' ? cellsOfSite(obj.id) : [obj.id];
}
