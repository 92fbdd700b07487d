import { useMemo, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { TimeChart } from '../chart';
import { count, eventTime, money, percent } from '../format';
import { campaignStateText } from '../campaign-state';
import { useEventClock } from '../event-clock';
import { may, useIdentity } from '../identity';
import { useJson } from '../use-json';
import { splitPercents } from '../split-percents';

interface Hold {
  readonly held: boolean;
  readonly by: { readonly id: string };
  readonly at: string;
  readonly reason: string;
}
interface Brief {
  readonly campaignId: string;
  readonly workflowId: string;
  readonly status: string;
  /** How it ended, in words (stopped by whom and why, or its end); null while it goes. */
  readonly ended?: string | null;
  /** Why its run failed, in words (a start Twinloop's own check refused when it opened); null otherwise. */
  readonly failure?: string | null;
  readonly budget: number;
  readonly spent: number;
  readonly reserved: number;
  readonly endAt: string;
  readonly variants: number;
  readonly presented: number;
  readonly accepted: number;
  readonly hold: Hold | null;
  /** It ended having contacted nobody (its `ended` says why). */
  readonly contactedNobody?: boolean;
  /** When its next tick goes, while it waits for it. */
  readonly nextTickAt?: string | null;
  /** When its contacts go out, in words (its send hour, or the contact policy's hours). */
  readonly sends?: string;
}
interface Variant {
  readonly variantId: string;
  readonly offerId: string;
  readonly channel: string;
  readonly notificationChannel?: string | null;
  readonly presented: number;
  readonly accepted: number;
  readonly declined: number;
  readonly spent: number;
  readonly failed: number;
  readonly lastFailure: string | null;
  readonly treated: number;
  readonly treatedChurned: number;
  readonly tried: number;
  readonly notContacted: Readonly<Record<string, number>>;
  readonly share: number;
  readonly paused: boolean;
  /** Why it has tried nobody yet, while active (null once it tried someone). */
  readonly idle?: string | null;
}
interface Detail extends Omit<Brief, 'variants'> {
  readonly guardrails: { budget: number; remainingBudget: number; endAt: string; controlShare: number; minShare: number; maxShiftPerTick: number; tickMs: number; pauseRules: readonly string[] };
  readonly variants: readonly Variant[];
  readonly control: { customers: number; churned: number; contaminated?: { count: number; by: Readonly<Record<string, number>> } } | null;
  readonly audienceLeft: number;
  readonly awaitingApproval?: number;
  readonly leftOut: Readonly<Record<string, number>>;
  /** Its close once it ended: the approvals still waiting then withdrawn with the reason, those approved before it booked. */
  readonly closed?: { readonly at: string; readonly reason: string; readonly withdrawn: number; readonly booked: number } | null;
  readonly allocation: readonly { tick: number; at: string | null; shares: Readonly<Record<string, number>>; paused: readonly string[]; held: boolean; spent: number }[];
  readonly adjustments: readonly { seq: number; at: string; event: string; variantId: string | null; by: string; reason: string }[];
}

/** Colours of the variants' lines, in order (readable on white). */
const COLOURS = ['#1f5fbf', '#8a4b00', '#1d6b32', '#a8201a', '#6b3fa0', '#00707a'];

/** A variant's contacts that reached nobody, by why ("3 quiet-hours, 1 marketing-consent"), or "none". */
const notContactedText = (m: Readonly<Record<string, number>>) => {
  const parts = Object.entries(m).sort((a, b) => b[1] - a[1]).map(([why, n]) => `${count(n)} ${why}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
};
const rate = (n: number, of: number) => (of > 0 ? percent(n / of) : '–');

/** Pauses, resumes or stops (for good) a running campaign, saying why (kept in the audit trail). */
function HoldForm({ campaign, onDone }: { campaign: Detail; onDone(text: string): void }) {
  const held = campaign.hold?.held === true;
  const verb = held ? 'Resume' : 'Pause';
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = (what: 'pause' | 'resume' | 'stop') => {
    setBusy(true);
    postJson<Brief>(`/campaigns/${seg(campaign.campaignId)}/${what}`, { reason: reason.trim() }).then(
      (b) => {
        setBusy(false);
        setReason('');
        onDone(what === 'stop' ? `${b.campaignId} is stopped: ${reason.trim()}` : `${b.campaignId} is ${b.hold?.held ? 'paused by a person' : 'running'}: ${b.hold?.reason ?? ''}`);
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  const submit = (e: Event) => {
    e.preventDefault();
    act(held ? 'resume' : 'pause');
  };
  return (
    <form class="toolbar" onSubmit={submit}>
      <label for="hold-reason">Why {held ? 'resume' : 'pause'} it (or stop it)</label>
      <input id="hold-reason" value={reason} size={50} required placeholder="kept in the audit trail" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !reason.trim()}>
        {verb} the campaign
      </button>
      <button type="button" data-testid="stop-campaign" disabled={busy || !reason.trim()} onClick={() => act('stop')}>
        Stop it for good
      </button>
      <Alert message={error} />
    </form>
  );
}

/** The latest tick's split, each variant with its share in whole percents that add up to 100. */
function latestSplit(campaign: Detail): string[] {
  const shares = campaign.allocation.at(-1)!.shares;
  const text = splitPercents(campaign.variants.map((v) => shares[v.variantId] ?? 0));
  return campaign.variants.map((v, i) => `${v.variantId} ${text[i]}`);
}

/** The allocation over time: each variant's share of the budget per tick. */
function Allocation({ campaign }: { campaign: Detail }) {
  const points = campaign.allocation.filter((p) => p.at !== null);
  const times = useMemo(() => points.map((p) => Date.parse(p.at!)), [campaign]);
  const series = useMemo(() => campaign.variants.map((v, i) => ({ label: v.variantId, values: points.map((p) => Math.round((p.shares[v.variantId] ?? 0) * 1000) / 10), color: COLOURS[i % COLOURS.length] })), [campaign]);
  return (
    <>
      <TimeChart title={`Share of the budget per variant (%), ${count(campaign.allocation.length)} ticks`} times={times} series={series} />
      {campaign.allocation.length > 0 && (
        <p class="muted" data-testid="allocation-latest">
          Latest tick {campaign.allocation.at(-1)!.tick}: {latestSplit(campaign).join(', ')}
          {campaign.allocation.at(-1)!.held ? ' (held: nobody contacted)' : ''}
        </p>
      )}
    </>
  );
}

/** One campaign: live metrics per variant, the allocation over time, the guardrails, pause and resume. */
export function CampaignPage({ id }: { id: string }) {
  const now = useEventClock();
  const who = useIdentity();
  const c = useJson<Detail>(`/campaigns/${seg(id)}`, 5_000);
  const [message, setMessage] = useState<string>();
  const d = c.data;
  if (c.error && !d) return <Alert message={c.error} />;
  if (!d) return <p class="muted">reading…</p>;
  const ended = d.status === 'succeeded' || d.status === 'failed';
  // The variants' shares now, in whole percents that add up to 100.
  const shareNow = splitPercents(d.variants.map((v) => v.share));
  return (
    <>
      <p>
        <a href="/console/campaigns">All campaigns</a>
      </p>
      <section class="panel" aria-labelledby="campaign-title">
        <h2 id="campaign-title">
          {d.campaignId} <span class="muted">({campaignStateText(d, now)})</span>
        </h2>
        <dl class="facts" data-testid="campaign-facts">
          {d.failure && (
            <>
              <dt>Why it failed</dt>
              <dd data-testid="campaign-failure">{d.failure}</dd>
            </>
          )}
          <dt>Spent</dt>
          <dd>
            {money(d.spent)} of {money(d.budget)}
            {d.reserved > 0 ? `, ${money(d.reserved)} reserved for offers waiting for an answer` : ''}
          </dd>
          <dt>Presented, accepted</dt>
          <dd>
            {count(d.presented)}, {count(d.accepted)} ({rate(d.accepted, d.presented)})
          </dd>
          <dt>Ends</dt>
          <dd>{eventTime(d.endAt)}</dd>
          {d.sends && (
            <>
              <dt>Contacts go out</dt>
              <dd data-testid="campaign-sends">
                {!ended && d.nextTickAt ? `next tick ${eventTime(d.nextTickAt)}; ` : ''}
                {d.sends}
              </dd>
            </>
          )}
          {d.hold && (
            <>
              <dt>{d.hold.held ? 'Paused' : 'Resumed'}</dt>
              <dd data-testid="campaign-hold">
                {eventTime(d.hold.at)} by {d.hold.by.id}: {d.hold.reason}
              </dd>
            </>
          )}
        </dl>
        {message && (
          <p class="outcome executed" role="status">
            {message}
          </p>
        )}
        {!ended && may(who, 'campaigns:manage') && (
          <HoldForm
            key={String(d.hold?.held)}
            campaign={d}
            onDone={(text) => {
              setMessage(text);
              c.reload();
            }}
          />
        )}
      </section>
      <section class="panel" aria-labelledby="variants-title">
        <h2 id="variants-title">Variants, live</h2>
        <table data-testid="variants">
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col">Offer, channel</th>
              <th scope="col" class="num">Share now</th>
              <th scope="col" class="num">Tried</th>
              <th scope="col" class="num">Presented</th>
              <th scope="col">Not contacted, why</th>
              <th scope="col" class="num">Accepted</th>
              <th scope="col" class="num">Declined</th>
              <th scope="col" class="num">Acceptance</th>
              <th scope="col" class="num">Failed</th>
              <th scope="col" class="num">Spent</th>
              <th scope="col" class="num">Treated churned</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {d.variants.map((v, i) => (
              <tr key={v.variantId}>
                <th scope="row">{v.variantId}</th>
                <td>
                  {v.offerId}, {v.notificationChannel ? `${v.notificationChannel} (lands on ${v.channel})` : v.channel}
                </td>
                <td class="num">{shareNow[i]}</td>
                <td class="num">{count(v.tried)}</td>
                <td class="num">{count(v.presented)}</td>
                <td>{notContactedText(v.notContacted)}</td>
                <td class="num">{count(v.accepted)}</td>
                <td class="num">{count(v.declined)}</td>
                <td class="num">{rate(v.accepted, v.presented)}</td>
                <td class="num">{count(v.failed)}</td>
                <td class="num">{money(v.spent)}</td>
                <td class="num">
                  {count(v.treatedChurned)} of {count(v.treated)}
                </td>
                <td>{v.paused ? 'paused by the guardrails' : v.idle ? <span data-testid="idle">active; {v.idle}</span> : 'active'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted">
          Control group: {d.control ? `${count(d.control.customers)} customers, ${count(d.control.churned)} churned (${rate(d.control.churned, d.control.customers)})` : 'none'}
          {d.control?.contaminated ? ` (without ${count(d.control.contaminated.count)} contacted anyway while held out: ${Object.entries(d.control.contaminated.by).map(([what, n]) => `${what} ×${n}`).join('; ')})` : ''}; {count(d.audienceLeft)} of the audience not contacted yet{d.awaitingApproval ? `, ${count(d.awaitingApproval)} waiting for a person's approval` : ''}
          {Object.keys(d.leftOut).length > 0 && `; left out by contact rules: ${Object.entries(d.leftOut).map(([rule, n]) => `${n} ${rule}`).join(', ')}`}.
        </p>
        {d.closed && (
          <p data-testid="closed">
            Closed {eventTime(d.closed.at)}: {d.closed.reason}.{' '}
            {d.closed.withdrawn > 0 ? `${count(d.closed.withdrawn)} approval${d.closed.withdrawn === 1 ? '' : 's'} still waiting then withdrawn: nobody can approve ${d.closed.withdrawn === 1 ? 'it' : 'them'} any more` : 'No approval was waiting'}
            {d.closed.booked > 0 ? `; ${count(d.closed.booked)} contact${d.closed.booked === 1 ? '' : 's'} approved before the end booked to it` : ''}.
          </p>
        )}
      </section>
      <section class="panel" aria-labelledby="allocation-title">
        <h2 id="allocation-title">Allocation over time</h2>
        <Allocation campaign={d} />
      </section>
      <section class="panel" aria-labelledby="guardrails-title">
        <h2 id="guardrails-title">Guardrails</h2>
        <dl class="facts" data-testid="guardrails">
          <dt>Budget</dt>
          <dd>
            {money(d.guardrails.budget)} ({money(d.guardrails.remainingBudget)} left); the campaign ends when it is spent or at {eventTime(d.guardrails.endAt)}
          </dd>
          <dt>Control group</dt>
          <dd>{percent(d.guardrails.controlShare)} of the audience held out</dd>
          <dt>Smallest share</dt>
          <dd>{percent(d.guardrails.minShare)} per active variant</dd>
          <dt>Largest move</dt>
          <dd>{percent(d.guardrails.maxShiftPerTick)} of the split per tick</dd>
          <dt>A variant is paused when</dt>
          <dd>
            <ul>
              {d.guardrails.pauseRules.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </dd>
        </dl>
        <h3>Adjustments</h3>
        {d.adjustments.length === 0 ? (
          <p class="muted">none yet</p>
        ) : (
          <ul data-testid="adjustments">
            {d.adjustments.map((a) => (
              <li key={a.seq}>
                {eventTime(a.at)} · {a.event.replace('campaign.', '')} by {a.by}: {a.reason}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

/** Campaigns: every managed campaign with its spend, answers and state; each opens its page. */
export function Campaigns() {
  const now = useEventClock();
  const list = useJson<readonly Brief[]>('/campaigns', 10_000);
  return (
    <>
      <Alert message={list.error} />
      {list.data && list.data.length === 0 && <p class="muted" data-testid="empty-list">No campaign has been started: an intent's plan starts one, or POST /workflows/campaign-management/start.</p>}
      {list.data && list.data.length > 0 && (
        <section class="panel">
          <table data-testid="campaigns">
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col">State</th>
                <th scope="col" class="num">Variants</th>
                <th scope="col" class="num">Presented</th>
                <th scope="col" class="num">Accepted</th>
                <th scope="col" class="num">Spent</th>
                <th scope="col" class="num">Budget</th>
                <th scope="col">Ends</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr key={c.workflowId}>
                  <th scope="row">
                    <a href={`/console/campaigns/${seg(c.campaignId)}`}>{c.campaignId}</a>
                  </th>
                  <td>
                    {campaignStateText(c, now)}
                    {c.failure && <div class="muted">{c.failure}</div>}
                  </td>
                  <td class="num">{count(c.variants)}</td>
                  <td class="num">{count(c.presented)}</td>
                  <td class="num">{count(c.accepted)}</td>
                  <td class="num">{money(c.spent)}</td>
                  <td class="num">{money(c.budget)}</td>
                  <td>{eventTime(c.endAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
