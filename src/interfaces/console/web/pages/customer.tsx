import { useEffect, useMemo, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { getJson, seg } from '../api';
import { TimeChart } from '../chart';
import { CustomerWhatIf } from '../customer-what-if';
import { churnedSummary } from '../churned-customer';
import { useEventClock } from '../event-clock';
import { may, useIdentity } from '../identity';
import { count, DAY_MS, eventDate, eventTime, money, percent, riskBand } from '../format';
import { navigate, useLocation } from '../router';
import { classLines, evidenceLine, kindRows, type ResponseProfile } from '../response-profile';
import { productSince } from '../product-since';
import type { PeriodUsage } from '../period-usage';
import { PeriodUsageFacts } from '../period-usage-view';
import { ACTION_KINDS, presentedByRequest, timelineEntry, type TimelineItem } from '../timeline';
import { historyNote, rereadInMs, type TimelineHistory } from '../timeline-history';
import type { TwinScores } from '../types';
import { useJson } from '../use-json';

interface Twin {
  readonly customerId: string;
  readonly asOf: string;
  readonly profile: Readonly<Record<string, unknown>> | null;
  readonly products: readonly { subscriptionId: string; productId: string; kind: string; status: string; monthlyPrice: number; activatedAt: string }[];
  readonly features: Readonly<Record<string, number>>;
  readonly periodUsage?: PeriodUsage;
  readonly eventCount: number;
  readonly firstEventAt: string | null;
  readonly lastEventAt: string | null;
  readonly scores?: TwinScores | null;
  readonly responseProfile?: ResponseProfile;
}

/** Timeline pages read for the charts and the list: a year of a customer's events is a few hundred. */
const MAX_TIMELINE_PAGES = 5;

/**
 * The customer's timeline, every page of it; with `history` while the first start's history is still
 * written behind (the pages then hold the live events only): read again when the server says.
 */
function useTimeline(id: string, until: string | null) {
  const [items, setItems] = useState<TimelineItem[] | null>(null);
  const [history, setHistory] = useState<TimelineHistory>();
  const [error, setError] = useState<string>();
  const [reread, setReread] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (reread === 0) setItems(null);
    (async () => {
      const all: TimelineItem[] = [];
      let after = 0;
      let lacking: TimelineHistory | undefined;
      for (let page = 0; page < MAX_TIMELINE_PAGES; page++) {
        const res = await getJson<{ items: TimelineItem[]; next: number | null; historyComplete?: boolean; history?: TimelineHistory }>(`/twins/${seg(id)}/timeline?limit=1000&after=${after}${until ? `&until=${encodeURIComponent(until)}` : ''}`);
        if (page === 0 && res.historyComplete === false) lacking = res.history;
        all.push(...res.items);
        if (res.next === null) break;
        after = res.next;
      }
      if (!live) return;
      setItems(all);
      setHistory(lacking);
      if (lacking) timer = setTimeout(() => setReread((n) => n + 1), rereadInMs(lacking));
    })().catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, until, reread]);
  return { items, history, error };
}

/** Daily data and voice use and the bills, over the last 180 days of the timeline. */
function usageSeries(items: readonly TimelineItem[], end: number) {
  const from = end - 180 * DAY_MS;
  const days = new Map<number, { data: number; voice: number }>();
  const bills: { t: number; amount: number }[] = [];
  for (const i of items) {
    const t = Date.parse(i.time);
    if (t < from) continue;
    if (i.kind === 'usage') {
      const day = Math.floor(t / DAY_MS) * DAY_MS;
      const d = days.get(day) ?? { data: 0, voice: 0 };
      d.data += Number(i.event.data.dataMb ?? 0);
      d.voice += Number(i.event.data.voiceMin ?? 0);
      days.set(day, d);
    } else if (i.kind === 'bill') bills.push({ t, amount: Number(i.event.data.amount ?? 0) });
  }
  const dayTimes = [...days.keys()].sort((a, b) => a - b);
  return {
    span: [from, end] as const,
    dayTimes,
    data: dayTimes.map((d) => Math.round(days.get(d)!.data)),
    voice: dayTimes.map((d) => Math.round(days.get(d)!.voice)),
    billTimes: bills.map((b) => b.t),
    bills: bills.map((b) => b.amount),
  };
}

