import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { seg } from '../api';
import { count, duration, eventTime, money } from '../format';
import { useJson } from '../use-json';
import { FoundInHistoryMark, SuspectedIncidents, type Anomaly } from './suspected-incidents';
import { historySummary } from '../found-in-history';
import type { IncidentCounts } from './service-alarm';
import { compensatedWhen, orList, spanText, type OutageSettings } from '../outage-settings';

/** A network alarm as TMF642 answers it (only the fields shown). */
export interface TmfAlarm {
  readonly id: number;
  readonly state: 'raised' | 'updated' | 'cleared';
  readonly perceivedSeverity: string;
  readonly probableCause: string;
  readonly alarmType: string;
  readonly alarmedObject: { readonly id: string; readonly '@referredType': string };
  readonly sourceSystemId: string;
  readonly alarmRaisedTime: string;
  readonly alarmClearedTime?: string;
}

/** The service-operations flow's run for an alarm (`GET /workflows`), its report once finished. */
export interface ServiceOpsRun {
  readonly workflowId: string;
  readonly status: string;
  readonly output: { affected: number; notified: number; compensated: number; resolutionNotices: number; durationMs: number | null } | null;
}

/** The TMF642 collection, the source of the alarms on this page. */
export const ALARMS = '/tmf-api/alarmManagement/v4/alarm';
/** The flow each alarm starts (`SERVICE_OPS_WORKFLOW_ID`); its run's id is the alarm's (`alarm-N`). */
export const SERVICE_OPS_FLOW = 'service-operations';
/** The run of an alarm's flow. */
export const runIdOf = (alarm: TmfAlarm) => `alarm-${alarm.id}`;

/** An alarm's treatment as `GET /service-operations/incidents` answers it (the fields shown). */
interface Incident extends IncidentCounts {
  readonly raisedTime: string;
  readonly timeToFirstNoticeMs: number | null;
  readonly timeToRepairMs: number | null;
  readonly anomalyIds: readonly string[];
  readonly anomalyLeadMs: number | null;
  readonly runStatus: string;
}
interface IncidentSummary {
  readonly notified: number;
  readonly compensated: number;
  readonly compensationPaid: number;
  /** Approved by a person and not carried out yet: committed, not paid. */
  readonly compensationApproved: number;
  readonly medianTimeToDetectMs: number | null;
  readonly medianTimeToFirstNoticeMs: number | null;
  readonly mttrMs: number | null;
  readonly anomalies: number;
  readonly anomaliesInHistory: number;
  readonly anomaliesWithoutAlarm: number;
}
/** The reasons shown in a row; the alarm's page lists every customer's. */
const REASONS_IN_A_ROW = 3;

