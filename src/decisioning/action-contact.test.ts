import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { actionContactRefusal, carriedChannelOf, contactChannelOf, contactKindOf, deliveryChannelOf } from './action-contact.js';
import { CONTACT_CHANNELS, ContactLedger, type ContactSummary } from './contact-ledger.js';
import { resolveContactPolicy } from './contact-policy.js';
import type { ActionRequest } from './policy/index.js';

const NOON = Date.UTC(2026, 4, 14, 12);
const NIGHT = Date.UTC(2026, 4, 14, 23);
const policy = resolveContactPolicy({});
const quietSummary: ContactSummary = { contacts: 0, perChannel: new Float64Array(CONTACT_CHANNELS.length), lastDeclineAt: -Infinity, lastDeclineOf: () => -Infinity, source: 'ledger' };

function features(consent: 0 | 1): Float64Array {
  const f = new Float64Array(FEATURE_COUNT);
  f[FEATURE_INDEX.marketing_consent] = consent;
  return f;
}

const request = (fields: Partial<ActionRequest>): ActionRequest => ({ id: 'r', actionClass: 'offer', channel: 'app', customerId: 'C1', cost: 0, params: {}, features: {}, actor: { kind: 'agent', id: 'a' }, why: {}, ...fields });
/** A person signed in (a care agent) serving the customer. */
const person = { kind: 'human' as const, id: 'care-1' };
const facts = (consent: 0 | 1, sms: boolean | null = null, summary = quietSummary) => ({ summary, features: features(consent), consents: () => ({ sms, email: null }) });

