import { useState } from 'preact/hooks';
import { postJson, seg } from '../api';
import { confirmedText } from '../confirmed-text';
import { count, duration, eventTime } from '../format';
import { may, useIdentity } from '../identity';
import { compensatedWhen, compensationOf, spanText, type OutageSettings } from '../outage-settings';

/** Network operations' verdict on a suspicion, as the server keeps it. */
interface Review {
  readonly decision: 'confirmed' | 'dismissed';
  readonly by: string;
  readonly reason: string;
  readonly reviewedTime: string;
  /** The alarm a confirmation raised (or the open one that already covered the place). */
  readonly alarmId: string | null;
}

/** A suspected incident (`GET /service-operations/anomalies`): a burst of bad sessions (dropped calls, slow data) or of service calls on a cell or site. */
export interface Anomaly {
  readonly id: string;
  readonly scope: 'Cell' | 'Site';
  readonly objectId: string;
  readonly siteId: string | null;
  /** When the burst was seen (event time, ISO). */
  readonly openedTime: string;
  readonly state: 'open' | 'closed';
  /** The alarm it closed with: one on its place, open while it was, that cleared (its incident is over). */
  readonly coveredBy: string | null;
  /** Signals in the window when it opened. */
  readonly signals: number;
  readonly signal: 'bad-session-burst' | 'service-contact-burst';
  readonly expected: number;
  readonly pValue: number;
  readonly customers: readonly string[];
  /**
   * Found in history: its signals came in a day or more after they happened (the sandbox's loaded
   * history, a late batch), when nobody could act on them; no alarm here can follow it.
   */
  readonly history: boolean;
  readonly review: Review | null;
}

/** The mark of a suspicion found in history (after a space), with why in its tooltip. */
export function FoundInHistoryMark() {
  return (
    <>
      {' '}
      <span class="history-mark" title="its signals came in a day or more after they happened (a loaded history, a late batch): nobody could act on it then, and no alarm here can follow it">
        found in history
      </span>
    </>
  );
}

/** An alarm's treatment (`GET /service-operations/incidents`), as far as the suspicions need it: the suspicions around it. */
export interface AlarmOfSuspicions {
  readonly alarmId: string;
  readonly raisedTime: string;
  readonly anomalyIds: readonly string[];
}

/** The severities a confirmation may raise its alarm with (the route's `CONFIRM_SEVERITIES`), mildest first: the default. */
const CONFIRM_SEVERITIES = ['minor', 'major', 'critical'] as const;

/** What an alarm of this severity does to its customers, as the settings in force say (before they are read: nothing said). */
function severityEffect(settings: OutageSettings | undefined, severity: string): string {
  if (!settings) return '';
  if (!settings.actingSeverities.includes(severity)) return ' (nobody told)';
  const paid = compensationOf(settings, severity);
  return paid ? ` (notices; compensated ${paid})` : ' (notices only)';
}

/** How far ahead of its alarm a suspicion came, in words. */
function leadText(leadMs: number): string {
  return leadMs >= 0 ? `${duration(leadMs)} before the alarm` : `${duration(-leadMs)} after the alarm`;
}

/** What a suspicion is, in words: where, what kind of signals, how many. */
const describe = (a: Anomaly) => `${a.scope} ${a.objectId}: ${count(a.signals)} ${a.signal === 'bad-session-burst' ? 'bad sessions' : 'service calls'} against ${a.expected.toFixed(2)} expected`;

/**
 * Confirms or dismisses one suspicion, saying why (`POST /service-operations/anomalies/:id/confirm|dismiss`,
 * audited). A confirmation raises an alarm on the place, and service operations then tells the
 * affected customers; a dismissal tells nobody. One over by its evidence (closed, or its last signal
 * more than the quiet spell of the settings in force back) is confirmed as over: its alarm is raised cleared at that
 * signal, nobody is told, and the severity decides the compensation for its length (decision 0057).
 */