function Scores({ scores }: { scores: TwinScores | null | undefined }) {
  if (!scores) return <p class="muted">No live scores: none is served for a past time, or no churn model serves yet.</p>;
  const churn = scores.churn;
  const clv = scores.clv;
  const others = Object.entries(scores).filter(([k, v]) => k !== 'churn' && k !== 'clv' && k !== 'model' && v && typeof v === 'object' && 'reason' in (v as object));
  return (
    <>
      {churn && (
        <p class={`risk ${riskBand(churn.probability)}`} data-testid="churn-score">
          Churn risk {percent(churn.probability)}
          {churn.interval && (
            <span class="muted">
              {' '}
              (90 % interval {percent(churn.interval[0])} to {percent(churn.interval[1])})
            </span>
          )}
          {churn.horizonDays ? ` within ${churn.horizonDays} days` : ''}
        </p>
      )}
      {churn?.reasons && churn.reasons.length > 0 && (
        <ul class="reasons" aria-label="Why: the largest contributions to the churn score">
          {churn.reasons.map((r, i) => (
            <li key={i}>{r.text ?? r.feature}</li>
          ))}
        </ul>
      )}
      {clv && (
        <p>
          Expected lifetime value <strong>{money(clv.value)}</strong>{' '}
          <span class="muted">
            (from {money(clv.low)} to {money(clv.high)})
          </span>
        </p>
      )}
      <ul>
        {others.map(([k, v]) => (
          <li key={k}>
            <strong>{k.replace(/([A-Z])/g, ' $1').toLowerCase()}</strong>: {String((v as { reason: unknown }).reason)}
          </li>
        ))}
      </ul>
    </>
  );
}

