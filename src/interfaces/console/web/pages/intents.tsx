import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { count, currencyCode, eventTime, money, span } from '../format';
import { historyDetails } from '../intent-history';
import { may, useIdentity } from '../identity';
import { navigate } from '../router';
import { useJson } from '../use-json';
import type { ChosenPlan as PlanKept } from '../../../../agents/intents/intent-store';

interface Interval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}
interface ChosenPlan {
  readonly plan: { readonly id: string; readonly actions: readonly { templateId: string; offerId?: string; creditAmount?: number; channels: readonly string[]; controlGroupShare: number }[] };
  readonly outcome: { readonly netValue: Interval; readonly churnersAvoided: Interval; readonly cost: Interval; readonly segmentSize?: number; readonly targeted?: number };
  readonly selection: string;
  readonly shortfalls: readonly string[];
  readonly segment?: { readonly description: string; readonly size: number; readonly simulated?: { readonly size: number; readonly at: number } };
  /** The control group its campaign holds out, and what its simulations went without: the server's own types. */
  readonly control?: PlanKept['control'];
  readonly caveats?: PlanKept['caveats'];
}
interface IntentRecord {
  readonly createdBy?: { kind: string; id: string };
  readonly intent: { readonly id: string; readonly name: string; readonly description: string; readonly goal: string; readonly lifecycleStatus: string; readonly policyMode: string; readonly intentExpectation: readonly { targetName?: string; targetCondition?: string; targetValue?: number }[] };
  readonly interpretation?: readonly string[];
  readonly plan?: ChosenPlan;
  readonly pendingPlan?: ChosenPlan;
  readonly spend: number;
  readonly failure?: { readonly at: string; readonly reason: string; readonly expiredAt?: string };
  readonly events: readonly { at: string; kind: string; detail: string }[];
  /** Where it stands (awaiting approval, acting, missed, not yet readable…): the server's reading, not the lifecycle status alone. */
  readonly stage?: Stage;
}
interface Stage {
  readonly stage: string;
  readonly since: string;
  readonly waitingFor?: string;
  /** A plan awaiting approval: the latest wall-clock time its approval lets it run (its horizon at the world's pace). */
  readonly approveBy?: string;
  readonly summary: string;
}
interface IntentReport {
  readonly status?: string;
  readonly expectations: readonly { expectationId: string; targetName: string; targetCondition: string; targetValue: number; current?: number; currentRange?: { low: number; high: number }; notShown?: string; measuredAt?: string; projected?: number; projectedRange?: { low: number; high: number }; notProjected?: string; status: string }[];
  readonly spend: { spent: number; budget?: number; currency?: string };
  readonly measured?: { at: string; basis?: string };
  /** How much of the plan its runs carried out, and why not all. */
  readonly carriedOut?: string;
}

/** A measured figure as read: two decimals at most. */
const figure = (x: number | undefined) => (x === undefined ? '–' : String(Math.round(x * 100) / 100));

const range = (i: Interval, f: (n: number) => string) => `${f(i.mean)} (90 %: ${f(i.low)} to ${f(i.high)})`;

