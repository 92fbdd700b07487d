import { Alert } from '../alert';
import { seg } from '../api';
import { count, eventTime } from '../format';
import { useJson } from '../use-json';

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
interface Incident {
  readonly alarmId: string;
  readonly raisedTime: string;
  readonly timeToFirstNoticeMs: number | null;
  readonly timeToRepairMs: number | null;
  readonly anomalyIds: readonly string[];
  readonly anomalyLeadMs: number | null;
}
interface IncidentSummary {
  readonly medianTimeToDetectMs: number | null;
  readonly medianTimeToFirstNoticeMs: number | null;
  readonly mttrMs: number | null;
  readonly anomalies: number;
  readonly anomaliesWithoutAlarm: number;
}
/** A suspected incident (`GET /service-operations/anomalies`): a burst of bad sessions (dropped calls, slow data) or of service calls on a cell or site. */
interface Anomaly {
  readonly id: string;
  readonly scope: 'Cell' | 'Site';
  readonly objectId: string;
  readonly siteId: string | null;
  /** When the burst was seen (event time: ms, or ISO). */
  readonly openedTime?: string;
  readonly openedMs?: number | string;
  readonly openedAt?: string;
  readonly state: 'open' | 'closed';
  /** Signals in the window when it opened (`contacts` before they were named so). */
  readonly signals?: number;
  readonly contacts?: number;
  readonly signal?: 'bad-session-burst' | 'service-contact-burst';
  readonly expected: number;
  readonly pValue: number;
  readonly customers: readonly string[];
}
/** Event time of a field the server may write as ms or as ISO. */
const msOf = (v: number | string | undefined | null): number | null => (typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : null);
const openedOf = (a: Anomaly) => msOf(a.openedTime ?? a.openedMs ?? a.openedAt);
const isoOf = (ms: number | null) => (ms === null || Number.isNaN(ms) ? null : new Date(ms).toISOString());

/** How far ahead of its alarm a suspicion came, in words. */
function leadText(leadMs: number): string {
  return leadMs >= 0 ? `${duration(leadMs)} before the alarm` : `${duration(-leadMs)} after the alarm`;
}

/**
 * The suspected incidents, each with the alarm that came on its cell or site (if one did) and how
 * long before it the twins' service calls showed it: what anomaly detection buys network operations.
 */
