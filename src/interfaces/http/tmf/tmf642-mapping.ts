import { alarmNumberOf, type AlarmChange, type NewAlarm, type ReceivedAlarm } from '../../../agents/flows/alarm-inbox.js';
import type { Alarm } from '../../../domain/connectors/network-alarms.js';
import { TwinloopError } from '../../../domain/errors.js';

/**
 * TMF642 Alarm ↔ the alarm inbox's records: the only place that knows both. The standard leaves
 * alarmType, perceivedSeverity, state and the alarmed object's type as free text (X.733 / 3GPP
 * vocabularies); Twinloop accepts the X.733 names in either spelling ("Communications Alarm",
 * "communicationsAlarm"), the X.733 severities, the states raised/updated/cleared, and alarmed
 * objects of type Cell or Site (what it can resolve to customers), and says which field is wrong
 * otherwise. Attributes it keeps but does not act on (comment, place, affectedService…) ride along.
 */

/** Where TMF642 is served (the specification's base path names the API `alarm`; the guides `alarmManagement`). */
export const TMF642_BASE = '/tmf-api/alarmManagement/v4';

const ALARM_TYPES: readonly Alarm['alarmType'][] = ['communicationsAlarm', 'qualityOfServiceAlarm', 'processingErrorAlarm', 'equipmentAlarm', 'environmentalAlarm'];
const SEVERITIES: readonly Alarm['perceivedSeverity'][] = ['critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared'];
const STATES: readonly Alarm['state'][] = ['raised', 'updated', 'cleared'];
const OBJECT_TYPES: readonly Alarm['alarmedObject']['@referredType'][] = ['Cell', 'Site'];
/** Attributes mapped to the record's own fields; every other one is kept as is. */
const MAPPED = new Set(['id', 'href', '@type', '@baseType', '@schemaLocation', 'alarmType', 'perceivedSeverity', 'probableCause', 'alarmedObject', 'alarmedObjectType', 'alarmRaisedTime', 'alarmClearedTime', 'alarmReportingTime', 'alarmChangedTime', 'state', 'sourceSystemId', 'externalAlarmId', 'specificProblem', 'alarmDetails', 'serviceAffecting', 'ackState']);
/** What a PATCH may not change (the specification's Alarm_Update leaves them out, or they name the alarm). */
const FIXED = ['id', 'href', 'alarmRaisedTime', 'sourceSystemId', 'externalAlarmId', 'alarmedObject', 'alarmedObjectType', 'alarmType', 'alarmReportingTime', 'alarmChangedTime'];

const squash = (s: string) => s.replace(/[\s_-]+/g, '').toLowerCase();

