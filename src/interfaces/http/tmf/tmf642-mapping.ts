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

/** A field of a body that is wrong, and how. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** One BAD_INPUT naming every problem at once (`field: message; field: message`): fixed one by one, a sender learnt of them one request at a time. */
export function badFields(problems: readonly FieldProblem[]): TwinloopError {
  return new TwinloopError('BAD_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
}

/** One of `allowed`, matched without case or spaces, or undefined with the problem noted. */
function oneOf<T extends string>(problems: FieldProblem[], field: string, value: unknown, allowed: readonly T[]): T {
  const found = typeof value === 'string' ? allowed.find((a) => squash(a) === squash(value)) : undefined;
  if (found === undefined) problems.push({ field, message: `${JSON.stringify(value)} is not one of ${allowed.join(', ')}` });
  return found as T;
}

function time(problems: FieldProblem[], field: string, value: unknown): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    problems.push({ field, message: `${JSON.stringify(value)} is not an ISO-8601 date-time` });
    return '';
  }
  return new Date(Date.parse(value)).toISOString();
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function others(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const rest = Object.entries(body).filter(([k]) => !MAPPED.has(k));
  return rest.length === 0 ? undefined : Object.fromEntries(rest);
}

/**
 * A TMF642 Alarm_Create body as a new alarm, and every problem of its values (each field named
 * once: an unknown severity, a time that is none, no alarmed object); `skip` names fields already
 * reported (the specification's own check), whose values are not judged again.
 */
export function readTmfAlarmCreate(body: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): { alarm: NewAlarm; problems: FieldProblem[] } {
  const found: FieldProblem[] = [];
  const problems: FieldProblem[] = [];
  const object = body.alarmedObject as Record<string, unknown> | undefined;
  const objectId = text(object?.id);
  if (!objectId) found.push({ field: 'alarmedObject.id', message: 'the cell or site the alarm is about is required' });
  const objectType = oneOf(found, 'alarmedObjectType', body.alarmedObjectType ?? object?.['@referredType'] ?? object?.['@type'], OBJECT_TYPES);
  const clearedTime = body.alarmClearedTime === undefined ? undefined : time(found, 'alarmClearedTime', body.alarmClearedTime);
  const alarm: NewAlarm = {
    alarmType: oneOf(found, 'alarmType', body.alarmType, ALARM_TYPES),
    perceivedSeverity: oneOf(found, 'perceivedSeverity', body.perceivedSeverity, SEVERITIES),
    probableCause: String(body.probableCause),
    alarmedObject: { id: objectId ?? '', '@referredType': objectType },
    raisedTime: time(found, 'alarmRaisedTime', body.alarmRaisedTime),
    state: oneOf(found, 'state', body.state, STATES),
    sourceSystemId: String(body.sourceSystemId),
    ...(text(body.externalAlarmId) ? { externalAlarmId: text(body.externalAlarmId) } : {}),
    ...(text(body.specificProblem) ? { specificProblem: text(body.specificProblem) } : {}),
    ...(text(body.alarmDetails) ? { alarmDetails: text(body.alarmDetails) } : {}),
    ...(clearedTime ? { clearedTime } : {}),
  };
  const other = others(body);
  if (other) alarm.other = other;
  if (clearedTime && alarm.raisedTime && Date.parse(clearedTime) < Date.parse(alarm.raisedTime)) found.push({ field: 'alarmClearedTime', message: `${clearedTime} is before alarmRaisedTime ${alarm.raisedTime}` });
  for (const p of found) if (!skip.has(p.field.split('.')[0])) problems.push(p);
  return { alarm, problems };
}

/** A TMF642 Alarm_Create body (already checked against the specification) as a new alarm; BAD_INPUT naming every problem of its values. */
export function fromTmfAlarmCreate(body: Record<string, unknown>): NewAlarm {
  const { alarm, problems } = readTmfAlarmCreate(body);
  if (problems.length > 0) throw badFields(problems);
  return alarm;
}

/** A TMF642 PATCH body (merge patch of Alarm_Update attributes) as a change. */
export function fromTmfAlarmPatch(body: Record<string, unknown>): AlarmChange {
  const fixed = FIXED.find((k) => body[k] !== undefined);
  if (fixed) throw new TwinloopError('BAD_INPUT', `${fixed}: cannot change on an existing alarm; raise a new alarm instead`);
  const change: AlarmChange = {};
  const problems: FieldProblem[] = [];
  if (body.perceivedSeverity !== undefined) change.perceivedSeverity = oneOf(problems, 'perceivedSeverity', body.perceivedSeverity, SEVERITIES);
  if (body.state !== undefined) change.state = oneOf(problems, 'state', body.state, STATES);
  if (body.alarmClearedTime !== undefined) change.clearedTime = time(problems, 'alarmClearedTime', body.alarmClearedTime);
  if (problems.length > 0) throw badFields(problems);
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
