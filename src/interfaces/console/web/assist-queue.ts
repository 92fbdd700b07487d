import { eventTime } from './format';
import type { AssistCard } from './types';

/** Two cards of the same interaction (open when the desktop joined, then live): one customer, one start. */
export const sameInteraction = (a: AssistCard, b: AssistCard) => a.customerId === b.customerId && a.at === b.at;

/**
 * The agent desktop's queue after a card arrives: newest first by when the interaction started
 * (not by when its card arrived: a desktop joining mid-call is sent the open calls newest first,
 * and put first as each came they read oldest first), the same interaction once (the
 * newer card), at most `max` cards — but a card the agent was sent to (`pinned`, e.g. the customer
 * of the link `/console/assist?customer=…` that `twinloop sandbox scenario care-example` prints) is
 * never pushed out by the world's other calls: on the sandbox's world tens of calls start every second.
 */
export function enqueue(now: readonly AssistCard[], card: AssistCard, max: number, pinned: (c: AssistCard) => boolean): AssistCard[] {
  // A stable sort: of two started at the same time, the card that came last is first.
  const all = [card, ...now.filter((c) => !sameInteraction(c, card))].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  let room = Math.max(0, max - all.filter(pinned).length);
  return all.filter((c) => pinned(c) || room-- > 0);
}

/** A channel's latest interaction in `GET /customers/:id/context` (`channels`). */
export interface ChannelState {
  readonly phase: 'start' | 'update' | 'end';
  readonly startedAt: string;
  readonly at: string;
  /** When it counts as over should its end never be seen. */
  readonly endsBy: string;
  /** The server's one rule for a person on the line (customer-context.ts, `interactionInProgress`). */
  readonly inProgress: boolean;
}

/**
 * Why the customer of a card is no longer on the line, from their context now (`GET
 * /customers/:id/context`'s `channels`), or null while the card's interaction goes on: its channel's
 * latest interaction is the card's (started when the card's did) and the server says it is in
 * progress (the rule the customer's yes is judged by: its end not seen, and not 2 h past its latest
 * event or its own `endsBy`); the context holds no interaction once over. A card opened with no interaction in
 * progress is over from the start. Then the desktop offers no Accept: the customer's yes is heard
 * only on the line (decision 0050), and the server would present the offer instead.
 */
export function interactionOver(card: Pick<AssistCard, 'channel' | 'at' | 'inProgress'>, channels: Readonly<Record<string, ChannelState | undefined>>): string | null {
  if (card.inProgress === false) return `no ${card.channel} in progress`;
  const now = channels[card.channel];
  if (!now) return `the ${card.channel} is over`;
  if (Date.parse(now.startedAt) !== Date.parse(card.at)) return `the ${card.channel} ended (another began ${eventTime(now.startedAt)})`;
  if (now.phase === 'end') return `the ${card.channel} ended ${eventTime(now.at)}`;
  return now.inProgress ? null : `the ${card.channel} counts as ended ${eventTime(now.endsBy)}, no end of it seen by then`;
}