function Plan({ chosen, title }: { chosen: ChosenPlan; title: string }) {
  const o = chosen.outcome;
  return (
    <section class="panel" aria-label={title}>
      <h2>{title}</h2>
      <p>
        Selection: <strong>{chosen.selection.replace(/-/g, ' ')}</strong>
        {chosen.segment && (
          <>
            {' '}
            · segment {chosen.segment.description} ({count(chosen.segment.size)} customers
            {chosen.segment.simulated && (
              <span data-testid="segment-simulated">
                {' '}
                when the plan was chosen; its simulations read {count(chosen.segment.simulated.size)} at {eventTime(new Date(chosen.segment.simulated.at).toISOString())} (world time), before the scores moved
              </span>
            )}
            )
          </>
        )}
      </p>
      <ul>
        {chosen.plan.actions.map((a, i) => (
          <li key={i}>
            {a.templateId}
            {a.offerId ? ` ${a.offerId}` : ''}
            {a.creditAmount ? ` credit ${money(a.creditAmount)}` : ''} on {a.channels.join(', ')}, control group {Math.round(a.controlGroupShare * 100)} %
          </li>
        ))}
      </ul>
      <p class="muted" data-testid="plan-channels">
        Each channel is a variant of its campaign, sent as a message on it and answered where it lands: an SMS or e-mail on web, a push or in-app message on app, a call-back on call (the campaign's page shows each variant as "email (lands on web)").
      </p>
      <dl class="facts" data-testid="plan-outcome">
        <dt>Churners avoided</dt>
        <dd>{range(o.churnersAvoided, (n) => n.toFixed(1))}</dd>
        <dt>Net value</dt>
        <dd>{range(o.netValue, money)}</dd>
        <dt>Cost</dt>
        <dd>{range(o.cost, money)}</dd>
        {o.targeted !== undefined && (
          <>
            <dt>Customers targeted</dt>
            <dd>{count(o.targeted)}</dd>
          </>
        )}
      </dl>
      {chosen.control && <ControlGroup control={chosen.control} />}
      {chosen.shortfalls.length > 0 && (
        <ul class="reasons">
          {chosen.shortfalls.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      )}
      {chosen.caveats && chosen.caveats.length > 0 && (
        <>
          <h3>Planned without</h3>
          <ul class="reasons" data-testid="plan-caveats">
            {chosen.caveats.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/**
 * The control group the plan's campaign holds out, as counted when it was planned: its share of
 * those the campaign may contact, and who of the segment is left out before it is drawn (the words
 * of the campaign page's "left out" line).
 */
function ControlGroup({ control: c }: { control: NonNullable<ChosenPlan['control']> }) {
  const pct = Math.round(c.share * 100);
  const left = c.leftOut ? Object.entries(c.leftOut) : [];
  return (
    <p data-testid="plan-control">
      Control group:{' '}
      {c.share <= 0 ? (
        'none, so nothing measures what it changes'
      ) : c.segment === undefined ? (
        `${pct} % of whom it may contact, about ${count(c.expected)} of the segment's ${count(c.of)}`
      ) : (
        <>
          <strong>{count(c.expected)}</strong> held out, {pct} % of the {count(c.of)} it may contact
          {left.length > 0 && ` (the segment's ${count(c.segment)}; left out before drawing: ${left.map(([why, n]) => `${count(n)} ${why}`).join(', ')})`}
          {c.expected === 0 && <span class="error"> · that is nobody, so its campaign will not run: widen the segment</span>}
          {c.planned && (
            <span data-testid="control-recounted">
              {' '}
              · counted again when its run started, as its campaign draws it: {count(c.planned.expected)} held out of {count(c.planned.of)} when planned (the segment's {count(c.planned.segment)})
            </span>
          )}
        </>
      )}
    </p>
  );
}

/** What an approval answers: executing, and the control its campaign holds, counted as it started (said when it moved since the plan). */
function approved(answer: IntentRecord): string {
  const c = answer.plan?.control;
  if (!c || c.segment === undefined || c.share <= 0) return 'Plan approved: executing';
  const moved = c.planned ? ` (counted again now: ${count(c.planned.expected)} when planned)` : '';
  return `Plan approved: executing; its campaign holds out ${count(c.expected)} as its control group${moved}`;
}

/** One intent: how it was understood, the plan chosen by simulation, approve it, its progress and history. */
export function IntentPage({ id }: { id: string }) {
  const who = useIdentity();
  const record = useJson<IntentRecord>(`/intents/${seg(id)}`, 10_000);
  const report = useJson<IntentReport>(`/intents/${seg(id)}/report`, 10_000);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; ok: boolean }>();
  /** Acts on the intent; `answersRecord`: the route answers the intent as it now is (an approval), shown at once. */
  const act = (path: string, done: string | ((answer: IntentRecord) => string), answersRecord = false) => {
    setBusy(true);
    postJson<IntentRecord>(path, {}).then(
      (answer) => {
        setMessage({ text: typeof done === 'string' ? done : done(answer), ok: true });
        setBusy(false);
        if (answersRecord) record.replace(answer);
        else record.reload();
        report.reload();
      },
      (err: Error) => {
        setMessage({ text: err.message, ok: false });
        setBusy(false);
      },
    );
  };
  const r = record.data;
  if (record.error) return <Alert message={record.error} />;
  if (!r) return <p class="muted">reading…</p>;
  const status = r.intent.lifecycleStatus;
  return (
    <>
      <section class="panel">
        <h2>
          {r.intent.name} <span class="muted">({status}, {r.intent.policyMode} mode{r.createdBy ? `, created by ${r.createdBy.id}` : ''})</span>
        </h2>
        <p>{r.intent.description}</p>
        {r.stage && (
          <p data-testid="stage" class={r.stage.stage === 'awaiting-approval' ? 'outcome pending-approval' : undefined}>
            <strong>{r.stage.stage.replace(/-/g, ' ')}</strong> since {eventTime(r.stage.since)} (world time)
            {r.stage.waitingFor && <> · waiting for {r.stage.waitingFor}</>}: {r.stage.summary}
          </p>
        )}
        {/* People's time, beside the world's: at 3,600x "this month" may leave minutes to approve it in. */}
        {r.stage?.approveBy && (
          <p class="outcome pending-approval" role="status" data-testid="approve-by">
            Approve by <strong>{r.stage.approveBy.slice(11, 16)} UTC</strong> your time ({span(Date.parse(r.stage.approveBy) - Date.now())}, at the world's pace now): after that its horizon has ended and the plan does not run.
          </p>
        )}
        {r.failure &&
          (r.failure.expiredAt ? (
            <p class="error" role="alert" data-testid="expired">
              Expired at {eventTime(r.failure.expiredAt)} (world time), before its plan ran; closed {eventTime(r.failure.at)}: {r.failure.reason}
            </p>
          ) : (
            <p class="error" role="alert">
              Failed: {r.failure.reason}
            </p>
          ))}
        {r.interpretation && (
          <>
            <h3>How it was understood</h3>
            <ul data-testid="interpretation">
              {r.interpretation.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </>
        )}
        <div class="toolbar">
          {status === 'proposed' && may(who, 'intents:write') && (
            <button type="button" disabled={busy} onClick={() => act(`/intents/${seg(id)}/accept`, 'Accepted: its plans are being simulated (the plan shows here when chosen)')}>
              Accept and plan
            </button>
          )}
          {(r.pendingPlan || (r.plan && status === 'planned')) && may(who, 'intents:approve') && r.intent.policyMode === 'approve' && r.createdBy?.id === who.name ? (
            <span class="muted" data-testid="four-eyes">
              You created this intent: another person approves its plan (four eyes).
            </span>
          ) : (
            (r.pendingPlan || (r.plan && status === 'planned')) &&
            may(who, 'intents:approve') && (
              <button type="button" disabled={busy} onClick={() => act(`/intents/${seg(id)}/execute`, approved, true)}>
                Approve the plan
              </button>
            )
          )}
          {status === 'executing' && may(who, 'intents:write') && (
            <button type="button" disabled={busy} onClick={() => act(`/intents/${seg(id)}/check`, 'Checked against the goal')}>
              Check progress now
            </button>
          )}
          {message && (
            <span class={message.ok ? 'outcome executed' : 'error'} role={message.ok ? 'status' : 'alert'}>
              {message.text}
            </span>
          )}
        </div>
      </section>
      {r.pendingPlan && <Plan chosen={r.pendingPlan} title="Plan waiting for approval" />}
      {r.plan && <Plan chosen={r.plan} title={r.stage?.stage === 'awaiting-approval' ? 'Plan chosen by simulation, waiting for approval' : status === 'planned' ? 'Plan chosen by simulation' : 'Plan'} />}
      {report.data && (
        <section class="panel" aria-labelledby="progress-title">
          <h2 id="progress-title">
            Progress {report.data.status && <span class="muted">({report.data.status})</span>}
          </h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Expectation</th>
                <th scope="col" class="num">Target</th>
                <th scope="col" class="num">Now</th>
                <th scope="col" class="num">Projected</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {report.data.expectations.map((e) => (
                <tr key={e.expectationId}>
                  <th scope="row">{e.targetName}</th>
                  <td class="num">
                    {e.targetCondition} {e.targetValue}
                  </td>
                  <td class="num">
                    {figure(e.current)}
                    {e.currentRange && <span class="muted"> (90 %: {figure(e.currentRange.low)} to {figure(e.currentRange.high)})</span>}
                  </td>
                  <td class="num">
                    {e.notProjected ? <span title={e.notProjected}>too early to project</span> : figure(e.projected)}
                    {e.projectedRange && <span class="muted"> (90 %: {figure(e.projectedRange.low)} to {figure(e.projectedRange.high)})</span>}
                  </td>
                  <td>{e.notShown ? <span title={e.notShown}>{e.notShown.startsWith('not yet readable') ? 'not yet readable' : e.notShown.startsWith('too early to tell') ? `${e.status}: too early to tell` : 'not shown by its interval'}</span> : e.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="measured">
            {report.data.measured ? (
              <>
                Measured {eventTime(report.data.measured.at)} (world time){report.data.measured.basis && <>: {report.data.measured.basis}</>}
              </>
            ) : ['failed', 'cancelled', 'achieved', 'not-achieved'].includes(status) ? (
              'Not measured: it ended before its first check.'
            ) : (
              'Not measured yet: the first check reads the campaign within a minute of its start.'
            )}
          </p>
          {report.data.carriedOut && (
            <p data-testid="carried-out">
              <strong>Carried out:</strong> {report.data.carriedOut}
            </p>
          )}
          <p>
            Spent {money(report.data.spend.spent)}
            {report.data.spend.budget !== undefined && ` of ${money(report.data.spend.budget)}`}
            {/* money writes the operator's currency; a budget in another (or before it is known) says its own. */}
            {report.data.spend.currency && report.data.spend.currency !== currencyCode() ? ` (in ${report.data.spend.currency})` : ''}
          </p>
        </section>
      )}
      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <ul>
          {historyDetails(r.events, r.stage ? [r.stage.summary] : []).map((detail, i) => (
            <li key={i}>
              <span class="muted">{r.events[i].kind}</span> {detail}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

/** Intents: state a goal in words; the list of intents with their status. */
export function Intents() {
  const who = useIdentity();
  const list = useJson<readonly IntentRecord[]>('/intents', 10_000);
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const create = () => {
    setBusy(true);
    setError(undefined);
    postJson<IntentRecord>('/intents', { text: text.trim() }).then(
      (r) => navigate(`/console/intents/${seg(r.intent.id)}`),
      (err: Error) => {
        setError(err.message);
        setBusy(false);
      },
    );
  };
  return (
    <>
      {may(who, 'intents:write') && (
        <form
          class="panel"
          onSubmit={(e) => {
            e.preventDefault();
            create();
          }}
        >
          <label for="goal">
            <strong>Your goal, in words</strong>
          </label>
          <textarea id="goal" rows={2} value={text} placeholder="keep high-value customers at risk this month, budget 50000" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          <div class="toolbar">
            <button type="submit" disabled={busy || !text.trim()}>
              See how it is understood
            </button>
            {error && (
              <span class="error" role="alert">
                {error}
              </span>
            )}
          </div>
        </form>
      )}
      <Alert message={list.error} />
      {list.data && (
        <section class="panel">
          {list.data.length === 0 ? (
            <p class="muted" data-testid="empty-list">No intent yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Intent</th>
                  <th scope="col">Goal</th>
                  <th scope="col">Status</th>
                  <th scope="col">Mode</th>
                  <th scope="col" class="num">Spent</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((r) => (
                  <tr key={r.intent.id}>
                    <th scope="row">
                      <a href={`/console/intents/${seg(r.intent.id)}`}>{r.intent.name}</a>
                    </th>
                    <td>{r.intent.goal}</td>
                    <td title={r.stage?.summary}>{r.stage ? `${r.stage.stage.replace(/-/g, ' ')} since ${r.stage.since.slice(0, 10)}` : r.intent.lifecycleStatus}</td>
                    <td>{r.intent.policyMode}</td>
                    <td class="num">{money(r.spend)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
