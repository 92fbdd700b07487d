import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import type { CustomerContext } from '../../twin/customer-context.js';

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
}

const PRESENTED = 'the offer is presented for the customer to answer, not booked as their yes';

/**
 * The customer's yes is heard only in a contact a person holds with them now: the accept of a
 * person who serves customers, on an assisted channel (call, chat, store), while the interaction
 * the decision was made in is still open. That interaction is the one open on the decision's
 * channel that had started when the decision was made: a card reopened after the call (its
 * decision made with no call in progress), or kept open past the call's end, or a call that began
 * after the decision (another contact), has nobody on the line who said yes to it.
 */
export function customerYes({ by, decision, context }: CustomerYesInput): CustomerYes {
  const { decisionId, customerId, channel } = decision;
  if (!by.servesCustomers) {
    return { recorded: false, reason: `${by.id}${by.role ? ` (${by.role.replace(/_/g, ' ')})` : ''} does not serve customers in contact (permission assist:use): ${PRESENTED}` };
  }
  if (!ASSISTED_CHANNELS.includes(channel)) return { recorded: false, reason: `decision ${decisionId} was made on ${channel}, where nobody is on the line: ${PRESENTED}` };
  const open = context.channels[channel];
  if (!open) return { recorded: false, reason: `no ${channel} of ${customerId} is in progress (decision ${decisionId} was made on ${channel} at ${iso(decision.at)}): ${PRESENTED}` };
  const startedAt = Date.parse(open.startedAt);
  if (open.phase === 'end') return { recorded: false, reason: `${customerId}'s ${channel} (started ${open.startedAt}) ended at ${open.at}: ${PRESENTED}` };
  if (startedAt > decision.at) {
    return { recorded: false, reason: `decision ${decisionId} was made at ${iso(decision.at)}, before ${customerId}'s ${channel} in progress began (${open.startedAt}): not in this contact, so ${PRESENTED}` };
  }
  return { recorded: true, reason: `the customer's yes, recorded by ${by.id} on the ${channel} in progress since ${open.startedAt}` };
}

const iso = (ms: number) => new Date(ms).toISOString();
