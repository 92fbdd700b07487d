import { useEffect, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { eventTime, money, percent, riskBand } from '../format';
import { useIdentity } from '../identity';
import { DO_NOTHING, type AssistAction, type AssistCard, type GuardedResult } from '../types';

const CHANNELS = ['call', 'chat', 'store'] as const;
/** Cards kept on screen, newest first. */
const MAX_CARDS = 20;

const OUTCOME: Readonly<Record<GuardedResult['status'], string>> = {
  executed: 'Done',
  'pending-approval': 'Sent for approval',
  advised: 'Advice only: not executed',
  refused: 'Refused',
  failed: 'Failed',
};

function ActionRow({ action }: { action: AssistAction }) {
  const [state, setState] = useState<{ busy: boolean; result?: GuardedResult; error?: string }>({ busy: false });
  const accept = () => {
    if (!action.decisionId) return;
    setState({ busy: true });
    postJson<GuardedResult>(`/decisions/${seg(action.decisionId)}/accept`, { actionId: action.actionId }).then(
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
        {acceptable && !state.result && (
          <button type="button" onClick={accept} disabled={state.busy}>
            {state.busy ? 'Accepting…' : 'Accept'}
          </button>
        )}
      </div>
      {action.reasons.length > 0 && (
        <ul class="reasons">
          {action.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {state.result && (
        <p class={`outcome ${state.result.status}`} role="status">
          {OUTCOME[state.result.status]}: {state.result.reason}
          {state.result.approvalId && (
            <>
              {' '}
              (approval <code>{state.result.approvalId}</code>)
            </>
          )}
        </p>
      )}
      <Alert message={state.error} />
    </li>
  );
}

function Card({ card }: { card: AssistCard }) {
  const churn = card.summary?.scores?.churn;
  const p = churn?.probability ?? null;
  return (
    <article class="panel card" data-testid="assist-card" aria-label={`${card.customerId} on ${card.channel}`}>
      <h2>
        <a href={`/console/customers/${seg(card.customerId)}`}>{card.customerId}</a> · {card.channel} · {card.reason}
      </h2>
      <p class="muted">started {eventTime(card.at)}</p>
      <p class={`risk ${riskBand(p)}`}>{p === null ? (churn?.note ?? 'no churn score yet') : `churn risk ${percent(p)}${churn?.horizonDays ? ` within ${churn.horizonDays} days` : ''}`}</p>
      {churn?.reasons && churn.reasons.length > 0 && (
        <ul class="reasons">
          {churn.reasons.map((r, i) => (
            <li key={i}>{r.text ?? r.feature}</li>
          ))}
        </ul>
      )}
      <h3>Next best actions</h3>
      {card.actions.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="actions">
          {card.actions.map((a) => (
            <ActionRow key={a.actionId} action={a} />
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

/**
 * The agent desktop: the card of each interaction on the desktop's channel, live through
 * `/assist/stream` (a desktop joining mid-call first gets the cards of the calls open now).
 * Accepting an action posts it to `/decisions/:id/accept`, where the signed-in person is the
 * actor; the action policy's answer is shown under it.
 */
export function AgentDesktop() {
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>('call');
  // The stream names the desktop's person (the server acts as the credential's holder whatever it is told).
  const agentId = useIdentity().name;
  const [cards, setCards] = useState<AssistCard[]>([]);
  const [status, setStatus] = useState('connecting…');
  const [connection, setConnection] = useState(0);
  useEffect(() => {
    const source = new EventSource(`/assist/stream?channel=${seg(channel)}&agentId=${seg(agentId)}`);
    setStatus('connecting…');
    setCards([]);
    source.addEventListener('ready', () => setStatus(`listening on ${channel}`));
    source.addEventListener('card', (e) => {
      const card = JSON.parse((e as MessageEvent<string>).data) as AssistCard;
      // The same interaction may come twice (open when joining, then live): keep the newer card.
      setCards((now) => [card, ...now.filter((c) => !(c.customerId === card.customerId && c.at === card.at))].slice(0, MAX_CARDS));
    });
    source.addEventListener('dropped', (e) => setStatus(`missed ${(JSON.parse((e as MessageEvent<string>).data) as { cards: number }).cards} cards (slow connection)`));
    source.onerror = () => setStatus('reconnecting…');
    return () => source.close();
  }, [channel, agentId, connection]);

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
      {cards.length === 0 && <p class="muted">No {channel} in progress yet: a card appears here as soon as one starts.</p>}
      {cards.map((c) => (
        <Card key={c.cardId} card={c} />
      ))}
    </>
  );
}
