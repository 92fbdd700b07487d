import type { AssistCard } from './types';

/** Two cards of the same interaction (open when the desktop joined, then live): one customer, one start. */
export const sameInteraction = (a: AssistCard, b: AssistCard) => a.customerId === b.customerId && a.at === b.at;

/**
 * The agent desktop's queue after a card arrives: newest first, the same interaction once (the
 * newer card), at most `max` cards — but a card the agent was sent to (`pinned`, e.g. the customer
 * of the link `/console/assist?customer=…` that `twinloop sandbox scenario care-example` prints) is
 * never pushed out by the world's other calls: on the sandbox's world tens of calls start every second.
 */
export function enqueue(now: readonly AssistCard[], card: AssistCard, max: number, pinned: (c: AssistCard) => boolean): AssistCard[] {
  const all = [card, ...now.filter((c) => !sameInteraction(c, card))];
  let room = Math.max(0, max - all.filter(pinned).length);
  return all.filter((c) => pinned(c) || room-- > 0);
}
