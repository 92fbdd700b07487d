import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { seededRandom } from '../domain/seeded-random.js';
import { openRecordStore } from '../store/open-record-store.js';
import type { RecordStore } from '../store/record-store.js';
import { FEATURE_COUNT, FEATURE_INDEX, NEVER_DAYS, type FeatureName } from '../twin/twin-features.js';
import { DecisionService } from './decision-service.js';
import type { ActionRequest } from './policy/index.js';

const NOON = Date.UTC(2026, 0, 15, 12);

function customer(): Float64Array {
  const f = new Float64Array(FEATURE_COUNT);
  const set: Partial<Record<FeatureName, number>> = {
    tenure_days: 800, marketing_consent: 1, active_plans: 1, monthly_price: 55, data_allowance_mb: 5120, data_mb_30d: 6000,
    months_over_allowance_3m: 2, complaints_90d: 1, days_since_offer_declined: NEVER_DAYS, days_since_offer_accepted: NEVER_DAYS,
  };
  for (const [k, v] of Object.entries(set)) f[FEATURE_INDEX[k as FeatureName]] = v as number;
  return f;
}

const iso = (ms: number) => new Date(ms).toISOString();
const action = (requestId: string, status: 'presented' | 'delivered' | 'failed', extra: Record<string, unknown> = {}): TwinEvent =>
  ({ id: `action:${requestId}:${status}`, kind: 'action', customerId: 'c1', time: iso(NOON + 1000), source: 'twinloop', v: 1, data: { requestId, actionClass: 'discount', channel: 'call', status, ...extra } }) as TwinEvent;
const answer = (answer: 'accepted' | 'declined' | 'ignored', offerId: string, extra: Record<string, unknown> = {}): TwinEvent =>
  ({ id: `offer-${answer}-${String(extra.requestId)}`, kind: 'offer', customerId: 'c1', time: iso(NOON + 2000), source: 'sandbox', v: 1, data: { action: answer, offerId, channel: 'call', ...extra } }) as TwinEvent;

