import { CHANNELS, type TwinEvent } from '../domain/events.js';
import { DAY_MS } from '../domain/time.js';
import { ANSWER_WINDOW_MS } from './decision-record.js';

/**
 * The channels a message the operator writes to the customer goes out on. Such a message is a
 * contact on that channel, whatever channel the request came from (a marketer's SMS is an SMS,
 * not an app contact), so its caps count per message channel. A `human_task` (a person calling
 * back) is a contact on the request's own channel.
 */
export const MESSAGE_CHANNELS = ['sms', 'email', 'push', 'in_app'] as const;
/** A channel a message goes out on. */
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];
/** Every channel a contact is counted on: the interaction channels, then the message channels. */
export const CONTACT_CHANNELS = [...CHANNELS, ...MESSAGE_CHANNELS] as const;
/** A channel a contact is counted on. */
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
/** The message channel a notification channel is, or undefined (a human task). */
export const messageChannelOf = (v: unknown): MessageChannel | undefined => MESSAGE_CHANNELS.find((c) => c === v);

/**
 * How an offer contact went (`ignored`: no answer within the answer window; not a decline, so no
 * cool-down). `sent`: a service message of the catalogue (a check-in) delivered for care: not a
 * marketing contact (no cap counts it) and awaiting no answer, kept so that it is not sent again
 * at once (`same-message-recent`).
 */
export type ContactResponse = 'presented' | 'accepted' | 'declined' | 'ignored' | 'sent';

/** One recorded contact or response. */
export interface ContactEntry {
  /** Event time, ms since epoch. */
  readonly at: number;
  readonly channel: ContactChannel;
  readonly offerId: string;
  readonly response: ContactResponse;
  /** True when the entry counts as a contact (a presentation, or a response whose presentation was never seen). */
  readonly contact: boolean;
  /** The action request that made it, where its event says (`summary` leaves a request's own entries out when judging that request). */
  readonly requestId?: string;
}

/** The contact numbers the contact policy needs for one customer at one moment. */
export interface ContactSummary {
  /** Contacts within the policy period, all channels. */
  readonly contacts: number;
  /** Contacts within the policy period, per channel (CONTACT_CHANNELS order); NaN when unknown. */
  readonly perChannel: Float64Array;
  /** Time of the latest decline (ms), or -Infinity. */
  readonly lastDeclineAt: number;
  /** Latest decline time per offer id (only offers the customer declined). */
  readonly lastDeclineOf: (offerId: string) => number;
  /** Latest acceptance time per offer id, or -Infinity (ledger only: the twin's counts do not say which offer). */
  readonly lastAcceptOf?: (offerId: string) => number;
  /** Latest time the offering reached the customer (presented, or a message sent), or -Infinity (ledger only). */
  readonly lastDeliveredOf?: (offerId: string) => number;
  /** Where the numbers came from: the ledger, or the twin's features for a customer the ledger never saw. */
  readonly source: 'ledger' | 'twin';
  /** The latest catalogue offer presented within the answer window that the customer has not answered yet (ledger only). */
  readonly pendingOffer?: { readonly offerId: string; readonly at: number };
}

/** What a marketing message that carries no catalogue offering is recorded under (no decline ever names it). */
const MESSAGE_OFFER_ID = '(message)';
/** Days of history the ledger keeps by default: longer than any contact period or cool-down in use. */
export const DEFAULT_LEDGER_RETENTION_DAYS = 90;
/**
 * Days an acceptance is kept, beyond the retention: an offer accepted is in force for its months
 * (a 6-month discount, a 12-month upgrade), and the same offer is not made again meanwhile.
 */
export const ACCEPTANCE_RETENTION_DAYS = 400;
/** Recent entries kept per customer at most, so a chatty producer cannot grow memory without bound. */
const MAX_ENTRIES_PER_CUSTOMER = 64;
/**
 * Per-customer recent offer contacts (time, channel, offer, response), fed by offer events
 * (`observe`) or by the funnel's caller (`record`). Entries older than the retention are pruned.
 */
export class ContactLedger {
  private readonly byCustomer = new Map<string, ContactEntry[]>();
  private readonly retentionMs: number;
  private readonly acceptanceRetentionMs: number;

  constructor(options: { retentionDays?: number } = {}) {
    this.retentionMs = (options.retentionDays ?? DEFAULT_LEDGER_RETENTION_DAYS) * DAY_MS;
    this.acceptanceRetentionMs = Math.max(this.retentionMs, ACCEPTANCE_RETENTION_DAYS * DAY_MS);
  }

  /** True when the ledger has seen any offer event for the customer. */
  has(customerId: string): boolean {
    return this.byCustomer.has(customerId);
  }

