import { Alert } from '../alert';
import { seg } from '../api';
import { count, duration, eventTime, money } from '../format';
import { useJson } from '../use-json';
import { ALARMS, type ServiceOpsRun, type TmfAlarm } from './service-operations';
import { compensatedWhen, compensationOf, orList, spanText, type OutageSettings } from '../outage-settings';

/** One act for one customer (`GET /service-operations/incidents/:alarmId`): sent, waiting for a person, not sent (why), not decided yet. */
interface Treatment {
  readonly state: 'sent' | 'waiting' | 'not-sent' | 'not-yet';
  readonly why: string | null;
}
/** An affected customer and what the flow did for them. */
interface CustomerTreatment {
  readonly customerId: string;
  readonly notice: Treatment;
  readonly compensation: Treatment;
  readonly resolution: Treatment;
}

/** A treatment in a cell: "sent", or what holds it and why. */
function TreatmentCell({ t }: { t: Treatment }) {
  if (t.state === 'sent') return <td>sent</td>;
  const head = t.state === 'waiting' ? 'waiting' : t.state === 'not-yet' ? 'not yet' : 'not sent';
  return (
    <td class={t.state === 'not-sent' ? undefined : 'muted'}>
      {head}
      {t.why && t.state !== 'waiting' ? `: ${t.why}` : ''}
      {t.why && t.state === 'waiting' ? ` (${t.why.replace(/^waiting for a person: /, '')})` : ''}
    </td>
  );
}

/** The reasons customers were not told or not paid, most frequent first: `12 × failed: unavailable`. */
function reasons(customers: readonly CustomerTreatment[], of: (c: CustomerTreatment) => Treatment): [string, number][] {
  const n = new Map<string, number>();
  for (const c of customers) {
    const t = of(c);
    if (t.state === 'not-sent' && t.why) n.set(t.why, (n.get(t.why) ?? 0) + 1);
  }
  return [...n].sort((x, y) => y[1] - x[1]);
}

/** An alarm's treatment as `GET /service-operations/incidents` counts it (the fields shown). */
export interface IncidentCounts {
  readonly alarmId: string;
  readonly affectedCustomers: readonly string[];
  readonly notifiedCustomers: readonly string[];
  /** Why the affected customers without a notice have none, grouped, most customers first (they add up to affected less notified). */
  readonly notNotified: readonly { readonly state: 'waiting' | 'not-sent' | 'not-yet'; readonly why: string; readonly customers: number }[];
  readonly compensatedCustomers: readonly string[];
  /** Those paid the difference after the alarm was made worse than the severity they were first paid at. */
  readonly compensationRaisedCustomers: readonly string[];
  /** The credit carried out for the incident, payments and top-ups together. */
  readonly compensationPaid: number;
  /** Approved by a person and not carried out yet: committed, not paid. */
  readonly compensationApproved: number;
  readonly resolutionNotices: number;
  /** The run only watches (a warning): nobody is told or compensated unless the alarm escalates (decision 0072). */
  readonly watch: boolean;
  /** The severity the run acts on (its raise's or the last escalation it heard); null while it watches. */
  readonly actingSeverity: string | null;
  /** The severity in force from each time. */
  readonly severities: readonly { readonly perceivedSeverity: string; readonly fromTime: string }[];
}

/** The severity the flow judges the alarm by: the one it acts on, or (watching) the one it watches. */
const acted = (incident: IncidentCounts, a: TmfAlarm): string => incident.actingSeverity ?? incident.severities[0]?.perceivedSeverity ?? a.perceivedSeverity;

/**
 * One alarm: what it is, the service-operations flow's progress, the customers it affects (ranked
 * by presence on the cell and value) and, for each, the outage notice, compensation and resolution
 * notice sent; time to the first notice and time to repair, on the event clock.
 */
