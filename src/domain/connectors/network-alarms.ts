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
