import { NOTIFICATION_CHANNELS, type NotificationChannel } from '../domain/connectors/notifications.js';
import { ASSISTED_CHANNELS, type Channel } from '../domain/events.js';
import { messageChannelOf, type ContactChannel, type ContactSummary } from './contact-ledger.js';
import { contactGate, sameMessageRefusal, sameOfferRefusal, type ContactGate, type ContactPolicy, type ContactRefusal } from './contact-policy.js';
import type { ActionRequest, Actor } from './policy/index.js';

/**
 * The contact rules for an action about to reach a customer, for the guarded executor (the
 * decision funnel applies the same rules before it ranks). What kind of contact an action is:
 * - marketing: offers, discounts, any catalogue offering presented, messages for marketing or
 *   retention (or for no named purpose): consent, quiet hours, cool-downs, caps and channel
 *   opt-outs all apply, a message's on the channel it goes out on (`contactChannelOf`);
 * - care: other messages to the customer (follow-ups, check-ins): quiet hours for outbound
 *   contact, and channel opt-outs;
 * - service and legal messages (outage notices): always allowed here (a person sending one at night
 *   chooses to); the service-operations flow holds its notices to the quiet hours itself (decision 0088);
 * - not a contact: credits, compensation, plan changes, tickets.
 */

/** What kind of contact an action is. */
export type ContactKind = 'marketing' | 'care' | 'service' | 'none';

