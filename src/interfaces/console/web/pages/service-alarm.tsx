import { Alert } from '../alert';
import { seg } from '../api';
import { count, duration, eventTime } from '../format';
import { useJson } from '../use-json';
import { ALARMS, type ServiceOpsRun, type TmfAlarm } from './service-operations';
import { compensatedWhen, compensationOf, orList, spanText, type OutageSettings } from '../outage-settings';

/** A journaled step of the flow (`GET /workflows/:id/steps`). */
interface Step {
  readonly key: string;
  readonly stepId: string;
  readonly status: string;
  readonly output: unknown;
  readonly updatedAt: number;
}
/** What a batch of guarded requests did (the flow's `BatchOutcome`). */
interface Batch {
  readonly executed: readonly string[];
  readonly pending: readonly string[];
  readonly refused: number;
  readonly failed: number;
}

/** The service-operations flow's step ids (`AFFECTED_STEP_ID`, `OUTAGE_NOTICE_STEP_ID`, …; docs/flows.md). */
const STEP = { affected: 'affected-customers', notices: 'outage-notices', compensation: 'compensation', resolution: 'resolution-notices' } as const;

/** Every customer a kind of batch step reached, and who waits for an approval. */
function reached(steps: readonly Step[], stepId: string): { done: Set<string>; pending: Set<string>; refused: number; failed: number; firstAt: number | null } {
  const out = { done: new Set<string>(), pending: new Set<string>(), refused: 0, failed: 0, firstAt: null as number | null };
  for (const s of steps) {
    if (s.stepId !== stepId || s.status !== 'succeeded' || !s.output) continue;
    const b = s.output as Batch;
    b.executed.forEach((c) => out.done.add(c));
    b.pending.forEach((c) => out.pending.add(c));
    out.refused += b.refused;
    out.failed += b.failed;
    if (b.executed.length > 0 && (out.firstAt === null || s.updatedAt < out.firstAt)) out.firstAt = s.updatedAt;
  }
  return out;
}

/** An alarm's treatment as `GET /service-operations/incidents` counts it (the fields shown). */
export interface IncidentCounts {
  readonly alarmId: string;
  readonly affectedCustomers: readonly string[];
  readonly notifiedCustomers: readonly string[];
  readonly compensatedCustomers: readonly string[];
  readonly resolutionNotices: number;
  /** The run only watches (a warning): nobody is told or compensated unless the alarm escalates (decision 0072). */
  readonly watch: boolean;
}

const mark = (done: Set<string>, pending: Set<string>, id: string) => (done.has(id) ? 'sent' : pending.has(id) ? 'waiting for approval' : '–');

/**
 * One alarm: what it is, the service-operations flow's progress, the customers it affects (ranked
 * by presence on the cell and value) and, for each, the outage notice, compensation and resolution
 * notice sent; time to the first notice and time to repair, on the event clock.
 */
