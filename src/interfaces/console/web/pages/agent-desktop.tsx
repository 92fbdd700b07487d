import { useEffect, useRef, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { getJson, postJson, seg } from '../api';
import { eventTime, money, percent, riskBand } from '../format';
import { useIdentity } from '../identity';
import { useLocation } from '../router';
import { acceptAnswer } from '../accept-answer';
import { earlierLines } from '../earlier-decisions';
import { enqueue, interactionOver, sameInteraction, type ChannelState } from '../assist-queue';
import { PeriodUsageFacts } from '../period-usage-view';
import { reasonsInWords } from '../offer-reasons';
import { DO_NOTHING, type AcceptResult, type AssistAction, type AssistCard } from '../types';

const CHANNELS = ['call', 'chat', 'store'] as const;
/**
 * Interactions waiting in the queue, newest first: on a busy channel a card arrives every second
 * or so, and a person takes one at a time; older ones fall off the end.
 */
const MAX_WAITING = 12;
/** Cards a person keeps open at once (the one they are on, and one or two they came back to). */
const MAX_TAKEN = 3;
/** How often an open card asks whether its customer is still on the line: as often as the header's clock is read. */
const ON_LINE_CHECK_MS = 5_000;

/** What the server answers a decline: where it was kept. */
interface Declined {
  readonly status: 'declined';
  readonly reason: string;
  readonly auditSeq: number;
}

/** Declining asks why: the reason goes on the customer's timeline and into the audit trail. */
function DeclineForm({ action, onDone, onCancel }: { action: AssistAction; onDone(d: Declined): void; onCancel(): void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = `decline-${action.decisionId}-${action.actionId}`;
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    postJson<Declined>(`/decisions/${seg(action.decisionId!)}/decline`, { actionId: action.actionId, reason: reason.trim() }).then(onDone, (err: Error) => {
      setBusy(false);
      setError(err.message);
    });
  };
  return (
    <form class="toolbar" onSubmit={submit}>
      <label for={id}>Why do you decline it?</label>
      <input id={id} value={reason} size={36} maxLength={200} required placeholder="e.g. customer already has it (kept on the timeline)" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !reason.trim()}>
        {busy ? 'Declining…' : 'Decline it'}
      </button>
      <button type="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      <Alert message={error} />
    </form>
  );
}

/**
 * One recommended action. `over`: why the customer is no longer on the line (null while they are):
 * then there is no Accept, which records the customer's yes; the action may be presented for the
 * customer to answer (the same route: the server books no yes without the contact in progress).
 */