describe('decision service: outcomes and the learner', () => {
  let dir: string;
  let records: RecordStore;
  let service: DecisionService;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twinloop-decisions-'));
    records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
  });
  afterEach(async () => {
    await service.close();
    await records.close();
    await rm(dir, { recursive: true, force: true });
  });
  const cell = (offerId: string, contextKey: string) => service.learner.snapshot().cells.find((c) => c.offerId === offerId && c.contextKey === contextKey);

  it('records an answer against the decision and its request, and teaches the learner the offer the request presented', async () => {
    const d = service.decide('c1', { channel: 'call' });
    // A person accepted another ranked action than the chosen one: its answer is about that offer.
    const requestId = `${d.decisionId}:retain-25`;
    service.observe([action(requestId, 'presented', { decisionId: d.decisionId, offerId: 'retain-25' })]);
    await service.observe([answer('declined', 'backend-25', { decisionId: d.decisionId, requestId })]);
    expect((await records.listDecisions())[0].outcome).toEqual({ accepted: false, reward: 0, at: NOON + 2000, result: 'declined', requestId });
    expect(cell('retain-25', d.contextKey)).toEqual({ offerId: 'retain-25', contextKey: d.contextKey, accepted: 0, declined: 1 });
  });

  it('closes a decision whose action was delivered or failed, and learns from campaign answers in the customer’s context', async () => {
    const d = service.decide('c1', { channel: 'call' });
    await service.observe([action(`${d.decisionId}:service-check-in`, 'delivered', { decisionId: d.decisionId, actionClass: 'communication' })]);
    expect((await records.listDecisions())[0].outcome).toMatchObject({ accepted: false, reward: 0, result: 'delivered', requestId: `${d.decisionId}:service-check-in` });
    await service.observe([action('cmp:spring:c1', 'presented', { offerId: 'retain-10', campaignId: 'spring' }), answer('accepted', 'retain-10', { decisionId: 'cmp:spring:c1', requestId: 'cmp:spring:c1' })]);
    expect(cell('retain-10', 'call|high-risk')).toMatchObject({ accepted: 1, declined: 0 });
    // An offer the catalogue does not hold teaches nothing.
    service.observe([answer('accepted', 'unknown-offer', { requestId: 'other' })]);
    expect(service.learner.snapshot().cells.some((c) => c.offerId === 'unknown-offer')).toBe(false);
  });

  it("teaches the learner a run's answer in the context its decision logged, also after a restart between the two", async () => {
    // A churn-prevention run logged its offer for c1 when c1's churn read low; the answer comes after a restart, when it reads high.
    const logged = { decisionId: 'cpr:2026-01:c1', customerId: 'c1', at: NOON, channel: 'app' as const, contextKey: 'app|low-risk', candidates: [{ actionId: 'retain-10', score: 5, expectedValue: 5, propensity: 0.9 }, { actionId: 'do-nothing', score: 0, expectedValue: 0, propensity: 0.1 }], chosen: 'retain-10', propensity: 0.9 };
    await service.logDecision(logged);
    await service.close();
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
    // The back end names its own offer id, and the presentation was seen before the restart: the decision says which offering it was.
    await service.observe([answer('declined', 'backend-10', { decisionId: logged.decisionId, requestId: 'cpr:req-1' })]);
    expect(cell('retain-10', 'app|low-risk')).toMatchObject({ accepted: 0, declined: 1 });
    expect(cell('retain-10', 'call|high-risk')).toBeUndefined();
    expect((await records.getDecision(logged.decisionId))?.outcome).toMatchObject({ accepted: false, result: 'declined', requestId: 'cpr:req-1' });
  });

  it("refuses any path's offer the customer accepted while it runs (a second campaign presented a data bonus two days after the first's was accepted)", async () => {
    await service.observe([{ ...answer('accepted', 'data-bonus', { requestId: 'cmp:first:c1' }), time: iso(NOON - 2 * 86_400_000) }]);
    const offer = (offerId: string, actor: ActionRequest['actor'] = { kind: 'agent', id: 'campaign-manager' }): ActionRequest =>
      ({ id: `cmp:second:c1:${offerId}`, actionClass: 'offer', channel: 'app', customerId: 'c1', cost: 0, params: { offerId }, features: {}, actor, why: {} }) as ActionRequest;
    const consents = () => ({ sms: null, email: null });
    expect(service.contactRefusal(offer('data-bonus'), consents)).toMatchObject({ rule: 'offer-in-force', reason: expect.stringContaining('it runs 3 months') });
    expect(service.contactRefusal(offer('retain-10'), consents)).toBeNull();
  });

  it("refuses on every path an offering its own eligibility rule excludes, naming the clause that fails with the customer's value (a campaign presented the data bonus to C002657: 0 months over, 27 % of the allowance used)", async () => {
    await service.close();
    // Within the allowance (27 % used, never over it) and a failed payment: neither the data bonus nor the upgrade is theirs.
    const within = customer();
    within[FEATURE_INDEX.months_over_allowance_3m] = 0;
    within[FEATURE_INDEX.data_mb_30d] = 1382.4;
    within[FEATURE_INDEX.payments_failed_90d] = 1;
    service = await DecisionService.open({ twins: { features: () => within }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
    const request = (offerId: string, actionClass: ActionRequest['actionClass'], actor: ActionRequest['actor']): ActionRequest =>
      ({ id: `r:${offerId}:${actor.kind}`, actionClass, channel: 'app', customerId: 'c1', cost: 0, params: { offerId }, features: {}, actor, why: {} }) as ActionRequest;
    const consents = () => ({ sms: null, email: null });
    for (const actor of [{ kind: 'agent', id: 'campaign-manager' }, { kind: 'human', id: 'ann' }, { kind: 'agent', id: 'mcp-client' }] as const) {
      expect(service.contactRefusal(request('data-bonus', 'offer', actor), consents)).toEqual({
        rule: 'offer-eligibility',
        reason: 'data-bonus may not go to c1 now: eligibility rule not met: none of its 2 alternatives holds: months_over_allowance_3m >= 1 (months_over_allowance_3m is 0); data_mb_30d > 0.8 * data_allowance_mb (data_mb_30d is 1382.4, data_allowance_mb is 5120) (the rule: months_over_allowance_3m >= 1 or data_mb_30d > 0.8 * data_allowance_mb)',
      });
    }
    // The failing clause of a conjunction is named alone, with the value that fails it.
    expect(service.contactRefusal(request('upgrade', 'plan_change', { kind: 'human', id: 'ann' }), consents)?.reason).toBe(
      'upgrade may not go to c1 now: eligibility rule not met: payments_failed_90d == 0 (payments_failed_90d is 1) (the rule: tenure_days >= 180 and payments_failed_90d == 0 and active_plans >= 1)',
    );
    // Decide gives the same answer, in the same words.
    const d = service.decide('c1', { channel: 'app' });
    expect(d.discarded.find((x) => x.actionId === 'upgrade')).toMatchObject({ step: 'eligibility', reason: expect.stringMatching(/^eligibility rule not met: payments_failed_90d == 0 \(payments_failed_90d is 1\)/) });
    expect(d.ranked.map((r) => r.actionId)).not.toContain('data-bonus');
    // An offering the rule admits is judged by the contact rules alone.
    expect(service.contactRefusal(request('retain-10', 'discount', { kind: 'agent', id: 'campaign-manager' }), consents)).toBeNull();
    within[FEATURE_INDEX.months_over_allowance_3m] = 1;
    expect(service.contactRefusal(request('data-bonus', 'offer', { kind: 'agent', id: 'campaign-manager' }), consents)).toBeNull();
  });

  it("keys an answer by the catalogue offering, not the back end's offer id (offer-in-force and the same-offer cool-down missed an offering whose sandboxOfferId differs)", async () => {
    const base = service.catalogueDocument().document.productOffering.find((o) => (o as { id?: string }).id === 'data-bonus') as Record<string, unknown>;
    await service.putOffering({ ...base, id: 'extra-data', sandboxOfferId: 'bonus-3m' });
    // Two offerings fulfilled by one back end offer: the request's presentation says which was answered.
    const retain = service.catalogueDocument().document.productOffering.find((o) => (o as { id?: string }).id === 'retain-10') as Record<string, unknown>;
    await service.putOffering({ ...retain, id: 'loyalty-10', sandboxOfferId: 'retain-10' });
    const daysAgo = (e: TwinEvent, days: number): TwinEvent => ({ ...e, time: iso(NOON - days * 86_400_000) });
    await service.observe([daysAgo(answer('accepted', 'bonus-3m', { requestId: 'cmp:a:c1' }), 2)]);
    await service.observe([daysAgo(action('cmp:b:c1', 'presented', { offerId: 'loyalty-10' }), 20), daysAgo(answer('declined', 'retain-10', { requestId: 'cmp:b:c1' }), 20)]);
    const offer = (offerId: string): ActionRequest =>
      ({ id: `cmp:c:c1:${offerId}`, actionClass: 'offer', channel: 'app', customerId: 'c1', cost: 0, params: { offerId }, features: {}, actor: { kind: 'agent', id: 'campaign-manager' }, why: {} }) as ActionRequest;
    const consents = () => ({ sms: null, email: null });
    expect(service.contactRefusal(offer('extra-data'), consents)).toMatchObject({ rule: 'offer-in-force' });
    expect(service.contactRefusal(offer('loyalty-10'), consents)).toMatchObject({ rule: 'same-offer-cooldown', reason: expect.stringContaining('declined this offer 20.0 days ago') });
    expect(service.contactRefusal(offer('retain-10'), consents)).toBeNull();
  });

  it('keys the log’s answers by the catalogue offering after a restart as well', async () => {
    const base = service.catalogueDocument().document.productOffering.find((o) => (o as { id?: string }).id === 'data-bonus') as Record<string, unknown>;
    await service.putOffering({ ...base, id: 'extra-data', sandboxOfferId: 'bonus-3m' });
    await service.close();
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
    service.rememberContacts([{ ...answer('accepted', 'bonus-3m', { requestId: 'cmp:a:c1' }), time: iso(NOON - 30 * 86_400_000) }]);
    const request = { id: 'cmp:c:c1', actionClass: 'offer', channel: 'app', customerId: 'c1', cost: 0, params: { offerId: 'extra-data' }, features: {}, actor: { kind: 'agent', id: 'campaign-manager' }, why: {} } as ActionRequest;
    expect(service.contactRefusal(request, () => ({ sms: null, email: null }))).toMatchObject({ rule: 'offer-in-force' });
  });

  it("presents no offer twice: one awaiting the customer's answer is refused on every path, a person on the line included (C023634 got a data bonus on a call while a run's was pending in the app)", async () => {
    await service.observe([{ ...answer('presented' as 'accepted', 'data-bonus', { requestId: 'cpr:2026-01:c1' }), time: iso(NOON - 8 * 3_600_000) }]);
    const onTheLine = (offerId: string): ActionRequest =>
      ({ id: `d1:${offerId}`, actionClass: 'offer', channel: 'call', customerId: 'c1', cost: 0, params: { offerId, direction: 'inbound' }, features: {}, actor: { kind: 'human', id: 'ann' }, why: {} }) as ActionRequest;
    const consents = () => ({ sms: null, email: null });
    expect(service.contactRefusal(onTheLine('data-bonus'), consents)).toMatchObject({ rule: 'same-offer-pending', reason: expect.stringContaining('still awaits the customer') });
    // Another offer may be made by a person on the line while one awaits its answer (only outbound is one offer at a time).
    expect(service.contactRefusal(onTheLine('retain-10'), consents)).toBeNull();
    const card = service.decide('c1', { channel: 'call' });
    expect(card.ranked.map((r) => r.actionId)).not.toContain('data-bonus');
    expect(card.discarded.find((d) => d.actionId === 'data-bonus')?.reason).toMatch(/still awaits the customer's answer/);
    // Once answered, the rule lets go (the accepted offer is then held by offer-in-force).
    await service.observe([{ ...answer('declined', 'data-bonus', { requestId: 'cpr:2026-01:c1' }), time: iso(NOON - 3_600_000) }]);
    expect(service.contactRefusal(onTheLine('data-bonus'), consents)?.rule).not.toBe('same-offer-pending');
  });

  it('ranks nothing the executor would refuse for who asks and the customer\'s consents: a check-in, sent as an SMS, is not proposed to a customer who opted out of SMS', async () => {
    const consents = { sms: true as boolean | null, email: null };
    await service.close();
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900 }), records, clock: { now: () => NOON }, random: seededRandom(7), consents: () => consents });
    const ranked = () => service.decide('c1', { channel: 'call', reason: 'billing_complaint' });
    expect(ranked().ranked.map((r) => r.actionId)).toContain('service-check-in');
    consents.sms = false;
    const card = ranked();
    // Before, the card proposed it, and accepting it was refused by the executor's contact rules (the same judgement now).
    expect(card.ranked.map((r) => r.actionId)).not.toContain('service-check-in');
    expect(card.discarded.find((d) => d.actionId === 'service-check-in')).toMatchObject({ step: 'contact-policy', reason: expect.stringContaining('opted out of SMS') });
    const request = { id: `${card.decisionId}:service-check-in`, actionClass: 'communication', channel: 'call', customerId: 'c1', cost: 0, params: { offerId: 'service-check-in', purpose: 'care', notificationChannel: 'sms', direction: 'inbound' }, features: {}, actor: { kind: 'human', id: 'ann' }, why: {} } as ActionRequest;
    expect(service.contactRefusal(request, () => consents)).toMatchObject({ rule: 'channel-opt-out' });
    // The offers, presented on the call, are not SMS: still proposed.
    expect(card.ranked.map((r) => r.actionId)).toContain('data-bonus');
  });

  it('proposes no check-in the customer got within 30 days, on any path (a card re-proposed one 10 days after a check-in was delivered by SMS)', async () => {
    const checkIn = (daysAgo: number, purpose: string, requestId: string): TwinEvent => ({
      ...action(requestId, 'delivered', { actionClass: 'communication', offerId: 'service-check-in', purpose, notificationChannel: 'sms' }),
      time: iso(NOON - daysAgo * 86_400_000),
    });
    const ranked = () => service.decide('c1', { channel: 'call', reason: 'billing_complaint' }).ranked.map((r) => r.actionId);
    expect(ranked()).toContain('service-check-in');
    // Accepted on a call's card 10 days ago and sent as an SMS (for care: no marketing contact).
    await service.observe([checkIn(10, 'care', 'd0:service-check-in')]);
    const card = service.decide('c1', { channel: 'call', reason: 'billing_complaint' });
    expect(card.ranked.map((r) => r.actionId)).not.toContain('service-check-in');
    expect(card.discarded.find((d) => d.actionId === 'service-check-in')).toMatchObject({ step: 'contact-policy', reason: expect.stringMatching(/^this message reached the customer 10\.0 days ago \(2026-01-05\): the same message is proposed or sent again only after 30 days$/) });
    // It counts against no marketing cap: the offers are proposed as before.
    expect(card.ranked.map((r) => r.actionId)).toContain('data-bonus');
    // An intent's check-in campaign (a retention message) holds it back alike; 31 days on it is proposed again.
    await service.close();
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
    service.rememberContacts([checkIn(31, 'care', 'd0:service-check-in'), checkIn(3, 'retention', 'cmp:intent-1:c1')]);
    expect(ranked()).not.toContain('service-check-in');
    await service.close();
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
    service.rememberContacts([checkIn(31, 'care', 'd0:service-check-in')]);
    expect(ranked()).toContain('service-check-in');
  });

  it("sends no check-in the customer got within 30 days on any path: the guarded executor's contact rules hold back an intent's campaign and a person's accept alike", async () => {
    const delivered = (daysAgo: number): TwinEvent => ({ ...action('d0:service-check-in', 'delivered', { actionClass: 'communication', offerId: 'service-check-in', purpose: 'care', notificationChannel: 'sms' }), time: iso(NOON - daysAgo * 86_400_000) });
    const checkIn = (id: string, purpose: string, actor: ActionRequest['actor'], channel: string, extra: Record<string, unknown> = {}): ActionRequest =>
      ({ id, actionClass: 'communication', channel, customerId: 'c1', cost: 0, params: { offerId: 'service-check-in', purpose, notificationChannel: 'sms', templateId: 'service-check-in', ...extra }, features: {}, actor, why: {} }) as ActionRequest;
    const campaign = checkIn('cmp:intent-1:c1', 'retention', { kind: 'agent', id: 'campaign-manager' }, 'web');
    const onTheLine = checkIn('d1:service-check-in', 'care', { kind: 'human', id: 'ann' }, 'call', { direction: 'inbound' });
    const consents = () => ({ sms: null, email: null });
    expect(service.contactRefusal(campaign, consents)).toBeNull();
    await service.observe([delivered(10)]);
    for (const request of [campaign, onTheLine]) {
      expect(service.contactRefusal(request, consents)).toMatchObject({ rule: 'same-message-recent', reason: expect.stringMatching(/^this message reached the customer 10\.0 days ago \(2026-01-05\): the same message is proposed or sent again only after 30 days$/) });
    }
    // Other messages and offers are not held back by it (it names one message, not every contact).
    expect(service.contactRefusal(checkIn('cmp:intent-2:c1', 'care', { kind: 'agent', id: 'campaign-manager' }, 'web', { offerId: undefined, templateId: 'care-follow-up' }), consents)).toBeNull();
    expect(service.contactRefusal({ ...campaign, id: 'cmp:c:c1', actionClass: 'offer', params: { offerId: 'data-bonus' } }, consents)?.rule).not.toBe('same-message-recent');
    // 31 days on, it may go again.
    await service.close();
    service = await DecisionService.open({ twins: { features: () => customer() }, scores: () => ({ churn: 0.45, clv: 900, atRisk: true }), records, clock: { now: () => NOON }, random: seededRandom(7) });
    service.rememberContacts([delivered(31)]);
    expect(service.contactRefusal(campaign, consents)).toBeNull();
  });

  it("judges a request again without its own delivery: a repeat after a crash that followed its action event is no earlier contact of itself (same-message-recent 0.0 days ago, same-offer-pending)", async () => {
    const consents = () => ({ sms: null, email: null });
    const checkIn = (id: string): ActionRequest =>
      ({ id, actionClass: 'communication', channel: 'call', customerId: 'c1', cost: 0, params: { offerId: 'service-check-in', purpose: 'care', notificationChannel: 'sms', templateId: 'service-check-in', direction: 'inbound' }, features: {}, actor: { kind: 'human', id: 'ann' }, why: {} }) as ActionRequest;
    const bonus = (id: string): ActionRequest => ({ id, actionClass: 'offer', channel: 'call', customerId: 'c1', cost: 0, params: { offerId: 'data-bonus', direction: 'inbound' }, features: {}, actor: { kind: 'human', id: 'ann' }, why: {} }) as ActionRequest;
    // The check-in went out a moment ago under its request id: judged again, it passes its own
    // delivery; any other request is refused by it.
    await service.observe([{ ...action('d6:service-check-in', 'delivered', { actionClass: 'communication', offerId: 'service-check-in', purpose: 'care', notificationChannel: 'sms' }), time: iso(NOON) }]);
    expect(service.contactRefusal(checkIn('d6:service-check-in'), consents)).toBeNull();
    expect(service.contactRefusal(checkIn('d8:service-check-in'), consents)).toMatchObject({ rule: 'same-message-recent', reason: expect.stringContaining('0.0 days ago') });
    // The same for an offer presented under its request id.
    await service.observe([{ ...answer('presented' as 'accepted', 'data-bonus', { requestId: 'd7:data-bonus' }), time: iso(NOON) }]);
    expect(service.contactRefusal(bonus('d7:data-bonus'), consents)).toBeNull();
    expect(service.contactRefusal(bonus('d8:data-bonus'), consents)).toMatchObject({ rule: 'same-offer-pending' });
  });

  it("judges a person's request by whether the customer was in contact when it was asked (its stamp), not by the context now: with no call in progress they reach out", async () => {
    await service.observe([{ ...answer('presented' as 'accepted', 'data-bonus', { requestId: 'cpr:2026-02:c1' }), time: iso(NOON - 8 * 3_600_000) }]);
    const onTheLine = { id: 'd2:retain-10', actionClass: 'offer', channel: 'call', customerId: 'c1', cost: 0, params: { offerId: 'retain-10', direction: 'inbound' }, features: {}, actor: { kind: 'human', id: 'ann' }, why: {} } as ActionRequest;
    const consents = () => ({ sms: null, email: null });
    // The context says the call is over now; what counts is what was stamped when the request was asked.
    service.setInContact(() => false);
    expect(service.inContactOf('c1', onTheLine.actor, 'call')).toBe(false);
    // Asked with no call in progress: outbound, one offer at a time (the data bonus awaits its answer).
    expect(service.contactRefusal({ ...onTheLine, inContact: false }, consents)).toMatchObject({ rule: 'offer-pending', reason: expect.stringContaining('judged as outbound: no call of c1 is in progress') });
    // Asked on the call, judged (approved, say) after it ended: still the customer's contact.
    expect(service.contactRefusal({ ...onTheLine, inContact: true }, consents)).toBeNull();
    // Nothing known when asked (no interaction of the channel seen): the person is taken at their word.
    expect(service.contactRefusal(onTheLine, consents)).toBeNull();
    // The context is read only for a person on an assisted channel.
    expect(service.inContactOf('c1', { kind: 'agent' }, 'call')).toBeUndefined();
    expect(service.inContactOf('c1', onTheLine.actor, 'web')).toBeUndefined();
  });

  it('starts an offering added later from its own acceptance prior', async () => {
    const base = service.catalogueDocument().document.productOffering[0] as Record<string, unknown>;
    await service.putOffering({ ...base, id: 'new-bonus', acceptancePrior: 0.5 });
    expect(service.learner.mean('new-bonus', 'call|high-risk')).toBeCloseTo(0.5, 6);
  });
});