export function ServiceAlarm({ id }: { id: string }) {
  const number = /^alarm-(\d+)$/.exec(id)?.[1];
  const alarm = useJson<TmfAlarm>(number ? `${ALARMS}/${number}` : null, 10_000);
  const run = useJson<ServiceOpsRun>(`/workflows/${seg(id)}`, 5_000);
  const steps = useJson<readonly Step[]>(`/workflows/${seg(id)}/steps`, 5_000);
  // Whom the run found (at the alarm and showing it later) and told, as the API counts them: one source for every page.
  const treated = useJson<{ settings: OutageSettings; items: readonly IncidentCounts[] }>('/service-operations/incidents?limit=200', 10_000);
  const settings = treated.data?.settings;
  if (!number) return <Alert message={`"${id}" is not an alarm of this console (alarm-N); see the service operations page`} />;
  const a = alarm.data;
  const all = steps.data ?? [];
  const incident = treated.data?.items.find((i) => i.alarmId === id);
  const affected = incident?.affectedCustomers ?? (all.find((s) => s.stepId === STEP.affected && s.status === 'succeeded')?.output as string[] | undefined) ?? null;
  const notices = reached(all, STEP.notices);
  const compensation = reached(all, STEP.compensation);
  const resolution = reached(all, STEP.resolution);
  const raisedMs = a ? Date.parse(a.alarmRaisedTime) : NaN;
  return (
    <>
      <Alert message={alarm.error} />
      {a && (
        <section class="panel">
          <h2>
            {a.alarmedObject['@referredType']} {a.alarmedObject.id}: {a.probableCause} <span class={`severity ${a.perceivedSeverity}`}>{a.perceivedSeverity}</span>
          </h2>
          <dl class="facts" data-testid="alarm-facts">
            <dt>State</dt>
            <dd>{a.state}</dd>
            <dt>Raised</dt>
            <dd>{eventTime(a.alarmRaisedTime)}</dd>
            <dt>Cleared</dt>
            <dd>{a.alarmClearedTime ? `${eventTime(a.alarmClearedTime)} (time to repair ${duration(Date.parse(a.alarmClearedTime) - raisedMs)})` : 'not yet'}</dd>
            <dt>Sent in by</dt>
            <dd>{a.sourceSystemId}</dd>
            <dt>Flow</dt>
            <dd>{run.data ? run.data.status : run.error ? 'not started' : 'reading…'}</dd>
            <dt>First notice</dt>
            <dd>{notices.firstAt === null ? 'none sent yet' : `${duration(notices.firstAt - raisedMs)} after the alarm was raised`}</dd>
            <dt>Compensation</dt>
            <dd data-testid="alarm-compensation">{settings ? (compensationOf(settings, a.perceivedSeverity) ?? `none for a ${a.perceivedSeverity} alarm (compensated: ${settings.compensation.map((c) => c.severity).join(', ') || 'no severity'})`) : 'reading…'}</dd>
          </dl>
        </section>
      )}
      <section class="panel">
        <h2>
          Affected customers <span class="muted">({affected ? count(affected.length) : '–'})</span>
        </h2>
        {incident?.watch && a && (
          <p class="outcome" data-testid="watch-note">
            Watched, not acted on: a {a.perceivedSeverity} alarm takes service away from nobody, so its affected customers are listed as the flow finds them and nobody is told or compensated.
            {settings && ` If it escalates to ${orList(settings.actingSeverities)}, the flow tells them then, and compensates them ${compensatedWhen(settings)} from the escalation.`}
          </p>
        )}
        <p data-testid="notice-counts">
          Outage notices sent to {count(incident?.notifiedCustomers.length ?? notices.done.size)}
          {notices.pending.size > 0 && `, ${count(notices.pending.size)} waiting for approval`}
          {notices.refused > 0 && `, ${count(notices.refused)} refused by policy (consent, contact rules)`}
          {notices.failed > 0 && `, ${count(notices.failed)} failed`}; compensation for {count(incident?.compensatedCustomers.length ?? compensation.done.size)}; resolution notices to {count(incident?.resolutionNotices ?? resolution.done.size)}.
        </p>
        {affected === null ? (
          <p class="muted">{steps.data ? 'The flow has not found the affected customers yet.' : 'reading…'}</p>
        ) : affected.length === 0 ? (
          <p class="muted">No active customer was seen on this {a ? a.alarmedObject['@referredType'].toLowerCase() : 'cell'} in the {settings ? spanText(settings.presenceHorizonMs) : 'time'} before the alarm.</p>
        ) : (
          <table data-testid="affected">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Outage notice</th>
                <th scope="col">Compensation</th>
                <th scope="col">Resolution notice</th>
              </tr>
            </thead>
            <tbody>
              {affected.slice(0, 500).map((c) => (
                <tr key={c}>
                  <td>
                    <a href={`/console/customers/${seg(c)}`}>{c}</a>
                  </td>
                  <td>{mark(notices.done, notices.pending, c)}</td>
                  <td>{mark(compensation.done, compensation.pending, c)}</td>
                  <td>{mark(resolution.done, resolution.pending, c)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {affected && affected.length > 500 && <p class="muted">The first 500 of {count(affected.length)}, highest value first.</p>}
      </section>
    </>
  );
}