export function ServiceAlarm({ id }: { id: string }) {
  const number = /^alarm-(\d+)$/.exec(id)?.[1];
  const alarm = useJson<TmfAlarm>(number ? `${ALARMS}/${number}` : null, 10_000);
  const run = useJson<ServiceOpsRun>(`/workflows/${seg(id)}`, 5_000);
  // Whom the run found (at the alarm and showing it later), told and paid, and why not, as the API says it: one source for every page.
  const treated = useJson<{ settings: OutageSettings; incident: IncidentCounts & { readonly timeToFirstNoticeMs: number | null }; customers: readonly CustomerTreatment[] }>(number ? `/service-operations/incidents/${seg(id)}` : null, 5_000);
  const settings = treated.data?.settings;
  if (!number) return <Alert message={`"${id}" is not an alarm of this console (alarm-N); see the service operations page`} />;
  const a = alarm.data;
  const incident = treated.data?.incident;
  const customers = treated.data?.customers ?? null;
  const count$ = (of: (c: CustomerTreatment) => Treatment, state: Treatment['state']) => (customers ?? []).filter((c) => of(c).state === state).length;
  const raisedMs = a ? Date.parse(a.alarmRaisedTime) : NaN;
  const whyNotTold = reasons(customers ?? [], (c) => c.notice);
  const whyNotPaid = reasons(customers ?? [], (c) => c.compensation);
  return (
    <>
      <Alert message={alarm.error ?? treated.error} />
      {a && (
        <section class="panel">
          <h2>
            {a.alarmedObject['@referredType']} {a.alarmedObject.id}: {a.probableCause} <span class={`severity ${a.perceivedSeverity}`}>{a.perceivedSeverity}</span>
          </h2>
          <dl class="facts" data-testid="alarm-facts">
            <dt>State</dt>
            <dd>{a.state}</dd>
            {incident && incident.severities.length > 1 && (
              <>
                <dt>Severity</dt>
                <dd data-testid="alarm-severities">{incident.severities.map((h) => `${h.perceivedSeverity} from ${eventTime(h.fromTime)}`).join(', then ')}</dd>
              </>
            )}
            <dt>Raised</dt>
            <dd>{eventTime(a.alarmRaisedTime)}</dd>
            <dt>Cleared</dt>
            <dd>{a.alarmClearedTime ? `${eventTime(a.alarmClearedTime)} (time to repair ${duration(Date.parse(a.alarmClearedTime) - raisedMs)})` : 'not yet'}</dd>
            <dt>Sent in by</dt>
            <dd>{a.sourceSystemId}</dd>
            <dt>Flow</dt>
            <dd>{run.data ? run.data.status : run.error ? 'not started' : 'reading…'}</dd>
            <dt>First notice</dt>
            <dd>{incident?.timeToFirstNoticeMs == null ? 'none sent yet' : `${duration(incident.timeToFirstNoticeMs)} after the alarm was raised`}</dd>
            <dt>Compensation</dt>
            {/* By the severity the flow acts on (the last escalation it heard), not today's: a major alarm dropped to minor is still paid as major. */}
            <dd data-testid="alarm-compensation">{settings && incident ? (compensationOf(settings, acted(incident, a)) ?? `none for a ${acted(incident, a)} alarm (compensated: ${settings.compensation.map((c) => c.severity).join(', ') || 'no severity'})`) : 'reading…'}</dd>
          </dl>
        </section>
      )}
      <section class="panel">
        <h2>
          Affected customers <span class="muted">({customers ? count(customers.length) : '–'})</span>
        </h2>
        {incident?.watch && a && (
          <p class="outcome" data-testid="watch-note">
            Watched, not acted on: a {incident.severities[0]?.perceivedSeverity ?? a.perceivedSeverity} alarm takes service away from nobody, so its affected customers are listed as the flow finds them and nobody is told or compensated.
            {settings && ` If it escalates to ${orList(settings.actingSeverities)}, the flow tells them then, and compensates them ${compensatedWhen(settings)} from the escalation.`}
          </p>
        )}
        <p data-testid="notice-counts">
          Outage notices sent to {count(incident?.notifiedCustomers.length ?? 0)}
          {count$((c) => c.notice, 'waiting') > 0 && `, ${count(count$((c) => c.notice, 'waiting'))} waiting for approval`}
          {count$((c) => c.notice, 'not-sent') > 0 && `, not sent to ${count(count$((c) => c.notice, 'not-sent'))}`}; compensation for {count(incident?.compensatedCustomers.length ?? 0)}
          {count$((c) => c.compensation, 'waiting') > 0 && ` (${count(count$((c) => c.compensation, 'waiting'))} waiting for approval)`}
          {incident && incident.compensationRaisedCustomers.length > 0 && `, ${count(incident.compensationRaisedCustomers.length)} of them topped up after an escalation`}
          {incident && incident.compensationPaid > 0 && `, ${money(incident.compensationPaid)} paid in all`}
          {incident && incident.compensationApproved > 0 && `, ${money(incident.compensationApproved)} approved and not paid yet`}; resolution notices to {count(incident?.resolutionNotices ?? 0)}.
        </p>
        {(whyNotTold.length > 0 || whyNotPaid.length > 0) && (
          <dl class="facts" data-testid="why-not">
            {whyNotTold.length > 0 && (
              <>
                <dt>Not told, why</dt>
                <dd data-testid="why-not-told">{whyNotTold.map(([why, n]) => `${count(n)} × ${why}`).join('; ')}</dd>
              </>
            )}
            {whyNotPaid.length > 0 && (
              <>
                <dt>Not compensated, why</dt>
                <dd data-testid="why-not-paid">{whyNotPaid.map(([why, n]) => `${count(n)} × ${why}`).join('; ')}</dd>
              </>
            )}
          </dl>
        )}
        {customers === null ? (
          <p class="muted">{treated.data || treated.error ? 'The flow has not found the affected customers yet.' : 'reading…'}</p>
        ) : customers.length === 0 ? (
          <p class="muted">
            No active customer was seen on this {a ? a.alarmedObject['@referredType'].toLowerCase() : 'cell'} in the {settings ? spanText(settings.presenceHorizonMs) : 'time'} before the alarm{run.data ? '' : ' (or the flow has not found them yet)'}.
          </p>
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
              {customers.slice(0, 500).map((c) => (
                <tr key={c.customerId}>
                  <td>
                    <a href={`/console/customers/${seg(c.customerId)}`}>{c.customerId}</a>
                  </td>
                  <TreatmentCell t={c.notice} />
                  <TreatmentCell t={c.compensation} />
                  <TreatmentCell t={c.resolution} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {customers && customers.length > 500 && <p class="muted">The first 500 of {count(customers.length)}, in the order found (highest value first at the alarm).</p>}
      </section>
    </>
  );
}