/** Under an alarm's notified count: why the others affected were not told, most customers first. */
function NotToldWhy({ reasons }: { reasons: IncidentCounts['notNotified'] }) {
  const shown = reasons.slice(0, REASONS_IN_A_ROW);
  const rest = reasons.slice(REASONS_IN_A_ROW).reduce((n, r) => n + r.customers, 0);
  const lead = { waiting: 'waiting', 'not-sent': 'not told', 'not-yet': 'not yet' } as const;
  return (
    <ul class="why-not muted" data-testid="not-told-why">
      {shown.map((r) => (
        <li key={`${r.state} ${r.why}`}>
          {count(r.customers)} {lead[r.state]}: {r.why.replace(/^waiting for a person: /, 'for a person: ')}
        </li>
      ))}
      {rest > 0 && <li>{count(rest)} more, for other reasons (the alarm's page says each)</li>}
    </ul>
  );
}

/** Severities, worst first (TMF642's perceivedSeverity). */
const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared'];

/** How long an alarm lasted (event time), or null while it is open. */
const lasted = (a: TmfAlarm) => (a.alarmClearedTime ? Date.parse(a.alarmClearedTime) - Date.parse(a.alarmRaisedTime) : null);

/**
 * Service operations: the network alarms sent in (TMF642, the sandbox's network system or any
 * other), grouped by the cell or site they are on, worst severity first, each with what the
 * service-operations flow did for it (customers affected, notified, compensated); the mean time
 * to repair over the cleared ones, the median time to the first notice; and the suspicions that
 * anomaly detection raised from the twins' service calls, each with the alarm that followed it
 * and how long before it. An alarm opens its affected customers and the notices sent.
 */
export function ServiceOperations() {
  const alarms = useJson<readonly TmfAlarm[]>(`${ALARMS}?limit=1000`, 10_000);
  const runs = useJson<readonly ServiceOpsRun[]>(`/workflows?definitionId=${SERVICE_OPS_FLOW}&limit=1000`, 10_000);
  const treated = useJson<{ settings: OutageSettings; summary: IncidentSummary; items: readonly Incident[] }>('/service-operations/incidents?limit=200', 10_000);
  // Those found as they happened, which network operations can act on; those found in history
  // (hundreds after a first start's loaded history) apart, folded, so they do not flood the list.
  const anomalies = useJson<readonly Anomaly[]>('/service-operations/anomalies?history=false&limit=100', 10_000);
  const foundInHistory = useJson<readonly Anomaly[]>('/service-operations/anomalies?history=true&limit=100', 30_000);
  /** What the server said to the last review made here. */
  const [reviewed, setReviewed] = useState<string>();
  // A review changes the suspicion and, confirmed, raises an alarm whose flow starts: every list is read again.
  const onReviewed = (said: string) => {
    setReviewed(said);
    for (const read of [anomalies, foundInHistory, alarms, runs, treated]) read.reload();
  };
  const byRun = new Map((runs.data ?? []).map((r) => [r.workflowId, r]));
  const incidentOf = new Map((treated.data?.items ?? []).map((i) => [i.alarmId, i]));
  // The suspicions found in history (the loaded history's): an alarm seen first only by them was not seen before by anyone who could act.
  const inHistory = new Set((foundInHistory.data ?? []).map((a) => a.id));
  const totals = treated.data?.summary;
  const settings = treated.data?.settings;
  const list = [...(alarms.data ?? [])].sort((a, b) => b.alarmRaisedTime.localeCompare(a.alarmRaisedTime));
  const open = list.filter((a) => a.state !== 'cleared');
  const cleared = list.map(lasted).filter((ms): ms is number => ms !== null);
  const mttr = cleared.length ? cleared.reduce((s, ms) => s + ms, 0) / cleared.length : null;
  // One group per alarmed object (cell or site), the group with the worst open alarm first.
  const groups = new Map<string, TmfAlarm[]>();
  for (const a of list) {
    const key = `${a.alarmedObject['@referredType']} ${a.alarmedObject.id}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const worst = (as: readonly TmfAlarm[]) => Math.min(...as.map((a) => (a.state === 'cleared' ? SEVERITIES.length : SEVERITIES.indexOf(a.perceivedSeverity))));
  const ordered = [...groups.entries()].sort((x, y) => worst(x[1]) - worst(y[1]) || y[1][0].alarmRaisedTime.localeCompare(x[1][0].alarmRaisedTime));

  return (
    <>
      <Alert message={alarms.error ?? runs.error ?? treated.error ?? anomalies.error ?? foundInHistory.error} />
      {reviewed && (
        <p class="outcome executed" role="status">
          {reviewed}
        </p>
      )}
      <section class="panel">
        <h2>At a glance</h2>
        <dl class="facts" data-testid="svcops-summary">
          <dt>Open alarms</dt>
          <dd>
            {count(open.length)}
            {open.length > 0 && ` (${SEVERITIES.map((s) => [s, open.filter((a) => a.perceivedSeverity === s).length] as const).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')})`}
          </dd>
          <dt>Alarms sent in</dt>
          <dd>{count(list.length)}</dd>
          <dt>Customers notified</dt>
          <dd data-testid="notified-total">{totals ? count(totals.notified) : '–'}</dd>
          <dt>Customers compensated</dt>
          <dd>{totals ? count(totals.compensated) : '–'}</dd>
          <dt>Compensation paid (payments and top-ups after an escalation)</dt>
          <dd data-testid="paid-total">{totals ? money(totals.compensationPaid) : '–'}</dd>
          {/* Committed is not paid: finance reads the two apart (a person approved it, its act is still to come). */}
          {totals && totals.compensationApproved > 0 && (
            <>
              <dt>Compensation approved, not paid yet</dt>
              <dd data-testid="approved-total">{money(totals.compensationApproved)}</dd>
            </>
          )}
          <dt>Time to notify (median, raise to first notice)</dt>
          <dd data-testid="time-to-notify">{totals?.medianTimeToFirstNoticeMs == null ? 'no notice sent yet' : duration(totals.medianTimeToFirstNoticeMs)}</dd>
          <dt>Mean time to repair</dt>
          <dd data-testid="mttr">{mttr === null ? 'no alarm cleared yet' : `${duration(mttr)} over ${count(cleared.length)} cleared`}</dd>
          {/* Both kinds of burst the detector counts (Anomaly.signal): "from service calls" named only one. */}
          <dt>Suspected incidents (bursts of bad sessions or of service calls on a cell or site)</dt>
          <dd>{totals ? `${count(totals.anomalies)} (${count(totals.anomaliesInHistory)} found in history, ${count(totals.anomaliesWithoutAlarm)} of the others without an alarm)` : '–'}</dd>
        </dl>
        <p class="muted">Counts as the flows stand, those waiting for a clear included: whom each found affected (at the alarm and showing it later), told and compensated so far.</p>
        {settings && (
          <p class="muted" data-testid="svcops-settings">
            In force: alarms of severity {orList(settings.actingSeverities)} start a flow that tells their affected customers (by {settings.notificationChannel}), who are compensated {compensatedWhen(settings)};{' '}
            {settings.watchSeverities.length > 0 && `${orList(settings.watchSeverities)} alarms are watched (their customers listed, nobody told or paid unless they escalate); `}a suspicion closes after{' '}
            {spanText(settings.quietSpellMs)} without a signal, and a fault back within {spanText(settings.quietSpellMs)} of its clear is the same incident.
          </p>
        )}
      </section>
      <section class="panel">
        <h2>Alarms by cell and site</h2>
        {list.length === 0 ? (
          <p class="muted" data-testid={alarms.data ? 'empty-list' : undefined}>{alarms.data ? 'No alarm has been sent in.' : 'reading…'}</p>
        ) : (
          <table data-testid="alarms">
            <thead>
              <tr>
                <th scope="col">Where</th>
                <th scope="col">Alarm</th>
                <th scope="col">Severity</th>
                <th scope="col">Cause</th>
                <th scope="col">Raised</th>
                <th scope="col">Lasted</th>
                <th scope="col" class="num">Affected</th>
                <th scope="col" class="num">Notified</th>
                <th scope="col" class="num">Compensated</th>
                <th scope="col" class="num">Paid</th>
                <th scope="col">First notice</th>
                <th scope="col">Seen before</th>
                <th scope="col">Flow</th>
              </tr>
            </thead>
            <tbody>
              {ordered.flatMap(([where, as]) =>
                as.map((a, i) => {
                  const run = byRun.get(runIdOf(a));
                  const incident = incidentOf.get(runIdOf(a));
                  return (
                    <tr key={a.id}>
                      {i === 0 ? (
                        <th scope="rowgroup" rowSpan={as.length}>
                          {where}
                        </th>
                      ) : null}
                      <td>
                        <a href={`/console/service-operations/${seg(runIdOf(a))}`}>{runIdOf(a)}</a>
                      </td>
                      <td>
                        <span class={`severity ${a.state === 'cleared' ? 'cleared' : a.perceivedSeverity}`}>{a.state === 'cleared' ? `cleared (${a.perceivedSeverity})` : a.perceivedSeverity}</span>
                      </td>
                      <td>{a.probableCause}</td>
                      <td>{eventTime(a.alarmRaisedTime)}</td>
                      <td>{a.state === 'cleared' ? duration(lasted(a)) : 'open'}</td>
                      <td class="num" data-testid="affected-count">
                        {count(incident?.affectedCustomers.length)}
                      </td>
                      <td class="num">
                        <span data-testid="notified-count">{count(incident?.notifiedCustomers.length)}</span>
                        {incident && incident.notNotified.length > 0 && <NotToldWhy reasons={incident.notNotified} />}
                      </td>
                      <td class="num">
                        {count(incident?.compensatedCustomers.length)}
                        {incident && incident.compensationRaisedCustomers.length > 0 && <span class="muted"> ({count(incident.compensationRaisedCustomers.length)} topped up)</span>}
                      </td>
                      <td class="num" data-testid="paid-count">
                        {incident ? money(incident.compensationPaid) : '–'}
                      </td>
                      <td>{incident?.timeToFirstNoticeMs == null ? '–' : `after ${duration(incident.timeToFirstNoticeMs)}`}</td>
                      <td data-testid="seen-before">
                        {incident?.anomalyLeadMs == null ? '–' : incident.anomalyLeadMs >= 0 ? `${duration(incident.anomalyLeadMs)} by calls or bad sessions` : 'no (the signals came after)'}
                        {incident && incident.anomalyIds.length > 0 && incident.anomalyIds.every((id) => inHistory.has(id)) && <FoundInHistoryMark />}
                      </td>
                      <td data-testid="flow-status">{incident?.watch ? `${run?.status === 'waiting' ? 'watching' : `watched (${run?.status ?? incident.runStatus})`}: nobody told` : (run?.status ?? 'not started')}</td>
                    </tr>
                  );
                }),
              )}
            </tbody>
          </table>
        )}
      </section>
      {anomalies.data && <SuspectedIncidents anomalies={anomalies.data} incidents={treated.data?.items ?? []} settings={settings} onReviewed={onReviewed} />}
      {foundInHistory.data && foundInHistory.data.length > 0 && (
        <details class="panel" data-testid="found-in-history">
          <summary>{historySummary(totals?.anomaliesInHistory ?? foundInHistory.data.length, foundInHistory.data.length)}</summary>
          <SuspectedIncidents anomalies={foundInHistory.data} incidents={treated.data?.items ?? []} settings={settings} onReviewed={onReviewed} inHistory />
        </details>
      )}
    </>
  );
}