function ReviewForm({ anomaly, settings, onDone }: { anomaly: Anomaly; settings: OutageSettings | undefined; onDone(said: string): void }) {
  const [reason, setReason] = useState('');
  const [severity, setSeverity] = useState<(typeof CONFIRM_SEVERITIES)[number]>('minor');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = `review-${anomaly.id}`;
  const decide = (verb: 'confirm' | 'dismiss') => {
    setBusy(true);
    setError(undefined);
    const body = verb === 'confirm' ? { reason: reason.trim(), severity } : { reason: reason.trim() };
    postJson<{ anomaly: Anomaly; alarmId: string | null; alarmRaised: boolean; continues: string | null; over: boolean }>(`/service-operations/anomalies/${seg(anomaly.id)}/${verb}`, body).then(
      (r) => {
        setBusy(false);
        onDone(verb === 'dismiss' ? `${anomaly.id} dismissed: nobody is told` : confirmedText(anomaly.id, r, settings));
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  return (
    <form class="review" data-testid="review-form" aria-labelledby={`${id}-title`} onSubmit={(e) => e.preventDefault()}>
      <h3 id={`${id}-title`}>Review {anomaly.id}</h3>
      <p class="muted">
        {describe(anomaly)}, {count(anomaly.customers.length)} customers, seen {eventTime(anomaly.openedTime)}; {anomaly.state}. Confirming raises an alarm on the{' '}
        {anomaly.scope.toLowerCase()} and service operations tells its affected customers; dismissing tells nobody. Either is kept in the audit trail with your reason.
      </p>
      <div class="toolbar">
        <label for={`${id}-reason`}>Why confirm or dismiss {anomaly.id}</label>
        <input id={`${id}-reason`} value={reason} size={50} required placeholder="what was checked, what was found" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </div>
      <div class="toolbar">
        <label for={`${id}-severity`}>Severity of the alarm raised</label>
        <select id={`${id}-severity`} value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value as (typeof CONFIRM_SEVERITIES)[number])}>
          {CONFIRM_SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
              {severityEffect(settings, s)}
            </option>
          ))}
        </select>
        <button type="button" disabled={busy || !reason.trim()} onClick={() => decide('confirm')}>
          Confirm
        </button>
        <button type="button" disabled={busy || !reason.trim()} onClick={() => decide('dismiss')}>
          Dismiss
        </button>
      </div>
      {anomaly.coveredBy && <p class="muted">It closed with {anomaly.coveredBy}, an alarm on its place while it was, now cleared: a confirmation names that alarm, raises nothing and tells nobody twice.</p>}
      {anomaly.state === 'closed' && !anomaly.coveredBy && (
        <p class="muted" data-testid="review-over">
          Its signals have stopped{settings ? ` (${spanText(settings.quietSpellMs)} without one closes a suspicion)` : ''}: a confirmation records it as an outage over at its last signal, tells nobody, and compensates its customers{' '}
          {settings ? compensatedWhen(settings) : 'if it lasted past the threshold'}.
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** A suspicion's review, in its row: the verdict with who gave it and why, a button to give one, or that it awaits one. */
function ReviewCell({ anomaly, reviewing, onToggle }: { anomaly: Anomaly; reviewing: boolean; onToggle(): void }) {
  const who = useIdentity();
  const r = anomaly.review;
  if (r)
    return (
      <td data-testid="anomaly-review">
        {r.decision} by {r.by}: “{r.reason}”
        {r.alarmId && (
          <>
            {' '}
            (<a href={`/console/service-operations/${seg(r.alarmId)}`}>{r.alarmId}</a>)
          </>
        )}
      </td>
    );
  // Found in history: over before anyone could act on it (closed as it was found); nothing to review.
  if (anomaly.history)
    return (
      <td data-testid="anomaly-review">
        <span class="muted">none: over before anyone could act</span>
      </td>
    );
  if (!may(who, 'alarms:write'))
    return (
      <td data-testid="anomaly-review">
        <span class="muted">awaiting network operations</span>
      </td>
    );
  return (
    <td data-testid="anomaly-review">
      <button type="button" aria-expanded={reviewing} aria-label={`Review ${anomaly.id}`} onClick={onToggle}>
        Review
      </button>
    </td>
  );
}

/**
 * The suspected incidents, each with the alarm that came on its cell or site (if one did) and how
 * long before it the twins' signals showed it, and network operations' review: confirm (an alarm
 * is raised and service operations acts) or dismiss, with a reason. No customer is told on a
 * suspicion alone (decision 0015).
 */
export function SuspectedIncidents({
  anomalies,
  incidents,
  settings,
  onReviewed,
  inHistory = false,
}: {
  anomalies: readonly Anomaly[];
  incidents: readonly AlarmOfSuspicions[];
  /** The outage settings in force (`GET /service-operations/incidents`), undefined until read. */
  settings: OutageSettings | undefined;
  onReviewed(said: string): void;
  inHistory?: boolean;
}) {
  const heading = inHistory ? 'Found in history' : 'Detected from bad sessions and service calls, before or without an alarm';
  const [reviewing, setReviewing] = useState<string | null>(null);
  const alarmOf = new Map<string, AlarmOfSuspicions>();
  for (const i of incidents) for (const id of i.anomalyIds) if (!alarmOf.has(id)) alarmOf.set(id, i);
  // The one being reviewed, while it still awaits a verdict (another person's verdict, seen at a refresh, closes the form).
  const open = anomalies.find((a) => a.id === reviewing && a.review === null);
  return (
    <section class="panel" aria-label={heading}>
      <h2>{heading}</h2>
      {anomalies.length === 0 ? (
        <p class="muted">No burst of dropped calls, slow sessions or service calls on a cell or site has been seen{inHistory ? '' : ' as it happened'}.</p>
      ) : (
        <table data-testid={inHistory ? 'anomalies-in-history' : 'anomalies'}>
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
              <th scope="col">Review</th>
            </tr>
          </thead>
          <tbody>
            {anomalies.map((a) => {
              const alarm = alarmOf.get(a.id);
              const opened = Date.parse(a.openedTime);
              const raised = alarm ? Date.parse(alarm.raisedTime) : NaN;
              return (
                <tr key={a.id}>
                  <th scope="row">{a.id}</th>
                  <td>
                    {a.scope} {a.objectId}
                    {a.scope === 'Cell' && a.siteId ? <span class="muted"> (site {a.siteId})</span> : null}
                  </td>
                  <td>{eventTime(a.openedTime)}</td>
                  <td class="num" title={a.signal === 'bad-session-burst' ? 'dropped calls and slow data sessions' : 'service calls'}>
                    {count(a.signals)}
                  </td>
                  <td class="num">{a.expected.toFixed(2)}</td>
                  <td class="num">{a.pValue < 0.001 ? '< 0.1 %' : `${(a.pValue * 100).toFixed(1)} %`}</td>
                  <td class="num">{count(a.customers.length)}</td>
                  <td data-testid="anomaly-state">
                    {a.state}
                    {a.coveredBy && ` (with ${a.coveredBy})`}
                    {a.history && <FoundInHistoryMark />}
                  </td>
                  <td data-testid="anomaly-alarm">
                    {alarm ? (
                      <>
                        <a href={`/console/service-operations/${seg(alarm.alarmId)}`}>{alarm.alarmId}</a>
                        {Number.isFinite(opened) && Number.isFinite(raised) ? `, ${leadText(raised - opened)}` : ''}
                      </>
                    ) : (
                      <span class="muted">no alarm (yet)</span>
                    )}
                  </td>
                  <ReviewCell anomaly={a} reviewing={reviewing === a.id} onToggle={() => setReviewing(reviewing === a.id ? null : a.id)} />
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {open && (
        <ReviewForm
          key={open.id}
          anomaly={open}
          settings={settings}
          onDone={(said) => {
            setReviewing(null);
            onReviewed(said);
          }}
        />
      )}
    </section>
  );
}