function Anomalies({ anomalies, incidents }: { anomalies: readonly Anomaly[]; incidents: readonly Incident[] }) {
  const alarmOf = new Map<string, Incident>();
  for (const i of incidents) for (const id of i.anomalyIds) if (!alarmOf.has(id)) alarmOf.set(id, i);
  return (
    <section class="panel" aria-labelledby="anomalies-title">
      <h2 id="anomalies-title">Detected from bad sessions and service calls, before or without an alarm</h2>
      {anomalies.length === 0 ? (
        <p class="muted">No burst of dropped calls, slow sessions or service calls on a cell or site has been seen.</p>
      ) : (
        <table data-testid="anomalies">
          <thead>
            <tr>
              <th scope="col">Suspicion</th>
              <th scope="col">Where</th>
              <th scope="col">Seen</th>
              <th scope="col" class="num">Signals</th>
              <th scope="col" class="num">Expected</th>
              <th scope="col" class="num">Chance</th>
              <th scope="col" class="num">Customers</th>
              <th scope="col">State</th>
              <th scope="col">Alarm</th>
            </tr>
          </thead>
          <tbody>
            {anomalies.map((a) => {
              const alarm = alarmOf.get(a.id);
              const opened = openedOf(a);
              const raised = alarm ? msOf(alarm.raisedTime) : null;
              return (
                <tr key={a.id}>
                  <th scope="row">{a.id}</th>
                  <td>
                    {a.scope} {a.objectId}
                    {a.scope === 'Cell' && a.siteId ? <span class="muted"> (site {a.siteId})</span> : null}
                  </td>
                  <td>{eventTime(isoOf(opened))}</td>
                  <td class="num" title={a.signal === 'bad-session-burst' ? 'dropped calls and slow data sessions' : 'service calls'}>{count(a.signals ?? a.contacts ?? 0)}</td>
                  <td class="num">{a.expected.toFixed(2)}</td>
                  <td class="num">{a.pValue < 0.001 ? '< 0.1 %' : `${(a.pValue * 100).toFixed(1)} %`}</td>
                  <td class="num">{count(a.customers.length)}</td>
                  <td>{a.state}</td>
                  <td data-testid="anomaly-alarm">
                    {alarm ? (
                      <>
                        <a href={`/console/service-operations/${seg(alarm.alarmId)}`}>{alarm.alarmId}</a>
                        {opened !== null && raised !== null ? `, ${leadText(raised - opened)}` : ''}
                      </>
                    ) : (
                      <span class="muted">no alarm (yet)</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Severities, worst first (TMF642's perceivedSeverity). */
const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared'];

/** `3 h 20 min` from milliseconds. */
export function duration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

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
  const treated = useJson<{ summary: IncidentSummary; items: readonly Incident[] }>('/service-operations/incidents?limit=200', 10_000);
  const anomalies = useJson<readonly Anomaly[]>('/service-operations/anomalies?limit=100', 10_000);
  const byRun = new Map((runs.data ?? []).map((r) => [r.workflowId, r]));
  const incidentOf = new Map((treated.data?.items ?? []).map((i) => [i.alarmId, i]));
  const totals = treated.data?.summary;
  const list = [...(alarms.data ?? [])].sort((a, b) => b.alarmRaisedTime.localeCompare(a.alarmRaisedTime));
  const open = list.filter((a) => a.state !== 'cleared');
  const cleared = list.map(lasted).filter((ms): ms is number => ms !== null);
  const mttr = cleared.length ? cleared.reduce((s, ms) => s + ms, 0) / cleared.length : null;
  const reports = list.map((a) => byRun.get(runIdOf(a))?.output).filter((o) => o);
  const notified = reports.reduce((s, o) => s + (o?.notified ?? 0), 0);
  const compensated = reports.reduce((s, o) => s + (o?.compensated ?? 0), 0);
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
      <Alert message={alarms.error ?? runs.error ?? treated.error ?? anomalies.error} />
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
          <dd>{count(notified)}</dd>
          <dt>Customers compensated</dt>
          <dd>{count(compensated)}</dd>
          <dt>Time to notify (median, raise to first notice)</dt>
          <dd data-testid="time-to-notify">{totals?.medianTimeToFirstNoticeMs == null ? 'no notice sent yet' : duration(totals.medianTimeToFirstNoticeMs)}</dd>
          <dt>Mean time to repair</dt>
          <dd data-testid="mttr">{mttr === null ? 'no alarm cleared yet' : `${duration(mttr)} over ${count(cleared.length)} cleared`}</dd>
          <dt>Suspected from service calls</dt>
          <dd>{totals ? `${count(totals.anomalies)} (${count(totals.anomaliesWithoutAlarm)} without an alarm)` : '–'}</dd>
        </dl>
        <p class="muted">The counts of notices and compensations are those of the alarms whose flow has finished (it waits for the clear); an alarm's page shows its flow as it goes.</p>
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
                      <td class="num">{count(run?.output?.affected)}</td>
                      <td class="num">{count(run?.output?.notified)}</td>
                      <td class="num">{count(run?.output?.compensated)}</td>
                      <td>{incident?.timeToFirstNoticeMs == null ? '–' : `after ${duration(incident.timeToFirstNoticeMs)}`}</td>
                      <td>{incident?.anomalyLeadMs == null ? '–' : incident.anomalyLeadMs >= 0 ? `${duration(incident.anomalyLeadMs)} by calls` : 'no (calls came after)'}</td>
                      <td>{run?.status ?? 'not started'}</td>
                    </tr>
                  );
                }),
              )}
            </tbody>
          </table>
        )}
      </section>
      {anomalies.data && <Anomalies anomalies={anomalies.data} incidents={treated.data?.items ?? []} />}
    </>
  );
}
