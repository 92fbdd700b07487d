import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import type { CustomerContext } from '../../twin/customer-context.js';
import type { CardContact } from './assist-service.js';

/**
 * Whether a person's accept of a decision's action is the customer's yes (decision 0050: a person
 * on the line), and why in words: the accept route books an offer accepted only when `recorded`,
 * and otherwise presents it for the customer to answer, saying why with `reason`.
 */
export interface CustomerYes {
  readonly recorded: boolean;
  readonly reason: string;
}

/** What `customerYes` judges. */
export interface CustomerYesInput {
  /** Who accepted (the signed-in person), and whether their role serves customers in contact (assist:use). */
  readonly by: { readonly id: string; readonly role: string | null; readonly servesCustomers: boolean };
  /** The decision accepted: whose, on which channel, and when it was made (ms, the operator's clock). */
  readonly decision: { readonly decisionId: string; readonly customerId: string; readonly channel: Channel; readonly at: number };
  /** The customer's interactions now (the omnichannel context the assist cards are built from). */
  readonly context: CustomerContext;
  /** The interaction the decision was made in, when it was an assist card's (Assist.contactOf); undefined for another decision. */
  readonly madeIn?: CardContact;
}

/** What comes of an accept that is not the customer's yes, as every such answer ends. */
export const PRESENTED = 'the offer is presented for the customer to answer, not booked as their yes';

/**
 * The customer's yes is heard only in a contact a person holds with them now: the accept of a
 * person who serves customers, on an assisted channel (call, chat, store), while the interaction
 * the decision was made in is still in progress by the context's one rule (`inProgress`,
 * interactionInProgress: its end not seen, no later one begun on its channel, and not past its
 * `endsBy`, 2 h after its latest event when its channel said nothing: the sandbox's calls send no end). For
 * a card's decision (`madeIn`) that is the card's interaction: none for a card opened with no call in
 * progress; gone from the context once over. For another decision (`POST /decisions` on a call) it is
 * the interaction open on its channel now, if that had started when the decision was made.
 */
export function customerYes({ by, decision, context, madeIn }: CustomerYesInput): CustomerYes {
  const { decisionId, customerId, channel } = decision;
  if (!by.servesCustomers) {
    return { recorded: false, reason: `${by.id}${by.role ? ` (${by.role.replace(/_/g, ' ')})` : ''} does not serve customers in contact (permission assist:use): ${PRESENTED}` };
  }
  if (!ASSISTED_CHANNELS.includes(channel)) return { recorded: false, reason: `decision ${decisionId} was made on ${channel}, where nobody is on the line: ${PRESENTED}` };
  const open = context.channels[channel];
  const cardStart = madeIn?.startedAt;
  if (cardStart === null) return { recorded: false, reason: `decision ${decisionId} was made on a card opened with no ${channel} of ${customerId} in progress: ${PRESENTED}` };
  if (!open) {
    // The context holds an interaction while it is in progress: one it no longer holds is over.
    const made = cardStart === undefined ? `decision ${decisionId} was made on ${channel} at ${iso(decision.at)}` : `the ${channel} decision ${decisionId} was made in, begun ${iso(cardStart)}, is over`;
    return { recorded: false, reason: `no ${channel} of ${customerId} is in progress (${made}): ${PRESENTED}` };
  }
  if (Date.parse(open.startedAt) > (cardStart ?? decision.at)) {
    const made = cardStart === undefined ? `at ${iso(decision.at)}` : `in ${customerId}'s ${channel} of ${iso(cardStart)}`;
    return { recorded: false, reason: `decision ${decisionId} was made ${made}, before the ${channel} in progress began (${open.startedAt}): not in this contact, so ${PRESENTED}` };
  }
  if (open.phase === 'end') return { recorded: false, reason: `${customerId}'s ${channel} (started ${open.startedAt}) ended at ${open.at}: ${PRESENTED}` };
  if (!open.inProgress) return { recorded: false, reason: `${customerId}'s ${channel} (started ${open.startedAt}) counts as ended at ${open.endsBy}, no end of it seen by then: ${PRESENTED}` };
  return { recorded: true, reason: `the customer's yes, recorded by ${by.id} on the ${channel} in progress since ${open.startedAt}` };
}

const iso = (ms: number) => new Date(ms).toISOString();