function ActionRow({ action, over }: { action: AssistAction; over: string | null | undefined }) {
  const [state, setState] = useState<{ busy: boolean; result?: AcceptResult; error?: string }>({ busy: false });
  const [declining, setDeclining] = useState(false);
  const [declined, setDeclined] = useState<Declined>();
  const accept = () => {
    if (!action.decisionId) return;
    setState({ busy: true });
    postJson<AcceptResult>(`/decisions/${seg(action.decisionId)}/accept`, { actionId: action.actionId }).then(
      (result) => setState({ busy: false, result }),
      (err: Error) => setState({ busy: false, error: err.message }),
    );
  };
  // "Do nothing" is the absence of an action: nothing to accept.
  const acceptable = action.decisionId !== undefined && action.actionId !== DO_NOTHING;
  return (
    <li class="action">
      <div class="action-head">
        <strong>{action.name ?? action.actionId}</strong>
        <span class="muted">expected value {money(action.expectedValue)}</span>
        {acceptable && !state.result && !declined && (
          <>
            {over == null ? (
              <button type="button" onClick={accept} disabled={state.busy || declining || over === undefined}>
                {state.busy ? 'Accepting…' : 'Accept'}
              </button>
            ) : (
              <button type="button" onClick={accept} disabled={state.busy || declining} title={`${over}: the customer answers it themselves; their yes is recorded only while they are on the line`}>
                {state.busy ? 'Presenting…' : 'Present to the customer'}
              </button>
            )}
            <button type="button" onClick={() => setDeclining(true)} disabled={state.busy || declining}>
              Decline
            </button>
          </>
        )}
      </div>
      {declining && !declined && (
        <DeclineForm
          action={action}
          onCancel={() => setDeclining(false)}
          onDone={(d) => {
            setDeclined(d);
            setDeclining(false);
          }}
        />
      )}
      {declined && (
        <p class="outcome advised" role="status">
          Declined: {declined.reason} (on the customer's timeline; audit entry {declined.auditSeq})
        </p>
      )}
      {action.reasons.length > 0 && (
        <>
          <ul class="reasons" data-testid="reasons-in-words">
            {reasonsInWords(action.reasons, money).map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          {/* The figures next-best-action ranked on, as the API gives them: one click away. */}
          <details class="figures">
            <summary>the figures</summary>
            <ul class="reasons">
              {action.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </details>
        </>
      )}
      {state.result && (
        <p class={`outcome ${state.result.status}`} role="status" data-testid="accept-answer">
          {acceptAnswer(state.result, action.name ?? action.actionId)}
        </p>
      )}
      <Alert message={state.error} />
    </li>
  );
}

function churnText(card: AssistCard): string {
  const churn = card.summary?.scores?.churn;
  const p = churn?.probability ?? null;
  return p === null ? (churn?.note ?? 'no churn score yet') : `churn risk ${percent(p)}${churn?.horizonDays ? ` within ${churn.horizonDays} days` : ''}`;
}

/**
 * Why the card's customer is no longer on the line (null while they are; undefined until known):
 * the card's interaction, asked of `GET /customers/:id/context` every ON_LINE_CHECK_MS while it goes on.
 */
function useInteractionOver(card: AssistCard): string | null | undefined {
  // Undefined until the first answer: Accept waits for it rather than offering a yes on a call that may be over.
  const [over, setOver] = useState<string | null | undefined>(() => (card.inProgress === false ? interactionOver(card, {}) : undefined));
  useEffect(() => {
    if (card.inProgress === false) return;
    let live = true;
    const check = () =>
      getJson<{ channels: Readonly<Record<string, ChannelState | undefined>> }>(`/customers/${seg(card.customerId)}/context`).then(
        (context) => {
          if (!live) return;
          const why = interactionOver(card, context.channels);
          setOver(why);
          if (why !== null) clearInterval(timer);
        },
        // Not known now: the next check asks again (the server answers the truth at Accept anyway).
        () => undefined,
      );
    const timer = setInterval(check, ON_LINE_CHECK_MS);
    void check();
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [card.cardId]);
  return over;
}

function Card({ card, onClose }: { card: AssistCard; onClose: () => void }) {
  const churn = card.summary?.scores?.churn;
  const p = churn?.probability ?? null;
  const over = useInteractionOver(card);
  return (
    <article class="panel card" data-testid="assist-card" aria-label={`${card.customerId} on ${card.channel}`}>
      <div class="action-head">
        <h2>
          <a href={`/console/customers/${seg(card.customerId)}`}>{card.customerId}</a> · {card.channel} · {card.inProgress === false ? `no ${card.channel} in progress` : card.reason}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p class="muted">{card.inProgress === false ? `opened by id ${eventTime(card.at)}` : `started ${eventTime(card.at)}`}</p>
      {over != null && (
        <p class="outcome advised" role="status" data-testid="not-on-line">
          {card.inProgress === false ? `No ${card.channel} in progress` : `${over[0]!.toUpperCase()}${over.slice(1)}`}: the customer is not on the line, so nothing here is booked as their yes; an action you present is theirs to answer.
        </p>
      )}
      {card.earlier && (card.earlier.decisions.length > 0 || card.earlier.notActedOn > 0) && (
        <>
          <h3>Earlier decisions</h3>
          <ul data-testid="earlier-decisions">
            {earlierLines(card.earlier).map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </>
      )}
      <p class={`risk ${riskBand(p)}`}>{churnText(card)}</p>
      {churn?.reasons && churn.reasons.length > 0 && (
        <ul class="reasons">
          {churn.reasons.map((r, i) => (
            <li key={i}>{r.text ?? r.feature}</li>
          ))}
        </ul>
      )}
      {card.summary?.periodUsage && (
        <>
          <h3>This billing period so far</h3>
          <PeriodUsageFacts usage={card.summary.periodUsage} />
        </>
      )}
      <h3>Next best actions</h3>
      {card.actions.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="actions">
          {card.actions.map((a) => (
            <ActionRow key={a.actionId} action={a} over={over} />
          ))}
        </ul>
      )}
      <h3>Other channels</h3>
      {card.otherChannels.length === 0 ? (
        <p class="muted">nothing in the last hours</p>
      ) : (
        <ul>
          {card.otherChannels.map((o, i) => (
            <li key={i}>
              {o.channel} · {o.intent} ({o.phase}, {eventTime(o.at)}) {Object.keys(o.context).length > 0 && <code>{JSON.stringify(o.context)}</code>}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

/** Opens a customer's card by id (the customer on the phone): `GET /assist/cards/:customerId`. */
function FindCustomer({ channel, initial, onCard }: { channel: string; initial: string; onCard(card: AssistCard): void }) {
  const [id, setId] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const open = (customerId: string) => {
    setBusy(true);
    setError(undefined);
    getJson<AssistCard>(`/assist/cards/${seg(customerId)}?channel=${seg(channel)}`).then(
      (card) => {
        setBusy(false);
        onCard(card);
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  // The link the scenario prints (`?customer=…`) opens that customer's card as the page loads.
  useEffect(() => {
    setId(initial);
    if (initial) open(initial);
  }, [initial, channel]);
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) open(id.trim());
      }}
    >
      <label for="find-customer">Customer on the line</label>
      <input id="find-customer" value={id} size={14} maxLength={128} placeholder="e.g. C000123" onInput={(e) => setId((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !id.trim()}>
        {busy ? 'Opening…' : 'Open card'}
      </button>
      <Alert message={error} />
    </form>
  );
}

/**
 * The agent desktop: the interactions on the desktop's channel wait in a queue, live through
 * `/assist/stream` (a desktop joining mid-call first gets the cards of the calls open now); the
 * person takes the one they are on, whose full card opens (at most three open; closing one puts
 * nothing back in the queue).
 * Accepting an action posts it to `/decisions/:id/accept`, where the signed-in person is the
 * actor; the action policy's answer is shown under it. Declining one asks why and posts the reason
 * to `/decisions/:id/decline` (kept on the customer's timeline and in the audit trail).
 */
export function AgentDesktop() {
  const { query } = useLocation();
  const wanted = query.get('customer')?.trim() ?? '';
  const askedChannel = CHANNELS.find((c) => c === query.get('channel'));
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>(askedChannel ?? 'call');
  // The stream names the desktop's person (the server acts as the credential's holder whatever it is told).
  const agentId = useIdentity().name;
  const [waiting, setWaiting] = useState<AssistCard[]>([]);
  // The queue as the stream's handler last left it (the handler counts what it pushes out).
  const queue = useRef<AssistCard[]>([]);
  const open = useRef<AssistCard[]>([]);
  const [taken, setTaken] = useState<AssistCard[]>([]);
  open.current = taken;
  const [status, setStatus] = useState('connecting…');
  const [connection, setConnection] = useState(0);
  useEffect(() => {
    const source = new EventSource(`/assist/stream?channel=${seg(channel)}&agentId=${seg(agentId)}`);
    setStatus('connecting…');
    queue.current = [];
    setWaiting([]);
    // Calls that went by unseen: cards the server skipped because they came faster than this
    // desktop took them in, and cards pushed out of the queue by newer ones. On the sandbox's world
    // (3,600× real time) tens of calls start every second: that is the world's pace, not the network.
    const unseen = { skipped: 0, pushedOut: 0 };
    const listening = () => {
      const n = unseen.skipped + unseen.pushedOut;
      setStatus(n === 0 ? `listening on ${channel}` : `listening on ${channel} · ${n} ${channel === 'call' ? 'calls' : 'interactions'} went by unseen: they start faster than one desktop can show (the world's pace); the queue keeps the newest ${MAX_WAITING}`);
    };
    source.addEventListener('ready', listening);
    source.addEventListener('card', (e) => {
      const card = JSON.parse((e as MessageEvent<string>).data) as AssistCard;
      // A call the agent already has open (taken, or opened by id) does not wait in the queue too.
      if (open.current.some((t) => sameInteraction(t, card))) return;
      // The same interaction may come twice (open when joining, then live): keep the newer card.
      const before = queue.current;
      const after = enqueue(before, card, MAX_WAITING, (c) => c.customerId === wanted || !!c.staged);
      const pushedOut = before.length + 1 - after.length - (before.some((c) => sameInteraction(c, card)) ? 1 : 0);
      queue.current = after;
      setWaiting(after);
      if (pushedOut > 0) {
        unseen.pushedOut += pushedOut;
        listening();
      }
    });
    source.addEventListener('dropped', (e) => {
      unseen.skipped += (JSON.parse((e as MessageEvent<string>).data) as { cards: number }).cards;
      listening();
    });
    source.onerror = () => setStatus('reconnecting…');
    return () => source.close();
  }, [channel, agentId, connection, wanted]);
  const dismiss = (c: AssistCard) => {
    queue.current = queue.current.filter((w) => w.cardId !== c.cardId);
    setWaiting(queue.current);
  };
  const take = (c: AssistCard) => {
    setTaken((now) => [c, ...now.filter((t) => !sameInteraction(t, c) && t.customerId !== c.customerId)].slice(0, MAX_TAKEN));
    queue.current = queue.current.filter((w) => w.cardId !== c.cardId && w.customerId !== c.customerId);
    setWaiting(queue.current);
  };

  return (
    <>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setConnection((c) => c + 1);
        }}
      >
        <label>
          Channel{' '}
          <select value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value as (typeof CHANNELS)[number])}>
            {CHANNELS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <button type="submit">Reconnect</button>
        <span class="muted" role="status" data-testid="desktop-status">
          {status}
        </span>
      </form>
      <FindCustomer channel={channel} initial={wanted} onCard={take} />
      {taken.map((c) => (
        <Card key={c.cardId} card={c} onClose={() => setTaken((now) => now.filter((t) => t.cardId !== c.cardId))} />
      ))}
      <section class="panel" aria-labelledby="queue-title">
        <h2 id="queue-title">
          Waiting on {channel} <span class="muted">(newest first; the latest {MAX_WAITING})</span>
        </h2>
        {waiting.length === 0 ? (
          <p class="muted">No {channel} in progress yet: it appears here as soon as one starts.</p>
        ) : (
          <ul class="queue" data-testid="card-queue">
            {waiting.map((c) => (
              <li key={c.cardId} data-testid="queued-card">
                <button
                  type="button"
                  aria-label={`Take ${c.customerId}`}
                  onClick={() => take(c)}
                >
                  Take
                </button>{' '}
                <strong>{c.customerId}</strong> · {c.reason} · started {eventTime(c.at)} · <span class={`risk ${riskBand(c.summary?.scores?.churn?.probability)}`}>{churnText(c)}</span>
                {(c.staged || c.customerId === wanted) && (
                  <>
                    {' '}
                    · <span class="muted">{c.staged ? `staged (${c.staged}): kept until you take or dismiss it` : 'the customer you were sent to: kept until you take or dismiss it'}</span>{' '}
                    <button type="button" aria-label={`Dismiss ${c.customerId}`} onClick={() => dismiss(c)}>
                      Dismiss
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
