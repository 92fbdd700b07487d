import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultCatalogue } from '../../decisioning/default-catalogue.js';
import { DecisionService, type LoggedChoice } from '../../decisioning/decision-service.js';
import type { ActionRequest, ActionRequestInput } from '../../decisioning/policy/index.js';
import type { TwinEvent } from '../../domain/events.js';
import { partitionOf } from '../../domain/partitions.js';
import { DAY_MS } from '../../domain/time.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import type { PartitionKey } from '../../twin/partition-order.js';
import { TwinEngine } from '../../twin/twin-engine.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../../twin/twin-features.js';
import type { AudienceCandidate } from '../../agents/flows/campaign-audience.js';
import { OFFER_SETTLEMENTS, type OfferSettlement } from '../../agents/governance/offer-settlement.js';
import { offerSettlementBook } from '../../agents/governance/offer-settlement-book.js';
import { cents, offeringPrice } from '../../decisioning/action-pricing.js';
import { ManualClock } from '../../domain/clock.js';
import { isHeld, TwinloopError } from '../../domain/errors.js';
import { NO_SCORES_TO_FILTER, SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../decisioning/policy/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { createApprovalQueue, WITHDRAWN_DECIDER, type ApprovalQueue } from '../../agents/governance/approval-queue.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { ACTION_ASKS, createGuardedExecutor, type Ask, type GuardedExecutor, type GuardedExecutorOptions } from '../../agents/governance/guarded-executor.js';
import { recordDocuments } from '../../store/document-store.js';
import { rejected } from '../../domain/connectors/connector-result.js';
import { outcomeOf } from '../../agents/flows/connector-executor.js';
import { CAMPAIGN_ANSWERS } from './campaign-answers.js';
import { holdoutRegister } from '../../agents/governance/holdout-register.js';
import { CAMPAIGN_HOLDS, type CampaignHold, type CampaignState } from './campaign-state.js';
import { batchShare, campaignDelivery, CONTACTS_PER_BATCH, HOLD_READ_EVERY_CONTACTS, MAX_WAITING_FOR_A_PERSON } from './campaign-delivery.js';
import { contactGate, resolveContactPolicy } from '../../decisioning/contact-policy.js';
import type { OperatorServices } from './operator-services.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** An active postpaid customer with one plan (at `monthlyPrice`) and a complaint (so the service check-in is eligible), a customer since `days` ago. */
function customer(engine: TwinEngine, id: string, days = 400, marketing = true, monthlyPrice = 40): void {
  const events: TwinEvent[] = [
    { id: `${id}-c`, kind: 'customer', customerId: id, time: iso(T0 - days * DAY_MS), source: 't', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: iso(T0 - days * DAY_MS), consent: { marketing } } },
    { id: `${id}-s`, kind: 'subscription', customerId: id, time: iso(T0 - (days - 1) * DAY_MS), source: 't', v: 1, data: { action: 'activated', subscriptionId: `${id}-L1`, productKind: 'plan', productId: 'P1', monthlyPrice } },
  ];
  for (const e of events) engine.apply(e, Date.parse(e.time));
}

/** A register in which nobody is held out (the campaign's own control group is registered and forgotten). */
const noHoldouts = { load: async () => undefined, heldBy: () => undefined, hold: async () => undefined, release: async () => 0, contactsOf: async () => [] };

/** The decisions the deliveries logged, in order. */
let logged: LoggedChoice[] = [];
/** The decision service as a delivery uses it: the catalogue, and the log of each contact's decision. */
const decisionsLogged = () => ({ catalogue: defaultCatalogue(), logDecision: async (c: LoggedChoice) => void logged.push(c), offerIneligibility: (): string | undefined => undefined });

/** The services a delivery reads, over `engine`, whose guarded executor answers every request with `execute`. */
function servicesOver(engine: TwinEngine, execute: (r: ActionRequestInput) => Promise<unknown>, more: { guarded?: Pick<GuardedExecutor, 'withdraw'>; approvals?: ApprovalQueue } = {}): OperatorServices {
  return { twins: { engine }, scoreFields: undefined, decisions: decisionsLogged(), clock: { now: () => T0 }, holdouts: noHoldouts, guarded: { execute, ...more.guarded }, ...(more.approvals ? { approvals: more.approvals } : {}) } as unknown as OperatorServices;
}

/** A fresh embedded record store, removed after the test. */
async function freshRecords(): Promise<RecordStore> {
  const dir = mkdtempSync(join(tmpdir(), 'flows-campaign-'));
  dirs.push(dir);
  return openRecordStore({ kind: 'sqlite', dataDir: dir });
}

const dirs: string[] = [];

/**
 * The real guarded executor over a governance store of its own, under a policy that has every offer
 * and discount wait for a person (an operator's policy that has campaigns' offers approved); the
 * offers' settlements kept in `records`, where the campaign reads them. `acted` holds what was carried out.
 */