  /**
   * Feeds twin events: offers presented and answered, marketing messages delivered (an `action`
   * event of a communication for marketing or retention: the customer was contacted though no
   * offer event says so), and the catalogue's other messages delivered (a check-in sent for care:
   * `sent`, no contact); the rest are ignored.
   */
  observe(events: readonly TwinEvent[]): void {
    for (const e of events) {
      const by = e.kind === 'offer' || e.kind === 'action' ? (e.data.requestId === undefined ? {} : { requestId: e.data.requestId }) : {};
      if (e.kind === 'offer') this.record(e.customerId, { at: Date.parse(e.time), channel: e.data.channel, offerId: e.data.offerId, response: e.data.action, ...by });
      else if (e.kind === 'action' && e.data.actionClass === 'communication' && e.data.status === 'delivered') {
        const channel: ContactChannel = messageChannelOf(e.data.notificationChannel) ?? e.data.channel;
        if (e.data.purpose === 'marketing' || e.data.purpose === 'retention') this.record(e.customerId, { at: Date.parse(e.time), channel, offerId: e.data.offerId ?? MESSAGE_OFFER_ID, response: 'presented', ...by });
        else if (e.data.offerId) this.record(e.customerId, { at: Date.parse(e.time), channel, offerId: e.data.offerId, response: 'sent', ...by });
      }
    }
  }

  /** Records one contact or response. A response with no recorded presentation of that offer counts as a contact itself. */
  record(customerId: string, entry: { at: number; channel: ContactChannel; offerId: string; response: ContactResponse; requestId?: string }): void {
    let list = this.byCustomer.get(customerId);
    if (!list) {
      list = [];
      this.byCustomer.set(customerId, list);
    }
    // A service message sent is never a contact; an answer is one only without its presentation.
    let contact = entry.response === 'presented';
    if (!contact && entry.response !== 'sent') {
      contact = true;
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i];
        if (e.offerId === entry.offerId && e.response === 'presented' && e.at <= entry.at && entry.at - e.at <= this.retentionMs) {
          contact = false;
          break;
        }
      }
    }
    list.push({ ...entry, contact });
    if (list.length > 1 && list[list.length - 2].at > entry.at) list.sort((a, b) => a.at - b.at);
    const horizon = entry.at - this.retentionMs;
    if (list[0].at >= horizon && list.length <= MAX_ENTRIES_PER_CUSTOMER) return;
    // Past the retention only acceptances are kept (until their own retention), and at most the cap in all, the newest.
    const acceptedHorizon = entry.at - this.acceptanceRetentionMs;
    const kept = list.filter((e) => e.at >= horizon || (e.response === 'accepted' && e.at >= acceptedHorizon));
    list.splice(0, list.length, ...kept.slice(Math.max(0, kept.length - MAX_ENTRIES_PER_CUSTOMER)));
  }

  /** The customer's recorded entries, oldest first (a copy). */
  entries(customerId: string): ContactEntry[] {
    return [...(this.byCustomer.get(customerId) ?? [])];
  }

  /**
   * Contact numbers over the `periodDays` before `now`, or undefined for a customer the ledger
   * has not seen (the caller falls back to the twin's features). With `ownRequest`, the entries
   * that request made are left out: a request judged again (a repeat after a crash that came after
   * its delivery reached the timeline, before its answer was kept) is no earlier contact of itself.
   */
  summary(customerId: string, now: number, periodDays: number, ownRequest?: string): ContactSummary | undefined {
    const list = this.byCustomer.get(customerId);
    if (!list) return undefined;
    // The request's own entries are skipped where the list is read, not filtered into a copy at every check.
    const counted = ownRequest === undefined ? undefined : (e: ContactEntry) => e.requestId !== ownRequest;
    const from = now - periodDays * DAY_MS;
    const perChannel = new Float64Array(CONTACT_CHANNELS.length);
    let contacts = 0;
    let lastDeclineAt = -Infinity;
    for (const e of list) {
      if (e.at > now || (counted && !counted(e))) continue;
      if (e.response === 'declined' && e.at > lastDeclineAt) lastDeclineAt = e.at;
      if (e.contact && e.at > from) {
        contacts++;
        perChannel[CONTACT_CHANNELS.indexOf(e.channel)]++;
      }
    }
    const lastOf = (...responses: ContactResponse[]) => (offerId: string) => {
      let t = -Infinity;
      for (const e of list) if (e.offerId === offerId && responses.includes(e.response) && e.at <= now && e.at > t && (!counted || counted(e))) t = e.at;
      return t;
    };
    return { contacts, perChannel, lastDeclineAt, lastDeclineOf: lastOf('declined'), lastAcceptOf: lastOf('accepted'), lastDeliveredOf: lastOf('presented', 'sent'), source: 'ledger', ...pendingOfferOf(list, now, counted) };
  }
}

/**
 * The latest offer presented within its answer window (ANSWER_WINDOW_MS) and not answered since
 * (accepted, declined or ignored; a message `sent` is no answer): the customer has it in front of them. A message that names no
 * catalogue offering awaits no answer. Entries `counted` refuses (a request's own) are read as absent.
 */
function pendingOfferOf(list: readonly ContactEntry[], now: number, counted?: (e: ContactEntry) => boolean): { pendingOffer: { offerId: string; at: number } } | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const e = list[i];
    if (e.at > now || (counted && !counted(e))) continue;
    if (now - e.at >= ANSWER_WINDOW_MS) return undefined;
    if (e.response !== 'presented' || e.offerId === MESSAGE_OFFER_ID) continue;
    // A service message sent (`sent`: a check-in) is no answer: it asks nothing of the offer in front of the customer.
    const answered = list.some((a) => a.offerId === e.offerId && a.response !== 'presented' && a.response !== 'sent' && a.at >= e.at && a.at <= now && (!counted || counted(a)));
    if (!answered) return { pendingOffer: { offerId: e.offerId, at: e.at } };
  }
  return undefined;
}