/** How the customer responds to contact: the posterior over the response classes and each offer kind's acceptance, with their ranges. */
function HowTheyRespond({ profile }: { profile: ResponseProfile | undefined }) {
  if (!profile) return <p class="muted">No response profile in this answer.</p>;
  return (
    <>
      <p class="muted">{evidenceLine(profile)}</p>
      <ul aria-label="Response classes, likeliest first" data-testid="response-classes">
        {classLines(profile).map((c) => (
          <li key={c.name}>
            <strong>{c.name}</strong> {c.probability}: <span class="muted">{c.meaning}</span>
          </li>
        ))}
      </ul>
      <table>
        <caption class="muted">Each offer kind: how likely they take it, and how likely they leave it unanswered if they do not take it (mean, and its range over the classes they may be)</caption>
        <thead>
          <tr>
            <th scope="col">Offer kind</th>
            <th scope="col">Accepts</th>
            <th scope="col">Leaves unanswered</th>
          </tr>
        </thead>
        <tbody>
          {kindRows(profile).map((r) => (
            <tr key={r.kind}>
              <td>{r.kind}</td>
              <td>{r.accepts}</td>
              <td>{r.ignores}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * Customer 360: profile, products, live scores with reasons and intervals, how the customer
 * responds to contact (the response profile, with its uncertainty), usage and bills as
 * charts, and the timeline of events and of every action taken on the customer with what came
 * of it; `?at=` shows the twin and its history as they were then (time travel); and, now, a
 * what-if of each offer for this customer (customer-what-if.tsx).
 */
/** First on a churned customer's page: that they left, when, and what was done for them before. */
function Churned({ leftAt, since, items }: { leftAt: string; since: string | undefined; items: readonly TimelineItem[] | null | undefined }) {
  const s = items ? churnedSummary(leftAt, items) : null;
  return (
    <section class="panel churned" data-testid="churned" aria-labelledby="churned-title">
      <h2 id="churned-title">This customer has left</h2>
      <p>
        Their last plan ended {eventTime(leftAt)}
        {since ? `, a customer since ${eventDate(since)}` : ''}. Nothing can be offered or sent to them now: the what-if and this period's usage are not shown.
      </p>
      {!s ? (
        <p class="muted">reading what was done before they left…</p>
      ) : s.actions === 0 ? (
        <p data-testid="churned-actions">Nothing was offered or done for them in the history here before they left.</p>
      ) : (
        <>
          <p data-testid="churned-actions">
            Before they left: {count(s.actions)} {s.actions === 1 ? 'action or answer' : 'actions and answers'} on their timeline (marked below); the last:
          </p>
          <ul>
            {s.lastActions.map((a) => (
              <li key={`${a.time} ${a.text}`}>
                {eventTime(a.time)}: {a.text}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function Customer({ id }: { id: string }) {
  const { query } = useLocation();
  const at = query.get('at');
  const clock = useEventClock();
  const twin = useJson<Twin>(`/twins/${seg(id)}${at ? `?at=${encodeURIComponent(at)}` : ''}`);
  const timeline = useTimeline(id, at);
  const [showUsage, setShowUsage] = useState(false);
  const [asOfDraft, setAsOfDraft] = useState(at ? at.slice(0, 16) : '');
  const t = twin.data;
  // A customer who left has no usage since: their charts end at their last event, not at the
  // clock (else a customer gone for half a year showed three empty charts and no bill).
  const leftAt = t?.features.churned === 1 && t.lastEventAt ? t.lastEventAt : null;
  const end = Math.min(Date.parse(at ?? clock ?? new Date().toISOString()), leftAt ? Date.parse(leftAt) : Infinity);
  const series = useMemo(() => (timeline.items ? usageSeries(timeline.items, end) : null), [timeline.items, end]);
  const shown = useMemo(() => (timeline.items ?? []).filter((i) => showUsage || i.kind !== 'usage').slice().reverse(), [timeline.items, showUsage]);
  const presented = useMemo(() => presentedByRequest(timeline.items ?? []), [timeline.items]);
  const profile = t?.profile ?? {};
  const who = useIdentity();

  return (
    <>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/console/customers/${seg(id)}${asOfDraft ? `?at=${encodeURIComponent(new Date(asOfDraft + 'Z').toISOString())}` : ''}`);
        }}
      >
        <label>
          As of (UTC) <input type="datetime-local" name="at" value={asOfDraft} onInput={(e) => setAsOfDraft((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Show then</button>
        {at && <a href={`/console/customers/${seg(id)}`}>Back to now</a>}
        <span class="muted">{at ? `as it was at ${eventTime(at)}` : 'now, on the event clock'}</span>
      </form>
      <Alert message={twin.error} />
      {t && leftAt && <Churned leftAt={leftAt} since={profile.since as string | undefined} items={timeline.items} />}
      {t && (
        <div class="grid">
          <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">Profile</h2>
            <dl class="facts">
              <dt>Segment</dt>
              <dd>
                {String(profile.segment ?? '–')}, {String(profile.billing ?? '–')}
              </dd>
              <dt>Contract</dt>
              <dd>{profile.contractMonths ? `${String(profile.contractMonths)} months` : 'none'}</dd>
              <dt>Pays by</dt>
              <dd>{String(profile.paymentMethod ?? '–').replace(/_/g, ' ')}</dd>
              <dt>Customer since</dt>
              <dd>{eventDate(profile.since as string | undefined)}</dd>
              <dt>Marketing consent</dt>
              <dd>{profile.marketingConsent === true ? 'yes' : profile.marketingConsent === false ? 'no' : 'not given'}</dd>
              <dt>Events</dt>
              <dd>
                {count(t.eventCount)} ({eventDate(t.firstEventAt)} to {eventDate(t.lastEventAt)})
              </dd>
            </dl>
          </section>
          <section class="panel" aria-labelledby="scores-title">
            <h2 id="scores-title">Scores</h2>
            <Scores scores={t.scores} />
          </section>
          {/* A customer who left has no billing period running. */}
          {t.periodUsage && !leftAt && (
            <section class="panel" aria-labelledby="period-title">
              <h2 id="period-title">This billing period{at ? `, as of ${eventTime(at)}` : ' so far'}</h2>
              <PeriodUsageFacts usage={t.periodUsage} />
            </section>
          )}
          <section class="panel wide" aria-labelledby="responds-title">
            <h2 id="responds-title">How they respond to offers</h2>
            <HowTheyRespond profile={t.responseProfile} />
          </section>
          <section class="panel wide" aria-labelledby="products-title">
            <h2 id="products-title">Products</h2>
            {t.products.length === 0 ? (
              <p class="muted">none</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Product</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">Monthly price</th>
                    <th scope="col">Since</th>
                  </tr>
                </thead>
                <tbody>
                  {t.products.map((p) => (
                    <tr key={p.subscriptionId}>
                      <td>{p.productId}</td>
                      <td>{p.kind}</td>
                      <td>{p.status}</td>
                      <td class="num">{money(p.monthlyPrice)}</td>
                      <td>{productSince(p.activatedAt, { firstEventAt: t.firstEventAt, customerSince: profile.since as string | undefined })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          {/* A what-if is about making an offer now: not shown for a past time. */}
          {/* Nor for a customer who left: no offer can apply to someone no longer there. */}
          {!at && !leftAt && may(who, 'decisions:make') && <CustomerWhatIf id={id} />}
          <section class="panel wide" aria-labelledby="usage-title">
            <h2 id="usage-title">{leftAt ? `Usage and bills, the 180 days before the customer left (last event ${eventTime(leftAt)})` : 'Usage and bills, last 180 days'}</h2>
            {timeline.history && <p class="muted">{timeline.history.stage === 'intake' ? "Nothing to chart until the first start's history is in the log" : "From the live events only until the first start's history is written"}: see the note over the timeline.</p>}
            {!series ? (
              <p class="muted">{timeline.error ?? 'reading the history…'}</p>
            ) : (
              <>
                <TimeChart title={`Data per day (MB); 30 days: ${count(t.features.data_mb_30d)} MB`} span={series.span} times={series.dayTimes} series={[{ label: 'data MB', values: series.data, color: '#1f5fbf' }]} />
                <TimeChart title={`Voice per day (minutes); 30 days: ${count(t.features.voice_min_30d)} min`} span={series.span} times={series.dayTimes} series={[{ label: 'voice min', values: series.voice, color: '#8a4b00' }]} />
                <TimeChart title={`Bills; last ${money(t.features.bill_last)}, 3-month average ${money(t.features.bill_avg_3m)}`} span={series.span} times={series.billTimes} series={[{ label: 'bill', values: series.bills, color: '#1d6b32', bars: true }]} />
              </>
            )}
          </section>
          <section class="panel wide" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <p class="toolbar">
              <label>
                <input type="checkbox" checked={showUsage} onChange={(e) => setShowUsage((e.target as HTMLInputElement).checked)} /> show usage records
              </label>
              <span class="muted">newest first; actions taken on the customer and what came of them are marked</span>
            </p>
            <Alert message={timeline.error} />
            {timeline.history && (
              <p class="outcome advised" role="status" data-testid="history-incomplete" title={timeline.history.note}>
                {historyNote(timeline.history)}
              </p>
            )}
            {timeline.items && (
              <ol class="timeline" data-testid="timeline" tabIndex={0} aria-label="Timeline, newest first">
                {shown.slice(0, 300).map((i) => {
                  const line = timelineEntry(i.kind, i.event.data, i.kind === 'offer' && typeof i.event.data.requestId === 'string' ? presented.get(i.event.data.requestId) : undefined);
                  return (
                    <li key={i.seq} class={ACTION_KINDS.has(i.kind) ? 'act' : undefined}>
                      <time dateTime={i.time}>{eventTime(i.time)}</time> <span class="kind">{line.label}</span> {line.text}
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        </div>
      )}
    </>
  );
}