describe('contact rules on actions', () => {
  it('tells marketing from care, service and non-contacts', () => {
    expect(contactKindOf(request({ actionClass: 'offer', params: { offerId: 'x' } }))).toBe('marketing');
    expect(contactKindOf(request({ actionClass: 'plan_change', params: { present: true } }))).toBe('marketing');
    expect(contactKindOf(request({ actionClass: 'communication', params: { purpose: 'retention' } }))).toBe('marketing');
    expect(contactKindOf(request({ actionClass: 'communication', params: { purpose: 'care' } }))).toBe('care');
    expect(contactKindOf(request({ actionClass: 'communication', params: { purpose: 'service' } }))).toBe('service');
    expect(contactKindOf(request({ actionClass: 'communication', params: { purpose: 'legal' } }))).toBe('service');
    // A catalogue offering's message called "service" by its caller is not a service notice.
    expect(contactKindOf(request({ actionClass: 'communication', params: { purpose: 'service', offerId: 'service-check-in' } }))).toBe('marketing');
    expect(contactKindOf(request({ actionClass: 'credit', params: { amount: 5 } }))).toBe('none');
  });

  it('takes no offering past consent by calling its message a service notice', () => {
    const named = request({ actionClass: 'communication', params: { purpose: 'service', offerId: 'retain-10', notificationChannel: 'sms' } });
    expect(actionContactRefusal(policy, named, facts(0), NOON)).toMatchObject({ rule: 'marketing-consent' });
    const notice = request({ actionClass: 'communication', params: { purpose: 'service', notificationChannel: 'sms', templateId: 'outage' } });
    expect(actionContactRefusal(policy, notice, facts(0), NOON)).toBeNull();
  });

  it('judges a message whose purpose nobody named as marketing, never as care: no consent, no message', () => {
    const unnamed = request({ actionClass: 'communication', params: { notificationChannel: 'sms', body: 'Special offer for you!' } });
    expect(contactKindOf(unnamed)).toBe('marketing');
    expect(actionContactRefusal(policy, unnamed, facts(0), NOON)).toMatchObject({ rule: 'marketing-consent' });
  });

  it('judges an SMS on the SMS channel, whatever channel the request came from: outbound (quiet hours) and capped per message channel', () => {
    // Asked from a call (an inbound channel): the SMS still reaches a customer at night.
    const sms = request({ actionClass: 'communication', channel: 'call', params: { purpose: 'marketing', notificationChannel: 'sms' } });
    expect(actionContactRefusal(policy, sms, facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours' });
    // Said by the person on the line to answer the customer, it is inbound (a next-best action decided in the call)…
    expect(actionContactRefusal(policy, { ...sms, actor: person, params: { ...sms.params, direction: 'inbound' } }, facts(1), NIGHT)).toBeNull();
    // …said by an automated caller, it is the caller's word: judged outbound, saying why.
    expect(actionContactRefusal(policy, { ...sms, params: { ...sms.params, direction: 'inbound' } }, facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours', reason: expect.stringContaining('judged as outbound although the request says direction inbound') });
    const perChannel = new Float64Array(CONTACT_CHANNELS.length);
    perChannel[CONTACT_CHANNELS.indexOf('sms')] = policy.maxContactsPerChannel;
    const smsFull: ContactSummary = { ...quietSummary, contacts: policy.maxContactsPerChannel, perChannel };
    expect(actionContactRefusal(policy, { ...sms, channel: 'app' }, facts(1, null, smsFull), NOON)).toMatchObject({ rule: 'channel-cap', reason: expect.stringContaining('on sms') });
    const email = request({ actionClass: 'communication', channel: 'app', params: { purpose: 'marketing', notificationChannel: 'email' } });
    expect(actionContactRefusal(policy, email, facts(1, null, smsFull), NOON)).toBeNull();
  });

  it('counts a delivered marketing message as a contact on its message channel; a care message is no marketing contact', () => {
    const ledger = new ContactLedger();
    const at = new Date(NOON - 3_600_000).toISOString();
    const message = (requestId: string, purpose: string, notificationChannel: string) => ({ id: `m-${requestId}`, kind: 'action' as const, customerId: 'C1', time: at, source: 'twinloop', v: 1 as const, data: { requestId, actionClass: 'communication' as const, channel: 'app' as const, status: 'delivered' as const, purpose, notificationChannel } });
    ledger.observe([message('r1', 'marketing', 'sms'), message('r2', 'retention', 'sms'), message('r3', 'care', 'sms'), message('r4', 'marketing', 'email')]);
    const summary = ledger.summary('C1', NOON, policy.periodDays)!;
    expect(summary.contacts).toBe(3);
    expect(summary.perChannel[CONTACT_CHANNELS.indexOf('sms')]).toBe(2);
    expect(summary.perChannel[CONTACT_CHANNELS.indexOf('email')]).toBe(1);
    expect(summary.perChannel[CONTACT_CHANNELS.indexOf('app')]).toBe(0);
    const third = request({ actionClass: 'communication', params: { purpose: 'marketing', notificationChannel: 'sms' } });
    expect(actionContactRefusal(policy, third, facts(1, null, summary), NOON)).toMatchObject({ rule: 'channel-cap' });
  });

  it('refuses marketing without consent, naming the rule; a customer who consented gets it', () => {
    const offer = request({ params: { offerId: 'data-bonus' } });
    expect(actionContactRefusal(policy, offer, facts(0), NOON)).toMatchObject({ rule: 'marketing-consent' });
    expect(actionContactRefusal(policy, offer, facts(1), NOON)).toBeNull();
  });

  it('keeps quiet hours for outbound marketing and care, not for a customer who called in', () => {
    expect(actionContactRefusal(policy, request({ params: { offerId: 'x' } }), facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours' });
    expect(actionContactRefusal(policy, request({ actionClass: 'communication', params: { purpose: 'care', notificationChannel: 'push' } }), facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours' });
    expect(actionContactRefusal(policy, request({ channel: 'call', actor: person, params: { offerId: 'x' } }), facts(1), NIGHT)).toBeNull();
    // An agent's offer on a call is no customer calling in: nobody is on the line.
    expect(actionContactRefusal(policy, request({ channel: 'call', params: { offerId: 'x' } }), facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours' });
  });

  it("judges a person on a call as reaching out when the customer's context shows no call of theirs in progress", () => {
    const onCall = request({ channel: 'call', actor: person, params: { offerId: 'x' } });
    // The newcomer's night: a care agent's offer "on a call" at 23:00 with no call going on went out as if the customer had called in.
    expect(actionContactRefusal(policy, { ...onCall, inContact: false }, facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours', reason: expect.stringContaining('judged as outbound: no call of C1 is in progress') });
    expect(actionContactRefusal(policy, { ...onCall, inContact: false, params: { offerId: 'x', direction: 'inbound' } }, facts(1), NIGHT)).toMatchObject({ rule: 'quiet-hours' });
    expect(actionContactRefusal(policy, { ...onCall, inContact: true }, facts(1), NIGHT)).toBeNull();
    // Where nothing says (no omnichannel context), a person on a call is taken at their word, as before.
    expect(actionContactRefusal(policy, onCall, facts(1), NIGHT)).toBeNull();
    // By day the outbound offer goes, under the outbound rules.
    expect(actionContactRefusal(policy, { ...onCall, inContact: false }, facts(1), NOON)).toBeNull();
  });

  it('service and legal messages (an outage notice) go at any hour, without marketing consent, to an opted-out channel', () => {
    for (const purpose of ['service', 'legal']) {
      expect(actionContactRefusal(policy, request({ actionClass: 'communication', params: { purpose, notificationChannel: 'sms' } }), facts(0, false), NIGHT)).toBeNull();
    }
  });

  it('honours a channel opt-out for every other message', () => {
    const sms = request({ actionClass: 'communication', channel: 'call', params: { purpose: 'care', notificationChannel: 'sms' } });
    expect(actionContactRefusal(policy, sms, facts(1, false), NOON)).toMatchObject({ rule: 'channel-opt-out' });
    expect(actionContactRefusal(policy, sms, facts(1, true), NOON)).toBeNull();
  });

  it("judges a campaign's offer sent by SMS on SMS: a customer who refused SMS but allowed the app gets the app variant, not the SMS one", () => {
    // An intent's variants: the same offer planned on sms and on in_app (as the request carries them after the parse).
    const bySms = request({ channel: carriedChannelOf({ actor: person, channel: 'app', params: { present: true, notificationChannel: 'sms' } }), params: { offerId: 'data-bonus', present: true, notificationChannel: 'sms', direction: 'outbound' } });
    const inApp = request({ channel: carriedChannelOf({ actor: person, channel: 'web', params: { present: true, notificationChannel: 'in_app' } }), params: { offerId: 'data-bonus', present: true, notificationChannel: 'in_app', direction: 'outbound' } });
    expect([bySms.channel, inApp.channel]).toEqual(['web', 'app']);
    expect(contactChannelOf(bySms)).toBe('sms');
    expect(actionContactRefusal(policy, bySms, facts(1, false), NOON)).toMatchObject({ rule: 'channel-opt-out', reason: expect.stringContaining('opted out of SMS') });
    expect(actionContactRefusal(policy, inApp, facts(1, false), NOON)).toBeNull();
    // Presented to a customer on the line, the offer is judged on the call, whatever message it names.
    expect(contactChannelOf(request({ channel: 'call', actor: person, params: { offerId: 'x', present: true, notificationChannel: 'sms', direction: 'inbound' } }))).toBe('call');
    expect(contactChannelOf(request({ channel: 'call', params: { offerId: 'x', present: true, notificationChannel: 'sms', direction: 'inbound' } }))).toBe('sms');
  });

  it('carries every message on the one channel the mapping gives it, unless a person on the line sends it to the customer they serve', () => {
    expect((['sms', 'email', 'push', 'in_app', 'human_task'] as const).map(deliveryChannelOf)).toEqual(['web', 'web', 'app', 'app', 'call']);
    // A service notice asked on app but sent by SMS is a web contact; an SMS a person sends a caller stays on the call; no message: as asked.
    const agent = { kind: 'agent' as const, id: 'a' };
    expect(carriedChannelOf({ actor: person, channel: 'app', params: { notificationChannel: 'sms', purpose: 'service' } })).toBe('web');
    expect(carriedChannelOf({ actor: person, channel: 'call', params: { notificationChannel: 'sms', direction: 'inbound' } })).toBe('call');
    expect(carriedChannelOf({ actor: agent, channel: 'store', params: { offerId: 'x' } })).toBe('store');
    // An AI agent saying its SMS answers a caller: the customer still receives an SMS, a web contact.
    expect(carriedChannelOf({ actor: agent, channel: 'call', params: { notificationChannel: 'sms', direction: 'inbound' } })).toBe('web');
    // A person on a digital channel is nobody's call: the mapping holds.
    expect(carriedChannelOf({ actor: person, channel: 'app', params: { notificationChannel: 'sms', direction: 'inbound' } })).toBe('web');
  });

  it('makes no second outbound offer while one awaits its answer, whichever flow made it; a person with the customer on the line still may', () => {
    const ledger = new ContactLedger();
    const at = NOON - 2 * 86_400_000;
    ledger.record('C1', { at, channel: 'call', offerId: 'data-bonus', response: 'presented' });
    const pending = ledger.summary('C1', NOON, policy.periodDays)!;
    expect(pending.pendingOffer).toEqual({ offerId: 'data-bonus', at });
    const campaignOffer = request({ channel: 'web', params: { offerId: 'retain-10', present: true, direction: 'outbound' } });
    expect(actionContactRefusal(policy, campaignOffer, facts(1, null, pending), NOON)).toMatchObject({ rule: 'offer-pending', reason: expect.stringMatching(/^offer data-bonus presented 2\.0 days ago still awaits the customer's answer/) });
    expect(actionContactRefusal(policy, request({ channel: 'call', actor: person, params: { offerId: 'retain-10', direction: 'inbound' } }), facts(1, null, pending), NOON)).toBeNull();
    // An AI agent's key or a campaign saying inbound stacks a second offer all the same: judged outbound.
    for (const actor of [{ kind: 'agent' as const, id: 'llm-1' }, { kind: 'system' as const, id: 'campaign' }]) {
      expect(actionContactRefusal(policy, request({ channel: 'call', actor, params: { offerId: 'retain-10', direction: 'inbound' } }), facts(1, null, pending), NOON)).toMatchObject({ rule: 'offer-pending', reason: expect.stringContaining(`${actor.kind} ${actor.id}, not a person`) });
    }
    // Answered (accepted), or its window over: the next offer may go.
    ledger.record('C1', { at: at + 3_600_000, channel: 'call', offerId: 'data-bonus', response: 'accepted' });
    expect(ledger.summary('C1', NOON, policy.periodDays)!.pendingOffer).toBeUndefined();
    const old = new ContactLedger();
    old.record('C1', { at: NOON - 8 * 86_400_000, channel: 'web', offerId: 'data-bonus', response: 'presented' });
    expect(old.summary('C1', NOON, policy.periodDays)!.pendingOffer).toBeUndefined();
  });

  it('keeps an offer presented pending when the same offering then goes out as a care message: a check-in sent is no answer', () => {
    const ledger = new ContactLedger();
    const at = NOON - 2 * 86_400_000;
    ledger.record('C1', { at, channel: 'sms', offerId: 'service-check-in', response: 'presented' });
    ledger.record('C1', { at: at + 3_600_000, channel: 'sms', offerId: 'service-check-in', response: 'sent' });
    expect(ledger.summary('C1', NOON, policy.periodDays)!.pendingOffer).toEqual({ offerId: 'service-check-in', at });
    ledger.record('C1', { at: at + 7_200_000, channel: 'sms', offerId: 'service-check-in', response: 'declined' });
    expect(ledger.summary('C1', NOON, policy.periodDays)!.pendingOffer).toBeUndefined();
  });

  it('caps marketing contacts per period', () => {
    const busy: ContactSummary = { ...quietSummary, contacts: policy.maxContacts };
    expect(actionContactRefusal(policy, request({ params: { offerId: 'x' } }), facts(1, null, busy), NOON)).toMatchObject({ rule: 'contact-cap' });
  });
});