/** The contact kind of a request (pure). */
export function contactKindOf(request: Pick<ActionRequest, 'actionClass' | 'params'>): ContactKind {
  const p = request.params;
  if (request.actionClass === 'communication' && p.present !== true) {
    const purpose = p.purpose;
    // A service or legal notice (an outage, an order's progress) names no catalogue offering: one that
    // does is the caller's word against the offering's, judged by the strictest rules, so naming an
    // offer's message "service" (POST /actions, MCP) never takes it past consent and the contact rules.
    if (purpose === 'service' || purpose === 'legal') return typeof p.offerId === 'string' ? 'marketing' : 'service';
    // A human task (a call-back) is a person calling the customer: a contact like any other.
    if (purpose === 'care') return 'care';
    // Marketing and retention, and a message whose purpose nobody named (the edges require one):
    // judged by the strictest rules, so a missing purpose never lets marketing pass as care.
    return 'marketing';
  }
  // A catalogue offering of any class (a plan change, a credit) is an offer made to the customer: marketing.
  if (request.actionClass === 'offer' || request.actionClass === 'discount' || p.present === true || typeof p.offerId === 'string') return 'marketing';
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

/** Who asks, and on which channel: what says whether a person has the customer on the line. */
export interface Asker {
  readonly actor: Pick<Actor, 'kind'>;
  readonly channel: Channel;
  /**
   * Whether an interaction with the customer is in progress on that channel now, where the
   * operator's omnichannel context says (`DecisionService.setInContact`): false when it shows none,
   * and then nobody is on the line with them, whoever asks; undefined where it is not known.
   */
  readonly inContact?: boolean;
}

/**
 * THE predicate of a contact the customer is in: a person (a human actor, signed in) serving them
 * on an assisted channel (a call, a chat, a store visit: ASSISTED_CHANNELS). Only such a contact is
 * inbound, exempt from quiet hours, the contact caps, the decline cool-downs and the one offer at
 * a time (`offer-pending`), and only there does a message sent meanwhile count on that contact.
 * Anyone else reaches out, whatever `direction` they say: an automated caller (an AI agent's key, a
 * campaign, a flow acting alone) or a person on a digital channel. `direction` is the caller's word,
 * which nothing checks; who asks is the credential's, and the channel is checked against its scope.
 */
export function personOnTheLine(asker: Asker): boolean {
  return onAssistedChannel(asker.actor, asker.channel) && asker.inContact !== false;
}

/** A person (a human actor) on an assisted channel (call, chat, store): on the line unless the customer's context says no interaction is in progress. */
export function onAssistedChannel(actor: Pick<Actor, 'kind'>, channel: Channel): boolean {
  return actor.kind === 'human' && ASSISTED_CHANNELS.includes(channel);
}

/**
 * The direction a contact is judged in: outbound unless a person is on the line
 * (`personOnTheLine`); with one, what they say (`said`: a decision's context, `params.direction`),
 * inbound when they say nothing. An automated caller that says inbound is judged outbound, not
 * refused: its request may well be right as an outbound one (a decision's context carried along),
 * and the contact rules then say what holds it back, naming why its word was not taken
 * (`actionContactRefusal`).
 */
export function judgedDirection(asker: Asker, said?: 'inbound' | 'outbound'): 'inbound' | 'outbound' {
  return personOnTheLine(asker) ? (said ?? 'inbound') : 'outbound';
}

/** A message sent to the customer a person has on the line, said to answer them (`direction: inbound`): it belongs to that contact. */
const answersOnTheLine = (request: Asker & { readonly params: Readonly<Record<string, unknown>> }) => request.params.direction === 'inbound' && personOnTheLine(request);

/**
 * The channel a request carries: one that goes out as a message (`params.notificationChannel`: a
 * communication, or an offer sent by SMS, e-mail, push, in-app) the mapping's channel for it,
 * whatever the caller said, unless a person on the line sends it to the customer they serve
 * (`direction: inbound`, an SMS sent during the call); one that is not a message, the caller's. What
 * the customer receives, and so what a key's channel scope is checked on. Pure.
 */
export function carriedChannelOf(request: Asker & { readonly params: Readonly<Record<string, unknown>> }): Channel {
  const message = notificationChannelOf(request.params.notificationChannel);
  return message && !answersOnTheLine(request) ? deliveryChannelOf(message) : request.channel;
}

/**
 * The channel the contact rules judge a contact on: a message the operator writes (SMS, e-mail,
 * push, in-app) on the channel it goes out on, whatever channel the request came from, an offer
 * sent as one (a campaign's SMS variant) included, unless a person on the line presents it to the
 * customer they serve; any other contact on the request's channel.
 */
export function contactChannelOf(request: Pick<ActionRequest, 'actionClass' | 'params'> & Asker): ContactChannel {
  const message = request.actionClass === 'communication' && request.params.present !== true ? (request.params.notificationChannel ?? 'sms') : answersOnTheLine(request) ? undefined : request.params.notificationChannel;
  return messageChannelOf(message) ?? request.channel;
}

/**
 * Inbound only with a person on the line (`judgedDirection`), and then as they say; an SMS, e-mail
 * or push message nobody says of is outbound even then: the operator writes to a customer who may
 * be asleep, whatever channel the request came from.
 */
export function contactDirectionOf(request: Pick<ActionRequest, 'actionClass' | 'params'> & Asker): 'inbound' | 'outbound' {
  const d = request.params.direction;
  if (d === 'inbound' || d === 'outbound') return judgedDirection(request, d);
  const via = contactChannelOf(request);
  if (via === 'sms' || via === 'email' || via === 'push') return 'outbound';
  return judgedDirection(request);
}

/** What the rules need to know about the customer. */
export interface ContactFacts {
  readonly summary: ContactSummary;
  readonly features: Float64Array;
  /** Channel consents of the profile (false: opted out); read only for messages on those channels. */
  consents(): { readonly sms: boolean | null; readonly email: boolean | null };
  /** The months a catalogue offering runs once accepted (its `recurringChargePeriodLength`), or undefined for one the catalogue lacks. */
  readonly offerMonths?: (offerId: string) => number | undefined;
  /** Whether the offering is one of the catalogue's service messages (a check-in: a communication, no marketing); absent: none is. */
  readonly serviceMessage?: (offerId: string) => boolean;
  /**
   * The gates already judged for this customer now, by channel and direction: a caller judging many
   * actions of one customer at once (the funnel, an offering each) passes one, so each gate (quiet
   * hours, consent, caps) is judged once. Filled as they are judged.
   */
  readonly gates?: Map<string, ContactGate>;
}

/**
 * What the contact rules read of an action: what it is and where it goes (its class, channel and
 * params) and who asks. An action request, or an offering of a decision as it would be asked (the
 * funnel judges each before it ranks: `DecisionFunnel.decide`); the asker's id only words a refusal.
 */
export type ContactAsk = Pick<ActionRequest, 'actionClass' | 'params' | 'customerId'> & Asker & { readonly actor: Asker['actor'] & { readonly id?: string } };

/**
 * Why the contact rules forbid this action now, or null (pure): THE one judgement of whether a
 * contact is allowed (consent and channel opt-outs, quiet hours, caps, cool-downs, who asks), for the
 * guarded executor on every path and for the decision funnel before it ranks. Whether the customer is
 * in contact with the asker is the request's (`ActionRequest.inContact`, stamped when it was first judged).
 */
export function actionContactRefusal(policy: ContactPolicy, request: ContactAsk, facts: ContactFacts, now: number): ContactRefusal | null {
  const kind = contactKindOf(request);
  if (kind === 'none' || kind === 'service') return null;
  const direction = contactDirectionOf(request);
  const via = contactChannelOf(request);
  const gateKey = facts.gates ? `${via}:${direction}` : '';
  const gate = facts.gates?.get(gateKey) ?? contactGate(policy, facts.summary, facts.features, { channel: via, direction, now });
  facts.gates?.set(gateKey, gate);
  if ((via === 'sms' || via === 'email') && facts.consents()[via] === false) {
    return { rule: 'channel-opt-out', reason: `the customer opted out of ${via === 'sms' ? 'SMS' : 'e-mail'}; only service and legal messages go there` };
  }
  const offerId = typeof request.params.offerId === 'string' ? request.params.offerId : undefined;
  const capped = direction === 'outbound' || policy.capsApplyToInbound;
  // A service message of the catalogue (a check-in) reaches the customer once in `sameMessageDays`
  // on every path, care or a campaign's retention message, a person on the line included: the
  // funnel held it back from its ranking only, and an intent's campaign sent it days after one went out.
  const message = offerId !== undefined && facts.serviceMessage?.(offerId) === true;
  const refusal =
    (kind === 'care' ? gate.service : (gate.marketing ?? (offerId ? sameOfferRefusal(policy, facts.summary, { id: offerId, months: facts.offerMonths?.(offerId) ?? 0 }, now, capped) : null))) ??
    (message ? sameMessageRefusal(policy, facts.summary, offerId, now) : null);
  return refusal && INBOUND_EXEMPT.has(refusal.rule) ? withInboundNotTaken(refusal, request) : refusal;
}

/** The rules a contact the customer is in is exempt from (caps only under the policy's capsApplyToInbound: false). */
const INBOUND_EXEMPT: ReadonlySet<ContactRefusal['rule']> = new Set(['quiet-hours', 'offer-pending', 'decline-cooldown', 'contact-cap', 'channel-cap', 'same-offer-cooldown']);

/**
 * A refusal of a request judged outbound that a person on an assisted channel, or a request saying
 * inbound, would have had exempt: saying why it was judged outbound.
 */
function withInboundNotTaken(refusal: ContactRefusal, request: ContactAsk): ContactRefusal {
  if (personOnTheLine(request)) return refusal;
  if (onAssistedChannel(request.actor, request.channel) && request.inContact === false) {
    return { ...refusal, reason: `${refusal.reason}; judged as outbound: no ${request.channel} of ${request.customerId} is in progress, so the customer is not in contact with ${request.actor.id ?? "the person asking"} (a person reaching out is bound by the rules an outbound contact is)` };
  }
  if (request.params.direction !== 'inbound') return refusal;
  const who = request.actor.kind === 'human' ? `a person on ${request.channel}, not on an assisted channel (${ASSISTED_CHANNELS.join(', ')})` : `${request.actor.kind}${request.actor.id ? ` ${request.actor.id}` : ''}, not a person`;
  return { ...refusal, reason: `${refusal.reason}; judged as outbound although the request says direction inbound: only a person serving the customer on a call, chat or store visit is in contact with them, and it was asked by ${who}` };
}
