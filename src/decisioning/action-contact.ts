import { NOTIFICATION_CHANNELS, type NotificationChannel } from '../domain/connectors/notifications.js';
import type { Channel } from '../domain/events.js';
import { messageChannelOf, type ContactChannel, type ContactSummary } from './contact-ledger.js';
import { contactGate, sameOfferCooldown, type ContactPolicy, type ContactRefusal } from './contact-policy.js';
import type { ActionRequest } from './policy/index.js';

/**
 * The contact rules for an action about to reach a customer, for the guarded executor (the
 * decision funnel applies the same rules before it ranks). What kind of contact an action is:
 * - marketing: offers, discounts, any catalogue offering presented, messages for marketing or
 *   retention (or for no named purpose): consent, quiet hours, cool-downs, caps and channel
 *   opt-outs all apply, a message's on the channel it goes out on (`contactChannelOf`);
 * - care: other messages to the customer (follow-ups, check-ins): quiet hours for outbound
 *   contact, and channel opt-outs;
 * - service and legal messages (outage notices): always allowed;
 * - not a contact: credits, compensation, plan changes, tickets.
 */

/** What kind of contact an action is. */
export type ContactKind = 'marketing' | 'care' | 'service' | 'none';

/** The contact kind of a request (pure). */
export function contactKindOf(request: Pick<ActionRequest, 'actionClass' | 'params'>): ContactKind {
  const p = request.params;
  if (request.actionClass === 'communication' && p.present !== true) {
    const purpose = p.purpose;
    if (purpose === 'service' || purpose === 'legal') return 'service';
    // A human task (a call-back) is a person calling the customer: a contact like any other.
    if (purpose === 'care') return 'care';
    // Marketing and retention, and a message whose purpose nobody named (the edges require one):
    // judged by the strictest rules, so a missing purpose never lets marketing pass as care.
    return 'marketing';
  }
  if (request.actionClass === 'offer' || request.actionClass === 'discount' || p.present === true) return 'marketing';
  return 'none';
}

/**
 * THE mapping from the channel a message goes out on to the channel its action request carries
 * (where it lands on the twin, where a presented offer is answered): an SMS or an e-mail is a `web`
 * contact, a push or in-app message an `app` one, a person's call-back (`human_task`) a `call`.
 * Every request is built through the guarded executor's parse, which applies it (`carriedChannelOf`).
 */
export function deliveryChannelOf(message: NotificationChannel): Channel {
  return message === 'human_task' ? 'call' : message === 'in_app' || message === 'push' ? 'app' : 'web';
}

const notificationChannelOf = (v: unknown): NotificationChannel | undefined => NOTIFICATION_CHANNELS.find((c) => c === v);

/**
 * The channel a request carries: one that goes out as a message (`params.notificationChannel`: a
 * communication, or an offer sent by SMS, e-mail, push, in-app) the mapping's channel for it,
 * whatever the caller said; one said to a customer in contact (`direction: inbound`, an SMS sent
 * while they are on the line) or not a message, the caller's. Pure.
 */
export function carriedChannelOf(channel: Channel, params: Readonly<Record<string, unknown>>): Channel {
  const message = notificationChannelOf(params.notificationChannel);
  return message && params.direction !== 'inbound' ? deliveryChannelOf(message) : channel;
}

/**
 * The channel the contact rules judge a contact on: a message the operator writes (SMS, e-mail,
 * push, in-app) on the channel it goes out on, whatever channel the request came from, an offer
 * sent as one (a campaign's SMS variant) included; any other contact on the request's channel.
 */
export function contactChannelOf(request: Pick<ActionRequest, 'actionClass' | 'channel' | 'params'>): ContactChannel {
  const message = request.actionClass === 'communication' && request.params.present !== true ? (request.params.notificationChannel ?? 'sms') : request.params.direction === 'inbound' ? undefined : request.params.notificationChannel;
  return messageChannelOf(message) ?? request.channel;
}

/**
 * Inbound when the customer is in contact (a call, a chat, a store visit), outbound on digital
 * channels; a request may say (a next-best action says the contact it was decided in). An SMS,
 * e-mail or push message nobody says of is outbound: the operator writes to a customer who may be
 * asleep, whatever channel the request came from.
 */
export function contactDirectionOf(request: Pick<ActionRequest, 'actionClass' | 'channel' | 'params'>): 'inbound' | 'outbound' {
  const d = request.params.direction;
  if (d === 'inbound' || d === 'outbound') return d;
  const via = contactChannelOf(request);
  if (via === 'sms' || via === 'email' || via === 'push') return 'outbound';
  return defaultDirection(request.channel);
}

/** The direction of a contact on a channel when nobody says: digital channels reach out, assisted ones answer. */
export function defaultDirection(channel: Channel): 'inbound' | 'outbound' {
  return channel === 'web' || channel === 'app' ? 'outbound' : 'inbound';
}

/** What the rules need to know about the customer. */
export interface ContactFacts {
  readonly summary: ContactSummary;
  readonly features: Float64Array;
  /** Channel consents of the profile (false: opted out); read only for messages on those channels. */
  consents(): { readonly sms: boolean | null; readonly email: boolean | null };
}

/** Why the contact rules forbid this action now, or null (pure). */
export function actionContactRefusal(policy: ContactPolicy, request: ActionRequest, facts: ContactFacts, now: number): ContactRefusal | null {
  const kind = contactKindOf(request);
  if (kind === 'none' || kind === 'service') return null;
  const direction = contactDirectionOf(request);
  const via = contactChannelOf(request);
  const gate = contactGate(policy, facts.summary, facts.features, { channel: via, direction, now });
  if ((via === 'sms' || via === 'email') && facts.consents()[via] === false) {
    return { rule: 'channel-opt-out', reason: `the customer opted out of ${via === 'sms' ? 'SMS' : 'e-mail'}; only service and legal messages go there` };
  }
  if (kind === 'care') return gate.service;
  if (gate.marketing) return gate.marketing;
  const offerId = typeof request.params.offerId === 'string' ? request.params.offerId : undefined;
  const capped = direction === 'outbound' || policy.capsApplyToInbound;
  return offerId ? sameOfferCooldown(policy, facts.summary, offerId, now, capped) : null;
}