async function guardedWithOffersApproved(engine: TwinEngine, records: RecordStore, contact?: GuardedExecutorOptions['contact'], clock = new ManualClock(T0), approved = true) {
  const gdir = mkdtempSync(join(tmpdir(), 'flows-campaign-gov-'));
  dirs.push(gdir);
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir: gdir });
  const policy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: (DEFAULT_ACTION_POLICY.rules ?? []).map((r) => (approved && (r.actionClass === 'offer' || r.actionClass === 'discount') ? { ...r, mode: 'approve' as const } : r)) });
  const catalogue = defaultCatalogue();
  const acted: ActionRequest[] = [];
  const queue = createApprovalQueue(store, clock);
  const guarded = createGuardedExecutor({ policy, contact, asks: recordDocuments<Ask>(records, ACTION_ASKS), ledger: createBudgetLedger(store), queue, audit: createAuditTrail(store, clock), settlements: offerSettlementBook(records), executor: async (r) => (acted.push(r), { ok: true }), clock, pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: (id) => engine.features(id)?.[FEATURE_INDEX.monthly_price] } });
  return { store, guarded, acted, clock, queue };
}
afterEach(() => {
  logged = [];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The settlement of campaign `campaignId`'s offer to `customerId`, of 10 paid on acceptance. */
const settlement = (campaignId: string, customerId: string, state: OfferSettlement['state'], more: Partial<OfferSettlement> = {}): OfferSettlement => ({
  requestId: `cmp:${campaignId}:${customerId}`,
  customerId,
  actionClass: 'discount',
  channel: 'app',
  amount: 10,
  claims: [],
  state,
  presentedAt: T0,
  ...more,
});

describe('campaign delivery', () => {
  it('sends a no-offer check-in as a message on the planned channel, and presents only offers the back end knows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-campaign-'));
    dirs.push(dir);
    const engine = new TwinEngine();
    for (let i = 0; i < 30; i++) customer(engine, `C${i}`);
    const requests: ActionRequestInput[] = [];
    const services = {
      twins: { engine },
      scoreFields: undefined,
      decisions: decisionsLogged(), clock: { now: () => T0 }, holdouts: noHoldouts,
      guarded: { execute: async (r: ActionRequestInput) => (requests.push(r), { status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' }) },
    } as unknown as OperatorServices;
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    const variants = [
      { id: 'a0-service-check-in-email', offerId: 'service-check-in', channel: 'web' as const, notificationChannel: 'email' as const },
      { id: 'a1-retain-10-sms', offerId: 'retain-10', channel: 'web' as const, notificationChannel: 'sms' as const },
    ];
    await delivery.open({ campaignId: 'cmp1', variants, budget: 20, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('cmp1', { tick: 1, shares: { 'a0-service-check-in-email': 0.5, 'a1-retain-10-sms': 0.5 }, paused: [], remainingBudget: 20 });

    // Each contact is a decision in the one log first, under the request's id, with the tick's shares as propensities.
    expect(logged.map((d) => d.decisionId)).toEqual(requests.map((r) => r.id));
    for (const d of logged) {
      expect(d.chosen).toBe(requests.find((r) => r.id === d.decisionId)!.params?.offerId);
      expect(d).toMatchObject({ channel: 'web', propensity: 0.5, at: T0 });
      expect(d.candidates).toEqual([{ actionId: 'service-check-in', score: 0, expectedValue: 0, propensity: 0.5 }, { actionId: 'retain-10', score: 0, expectedValue: 0, propensity: 0.5 }]);
    }
    const checkIns = requests.filter((r) => r.params?.offerId === 'service-check-in');
    const offers = requests.filter((r) => r.params?.offerId === 'retain-10');
    expect(checkIns.length).toBeGreaterThan(0);
    expect(offers.length).toBeGreaterThan(0);
    // The check-in has no back-end offer: it is a communication sent by e-mail, never presented.
    for (const r of checkIns) {
      expect(r.actionClass).toBe('communication');
      expect(r.params).toMatchObject({ notificationChannel: 'email', purpose: 'retention', templateId: 'service-check-in' });
      expect(r.params?.present).toBeUndefined();
      expect(typeof r.params?.body).toBe('string');
    }
    for (const r of offers) expect(r.params?.present).toBe(true);
    // Every contact made is a presentation, counted when made: a message sent, an offer presented.
    const stats = await delivery.stats('cmp1');
    const checkIn = stats.variants.find((v) => v.variantId === 'a0-service-check-in-email')!;
    expect(checkIn.presented).toBe(checkIns.length);
    expect(checkIn.failed ?? 0).toBe(0);
    expect(stats.variants.find((v) => v.variantId === 'a1-retain-10-sms')!.presented).toBe(offers.length);
    await records.close();
  });

  it('leaves out a customer whose contact the back end refused for good (they had left), asking them once, not at every tick', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 6; i++) customer(engine, `C${i}`);
    const asked: string[] = [];
    // C2 has left: the back end refuses their contact for good; the others are contacted.
    const services = servicesOver(engine, async (r) => {
      asked.push(r.customerId!);
      return r.customerId === 'C2'
        ? { status: 'failed', requestId: r.id, reason: 'the action failed: customer_not_active', retryable: false }
        : { status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' };
    });
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    const variants = [{ id: 'v', offerId: 'data-bonus', channel: 'app' as const }];
    await delivery.open({ campaignId: 'gone', variants, budget: 50, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    // One contact a tick: the budget of a tick covers one.
    for (let tick = 1; tick <= 8; tick++) await delivery.apply('gone', { tick, shares: { v: 1 }, paused: [], remainingBudget: 50 - (tick - 1) * 0.5 });
    expect(asked.filter((id) => id === 'C2')).toEqual(['C2']);
    expect(new Set(asked)).toEqual(new Set(['C0', 'C1', 'C2', 'C3', 'C4', 'C5']));
    const view = (await delivery.view('gone'))!;
    expect(view).toMatchObject({ leftOut: { 'refused-by-back-end': 1 }, audienceLeft: 0 });
    await records.close();
  });

  it('waits for the first churn model when started before one serves: taken at the start, its open a hold the run waits out (no try spent), then drawn on the scores', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 40; i++) customer(engine, `C${i}`);
    let serving = false;
    // The live scores as a segment reads them: none before a model serves (the one error every reader of them gives).
    const scoreFields = {
      names: SCORE_FIELDS,
      reader() {
        if (!serving) throw new TwinloopError('UNAVAILABLE', NO_SCORES_TO_FILTER);
        return (customerId: string, out: Float64Array, offset: number) => {
          out[offset] = Number(customerId.slice(1)) % 2 === 0 ? 0.3 : 0.01;
          out[offset + 1] = 900;
          out[offset + 2] = 0;
        };
      },
      readable: () => serving,
    };
    const services = { ...servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' })), scoreFields } as OperatorServices;
    const records = await freshRecords();
    const reader = { atStake: () => undefined, profile: () => undefined, kindOf: () => 'discount' as const, model: () => (serving ? 'm1' : null) };
    const delivery = campaignDelivery(() => services, records, () => 0.5, reader);
    const input = { campaignId: 'early', variants: [{ id: 'v', offerId: 'data-bonus', channel: 'app' as const }], audience: [{ field: 'churn', op: '>=' as const, value: 0.05 }], budget: 50, controlShare: 0.1, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    // The start takes it (its audience cannot be counted yet); its open waits, saying for what.
    expect(await delivery.refusalOf(input)).toBeUndefined();
    const waiting = await delivery.open(input).catch((err: unknown) => err);
    expect(waiting).toBeInstanceOf(TwinloopError);
    expect(isHeld(waiting)).toBe(true);
    expect((waiting as TwinloopError).message).toMatch(/^campaign early opens once a churn model serves: .*none serves yet \(a first start trains one once its history is in/);
    expect(await delivery.view('early')).toBeNull();
    // Its window over with still no model, it fails saying so, rather than wait on and open after its end.
    await expect(delivery.open({ ...input, campaignId: 'too-late', endAt: T0 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^campaign too-late ended \(.*\) before a churn model served: .*nobody was contacted/) });
    expect(await delivery.view('too-late')).toBeNull();
    // Once one serves, it opens on the scores: the customers of its segment only.
    serving = true;
    await delivery.open(input);
    const opened = (await records.get<{ queue: string[]; control: string[] }>('campaigns', 'early'))!.body;
    const drawn = [...opened.queue, ...opened.control];
    expect(drawn.length).toBeGreaterThan(10);
    expect(drawn.every((id) => Number(id.slice(1)) % 2 === 0)).toBe(true);
    await records.close();
  });

  it("waits on a partition worker while another worker serves no churn model: its open a hold naming them (it failed the old way while this one served a model), and a worker serving none answers no candidates, saying so", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 10; i++) customer(engine, `C${i}`);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' }));
    const records = await freshRecords();
    let model: string | null = 'm1';
    const reader = { atStake: () => 1, profile: () => undefined, kindOf: () => 'discount' as const, model: () => model };
    const elsewhere = new TwinloopError('UNAVAILABLE', 'none serves yet on the workers holding 21 of the 64 partitions (the others serve m1)', { context: { noChurnModel: true } });
    const across = { audience: () => Promise.reject(elsewhere), churnedAmong: async () => new Set<string>(), guarded: () => services.guarded };
    const delivery = campaignDelivery(() => services, records, () => 0.5, reader, () => across);
    const input = { campaignId: 'on-workers', variants: [{ id: 'v', offerId: 'data-bonus', channel: 'app' as const }], audience: [{ field: 'churn', op: '>=' as const, value: 0.05 }], budget: 50, controlShare: 0.1, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    expect(await delivery.refusalOf(input)).toBeUndefined();
    const waiting = await delivery.open(input).catch((err: unknown) => err);
    expect(isHeld(waiting)).toBe(true);
    expect((waiting as TwinloopError).message).toMatch(/^campaign on-workers opens once a churn model serves: .* and none serves yet on the workers holding 21 of the 64 partitions \(the others serve m1\) \(a first start/);
    // A worker's page: valued with its model, or none and no candidates while it serves none.
    expect(delivery.candidatesPage([], null, 100, () => true)).toMatchObject({ model: 'm1', items: expect.arrayContaining([expect.objectContaining({ customerId: 'C0' })]) });
    model = null;
    expect(delivery.candidatesPage([], null, 100, () => true)).toEqual({ items: [], next: null, model: null });
    await records.close();
  });

  it('contacts a customer whose variant\'s offer the back end refused (the offer, not them) with another variant, under an id of its own, through the real executor: nobody left out, no CONFLICT', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 6; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const gdir = mkdtempSync(join(tmpdir(), 'flows-campaign-gov-'));
    dirs.push(gdir);
    const store = await openGovernanceStore({ kind: 'sqlite', dataDir: gdir });
    const clock = new ManualClock(T0);
    const catalogue = defaultCatalogue();
    const acted: ActionRequest[] = [];
    const refusedAsks: ActionRequest[] = [];
    // The BSS does not sell data-bonus (its code says the refusal is about the offer); the check-in goes out.
    const guarded = createGuardedExecutor({
      policy: parseActionPolicy(DEFAULT_ACTION_POLICY),
      asks: recordDocuments<Ask>(records, ACTION_ASKS),
      ledger: createBudgetLedger(store),
      queue: createApprovalQueue(store, clock),
      audit: createAuditTrail(store, clock),
      settlements: offerSettlementBook(records),
      clock,
      pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: (id) => engine.features(id)?.[FEATURE_INDEX.monthly_price] },
      executor: async (r) => {
        if (r.params.offerId !== 'data-bonus') return (acted.push(r), { ok: true });
        refusedAsks.push(r);
        return outcomeOf(rejected('unknown_offer'), () => ({}));
      },
    });
    const asked: ActionRequestInput[] = [];
    const services = servicesOver(engine, (r) => (asked.push(r), guarded.execute(r)));
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    const variants = [
      { id: 'bonus', offerId: 'data-bonus', channel: 'app' as const },
      { id: 'check-in', offerId: 'service-check-in', channel: 'web' as const, notificationChannel: 'email' as const },
    ];
    await delivery.open({ campaignId: 'unsold', variants, budget: 50, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    for (let tick = 1; tick <= 3; tick++) await delivery.apply('unsold', { tick, shares: { bonus: 0.5, 'check-in': 0.5 }, paused: [], remainingBudget: 50 });
    expect(refusedAsks.length).toBeGreaterThan(0);
    const view = (await delivery.view('unsold'))!;
    // Every customer reached, the refused ones with the check-in; nobody counted as refused themselves.
    expect(view).toMatchObject({ treated: 6, audienceLeft: 0, leftOut: {} });
    expect(new Set(acted.map((r) => r.customerId))).toEqual(new Set(['C0', 'C1', 'C2', 'C3', 'C4', 'C5']));
    for (const r of refusedAsks) {
      // Asked once with the refused offer, then once with the check-in under another id.
      expect(asked.filter((a) => a.customerId === r.customerId && a.params?.offerId === 'data-bonus')).toHaveLength(1);
      const other = acted.filter((a) => a.customerId === r.customerId);
      expect(other).toHaveLength(1);
      expect(other[0].params.offerId).toBe('service-check-in');
      expect(other[0].id).not.toBe(r.id);
      expect(other[0].params.decisionId).toBe(other[0].id);
      // Its own decision in the log, with the offer it made.
      expect(logged.find((d) => d.decisionId === other[0].id)).toMatchObject({ customerId: r.customerId, chosen: 'service-check-in' });
    }
    const stats = await delivery.stats('unsold');
    expect(stats.variants.find((v) => v.variantId === 'bonus')).toMatchObject({ failed: refusedAsks.length, lastFailure: 'the action failed: unknown_offer' });
    await store.close();
    await records.close();
  });

  it('leaves out, saying the offer was refused, a customer whose variant\'s offer the back end refused when no other variant runs; one who left is refused-by-back-end', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 4; i++) customer(engine, `C${i}`);
    const asked: ActionRequestInput[] = [];
    // C0 has left (about the customer); the offer is refused for everyone else (about the offer).
    const services = servicesOver(engine, async (r) => {
      asked.push(r);
      return r.customerId === 'C0'
        ? { status: 'failed', requestId: r.id, reason: 'the action failed: customer_not_active', retryable: false, about: 'customer' }
        : { status: 'failed', requestId: r.id, reason: 'the action failed: unknown_offer', retryable: false, about: 'offer' };
    });
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    const variants = [
      { id: 'bonus', offerId: 'data-bonus', channel: 'app' as const },
      { id: 'retain', offerId: 'retain-10', channel: 'app' as const },
    ];
    await delivery.open({ campaignId: 'none-left', variants, budget: 50, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    // The other variant was paused (undeliverable): only the bonus runs.
    for (let tick = 1; tick <= 2; tick++) await delivery.apply('none-left', { tick, shares: { bonus: 1, retain: 0 }, paused: ['retain'], remainingBudget: 50 });
    expect(new Set(asked.map((r) => r.customerId))).toEqual(new Set(['C0', 'C1', 'C2', 'C3']));
    expect(asked).toHaveLength(4);
    expect((await delivery.view('none-left'))!).toMatchObject({ leftOut: { 'refused-by-back-end': 1, 'offer-refused-by-back-end': 3 }, audienceLeft: 0 });
    await records.close();
  });

  it('keeps its customers through quiet hours and contacts them at the next tick', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-campaign-'));
    dirs.push(dir);
    const engine = new TwinEngine();
    for (let i = 0; i < 10; i++) customer(engine, `C${i}`);
    let quiet = true;
    const contacted = new Set<string>();
    const services = {
      twins: { engine },
      scoreFields: undefined,
      decisions: decisionsLogged(), clock: { now: () => T0 }, holdouts: noHoldouts,
      guarded: {
        execute: async (r: ActionRequestInput) =>
          quiet
            ? { status: 'refused', requestId: r.id, reason: 'quiet hours', verdict: { guardrail: 'quiet-hours' } }
            : (contacted.add(r.customerId!), { status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' }),
      },
    } as unknown as OperatorServices;
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    const variants = [{ id: 'v', offerId: 'service-check-in', channel: 'web' as const, notificationChannel: 'sms' as const }];
    await delivery.open({ campaignId: 'cmp2', variants, budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('cmp2', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(contacted.size).toBe(0);
    quiet = false;
    await delivery.apply('cmp2', { tick: 2, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    // Nobody was dropped for the hour of the first tick: all ten are reached at the second.
    expect(contacted.size).toBe(10);
    await records.close();
  });

  it('leaves the customers with no marketing consent out of the audience before drawing it, and counts them (no-consent)', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 6; i++) customer(engine, `C${i}`, 400, i % 3 !== 1);
    const records = await freshRecords();
    const asked: string[] = [];
    const services = servicesOver(engine, async (r) => {
      asked.push(r.customerId ?? '');
      return { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' };
    });
    const delivery = campaignDelivery(() => services, records, () => 1);
    const variants = [
      { id: 'discount-app', offerId: 'retain-10', channel: 'app' as const },
      { id: 'bonus-app', offerId: 'data-bonus', channel: 'app' as const },
    ];
    await delivery.open({ campaignId: 'cmp-consent', variants, budget: 400, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    // Never in the queue: the old code drew C1 and C4 and the executor's contact rules refused them.
    const opened = (await delivery.view('cmp-consent', { churn: false }))!;
    expect(opened.leftOut).toEqual({ 'no-consent': 2 });
    expect(opened.audienceLeft).toBe(4);
    await delivery.apply('cmp-consent', { tick: 1, shares: { 'discount-app': 0.5, 'bonus-app': 0.5 }, paused: [], remainingBudget: 400 });
    expect([...asked].sort()).toEqual(['C0', 'C2', 'C3', 'C5']);
    // No decision logged for them either.
    expect(logged.filter((c) => c.customerId === 'C1' || c.customerId === 'C4')).toEqual([]);
    expect((await delivery.view('cmp-consent', { churn: false }))!.leftOut).toEqual({ 'no-consent': 2 });
    await records.close();
  });

  it("leaves out a churn-prevention run's control group, counted as held-out, also after a restart, and holds out its own control until it ends", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 8; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    // The churn-prevention run held C1 and C5 out as its control group, until its horizon.
    const churnRun = { flow: 'churn-prevention' as const, runId: 'churn-prevention-2026-11-01-08-00' };
    await holdoutRegister(records).hold({ ...churnRun, from: T0 - DAY_MS, until: T0 + 30 * DAY_MS, customerIds: ['C1', 'C5'] });
    // A restart: the register the campaign reads is read back from the store.
    const holdouts = holdoutRegister(records);
    await holdouts.load(T0);
    const asked: string[] = [];
    const services = { ...servicesOver(engine, async (r) => (asked.push(r.customerId ?? ''), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), holdouts } as OperatorServices;
    const delivery = campaignDelivery(() => services, records, () => 1);
    const variants = [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }];
    await delivery.open({ campaignId: 'nc-retention', variants, budget: 400, controlShare: 0.3, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const opened = (await delivery.view('nc-retention', { churn: false }))!;
    expect(opened.leftOut).toEqual({ 'held-out': 2 });
    await delivery.apply('nc-retention', { tick: 1, shares: { 'discount-app': 1 }, paused: [], remainingBudget: 400 });
    expect(asked).not.toContain('C1');
    expect(asked).not.toContain('C5');
    expect(logged.filter((c) => c.customerId === 'C1' || c.customerId === 'C5')).toEqual([]);
    // Its own control group is held out until it ends, for the next run to read (after a restart too).
    const control = (await records.get<{ control: string[] }>('campaigns', 'nc-retention'))!.body.control;
    expect(control.length).toBeGreaterThan(0);
    const later = holdoutRegister(records);
    await later.load(T0 + DAY_MS);
    expect(later.heldBy(control[0], T0 + DAY_MS)).toEqual({ flow: 'campaign', runId: 'nc-retention', until: T0 + 20 * DAY_MS });
    expect(later.heldBy(control[0], T0 + 20 * DAY_MS)).toBeUndefined();
    await records.close();
  });

  it("holds out its share of a segment another campaign of the same seed holds its control out of, and refuses a share that holds out nobody", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 60; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const holdouts = holdoutRegister(records);
    const services = { ...servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), holdouts } as OperatorServices;
    const delivery = campaignDelivery(() => services, records, () => 1);
    const start = (campaignId: string, controlShare: number) =>
      delivery.open({ campaignId, variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], budget: 400, controlShare, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    // The tour's campaign holds its control out of the segment until it ends.
    await start('tour-retention', 0.1);
    const first = (await delivery.view('tour-retention', { churn: false }))!;
    // Held out from the start; compared from their turns (nobody's has come before a tick).
    expect(first.control).toEqual({ customers: 0, churned: 0, awaitingTurn: 6 });
    // An intent's campaign over the same customers, same seed: the tour's control is left out
    // before drawing, and it still holds out its own share of the rest (it held out nobody).
    // Its plan, made before it opens, counts the control it then holds by the same draw (it said 6 of the segment's 60).
    const planned = await delivery.audienceOf({ campaignId: 'intent-1-r0-p3', variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], controlShare: 0.1, seed: 1 });
    expect(planned).toEqual({ segment: 60, mayContact: 54, control: 5, left: { 'held-out': 6 } });
    expect(await delivery.view('intent-1-r0-p3')).toBeNull();
    await start('intent-1-r0-p3', 0.1);
    const second = (await delivery.view('intent-1-r0-p3', { churn: false }))!;
    expect(second.leftOut).toEqual({ 'held-out': 6 });
    expect(second.control?.awaitingTurn).toBe(planned.control);
    expect(second.audienceLeft).toBe(49);
    // An audience whose share rounds to nobody is not run, saying why and what to do.
    const few = new TwinEngine();
    for (let i = 0; i < 4; i++) customer(few, `F${i}`);
    const small = campaignDelivery(() => ({ ...servicesOver(few, async (r) => ({ status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), holdouts: noHoldouts }) as unknown as OperatorServices, records, () => 1);
    const refused = small.open({ campaignId: 'tiny', variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], budget: 400, controlShare: 0.1, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await expect(refused).rejects.toThrow(/^campaign tiny is not run: its control share 0.1 of an audience of 4 holds out nobody, so nothing would measure what it changes; widen its audience, or start it with controlShare 0/);
    // And a plan of it says so before it is approved.
    expect(await small.audienceOf({ campaignId: 'tiny', variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], controlShare: 0.1, seed: 1 })).toEqual({ segment: 4, mayContact: 4, control: 0, left: {} });
    // Its start is refused with the same words (counted by the same draw), keeping nothing.
    expect(await small.refusalOf({ campaignId: 'tiny', variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], controlShare: 0.1, seed: 1 })).toMatch(/^campaign tiny is not run: its control share 0.1 of an audience of 4 holds out nobody/);
    expect(await small.refusalOf({ campaignId: 'tiny', variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], controlShare: 0, seed: 1 })).toBeUndefined();
    expect(await small.view('tiny')).toBeNull();
    await records.close();
  });

  it("draws no more than its plan's selection (audienceMax): the first of the segment by rank, its control among them, the rest never its audience", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 60; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const delivery = campaignDelivery(() => ({ ...servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), holdouts: noHoldouts }) as unknown as OperatorServices, records, () => 1);
    const variants = [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }];
    // A plan that targeted 18 of the 60, holding 10 % out: 20 drawn, 2 held out, 18 to contact (it drew all 60 before).
    expect(await delivery.audienceOf({ campaignId: 'plan-20', variants, audienceMax: 20, controlShare: 0.1, seed: 1 })).toEqual({ segment: 60, mayContact: 20, control: 2, left: {} });
    await delivery.open({ campaignId: 'plan-20', variants, audienceMax: 20, budget: 400, controlShare: 0.1, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const view = (await delivery.view('plan-20', { churn: false }))!;
    expect(view.audienceLeft).toBe(18);
    expect(view.control?.awaitingTurn).toBe(2);
    // Nobody past the selection is counted as left out: they were never its audience.
    expect(view.leftOut ?? {}).toEqual({});
    await records.close();
  });

  it('checks each customer against its segment again at their turn: one who left it, or is no longer active, is not contacted and is counted left out with why', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 8; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const asked: string[] = [];
    const services = servicesOver(engine, async (r) => (asked.push(r.customerId ?? ''), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' }));
    const delivery = campaignDelivery(() => services, records, () => 1);
    // Its segment: customers with no ticket open (an intent's, as resolved when planned).
    const audience = [{ field: 'open_tickets', op: '==' as const, value: 0 }];
    await delivery.open({ campaignId: 'cmp-segment', audience, variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], budget: 400, controlShare: 0, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    expect((await delivery.view('cmp-segment', { churn: false }))!.audienceLeft).toBe(8);
    // After it opened, C3 opened a ticket (out of the segment) and C5's plan ended (no longer active).
    const at = T0 + 3_600_000;
    engine.apply({ id: 'C3-t', kind: 'ticket', customerId: 'C3', time: iso(at), source: 't', v: 1, data: { ticketId: 'T3', action: 'opened', category: 'billing', severity: 'low', complaint: false } } as TwinEvent, at);
    engine.apply({ id: 'C5-t', kind: 'subscription', customerId: 'C5', time: iso(at), source: 't', v: 1, data: { action: 'terminated', subscriptionId: 'C5-L1', productKind: 'plan' } } as TwinEvent, at);
    await delivery.apply('cmp-segment', { tick: 1, shares: { 'discount-app': 1 }, paused: [], remainingBudget: 400 });
    expect([...asked].sort()).toEqual(['C0', 'C1', 'C2', 'C4', 'C6', 'C7']);
    expect(logged.filter((c) => c.customerId === 'C3' || c.customerId === 'C5')).toEqual([]);
    const view = (await delivery.view('cmp-segment', { churn: false }))!;
    expect(view.leftOut).toEqual({ 'left-segment': 1, 'no-longer-active': 1 });
    expect(view).toMatchObject({ treated: 6, audienceLeft: 0 });
    await records.close();
  });

  it("offers each customer only a variant whose offering's eligibility rule admits them, when drawn and at their turn: one no variant admits is left out, not-eligible, and no request names an offering its rule excludes", async () => {
    const engine = new TwinEngine();
    // C0-C4 customers for 100 days (the upgrade needs 180), C5-C9 for 400; C0 and C1 are at risk (retain-10 needs it).
    for (let i = 0; i < 10; i++) customer(engine, `C${i}`, i < 5 ? 100 : 400);
    const atRisk = new Set(['C0', 'C1']);
    const records = await freshRecords();
    const decisions = await DecisionService.open({ twins: engine, scores: (id) => ({ churn: 0.3, clv: 500, atRisk: atRisk.has(id) }), records, clock: { now: () => T0 } });
    const asked: ActionRequestInput[] = [];
    const services = servicesOver(engine, async (r) => (asked.push(r), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' }));
    (services as { decisions: unknown }).decisions = { ...decisionsLogged(), offerIneligibility: decisions.offerIneligibility.bind(decisions) };
    const delivery = campaignDelivery(() => services, records, () => 1);
    const variants = [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }, { id: 'upgrade-app', offerId: 'upgrade', channel: 'app' as const }];
    // C2-C4 are eligible for neither offering: left out before drawing, counted.
    expect(await delivery.audienceOf({ campaignId: 'cmp-eligible', variants, controlShare: 0, seed: 1 })).toEqual({ segment: 10, mayContact: 7, control: 0, left: { 'not-eligible': 3 } });
    await delivery.open({ campaignId: 'cmp-eligible', variants, budget: 400, controlShare: 0, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    // C0 is no longer at risk at their turn: no variant admits them now.
    atRisk.delete('C0');
    for (let tick = 1; tick <= 3; tick++) await delivery.apply('cmp-eligible', { tick, shares: { 'discount-app': 0.5, 'upgrade-app': 0.5 }, paused: [], remainingBudget: 400 });
    const offered = Object.fromEntries(asked.map((r) => [r.customerId, (r.params as { offerId: string }).offerId]));
    expect(offered).toEqual({ C1: 'retain-10', C5: 'upgrade', C6: 'upgrade', C7: 'upgrade', C8: 'upgrade', C9: 'upgrade' });
    // Every request is one its offering's rule admits: the executor's check (the same function) refuses none of them.
    for (const r of asked) expect(decisions.offerIneligibility(r.customerId!, (r.params as { offerId: string }).offerId, { channel: 'app', direction: 'outbound' })).toBeUndefined();
    const view = (await delivery.view('cmp-eligible', { churn: false }))!;
    // C2-C4 when drawn, C0 at their turn.
    expect(view.leftOut).toEqual({ 'not-eligible': 4 });
    expect(view).toMatchObject({ treated: 6, audienceLeft: 0 });
    await decisions.close();
    await records.close();
  });

  it("judges its control customers at their turn as it judges the treated at theirs: one who churned or left its segment before is left out of the comparison, one who churns after counts, and none is compared before the campaign reaches their rank", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 12; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const asked: string[] = [];
    // The real register: its control is held out of other flows while it is compared.
    const holdouts = holdoutRegister(records);
    const services = { ...servicesOver(engine, async (r) => (asked.push(r.customerId ?? ''), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), holdouts } as OperatorServices;
    const delivery = campaignDelivery(() => services, records, () => 1);
    const audience = [{ field: 'open_tickets', op: '==' as const, value: 0 }];
    await delivery.open({ campaignId: 'cmp-fair', audience, variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], budget: 400, controlShare: 0.4, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const { control } = (await records.get<{ control: string[] }>('campaigns', 'cmp-fair'))!.body;
    expect(control.length).toBe(5);
    // Nobody's turn has come before the first tick: none is compared yet (all 5 were, from the start).
    expect((await delivery.stats('cmp-fair')).control).toEqual({ customers: 0, churned: 0, awaitingTurn: 5 });
    // Before their turn, one control customer's plan ended (churned) and another opened a ticket (out of the segment).
    const at = T0 + 3_600_000;
    const planEnded = (id: string, ms: number) => engine.apply({ id: `${id}-end`, kind: 'subscription', customerId: id, time: iso(ms), source: 't', v: 1, data: { action: 'terminated', subscriptionId: `${id}-L1`, productKind: 'plan' } } as TwinEvent, ms);
    planEnded(control[0], at);
    engine.apply({ id: `${control[1]}-t`, kind: 'ticket', customerId: control[1], time: iso(at), source: 't', v: 1, data: { ticketId: 'T1', action: 'opened', category: 'billing', severity: 'low', complaint: false } } as TwinEvent, at);
    await delivery.apply('cmp-fair', { tick: 1, shares: { 'discount-app': 1 }, paused: [], remainingBudget: 400 });
    expect(asked).toHaveLength(7);
    // As a treated customer would be at their turn, they are left out, with why: the control compared is the other 3.
    const view = (await delivery.view('cmp-fair'))!;
    expect(view.leftOut).toEqual({ 'control-no-longer-active': 1, 'control-left-segment': 1 });
    expect(view.control).toEqual({ customers: 3, churned: 0 });
    // Left out of the comparison, they are held out of other flows no longer (read back as another process would); the compared stay held.
    const another = holdoutRegister(records);
    await another.load(at);
    const other = { flow: 'campaign' as const, runId: 'another' };
    expect([control[0], control[1]].map((id) => another.heldBy(id, at, other))).toEqual([undefined, undefined]);
    expect(control.slice(2).map((id) => another.heldBy(id, at, other)?.runId)).toEqual(['cmp-fair', 'cmp-fair', 'cmp-fair']);
    expect([control[0], control[1]].map((id) => holdouts.heldBy(id, at, other))).toEqual([undefined, undefined]);
    // One compared who churns after their turn counts, as a treated customer who churns after their contact does.
    planEnded(control[2], at + DAY_MS);
    expect((await delivery.stats('cmp-fair')).control).toEqual({ customers: 3, churned: 1 });
    await records.close();
  });

  it('contacts its customers as drawn while no model serves to read its segment on the scores (a restart loading its history), instead of failing the tick', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 6; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    let serving = true;
    const scoreFields = {
      names: ['churn', 'clv'],
      reader() {
        if (!serving) throw new TwinloopError('UNAVAILABLE', 'no churn model is serving yet');
        return (_id: string, out: Float64Array, offset: number) => {
          out[offset] = 0.5;
          out[offset + 1] = 100;
        };
      },
    };
    const asked: string[] = [];
    const services = { ...servicesOver(engine, async (r) => (asked.push(r.customerId ?? ''), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), scoreFields } as unknown as OperatorServices;
    const delivery = campaignDelivery(() => services, records, () => 1);
    await delivery.open({ campaignId: 'cmp-nomodel', audience: [{ field: 'churn', op: '>=' as const, value: 0.1 }], variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], budget: 400, controlShare: 0, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    serving = false;
    await delivery.apply('cmp-nomodel', { tick: 1, shares: { 'discount-app': 1 }, paused: [], remainingBudget: 400 });
    expect([...asked].sort()).toEqual(['C0', 'C1', 'C2', 'C3', 'C4', 'C5']);
    await records.close();
  });

  it('says its control is contaminated when a person contacts one of it anyway, and reads the control without them', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 12; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const holdouts = holdoutRegister(records);
    const services = { ...servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 1, reason: 'ok' })), holdouts } as OperatorServices;
    const delivery = campaignDelivery(() => services, records, () => 1);
    await delivery.open({ campaignId: 'cmp-held', variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' as const }], budget: 400, controlShare: 0.4, endAt: T0 + 20 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const control = (await records.get<{ control: string[] }>('campaigns', 'cmp-held'))!.body.control;
    expect(control.length).toBeGreaterThanOrEqual(2);
    // A care agent serving a caller of the control group makes them an offer: carried out, and noted.
    const byCare = { id: 'care-1', customerId: control[0], actionClass: 'discount', channel: 'call', cost: 6, params: { offerId: 'retain-10', direction: 'inbound' }, actor: { kind: 'human', id: 'care-agent-7' }, why: { summary: 'caller' } } as unknown as ActionRequest;
    expect(holdouts.refusal(byCare, T0)).toBeNull();
    await holdouts.noteContact(byCare, T0 + 1);
    // Compared once their turn came (the first tick reaches everyone).
    await delivery.apply('cmp-held', { tick: 1, shares: { 'discount-app': 1 }, paused: [], remainingBudget: 400 });
    const view = (await delivery.view('cmp-held', { churn: false }))!;
    expect(view.control).toEqual({ customers: control.length - 1, churned: 0, contaminated: { count: 1, by: { 'human care-agent-7: discount retain-10': 1 }, customerIds: [control[0]] } });
    expect((await delivery.stats('cmp-held')).control).toEqual({ customers: control.length - 1, churned: 0 });
    await records.close();
  });

  it("serves every variant in its share when quiet hours cut a tick short, and says per variant how many were tried and why they reached nobody", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 40; i++) customer(engine, `C${i}`);
    // The world's evening comes during the round: after six requests, quiet hours refuse every contact.
    // The second customer asked gave no marketing consent.
    let requests = 0;
    const byVariant = new Map<string, number>();
    const records = await freshRecords();
    let leftOutSeen: Readonly<Record<string, number>> | undefined;
    const services = servicesOver(engine, async (r) => {
      requests++;
      if (requests > 6) return { status: 'refused', requestId: r.id, reason: 'quiet hours', verdict: { guardrail: 'quiet-hours' } };
      if (requests === 2) return { status: 'refused', requestId: r.id, reason: 'no marketing consent', verdict: { guardrail: 'marketing-consent' } };
      // Read through the API's view while this contact is under way: a refusal made before it is already counted.
      leftOutSeen ??= requests > 4 ? (await delivery.view('cmp-mix', { churn: false }))!.leftOut : undefined;
      const variantId = String(r.params?.variantId);
      byVariant.set(variantId, (byVariant.get(variantId) ?? 0) + 1);
      return { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' };
    });
    const delivery = campaignDelivery(() => services, records, () => 1);
    const variants = [
      { id: 'discount-app', offerId: 'retain-10', channel: 'app' as const },
      { id: 'bonus-app', offerId: 'data-bonus', channel: 'app' as const },
    ];
    await delivery.open({ campaignId: 'cmp-mix', variants, budget: 400, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('cmp-mix', { tick: 1, shares: { 'discount-app': 0.4, 'bonus-app': 0.6 }, paused: [], remainingBudget: 400 });

    // Five presented before the evening (one refused for consent): both variants reached, the larger share more.
    expect((byVariant.get('bonus-app') ?? 0) + (byVariant.get('discount-app') ?? 0)).toBe(5);
    expect(byVariant.get('bonus-app')).toBeGreaterThanOrEqual(byVariant.get('discount-app') ?? 0);
    expect(byVariant.get('discount-app')).toBeGreaterThanOrEqual(2);
    expect(leftOutSeen).toEqual({ 'marketing-consent': 1 });
    const view = (await delivery.view('cmp-mix', { churn: false }))!;
    expect(view.leftOut).toEqual({ 'marketing-consent': 1 });
    const of = (id: string) => view.variants.find((v) => v.variantId === id)!;
    // Tried = presented + not contacted, and each refusal is counted against the variant that asked, by its rule.
    for (const v of view.variants) expect(v.tried).toBe(v.presented + Object.values(v.notContacted ?? {}).reduce((a, n) => a + n, 0));
    expect(of('bonus-app').presented + of('discount-app').presented).toBe(5);
    const refusals = { ...of('bonus-app').notContacted };
    for (const [why, n] of Object.entries(of('discount-app').notContacted ?? {})) refusals[why] = (refusals[why] ?? 0) + n;
    // The contacts go out in batches (decision 0089): one of each variant while a variant has carried
    // none out (requests 1-2, 3-4), then the rest up to the hold's next read (5-10), of which the four
    // asked after the evening came are refused by quiet hours, each counted, and the tick stops there.
    expect(refusals).toEqual({ 'marketing-consent': 1, 'quiet-hours': 4 });
    expect(requests).toBe(HOLD_READ_EVERY_CONTACTS);
    // Those four wait at the head of the queue for the next tick: nobody is lost.
    expect(view.audienceLeft).toBe(40 - 5 - 1);
    await records.close();
  });

  it('stops a tick under way at the end of its batch when a person pauses the campaign from another process, reading the hold once a batch, and goes on from where it stopped after the resume', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 25; i++) customer(engine, `C${i}`);
    const dir = mkdtempSync(join(tmpdir(), 'flows-campaign-'));
    dirs.push(dir);
    const store = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    // Each read of a hold is a round trip to the store (on PostgreSQL): counted.
    let holdReads = 0;
    const records = new Proxy(store, {
      get: (target, key) => {
        if (key === 'get') return (collection: string, id: string) => (collection === CAMPAIGN_HOLDS && holdReads++, target.get(collection, id));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as RecordStore;
    // The pause route of another process (a worker, the gateway's) writes the hold to the same store.
    const elsewhere = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const hold = (held: boolean) => elsewhere.put<CampaignHold>(CAMPAIGN_HOLDS, 'held', { held, by: { kind: 'person', id: 'supervisor' }, at: T0, reason: held ? 'complaints' : 'checked' });
    const contacted: string[] = [];
    const services = servicesOver(engine, async (r) => {
      contacted.push(r.customerId!);
      // The person's pause lands during the third contact of the first tick: the batch under way (ten) still goes.
      if (contacted.length === 3) await hold(true);
      return { status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' };
    });
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    const input = { variants: [{ id: 'v', offerId: 'service-check-in', channel: 'web' as const, notificationChannel: 'sms' as const }], budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    await delivery.open({ campaignId: 'held', ...input });
    // A tick's budget (25) reaches all twenty-five: only the pause stops it.
    await delivery.apply('held', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(contacted).toHaveLength(HOLD_READ_EVERY_CONTACTS);
    // Read before the round and before its second batch, not before each of its ten contacts.
    expect(holdReads).toBe(2);
    expect((await delivery.view('held'))!).toMatchObject({ treated: 10, audienceLeft: 15, history: [{ tick: 1, held: true, spent: 5 }] });
    await delivery.apply('held', { tick: 2, shares: { v: 1 }, paused: [], remainingBudget: 95 });
    expect(contacted).toHaveLength(HOLD_READ_EVERY_CONTACTS);
    await hold(false);
    holdReads = 0;
    await delivery.apply('held', { tick: 3, shares: { v: 1 }, paused: [], remainingBudget: 95 });
    // Fifteen contacts in batches of ten: two reads.
    expect(holdReads).toBe(2);
    // The fifteen not reached, each once, in the order the unpaused tick would have reached them.
    const unpaused: string[] = [];
    const reference = campaignDelivery(() => servicesOver(engine, async (r) => (unpaused.push(r.customerId!), { status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' })), records, () => 0.5);
    await reference.open({ campaignId: 'unpaused', ...input });
    await reference.apply('unpaused', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(unpaused).toHaveLength(25);
    expect(contacted).toEqual(unpaused);
    expect((await delivery.view('held'))!.history.map((h) => h.held)).toEqual([true, true, false]);
    await elsewhere.close();
    await store.close();
  });

  it('plans the audience with the profiles: likely sleeping dogs left out, the likelier takers first, the bandit\'s prior from their acceptance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-campaign-'));
    dirs.push(dir);
    const engine = new TwinEngine();
    for (let i = 0; i < 6; i++) customer(engine, `C${i}`);
    const requests: ActionRequestInput[] = [];
    const services = {
      twins: { engine },
      scoreFields: undefined,
      decisions: decisionsLogged(), clock: { now: () => T0 }, holdouts: noHoldouts,
      guarded: { execute: async (r: ActionRequestInput) => (requests.push(r), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' }) },
    } as unknown as OperatorServices;
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    // Equal value at stake; C0 and C1 are likely sleeping dogs, C5 takes discounts most, C2 least.
    const takes: Record<string, number> = { C0: 0.6, C1: 0.5, C2: 0.05, C3: 0.2, C4: 0.3, C5: 0.5 };
    const delivery = campaignDelivery(() => services, records, () => 1, {
      atStake: () => 10,
      profile: (id) => ({ sleepingDog: id === 'C0' || id === 'C1' ? 0.7 : 0.05, acceptance: { discount: takes[id], data_bonus: 0.1, plan_upgrade: 0.1, loyalty_credit: 0.1, other: 0.1 } }),
      kindOf: () => 'discount',
    });
    const variants = [{ id: 'v', offerId: 'retain-10', channel: 'app' as const }];
    await delivery.open({ campaignId: 'cmp2', variants, budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('cmp2', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(requests.map((r) => r.customerId)).toEqual(['C5', 'C4', 'C3', 'C2']);
    const stats = await delivery.stats('cmp2');
    expect(stats.variants[0].priorAcceptance).toBeCloseTo((0.5 + 0.3 + 0.2 + 0.05) / 4, 9);
    await records.close();
  });

  it('over partition workers: draws the audience from every owner, contacts each through its owner, and counts the answers and churn the owners keep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-campaign-'));
    dirs.push(dir);
    const engine = new TwinEngine();
    const local = () => {
      throw new Error('a worker\'s campaign reaches no customer through its own executor');
    };
    const services = { twins: { engine }, scoreFields: undefined, decisions: decisionsLogged(), clock: { now: () => T0 }, holdouts: noHoldouts, guarded: { execute: local } } as unknown as OperatorServices;
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const asked: ActionRequestInput[] = [];
    // Two owners' customers, none of them held by this process: the audience, churn and contacts are theirs.
    const across = {
      audience: async () => ['A1', 'A2', 'B1', 'B2', 'B3'].map((customerId, i) => ({ customerId, atStake: 10 - i })),
      churnedAmong: async (ids: readonly string[]) => new Set(ids.filter((id) => id === 'B3')),
      guarded: () => ({ execute: async (r: ActionRequestInput) => (asked.push(r), { status: 'executed' as const, requestId: r.id ?? '', cost: 1, reason: 'ok', auditSeq: 0 }) }),
    };
    const runner = campaignDelivery(() => services, records, () => 1, undefined, () => across);
    const variants = [{ id: 'v', offerId: 'retain-10', channel: 'app' as const }];
    await runner.open({ campaignId: 'cmp3', variants, budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await runner.apply('cmp3', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(asked.map((r) => [r.customerId, r.id])).toEqual(['A1', 'A2', 'B1', 'B2', 'B3'].map((id) => [id, `cmp:cmp3:${id}`]));

    // An owner sees its customers' answers (one of them twice: a redelivery) and keeps them where the runner reads them.
    const owner = campaignDelivery(() => services, records, () => 1, undefined, () => across);
    const answer = (customerId: string, action: 'presented' | 'accepted' | 'declined' | 'ignored', n: number): TwinEvent => ({
      id: `${customerId}-o${n}`, kind: 'offer', customerId, time: iso(T0 + n), source: 't', v: 1, data: { action, offerId: 'retain-10', channel: 'app', decisionId: `cmp:cmp3:${customerId}` },
    } as TwinEvent);
    // B2 let the offer lapse: ignored after its window is a no, as one process counts it.
    owner.observe([answer('A1', 'presented', 1), answer('A1', 'accepted', 2), answer('B1', 'presented', 3), answer('B1', 'declined', 4), answer('B1', 'declined', 4), answer('B2', 'ignored', 6)]);
    // Presented: the five contacts made; each customer's answer once (B1's redelivered no, B2's lapse).
    await expect.poll(async () => (await runner.stats('cmp3')).variants[0], { timeout: 5_000 }).toMatchObject({ presented: 5, accepted: 1, declined: 2, treated: 5, treatedChurned: 1 });
    // A no then a late acceptance is an acceptance, counted once; a presentation event counts nothing more.
    owner.observe([answer('B2', 'accepted', 7), answer('A2', 'presented', 5)]);
    await expect.poll(async () => (await runner.stats('cmp3')).variants[0], { timeout: 5_000 }).toMatchObject({ presented: 5, accepted: 2, declined: 1 });
    await records.close();
  });

  it('reads a worker\'s audience a page at a time in the partition order: each candidate once, the same audience as read whole on one process', async () => {
    const engine = new TwinEngine();
    // 240 customers of 100 to 339 days; every seventh's plan ended (churned), every eleventh never had one.
    for (let i = 0; i < 240; i++) {
      const id = `C${i}`;
      if (i % 11 === 0) {
        engine.apply({ id: `${id}-c`, kind: 'customer', customerId: id, time: iso(T0 - 100 * DAY_MS), source: 't', v: 1, data: { segment: 'consumer', billing: 'prepaid', since: iso(T0 - 100 * DAY_MS) } } as TwinEvent, T0 - 100 * DAY_MS);
        continue;
      }
      customer(engine, id, 100 + i);
      if (i % 7 === 0) engine.apply({ id: `${id}-t`, kind: 'subscription', customerId: id, time: iso(T0 - DAY_MS), source: 't', v: 1, data: { action: 'terminated', subscriptionId: `${id}-L1`, productKind: 'plan' } }, T0 - DAY_MS);
    }
    const requests: string[] = [];
    const services = servicesOver(engine, async (r) => (requests.push(r.customerId!), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok' }));
    const records = await freshRecords();
    // Values at stake that order the audience, with ties (broken by id).
    const reader = { atStake: (id: string) => Number(id.slice(1)) % 13, profile: () => undefined, kindOf: () => 'discount' as const };
    const segment = [{ field: 'tenure_days', op: '>=' as const, value: 150 }];
    // Those of the segment (by the twin's own tenure) with a plan that did not end.
    const expected = Array.from({ length: 240 }, (_, i) => `C${i}`).filter((id, i) => i % 11 !== 0 && i % 7 !== 0 && engine.features(id)![FEATURE_INDEX.tenure_days] >= 150);
    expect(expected.length).toBeGreaterThan(100);

    // Three workers, each holding a third of the partitions, read in pages of 7 from the cursor on.
    const worker = campaignDelivery(() => services, records, () => 1, reader);
    const paged: AudienceCandidate[] = [];
    let pages = 0;
    for (let w = 0; w < 3; w++) {
      let after: PartitionKey | null = null;
      do {
        const page: { items: AudienceCandidate[]; next: PartitionKey | null } = worker.candidatesPage(segment, after, 7, (id) => partitionOf(id) % 3 === w);
        expect(page.items.length).toBeLessThanOrEqual(7);
        expect(page.items.every((c) => partitionOf(c.customerId) % 3 === w)).toBe(true);
        paged.push(...page.items);
        after = page.next;
        pages++;
      } while (after !== null);
    }
    expect(pages).toBeGreaterThan(expected.length / 7);
    expect(paged.map((c) => c.customerId).sort()).toEqual([...expected].sort());
    expect(new Set(paged.map((c) => c.customerId)).size).toBe(paged.length);

    // The same campaign drawn whole on one process and from those pages over the workers (each
    // keeping its state in a store of its own): the same control group and the same customers asked, in the same order.
    const variants = [{ id: 'v', offerId: 'retain-10', channel: 'app' as const }];
    const input = { campaignId: 'same', audience: segment, variants, budget: 1_000, controlShare: 0.25, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 4, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    const whole = campaignDelivery(() => services, records, () => 1, reader);
    await whole.open(input);
    await whole.apply('same', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1_000 });
    const askedWhole = requests.splice(0);
    const across = { audience: async () => paged, churnedAmong: async () => new Set<string>(), guarded: () => services.guarded };
    const otherRecords = await freshRecords();
    const overWorkers = campaignDelivery(() => services, otherRecords, () => 1, reader, () => across);
    await overWorkers.open(input);
    await overWorkers.apply('same', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1_000 });
    expect(requests).toEqual(askedWhole);
    expect(askedWhole.length).toBeGreaterThan(expected.length / 2);
    const view = async (d: typeof whole) => {
      const v = (await d.view('same'))!;
      return { audienceLeft: v.audienceLeft, treated: v.treated, control: v.control };
    };
    expect(await view(overWorkers)).toEqual(await view(whole));
    expect((await view(whole)).control?.customers).toBeGreaterThan(0);
    await otherRecords.close();
    await records.close();
  });

  it("counts as spent what its contacts cost when made and its offers accepted, and says what is still reserved for those unanswered", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 3; i++) customer(engine, `C${i}`);
    // Each offer costs 0.5 when presented and 10 more if accepted.
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0.5, onAcceptance: 10, reason: 'ok' }));
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, () => 10.5);
    await delivery.open({ campaignId: 'paid', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 1000, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('paid', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1000 });
    const book = offerSettlementBook(records);
    await book.put('cmp:paid:C0', settlement('paid', 'C0', 'committed'));
    await book.put('cmp:paid:C1', settlement('paid', 'C1', 'released'));
    await book.put('cmp:paid:C2', settlement('paid', 'C2', 'reserved'));
    // Another campaign's whose id starts alike is not this one's.
    await book.put('cmp:paid2:C0', settlement('paid2', 'C0', 'reserved'));
    const view = (await delivery.view('paid'))!;
    expect(view).toMatchObject({ spent: 1.5 + 10, reserved: 10, treated: 3 });
    expect(view.variants[0]).toMatchObject({ spent: 11.5, reserved: 10 });
    expect((await delivery.stats('paid')).variants[0]).toMatchObject({ spent: 11.5, reserved: 10 });
    // The allocation over time says the same spent at the next tick: the accepted offer's 10 included.
    await delivery.apply('paid', { tick: 2, shares: { v: 1 }, paused: [], remainingBudget: 978.5 });
    expect((await delivery.view('paid'))!.history.map((h) => h.spent)).toEqual([1.5, 11.5]);
    await records.close();
  });

  it('paces a tick as if every offer were accepted: its acceptance-paid part counts against the tick', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 10; i++) customer(engine, `C${i}`);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0.5, onAcceptance: 10, reason: 'ok' }));
    const records = await freshRecords();
    const paid = campaignDelivery(() => services, records, () => 0.5);
    const input = { variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' as const }], budget: 40, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    await paid.open({ campaignId: 'pace', ...input });
    await paid.apply('pace', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 40 });
    // Had only the 0.5 paid at presentation counted, all 10 would have been contacted with a budget of 40.
    expect((await paid.view('pace'))!.treated).toBeLessThan(10);
    await records.close();
  });

  it('keeps contacting while the budget left covers a contact: a variant whose part of a tick is below one contact carries it over to the next ticks, paced', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 40; i++) customer(engine, `C${i}`);
    // Each contact costs 8, paid when made; a tick's part of a budget of 20 split between two variants is 2.5 each.
    // As the policy does, the executor refuses a contact above what the run has left (guardrail run-budget).
    const services = servicesOver(engine, async (r) => (r.runBudgetLeft !== undefined && 8 > r.runBudgetLeft
      ? { status: 'refused', requestId: r.id, reason: `cost 8 is above the ${r.runBudgetLeft} left`, verdict: { verdict: 'deny', guardrail: 'run-budget' } }
      : { status: 'executed', requestId: r.id, cost: 8, reason: 'ok' }));
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, () => 8);
    const variants = [{ id: 'a', offerId: 'retain-10', channel: 'app' as const }, { id: 'b', offerId: 'data-bonus', channel: 'app' as const }];
    await delivery.open({ campaignId: 'small', variants, budget: 20, controlShare: 0, endAt: T0 + 60 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const spentAfter: number[] = [];
    for (let tick = 1; tick <= 40; tick++) {
      const before = (await delivery.view('small'))!;
      await delivery.apply('small', { tick, shares: { a: 0.5, b: 0.5 }, paused: [], remainingBudget: cents(20 - before.spent - before.reserved) });
      spentAfter.push((await delivery.view('small'))!.spent);
    }
    // Paced: the first tick spends no more than its quarter of the budget and one contact a variant ran
    // ahead of its part (only one: the other's share of what was left then no longer paid for a contact).
    expect(spentAfter[0]).toBeLessThanOrEqual(5 + 8);
    // It contacted someone with each variant, and stopped only once what was left could not pay for a contact.
    const stats = await delivery.stats('small');
    for (const v of stats.variants) expect(v.presented, v.variantId).toBeGreaterThan(0);
    expect(spentAfter.at(-1)).toBe(16);
    // Nobody was asked (and given up over-budget) once a contact no longer fitted.
    expect((await delivery.view('small'))!.leftOut ?? {}).toEqual({});
    await records.close();
  });

  it('reaches its audience with a dear variant beside a cheap one: the dear one runs one contact ahead of its part instead of waiting while the cheap one uses the audience up, and repays it', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 8; i++) customer(engine, `C${i}`);
    // retain-10 at 30 a contact beside data-bonus at 3, a budget of 100 split evenly: a tick's part of
    // each is 12.5, below one retain-10 contact (before: the bonus reached all 8 while the discount waited, tried nobody).
    const price = (r: ActionRequestInput) => (r.params?.offerId === 'retain-10' ? 30 : 3);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: price(r), reason: 'ok' }));
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, (offerId) => (offerId === 'retain-10' ? 30 : 3));
    const variants = [{ id: 'disc', offerId: 'retain-10', channel: 'app' as const }, { id: 'bonus', offerId: 'data-bonus', channel: 'app' as const }];
    await delivery.open({ campaignId: 'dear', variants, budget: 100, controlShare: 0, endAt: T0 + 60 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const presented = async () => Object.fromEntries((await delivery.stats('dear')).variants.map((v) => [v.variantId, v.presented]));
    const tick = async (n: number) => {
      const before = (await delivery.view('dear'))!;
      await delivery.apply('dear', { tick: n, shares: { disc: 0.5, bonus: 0.5 }, paused: [], remainingBudget: cents(100 - before.spent - before.reserved) });
    };
    await tick(1);
    // The discount reached a customer at the first tick, one contact ahead of its part; the bonus its
    // part's worth (12.5 at 3: 4) and one ahead of it, no more.
    const first = await presented();
    expect(first.disc).toBe(1);
    expect(first.bonus).toBeLessThanOrEqual(5);
    // Its debt (30 - 12.5) is repaid from its next parts before it contacts again: the next tick it waits.
    await tick(2);
    expect((await presented()).disc).toBe(1);
    for (let n = 3; n <= 10; n++) await tick(n);
    const view = (await delivery.view('dear'))!;
    expect(view.audienceLeft).toBe(0);
    expect((await presented()).disc).toBeGreaterThanOrEqual(1);
    expect(view.spent).toBeLessThanOrEqual(100);
    // Nobody idle: every variant tried someone.
    expect(view.idle).toEqual({});
    await records.close();
  });

  it('says why an active variant has tried nobody: its share of what is left below one contact, or the audience used up first', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 4; i++) customer(engine, `C${i}`);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: r.params?.offerId === 'retain-10' ? 30 : 3, reason: 'ok' }));
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, (offerId) => (offerId === 'retain-10' ? 30 : 3));
    const variants = [{ id: 'disc', offerId: 'retain-10', channel: 'app' as const }, { id: 'bonus', offerId: 'data-bonus', channel: 'app' as const }];
    await delivery.open({ campaignId: 'idle', variants, budget: 100, controlShare: 0, endAt: T0 + 60 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    // At a 10 % share, 10 of 100 never pays for one contact of 30.
    await delivery.apply('idle', { tick: 1, shares: { disc: 0.1, bonus: 0.9 }, paused: [], remainingBudget: 100 });
    let view = (await delivery.view('idle'))!;
    expect(view.idle.disc).toMatch(/^contacted nobody: its share of what the campaign has left \(10 % of 88\.00\) is below one contact \(30\.00 at a typical price/);
    expect(view.idle.bonus).toBeUndefined();
    // With a share that pays for a contact but the audience gone, it says so.
    await delivery.apply('idle', { tick: 2, shares: { disc: 0.5, bonus: 0.5 }, paused: [], remainingBudget: 88 });
    view = (await delivery.view('idle'))!;
    expect(view.audienceLeft).toBe(0);
    expect(view.idle.disc).toMatch(/the audience was used up by the other variants/);
    await records.close();
  });

  it("never spends past its budget at the customers' own prices: each contact asks with what the campaign has left, and one that costs more waits at the back of the queue", async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 3; i++) customer(engine, `C${i}`);
    // The executor prices each offer at the customer's own price (C0 and C1 dear, C2 cheap) and, as
    // the policy does, refuses one above the run's budget left (guardrail run-budget).
    const price: Record<string, number> = { C0: 30, C1: 30, C2: 3 };
    const asked: { customerId: string; runBudgetLeft?: number }[] = [];
    const records = await freshRecords();
    const book = offerSettlementBook(records);
    const services = servicesOver(engine, async (r) => {
      asked.push({ customerId: r.customerId!, runBudgetLeft: r.runBudgetLeft });
      const cost = price[r.customerId!];
      if (r.runBudgetLeft !== undefined && cost > r.runBudgetLeft) return { status: 'refused', requestId: r.id, reason: `cost ${cost} is above the ${r.runBudgetLeft} left`, verdict: { verdict: 'deny', guardrail: 'run-budget' } };
      // Presented: all of it reserved until the answer, as the guarded executor keeps it.
      await book.put(r.id!, settlement('own-price', r.customerId!, 'reserved', { amount: cost }));
      return { status: 'executed', requestId: r.id, cost: 0, onAcceptance: cost, reason: 'ok' };
    });
    // Paced at 3 a contact, a typical customer's price.
    const delivery = campaignDelivery(() => services, records, () => 3);
    await delivery.open({ campaignId: 'own-price', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 20, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    for (let tick = 1; tick <= 4; tick++) await delivery.apply('own-price', { tick, shares: { v: 1 }, paused: [], remainingBudget: 20 });
    const view = (await delivery.view('own-price'))!;
    // Only C2 fits: 3 reserved of 20; the dear ones were asked with what was left and refused, never carried out.
    expect(view.spent + view.reserved).toBeLessThanOrEqual(20);
    expect(view).toMatchObject({ treated: 1, reserved: 3 });
    expect(asked.every((a) => a.runBudgetLeft !== undefined)).toBe(true);
    expect(asked.find((a) => a.customerId === 'C2')?.runBudgetLeft).toBe(20);
    expect(asked.filter((a) => a.customerId !== 'C2').length).toBeGreaterThan(0);
    await records.close();
  });

  it('asks again at the next tick for a customer whose contact waits for a person, and hears the same answer (not an idempotency conflict)', async () => {
    const engine = new TwinEngine();
    customer(engine, 'C0');
    const records = await freshRecords();
    const { store, guarded, acted } = await guardedWithOffersApproved(engine, records);
    const answers: { status: string; approvalId?: string }[] = [];
    const services = servicesOver(engine, async (r) => {
      const a = await guarded.execute(r);
      answers.push(a);
      return a;
    });
    const delivery = campaignDelivery(() => services, records, () => 3);
    await delivery.open({ campaignId: 'wait', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('wait', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(answers.map((a) => a.status), JSON.stringify(answers)).toEqual(['pending-approval']);
    // The customer is still waiting at the head of the queue: the next tick asks again under the same decision id.
    await delivery.apply('wait', { tick: 2, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    expect(answers.map((a) => a.status)).toEqual(['pending-approval', 'pending-approval']);
    expect(answers[1].approvalId).toBe(answers[0].approvalId);
    expect(acted).toEqual([]);
    await store.close();
    await records.close();
  });

  it('asks a customer waiting for a person again with the variant first asked, while the next tick goes on with the next customers, and books the contact once approved', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 3; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const { store, guarded, acted: carried } = await guardedWithOffersApproved(engine, records);
    const acted = () => carried.map((r) => `${r.customerId}:${String(r.params.variantId)}`);
    const asked: { customerId: string; variantId: string; status: string; approvalId?: string }[] = [];
    const services = servicesOver(engine, async (r) => {
      const a = await guarded.execute(r);
      asked.push({ customerId: r.customerId ?? '', variantId: String(r.params?.variantId), status: a.status, ...(a.approvalId ? { approvalId: a.approvalId } : {}) });
      return a;
    });
    const delivery = campaignDelivery(() => services, records, () => 3);
    const variants = [
      { id: 'disc', offerId: 'retain-10', channel: 'app' as const },
      { id: 'bonus', offerId: 'data-bonus', channel: 'app' as const },
    ];
    await delivery.open({ campaignId: 'wait2', variants, budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('wait2', { tick: 1, shares: { disc: 1, bonus: 0 }, paused: [], remainingBudget: 100 });
    expect(asked.map((a) => a.status), JSON.stringify(asked)).toEqual(['pending-approval']);
    const first = asked[0];
    expect(first.variantId).toBe('disc');
    // The lane picks the other variant at tick 2: the waiting customer is asked again as first asked
    // (old code: "idempotency conflict ... params.offerId: retain-10 then, data-bonus now", the tick failed).
    await delivery.apply('wait2', { tick: 2, shares: { disc: 0, bonus: 1 }, paused: [], remainingBudget: 100 });
    const tick2 = asked.slice(1);
    expect(tick2.find((a) => a.customerId === first.customerId), JSON.stringify(asked)).toEqual({ ...first });
    // ...and the campaign is not jammed behind it: the next customer is asked with the tick's variant.
    expect(tick2.some((a) => a.customerId !== first.customerId && a.variantId === 'bonus' && a.status === 'pending-approval'), JSON.stringify(asked)).toBe(true);
    expect((await delivery.view('wait2'))!.treated).toBe(0);
    // A person approves: the contact is carried out once, and booked to the variant it was asked with at the next tick.
    const approved = await guarded.approve(first.approvalId!, { kind: 'human', id: 'ops' }, 'fine');
    expect(approved.status).toBe('executed');
    expect(acted()).toEqual([`${first.customerId}:disc`]);
    await delivery.apply('wait2', { tick: 3, shares: { disc: 0, bonus: 1 }, paused: [], remainingBudget: 100 });
    expect(acted()).toEqual([`${first.customerId}:disc`]);
    const view = (await delivery.view('wait2'))!;
    expect(await delivery.treatedIds('wait2')).toContain(first.customerId);
    const disc = view.variants.find((v) => v.variantId === 'disc')!;
    expect(disc.presented).toBe(1);
    // The campaign's budget holds what the approved contact moves (paid now and reserved until the
    // answer), and what the two still waiting for a person would cost (data-bonus, 3 each).
    expect(cents(view.spent + view.reserved)).toBe(cents((approved.cost ?? 0) + (approved.onAcceptance ?? 0) + 2 * 3));
    expect(view.spent + view.reserved).toBeGreaterThan(0);
    // The two asked with the bonus (one at tick 2, the next at tick 3) still wait for a person.
    expect(view.awaitingApproval).toBe(2);
    await store.close();
    await records.close();
  });

  /** A campaign `id` of one variant presenting data-bonus (3 paid on acceptance) under the real executor with offers approved, paced at 0.5 a contact. */
  async function approvedCampaign(id: string, customers: number, budget: number, o: { contact?: GuardedExecutorOptions['contact']; clock?: ManualClock } = {}) {
    const engine = new TwinEngine();
    for (let i = 0; i < customers; i++) customer(engine, `C${i}`);
    const records = await freshRecords();
    const { store, guarded, acted, clock, queue } = await guardedWithOffersApproved(engine, records, o.contact, o.clock);
    const asked: { customerId: string; status: string; approvalId?: string; guardrail?: string }[] = [];
    const services = servicesOver(engine, async (r) => {
      const a = await guarded.execute(r);
      asked.push({ customerId: r.customerId ?? '', status: a.status, ...(a.approvalId ? { approvalId: a.approvalId } : {}), ...(a.verdict?.guardrail ? { guardrail: a.verdict.guardrail } : {}) });
      return a;
    }, { guarded: { withdraw: (id, reason) => guarded.withdraw(id, reason) }, approvals: queue });
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    await delivery.open({ campaignId: id, variants: [{ id: 'v', offerId: 'data-bonus', channel: 'app' }], budget, controlShare: 0, endAt: T0 + 60 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const tick = async (n: number) => delivery.apply(id, { tick: n, shares: { v: 1 }, paused: [], remainingBudget: budget });
    const close = async () => (await store.close(), await records.close());
    return { engine, records, store, guarded, queue, acted, clock, asked, services, delivery, tick, close };
  }

  it("holds what a contact waiting for a person would cost against the budget: approving every approval asked spends no more than the budget, and a rejection gives it back", async () => {
    // 7 to spend, 3 an offer: two may wait at once.
    const c = await approvedCampaign('reserve', 6, 7);
    for (let n = 1; n <= 4; n++) await c.tick(n);
    const pending = c.asked.filter((a) => a.status === 'pending-approval');
    const approvals = [...new Set(pending.map((a) => a.approvalId!))];
    expect(approvals.length, JSON.stringify(c.asked)).toBe(2);
    let view = (await c.delivery.view('reserve'))!;
    expect(view).toMatchObject({ awaitingApproval: 2, reserved: 6 });
    // Those asked while the rest was held are refused by what is left, set aside, not asked again each tick.
    expect(c.asked.filter((a) => a.guardrail === 'run-budget').length).toBeLessThanOrEqual(2);
    // A person rejects one and approves the other: the rejection gives its 3 back, and the next customer is asked.
    await c.guarded.reject(approvals[1], { kind: 'human', id: 'ops' }, 'not now');
    expect((await c.guarded.approve(approvals[0], { kind: 'human', id: 'ops' }, 'fine')).status).toBe('executed');
    await c.tick(5);
    view = (await c.delivery.view('reserve'))!;
    expect(view.leftOut).toMatchObject({ refused: 1 });
    expect(view.treated).toBe(1);
    // Approve everything still asked: never more than the budget moved.
    for (const a of c.asked) if (a.approvalId && a.status === 'pending-approval') await c.guarded.approve(a.approvalId, { kind: 'human', id: 'ops' }, 'fine').catch(() => undefined);
    await c.tick(6);
    view = (await c.delivery.view('reserve'))!;
    expect(view.spent + view.reserved, JSON.stringify(view)).toBeLessThanOrEqual(7);
    expect(c.acted.length * 3).toBeLessThanOrEqual(7);
    await c.close();
  });

  it('gives up a customer dearer than the campaign could ever have left, once, counted over-budget, instead of asking them every tick', async () => {
    // 2 to spend, 3 an offer: nobody ever fits.
    const c = await approvedCampaign('dear', 2, 2);
    for (let n = 1; n <= 6; n++) await c.tick(n);
    expect(c.asked.map((a) => a.guardrail), JSON.stringify(c.asked)).toEqual(['run-budget', 'run-budget']);
    const view = (await c.delivery.view('dear'))!;
    expect(view).toMatchObject({ leftOut: { 'over-budget': 2 }, audienceLeft: 0, awaitingBudget: 0, awaitingApproval: 0 });
    await c.close();
  });

  it(`keeps asking in batches while a variant waiting for a person asks nobody new (${MAX_WAITING_FOR_A_PERSON} waiting): the other variant is not held to one contact a batch`, async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 200; i++) customer(engine, `C${i}`);
    // Variant a's offer goes to a person, b's is carried out; b's asks are counted by how many are in flight at once.
    let inFlight = 0;
    let mostAtOnce = 0;
    const services = servicesOver(engine, async (r) => {
      if ((r.params as { offerId?: string }).offerId === 'retain-10') return { status: 'pending-approval', requestId: r.id, approvalId: `appr:${r.id}`, cost: 0.5, reason: 'a person approves it' };
      inFlight++;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return { status: 'executed', requestId: r.id, cost: 0.5, reason: 'ok' };
    });
    const records = await freshRecords();
    const input = { campaignId: 'full', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' as const }, { id: 'b', offerId: 'data-bonus', channel: 'app' as const }], budget: 10_000, controlShare: 0, endAt: T0 + 60 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    await campaignDelivery(() => services, records, () => 0.5).open(input);
    // The campaign as a run leaves it after many ticks: the most customers waiting for a person on a, known to wait.
    const saved = (await records.get<CampaignState>('campaigns', 'full'))!.body;
    const waiting = saved.queue.splice(0, MAX_WAITING_FOR_A_PERSON);
    saved.waiting = Object.fromEntries(waiting.map((id) => [id, 'a']));
    saved.variants.a.waitsForPerson = true;
    saved.variants.b.waitsForPerson = false;
    await records.put('campaigns', 'full', saved);
    const delivery = campaignDelivery(() => services, records, () => 0.5);
    await delivery.apply('full', { tick: 1, shares: { a: 0.5, b: 0.5 }, paused: [], remainingBudget: 10_000 });
    // b's contacts went out in batches (one at a time before: a, skipped for the full queue, still "probed").
    expect(mostAtOnce).toBe(CONTACTS_PER_BATCH);
    expect((await delivery.view('full'))!.awaitingApproval).toBe(MAX_WAITING_FOR_A_PERSON);
    await records.close();
  });

  it(`refuses a batch larger than the ${HOLD_READ_EVERY_CONTACTS} contacts after which a pause is read, rather than capping it in silence`, async () => {
    const records = await freshRecords();
    const services = servicesOver(new TwinEngine(), async () => ({ status: 'executed' }));
    expect(() => campaignDelivery(() => services, records, () => 1, undefined, undefined, undefined, HOLD_READ_EVERY_CONTACTS + 1)).toThrow(/contactsPerBatch: 11 is more than the 10 contacts after which a campaign reads whether a person paused it/);
    expect(() => campaignDelivery(() => services, records, () => 1, undefined, undefined, undefined, HOLD_READ_EVERY_CONTACTS)).not.toThrow();
    await records.close();
  });

  it(`keeps at most ${MAX_WAITING_FOR_A_PERSON} customers waiting for a person at once, each with one approval`, async () => {
    const c = await approvedCampaign('cap', MAX_WAITING_FOR_A_PERSON + 10, 10_000);
    for (let n = 1; n <= MAX_WAITING_FOR_A_PERSON + 8; n++) await c.tick(n);
    const approvals = new Set(c.asked.flatMap((a) => (a.approvalId ? [a.approvalId] : [])));
    expect(approvals.size).toBe(MAX_WAITING_FOR_A_PERSON);
    expect((await c.delivery.view('cap'))!.awaitingApproval).toBe(MAX_WAITING_FOR_A_PERSON);
    // Each asked again per tick is answered from its approval: no new policy verdict, no new approval entry.
    const head = (await c.store.auditHead()).seq;
    await c.tick(MAX_WAITING_FOR_A_PERSON + 9);
    expect((await c.store.auditHead()).seq).toBe(head);
    await c.close();
  });

  it("carries out a contact a person approved in the customer's quiet hours once they end, and books it to the campaign", async () => {
    const clock = new ManualClock(T0 + 15 * 3_600_000);
    const contactPolicy = resolveContactPolicy({ quietHours: { startHour: 21, endHour: 8, zone: { utcOffsetMinutes: 0 } } });
    const quiet: GuardedExecutorOptions['contact'] = (_r, now) => {
      const q = contactGate(contactPolicy, { contacts: 0, perChannel: new Float64Array(8).fill(Number.NaN), lastDeclineAt: -Infinity, lastDeclineOf: () => -Infinity, source: 'twin' }, new Float64Array(FEATURE_COUNT).fill(1), { channel: 'app', direction: 'outbound', now });
      return q.marketing;
    };
    const c = await approvedCampaign('quiet', 1, 100, { contact: quiet, clock });
    await c.tick(1);
    const approvalId = c.asked[0].approvalId!;
    clock.set(T0 + 23 * 3_600_000);
    expect((await c.guarded.approve(approvalId, { kind: 'human', id: 'ops' }, 'fine')).status).toBe('pending-approval');
    // The next tick is in the world's morning: the approved contact is judged again and carried out.
    clock.set(T0 + DAY_MS + 9 * 3_600_000);
    await c.tick(2);
    expect(c.acted.map((r) => r.customerId)).toEqual(['C0']);
    expect(await c.delivery.treatedIds('quiet')).toEqual(['C0']);
    expect((await c.delivery.view('quiet'))!).toMatchObject({ awaitingApproval: 0, leftOut: {} });
    await c.close();
  });

  it('withdraws the approvals still waiting when the campaign ends (nobody can approve them after), and books to it a contact a person approved before the end', async () => {
    const c = await approvedCampaign('ends', 3, 100);
    // One new approval a tick: three customers wait for a person.
    for (let n = 1; n <= 3; n++) await c.tick(n);
    const approvals = [...new Set(c.asked.flatMap((a) => (a.approvalId ? [a.approvalId] : [])))];
    expect(approvals.length, JSON.stringify(c.asked)).toBe(3);
    // A person approves one before the end: carried out at once, booked at the next tick, which never comes.
    const approved = await c.guarded.approve(approvals[0], { kind: 'human', id: 'ops' }, 'fine');
    expect(approved.status).toBe('executed');
    const reason = 'campaign ends ended: its budget was spent';
    expect(await c.delivery.close('ends', { endedBy: 'budget', reason })).toEqual({ withdrawn: 2, booked: 1 });
    const view = (await c.delivery.view('ends'))!;
    expect(view).toMatchObject({ treated: 1, awaitingApproval: 0, leftOut: { withdrawn: 2 }, closed: { endedBy: 'budget', reason, withdrawn: 2, booked: 1 } });
    // The approved contact counts against the campaign's budget (3, paid on acceptance: reserved until the answer).
    expect(cents(view.spent + view.reserved)).toBe(cents((approved.cost ?? 0) + (approved.onAcceptance ?? 0)));
    // The others are withdrawn, with the reason, and approving one now carries nothing out.
    for (const id of approvals.slice(1)) {
      expect(await c.queue.get(id)).toMatchObject({ status: 'expired', decidedBy: WITHDRAWN_DECIDER, reason });
      await expect(c.guarded.approve(id, { kind: 'human', id: 'ops' }, 'late')).rejects.toThrow(/withdrawn .*its budget was spent; nothing is carried out/);
    }
    expect(c.acted.map((r) => r.customerId)).toEqual([approved.requestId.split(':').at(-1)]);
    // Closed twice (the flow's step repeated after a crash): the same counts, nothing asked again.
    const asks = c.asked.length;
    expect(await c.delivery.close('ends', { endedBy: 'budget', reason })).toEqual({ withdrawn: 2, booked: 1 });
    expect(c.asked.length).toBe(asks);
    await c.close();
  });

  it("withdraws at the end a contact approved in the customer's quiet hours and not carried out yet: it is not made after the campaign", async () => {
    const clock = new ManualClock(T0 + 15 * 3_600_000);
    const contactPolicy = resolveContactPolicy({ quietHours: { startHour: 21, endHour: 8, zone: { utcOffsetMinutes: 0 } } });
    const quiet: GuardedExecutorOptions['contact'] = (_r, now) =>
      contactGate(contactPolicy, { contacts: 0, perChannel: new Float64Array(8).fill(Number.NaN), lastDeclineAt: -Infinity, lastDeclineOf: () => -Infinity, source: 'twin' }, new Float64Array(FEATURE_COUNT).fill(1), { channel: 'app', direction: 'outbound', now }).marketing;
    const c = await approvedCampaign('quiet-end', 1, 100, { contact: quiet, clock });
    await c.tick(1);
    const approvalId = c.asked[0].approvalId!;
    clock.set(T0 + 23 * 3_600_000);
    expect((await c.guarded.approve(approvalId, { kind: 'human', id: 'ops' }, 'fine')).status).toBe('pending-approval');
    expect(await c.delivery.close('quiet-end', { endedBy: 'end-date', reason: 'campaign quiet-end ended: its end date came' })).toEqual({ withdrawn: 1, booked: 0 });
    // The morning comes: the sweep carries out nothing, and the approval's outcome says why.
    clock.set(T0 + DAY_MS + 9 * 3_600_000);
    expect((await c.guarded.actDeferred()).filter((r) => r.status === 'executed')).toEqual([]);
    expect(c.acted).toEqual([]);
    expect(await c.guarded.approvalOutcome(approvalId)).toMatchObject({ status: 'refused', reason: expect.stringMatching(/withdrawn: campaign quiet-end ended: its end date came \(approved by ops, not carried out/) });
    expect((await c.delivery.view('quiet-end'))!).toMatchObject({ treated: 0, leftOut: { withdrawn: 1 } });
    await c.close();
  });

  it('asks a customer again with the variant first asked when a crash came between the executor\'s answer and the campaign\'s save', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 2; i++) customer(engine, 'C' + i);
    const records = await freshRecords();
    const { store, guarded } = await guardedWithOffersApproved(engine, records);
    const variants = [
      { id: 'disc', offerId: 'retain-10', channel: 'app' as const },
      { id: 'bonus', offerId: 'data-bonus', channel: 'app' as const },
    ];
    const input = { campaignId: 'crash', variants, budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    // The first process: the executor answers, and the process dies before the campaign saves it.
    const dying = campaignDelivery(() => servicesOver(engine, async (r) => {
      await guarded.execute(r);
      throw new Error('killed');
    }), records, () => 3);
    await dying.open(input);
    await expect(dying.apply('crash', { tick: 1, shares: { disc: 1, bonus: 0 }, paused: [], remainingBudget: 100 })).rejects.toThrow('killed');
    // The next process runs the tick again with the split moved to the other variant.
    const asked: { customerId: string; variantId: string; status: string }[] = [];
    const delivery = campaignDelivery(() => servicesOver(engine, async (r) => {
      const a = await guarded.execute(r);
      asked.push({ customerId: r.customerId!, variantId: String(r.params?.variantId), status: a.status });
      return a;
    }), records, () => 3);
    await delivery.apply('crash', { tick: 1, shares: { disc: 0, bonus: 1 }, paused: [], remainingBudget: 100 });
    expect(asked[0]).toEqual({ customerId: 'C0', variantId: 'disc', status: 'pending-approval' });
    expect((await delivery.view('crash'))!.awaitingApproval).toBeGreaterThanOrEqual(1);
    await store.close();
    await records.close();
  });

  it('asks a customer contacted before a crash again, to book it, even if they have left the campaign\'s audience since', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 2; i++) customer(engine, 'C' + i);
    const records = await freshRecords();
    const { store, guarded } = await guardedWithOffersApproved(engine, records);
    const variants = [{ id: 'disc', offerId: 'retain-10', channel: 'app' as const }];
    const input = { campaignId: 'crash-gone', variants, budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    const dying = campaignDelivery(() => servicesOver(engine, async (r) => {
      await guarded.execute(r);
      throw new Error('killed');
    }), records, () => 3);
    await dying.open(input);
    await expect(dying.apply('crash-gone', { tick: 1, shares: { disc: 1 }, paused: [], remainingBudget: 100 })).rejects.toThrow('killed');
    // C0 was asked, then left before the next process ran the tick again.
    engine.apply({ id: 'C0-t', kind: 'subscription', customerId: 'C0', time: iso(T0), source: 't', v: 1, data: { action: 'terminated', subscriptionId: 'C0-L1', productKind: 'plan' } } as TwinEvent, T0);
    const asked: string[] = [];
    const delivery = campaignDelivery(() => servicesOver(engine, async (r) => (asked.push(r.customerId!), guarded.execute(r))), records, () => 3);
    await delivery.apply('crash-gone', { tick: 1, shares: { disc: 1 }, paused: [], remainingBudget: 100 });
    expect(asked[0]).toBe('C0');
    expect((await delivery.view('crash-gone'))!.leftOut?.['no-longer-active']).toBeUndefined();
    await store.close();
    await records.close();
  });

  it('on one process reads no answers from the shared store: they come back to it and are counted as they come', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 5; i++) customer(engine, `C${i}`);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 1, reason: 'ok' }));
    const store = await freshRecords();
    const listed: string[] = [];
    const records = new Proxy(store, {
      get: (target, key) => (key === 'list' ? (collection: string, o: unknown) => (listed.push(collection), target.list(collection, o as Parameters<RecordStore['list']>[1])) : Reflect.get(target, key)),
    });
    const delivery = campaignDelivery(() => services, records, () => 1);
    await delivery.open({ campaignId: 'one', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 100, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('one', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 100 });
    const offer = (customerId: string, action: string, n: number) => ({ id: `o${n}`, kind: 'offer', customerId, time: iso(T0 + n), source: 't', v: 1, data: { action, offerId: 'retain-10', channel: 'app', decisionId: `cmp:one:${customerId}` } }) as TwinEvent;
    // C1 declined (and its event came twice), then its window lapsed: one customer who said no.
    delivery.observe([offer('C0', 'presented', 1), offer('C0', 'accepted', 2), offer('C1', 'declined', 3), offer('C1', 'declined', 3), offer('C1', 'ignored', 4)]);
    expect((await delivery.stats('one')).variants[0]).toMatchObject({ presented: 5, accepted: 1, declined: 1, treated: 5 });
    // Saved as heard: what the API and the console read (the saved state) says the same before any tick.
    await expect.poll(async () => (await delivery.view('one'))!.variants[0], { timeout: 5_000 }).toMatchObject({ presented: 5, accepted: 1, declined: 1, treated: 5 });
    // The offers' settlements are read wherever the campaign runs; the answers kept by other owners are not.
    expect(listed).not.toContain(CAMPAIGN_ANSWERS);
    await store.close();
  });

  it('gives each customer of a campaign whose id is too long to carry whole a decision id of its own, and counts their answers by it', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 30; i++) customer(engine, `C${String(i).padStart(6, '0')}`);
    const ids: string[] = [];
    const services = servicesOver(engine, async (r) => (ids.push(r.id!), { status: 'executed', requestId: r.id, cost: 1, reason: 'ok', auditSeq: 0 }));
    const records = await freshRecords();
    const campaignId = `retention-q4-${'x'.repeat(140)}`;
    const variants = [{ id: 'v', offerId: 'retain-10', channel: 'app' as const }];
    const input = { campaignId, variants, budget: 1_000, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    // On one process, and over workers whose owners keep the answers in the shared store.
    const one = campaignDelivery(() => services, records, () => 1);
    await one.open(input);
    await one.apply(campaignId, { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1_000 });
    expect(ids.length).toBe(30);
    expect(new Set(ids).size).toBe(30);
    for (const id of ids) expect(id.length <= 128 && id.startsWith(`cmp:${campaignId.slice(0, 64)}`)).toBe(true);
    // The same customer, asked again (a retried tick after a restart), goes under the same id.
    const answer = (id: string, n: number): TwinEvent => ({ id: `a${n}`, kind: 'offer', customerId: 'C000000', time: iso(T0 + n), source: 't', v: 1, data: { action: 'accepted', offerId: 'retain-10', channel: 'app', decisionId: id } }) as TwinEvent;
    const restarted = campaignDelivery(() => services, records, () => 1);
    await restarted.stats(campaignId);
    restarted.observe([answer(ids[0], 1), answer(ids[1], 2)]);
    expect((await restarted.stats(campaignId)).variants[0]).toMatchObject({ accepted: 2, treated: 30 });

    ids.length = 0;
    const across = { audience: async () => [...Array(30).keys()].map((i) => ({ customerId: `C${String(i).padStart(6, '0')}`, atStake: 1 })), churnedAmong: async () => new Set<string>(), guarded: () => services.guarded };
    const runner = campaignDelivery(() => services, records, () => 1, undefined, () => across);
    await runner.open({ ...input, campaignId: `${campaignId}-2` });
    await runner.apply(`${campaignId}-2`, { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1_000 });
    const owner = campaignDelivery(() => services, records, () => 1, undefined, () => across);
    owner.observe(ids.slice(0, 3).map((id, n) => answer(id, n)));
    await expect.poll(async () => (await runner.stats(`${campaignId}-2`)).variants[0].accepted, { timeout: 5_000 }).toBe(3);
    await records.close();
  });
  it('books for a contact what the executor charged: nothing for an offer paid only on acceptance', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 4; i++) customer(engine, `C${i}`);
    // A catalogue discount presented: nothing moved at presentation, 10 reserved until the answer.
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0, onAcceptance: 10, reason: 'ok' }));
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, () => 10);
    await delivery.open({ campaignId: 'free', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 1000, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('free', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1000 });
    const view = (await delivery.view('free'))!;
    expect(view.treated).toBe(4);
    // 0.05 a contact was booked before, though the ledger had committed nothing.
    expect(view).toMatchObject({ spent: 0 });
    expect(view.history[0].spent).toBe(0);
    await records.close();
  });

  it('reads at a tick only the settlements that may have changed, and counts each once', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 6; i++) customer(engine, `C${i}`);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0.5, onAcceptance: 10, reason: 'ok' }));
    const store = await freshRecords();
    const read: string[] = [];
    const records = new Proxy(store, {
      get: (target, key) =>
        key === 'get' ? (c: string, id: string) => (read.push(`get ${c} ${id}`), target.get(c, id)) : key === 'list' ? (c: string, o: unknown) => (read.push(`list ${c}`), target.list(c, o as Parameters<RecordStore['list']>[1])) : Reflect.get(target, key),
    });
    const book = offerSettlementBook(store);
    const delivery = campaignDelivery(() => services, records, () => 10.5);
    await delivery.open({ campaignId: 'few', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 1000, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('few', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1000 });
    const ids = [...Array(6).keys()].map((i) => `C${i}`);
    for (const id of ids) await book.put(`cmp:few:${id}`, settlement('few', id, 'reserved'));
    // Answers: C0 accepts, C1 declines, C2 is released as ignored; the others wait.
    await book.put('cmp:few:C0', settlement('few', 'C0', 'committed', { answer: 'accepted' }));
    await book.put('cmp:few:C1', settlement('few', 'C1', 'released', { answer: 'declined' }));
    await book.put('cmp:few:C2', settlement('few', 'C2', 'released', { answer: 'ignored' }));
    read.length = 0;
    expect((await delivery.stats('few')).variants[0]).toMatchObject({ spent: 3 + 10, reserved: 30 });
    // The three settled are read once each; the open ones from the open list; never the whole history.
    expect(read.filter((r) => r.startsWith(`get ${OFFER_SETTLEMENTS}`)).sort()).toEqual(['C0', 'C1', 'C2'].map((c) => `get ${OFFER_SETTLEMENTS} cmp:few:${c}`));
    expect(read).not.toContain(`list ${OFFER_SETTLEMENTS}`);
    read.length = 0;
    await delivery.apply('few', { tick: 2, shares: { v: 1 }, paused: [], remainingBudget: 1000 });
    expect((await delivery.stats('few')).variants[0]).toMatchObject({ spent: 13, reserved: 30 });
    expect(read.filter((r) => r.includes(OFFER_SETTLEMENTS) && !r.includes('open') && !r.includes('late'))).toEqual([]);
    // C2 accepts after its window, booked then: counted once, however often the campaign is read.
    await book.put('cmp:few:C2', settlement('few', 'C2', 'committed', { answer: 'accepted', late: { at: T0, booked: true } }));
    await delivery.apply('few', { tick: 3, shares: { v: 1 }, paused: [], remainingBudget: 1000 });
    expect((await delivery.stats('few')).variants[0]).toMatchObject({ spent: 23, reserved: 30 });
    expect((await delivery.view('few'))!).toMatchObject({ spent: 23, reserved: 30 });
    // A restart reads the saved state: the same figures.
    const restarted = campaignDelivery(() => services, store, () => 10.5);
    expect((await restarted.stats('few')).variants[0]).toMatchObject({ spent: 23, reserved: 30 });
    await store.close();
  });

  it('a campaign saved before it kept its offers reads its settlements once, then as any other', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 3; i++) customer(engine, `C${i}`);
    const services = servicesOver(engine, async (r) => ({ status: 'executed', requestId: r.id, cost: 0.5, onAcceptance: 10, reason: 'ok' }));
    const records = await freshRecords();
    const delivery = campaignDelivery(() => services, records, () => 10.5);
    await delivery.open({ campaignId: 'old', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget: 1000, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    await delivery.apply('old', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1000 });
    const saved = (await records.get<Record<string, unknown>>('campaigns', 'old'))!.body;
    delete saved.offers;
    await records.put('campaigns', 'old', saved);
    await records.put(OFFER_SETTLEMENTS, 'cmp:old:C0', settlement('old', 'C0', 'committed', { answer: 'accepted' }));
    await records.put(OFFER_SETTLEMENTS, 'cmp:old:C1', settlement('old', 'C1', 'reserved'));
    await records.put(OFFER_SETTLEMENTS, 'cmp:old:C2', settlement('old', 'C2', 'released', { answer: 'ignored' }));
    const restarted = campaignDelivery(() => services, records, () => 10.5);
    expect((await restarted.view('old'))!).toMatchObject({ spent: 1.5 + 10, reserved: 10 });
    expect((await restarted.stats('old')).variants[0]).toMatchObject({ spent: 11.5, reserved: 10 });
    await records.close();
  });

  /**
   * A campaign of retain-10 (a discount at each customer's own monthly price) over `prices.length`
   * customers, under the real executor with the default policy (discounts carried out), its contacts
   * asked `perBatch` at once; `asked` holds every request with its answer, `concurrent` the most asked at once.
   */
  async function batchedCampaign(id: string, prices: readonly number[], budget: number, perBatch?: number) {
    const engine = new TwinEngine();
    prices.forEach((p, i) => customer(engine, `C${String(i).padStart(2, '0')}`, 400, true, p));
    const store = await freshRecords();
    let saves = 0;
    const records = new Proxy(store, {
      get: (target, key) => {
        if (key === 'put') return (collection: string, ...rest: unknown[]) => (collection === 'campaigns' && saves++, (target.put as (...a: unknown[]) => unknown)(collection, ...rest));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as RecordStore;
    const { store: gov, guarded, acted } = await guardedWithOffersApproved(engine, records, undefined, new ManualClock(T0), false);
    const asked: { customerId: string; runBudgetLeft: number; status: string; guardrail?: string; moved?: number }[] = [];
    let now = 0;
    let concurrent = 0;
    const services = servicesOver(engine, async (r) => {
      concurrent = Math.max(concurrent, ++now);
      // In the order asked.
      const entry: (typeof asked)[number] = { customerId: r.customerId!, runBudgetLeft: r.runBudgetLeft!, status: 'asked' };
      asked.push(entry);
      try {
        const a = await guarded.execute(r);
        Object.assign(entry, { status: a.status, ...(a.verdict?.guardrail ? { guardrail: a.verdict.guardrail } : {}), moved: cents((a.cost ?? 0) + (a.onAcceptance ?? 0)) });
        return a;
      } finally {
        now--;
      }
    });
    // Each contact priced as the executor prices it, at the customer's own monthly price (operator-flows.ts offerCostOf).
    const catalogue = defaultCatalogue();
    const offerCost = (offerId: string, customerId?: string) => offeringPrice(catalogue.byId.get(offerId)!, customerId ? (engine.features(customerId)?.[FEATURE_INDEX.monthly_price] ?? 0) : 50);
    // Drawn in the order of their ids (C00 first), whatever their value.
    const reader = { atStake: (id: string) => 100 - Number(id.slice(1)), profile: () => undefined, kindOf: () => 'discount' as const };
    const delivery = campaignDelivery(() => services, records, offerCost, reader, undefined, undefined, perBatch);
    await delivery.open({ campaignId: id, variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' }], budget, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} });
    const tick = (n: number) => delivery.apply(id, { tick: n, shares: { v: 1 }, paused: [], remainingBudget: budget });
    return { delivery, asked, acted, tick, saves: () => saves, concurrent: () => concurrent, close: async () => (await gov.close(), await store.close()) };
  }

  it(`asks its contacts ${CONTACTS_PER_BATCH} at once, each judged on its own with an equal share of what the campaign has left, and saves the campaign once a batch`, async () => {
    const c = await batchedCampaign('batches', Array.from({ length: 31 }, () => 40), 4_000);
    await c.tick(1);
    // A tick paces itself at a quarter of what is left (1,000): every one of the 31 is reached.
    expect(c.asked.map((a) => a.status), JSON.stringify(c.asked)).toEqual(Array.from({ length: 31 }, () => 'executed'));
    expect(c.concurrent()).toBe(CONTACTS_PER_BATCH);
    // The first contact alone (whether the variant waits for a person), then batches up to each read of
    // the hold (9, 10, 10, 1): each contact of a batch asks with the same share of what was left then.
    const price = c.asked[0].moved!;
    expect(price).toBeGreaterThan(0);
    let left = 4_000;
    for (const size of [1, 9, 10, 10, 1]) {
      const batch = c.asked.splice(0, size);
      expect(batch.map((a) => a.runBudgetLeft)).toEqual(batch.map(() => batchShare(left, size)));
      expect(batch.reduce((s, a) => s + a.runBudgetLeft, 0)).toBeLessThanOrEqual(left + 1e-9);
      left = cents(left - size * price);
    }
    // Saved at its open, once for each of the 5 batches and at the tick's end: not after each of 31 contacts.
    expect(c.saves()).toBe(1 + 5 + 1);
    const view = (await c.delivery.view('batches'))!;
    expect(view).toMatchObject({ treated: 31, audienceLeft: 0 });
    expect(cents(view.spent + view.reserved)).toBe(cents(31 * price));
    await c.close();
  });

  it('asks again, alone, a contact its share of the batch was too small for, and contacts the same customers for the same money as one at a time', async () => {
    // Two customers pay 12.5 times the others' price: an eighth of what is left is too small for them, all of it is not.
    const prices = [20, 20, 20, 250, 20, 20, 20, 20, 250, 20, 20, 20, 20, 20, 20, 20];
    const run = async (perBatch: number) => {
      const c = await batchedCampaign(`split-${perBatch}`, prices, 1_000, perBatch);
      for (let n = 1; n <= 4; n++) await c.tick(n);
      const view = (await c.delivery.view(`split-${perBatch}`))!;
      const out = { treated: (await c.delivery.treatedIds(`split-${perBatch}`)).sort(), spent: view.spent, acted: c.acted.map((r) => r.customerId).sort(), asked: c.asked };
      await c.close();
      return out;
    };
    const one = await run(1);
    const batched = await run(CONTACTS_PER_BATCH);
    // Refused by the split (run-budget at a tenth), then carried out when asked alone with all that was left.
    const twice = batched.asked.filter((a, i) => a.guardrail === 'run-budget' && batched.asked.findIndex((b, j) => j > i && b.customerId === a.customerId && b.status === 'executed') > 0);
    expect(twice.length, JSON.stringify(batched.asked)).toBeGreaterThan(0);
    for (const a of twice) {
      const alone = batched.asked.find((b) => b.customerId === a.customerId && b.status === 'executed')!;
      expect(alone.runBudgetLeft).toBeGreaterThan(a.runBudgetLeft);
      expect(alone.moved).toBeGreaterThan(a.runBudgetLeft);
    }
    expect(one.asked.filter((a) => a.guardrail === 'run-budget' && one.asked.some((b) => b.customerId === a.customerId && b.status === 'executed'))).toEqual([]);
    // The refusal by the split is no refusal of the customer: nothing counts it.
    expect(batched.treated).toEqual(one.treated);
    expect(batched.acted).toEqual(one.acted);
    expect(batched.spent).toBe(one.spent);
    expect(batched.spent).toBeLessThanOrEqual(1_000);
    expect(batched.treated.length).toBeGreaterThan(5);
  });

  it('repeats no contact and loses none when the process dies in the middle of a batch', async () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 12; i++) customer(engine, `C${String(i).padStart(2, '0')}`);
    const records = await freshRecords();
    const { store, guarded, acted } = await guardedWithOffersApproved(engine, records, undefined, new ManualClock(T0), false);
    const input = { campaignId: 'mid-batch', variants: [{ id: 'v', offerId: 'retain-10', channel: 'app' as const }], budget: 1_000, controlShare: 0, endAt: T0 + 30 * DAY_MS, tickMs: DAY_MS, seed: 1, minShare: 0.05, maxShiftPerTick: 0.2, acceptValue: {} };
    let asks = 0;
    // The process dies while its second batch is under way: the executor has carried some of it out, the campaign saved none of it.
    const dying = campaignDelivery(() => servicesOver(engine, async (r) => {
      const a = await guarded.execute(r);
      if (++asks === 6) throw new Error('killed');
      return a;
    }), records, () => 1);
    await dying.open(input);
    await expect(dying.apply('mid-batch', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1_000 })).rejects.toThrow('killed');
    const saved = (await records.get<{ queue: string[]; treated: Record<string, string> }>('campaigns', 'mid-batch'))!.body;
    expect(Object.keys(saved.treated)).toEqual(['C00']);
    expect(saved.queue).toHaveLength(11);
    const carriedBefore = acted.length;
    expect(carriedBefore).toBeGreaterThan(1);
    const next = campaignDelivery(() => servicesOver(engine, (r) => guarded.execute(r)), records, () => 1);
    await next.apply('mid-batch', { tick: 1, shares: { v: 1 }, paused: [], remainingBudget: 1_000 });
    // Each customer carried out once at the back end, and every one booked once.
    expect(acted.map((r) => r.customerId).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `C${String(i).padStart(2, '0')}`));
    const view = (await next.view('mid-batch'))!;
    expect(view).toMatchObject({ treated: 12, audienceLeft: 0 });
    expect(cents(view.spent + view.reserved)).toBe(cents(acted.reduce((s, r) => s + r.cost, 0)));
    await store.close();
    await records.close();
  });
});