/** One of `allowed`, matched without case or spaces, or a BAD_INPUT naming the field. */
function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  const found = typeof value === 'string' ? allowed.find((a) => squash(a) === squash(value)) : undefined;
  if (found === undefined) throw new TwinloopError('BAD_INPUT', `${field}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return found;
}

function time(field: string, value: unknown): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new TwinloopError('BAD_INPUT', `${field}: ${JSON.stringify(value)} is not an ISO-8601 date-time`);
  return new Date(Date.parse(value)).toISOString();
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function others(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const rest = Object.entries(body).filter(([k]) => !MAPPED.has(k));
  return rest.length === 0 ? undefined : Object.fromEntries(rest);
}

/** A TMF642 Alarm_Create body (already checked against the specification) as a new alarm. */
export function fromTmfAlarmCreate(body: Record<string, unknown>): NewAlarm {
  const object = body.alarmedObject as Record<string, unknown> | undefined;
  const objectId = text(object?.id);
  if (!objectId) throw new TwinloopError('BAD_INPUT', 'alarmedObject.id: the cell or site the alarm is about is required');
  const objectType = oneOf('alarmedObjectType', body.alarmedObjectType ?? object?.['@referredType'] ?? object?.['@type'], OBJECT_TYPES);
  const clearedTime = body.alarmClearedTime === undefined ? undefined : time('alarmClearedTime', body.alarmClearedTime);
  const alarm: NewAlarm = {
    alarmType: oneOf('alarmType', body.alarmType, ALARM_TYPES),
    perceivedSeverity: oneOf('perceivedSeverity', body.perceivedSeverity, SEVERITIES),
    probableCause: String(body.probableCause),
    alarmedObject: { id: objectId, '@referredType': objectType },
    raisedTime: time('alarmRaisedTime', body.alarmRaisedTime),
    state: oneOf('state', body.state, STATES),
    sourceSystemId: String(body.sourceSystemId),
    ...(text(body.externalAlarmId) ? { externalAlarmId: text(body.externalAlarmId) } : {}),
    ...(text(body.specificProblem) ? { specificProblem: text(body.specificProblem) } : {}),
    ...(text(body.alarmDetails) ? { alarmDetails: text(body.alarmDetails) } : {}),
    ...(clearedTime ? { clearedTime } : {}),
  };
  const other = others(body);
  if (other) alarm.other = other;
  if (clearedTime && Date.parse(clearedTime) < Date.parse(alarm.raisedTime)) throw new TwinloopError('BAD_INPUT', `alarmClearedTime: ${clearedTime} is before alarmRaisedTime ${alarm.raisedTime}`);
  return alarm;
}

/** A TMF642 PATCH body (merge patch of Alarm_Update attributes) as a change. */
export function fromTmfAlarmPatch(body: Record<string, unknown>): AlarmChange {
  const fixed = FIXED.find((k) => body[k] !== undefined);
  if (fixed) throw new TwinloopError('BAD_INPUT', `${fixed}: cannot change on an existing alarm; raise a new alarm instead`);
  const change: AlarmChange = {};
  if (body.perceivedSeverity !== undefined) change.perceivedSeverity = oneOf('perceivedSeverity', body.perceivedSeverity, SEVERITIES);
  if (body.state !== undefined) change.state = oneOf('state', body.state, STATES);
  if (body.alarmClearedTime !== undefined) change.clearedTime = time('alarmClearedTime', body.alarmClearedTime);
  if (body.probableCause !== undefined) change.probableCause = String(body.probableCause);
  if (text(body.specificProblem)) change.specificProblem = text(body.specificProblem);
  if (text(body.alarmDetails)) change.alarmDetails = text(body.alarmDetails);
  const other = others(body);
  if (other) change.other = other;
  return change;
}

/** An inbox record as the TMF642 Alarm resource, its href under `root`. */
export function toTmfAlarm(a: ReceivedAlarm, root: string): Record<string, unknown> {
  return {
    ...a.other,
    id: alarmNumberOf(a.id),
    href: `${root}/alarm/${alarmNumberOf(a.id)}`,
    '@type': 'Alarm',
    state: a.state,
    alarmType: a.alarmType,
    perceivedSeverity: a.perceivedSeverity,
    probableCause: a.probableCause,
    ...(a.specificProblem ? { specificProblem: a.specificProblem } : {}),
    ...(a.alarmDetails ? { alarmDetails: a.alarmDetails } : {}),
    alarmedObjectType: a.alarmedObject['@referredType'],
    alarmedObject: { id: a.alarmedObject.id, '@referredType': a.alarmedObject['@referredType'] },
    sourceSystemId: a.sourceSystemId,
    ...(a.externalAlarmId ? { externalAlarmId: a.externalAlarmId } : {}),
    alarmRaisedTime: a.raisedTime,
    alarmReportingTime: a.reportingTime,
    alarmChangedTime: a.changedTime,
    ...(a.clearedTime ? { alarmClearedTime: a.clearedTime } : {}),
    serviceAffecting: a.perceivedSeverity !== 'warning' && a.perceivedSeverity !== 'indeterminate',
  };
}
