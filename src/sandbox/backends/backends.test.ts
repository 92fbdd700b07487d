import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import type { ProvisioningJob } from '../../domain/connectors/provisioning.js';
import { createOracle } from '../oracle/index.js';
import { createSandboxWorld } from '../sandbox-world.js';
import { ArrayOutput } from '../event-output.js';
import { loadWorldDocument } from '../world-catalog.js';

const instant = { latencyMs: { median: 0, sigma: 0 }, transientErrorRate: 0, permanentRejectionRate: 0 };
const reliable = loadWorldDocument({
  extends: 'small',
  population: { customers: 400 },
  backends: Object.fromEntries(
    ['identityVerification', 'creditBureau', 'orderManagement', 'provisioning', 'billingAdjustments', 'notifications', 'networkAlarms', 'campaignDelivery'].map((k) => [k, instant]),
  ),
});

function world(seed = 3) {
  const w = createSandboxWorld(reliable, seed, { latencyScale: 0 });
  w.generate(new ArrayOutput(), { days: 10 });
  return w;
}

describe('sandbox back ends', () => {
  it('honour idempotency keys: activating twice with one key activates once, with the same answer', async () => {
    const w = world();
    const b = w.backends;
    const applicant = w.nextApplicant();
    const order = await b.orderManagement.create({ idempotencyKey: 'o-1', order: { type: 'new_line', applicantId: applicant.applicantId, planId: 'fibre-m' } });
    expect(order.status).toBe('ok');
    if (order.status !== 'ok') return;
    const again = await b.orderManagement.create({ idempotencyKey: 'o-1', order: { type: 'new_line', applicantId: applicant.applicantId, planId: 'fibre-m' } });
    expect(again).toEqual(order);
    const completed = new Promise<ProvisioningJob>((resolve) => b.provisioning.onCompletion(resolve));
    const [a1, a2] = await Promise.all([
      b.provisioning.activate({ idempotencyKey: 'p-1', orderId: order.value.orderId }),
      b.provisioning.activate({ idempotencyKey: 'p-1', orderId: order.value.orderId }),
    ]);
    expect(a1).toEqual(a2);
    expect(a1.status === 'ok' && a1.value.state).toBe('pending');
    const job = await completed;
    expect(job.state).toBe('completed');
    const pending = w.takePendingEvents();
    expect(pending.map((e) => e.kind)).toEqual(['customer', 'subscription']);
    expect(pending[0].customerId).toBe(job.customerId);
    const later = new ArrayOutput();
    w.generate(later, { days: 2 });
    expect(later.events.some((e) => e.kind === 'usage' && e.customerId === job.customerId)).toBe(true);
    const replay = await b.provisioning.activate({ idempotencyKey: 'p-1', orderId: order.value.orderId });
    expect(replay).toEqual(a1);
  });

  it('produce transient failures and permanent rejections at their configured rates', async () => {
    const cfg = loadWorldDocument({
      extends: 'small',
      population: { customers: 50 },
      backends: { notifications: { latencyMs: { median: 0, sigma: 0 }, transientErrorRate: 0.2, permanentRejectionRate: 0.1 } },
    });
    const w = createSandboxWorld(cfg, 1, { latencyScale: 0 });
    const n = 4000;
    const counts = { ok: 0, transient: 0, rejected: 0 };
    for (let i = 0; i < n; i++) {
      const r = await w.backends.notifications.send({ idempotencyKey: `k${i}`, customerId: 'C000001', channel: 'sms', purpose: 'service' });
      counts[r.status]++;
    }
    expect(counts.transient / n).toBeGreaterThan(0.17);
    expect(counts.transient / n).toBeLessThan(0.23);
    // Rejections are drawn among the calls that did not fail transiently.
    expect(counts.rejected / (n - counts.transient)).toBeGreaterThan(0.08);
    expect(counts.rejected / (n - counts.transient)).toBeLessThan(0.12);
  });

  it('a credit changes the next bill', async () => {
    const w = world();
    const r = await w.backends.billingAdjustments.credit({ idempotencyKey: 'c-1', customerId: 'C000001', amount: 7.5, reason: 'goodwill' });
    expect(r.status).toBe('ok');
    await w.backends.billingAdjustments.credit({ idempotencyKey: 'c-1', customerId: 'C000001', amount: 7.5, reason: 'goodwill' });
    const out = new ArrayOutput();
    w.generate(out, { days: 40 });
    const bill = out.events.find((e) => e.kind === 'bill' && e.customerId === 'C000001');
    expect(bill?.kind === 'bill' && bill.data.lines.find((l) => l.type === 'credit')?.amount).toBe(-7.5);
  });

  it('an add-on ordered and provisioned is billed with the plan; a termination ends the line and its add-ons', async () => {
    const w = world();
    const b = w.backends;
    const provision = async (key: string, order: Parameters<typeof b.orderManagement.create>[0]['order']) => {
      const o = await b.orderManagement.create({ idempotencyKey: key, order });
      if (o.status !== 'ok') return o;
      const completed = new Promise<ProvisioningJob>((resolve) => b.provisioning.onCompletion(resolve));
      await b.provisioning.activate({ idempotencyKey: `${key}:a`, orderId: o.value.orderId });
      return completed;
    };
    // The first customer still active (some have churned in the first days).
    let id = '';
    for (let n = 1; !id; n++) {
      const candidate = `C${String(n).padStart(6, '0')}`;
      const r = await provision(`add-${candidate}`, { type: 'add_addon', customerId: candidate, addonId: 'data-5gb' });
      if ('state' in r) {
        expect(r).toMatchObject({ state: 'completed', customerId: candidate });
        id = candidate;
      } else expect(r).toEqual({ status: 'rejected', reason: 'customer_not_active' });
    }
    expect(await b.orderManagement.create({ idempotencyKey: 'add-2', order: { type: 'add_addon', customerId: id, addonId: 'data-5gb' } })).toEqual({ status: 'rejected', reason: 'addon_already_active' });
    expect(await b.orderManagement.create({ idempotencyKey: 'add-3', order: { type: 'add_addon', customerId: id, addonId: 'free-phone' } })).toEqual({ status: 'rejected', reason: 'unknown_addon' });
    expect(w.takePendingEvents().map((e) => e.kind === 'subscription' && [e.data.action, e.data.productId])).toEqual([['addon_added', 'data-5gb']]);
    const out = new ArrayOutput();
    w.generate(out, { days: 40 });
    const bill = out.events.find((e) => e.kind === 'bill' && e.customerId === id);
    const topup = out.events.find((e) => e.kind === 'topup' && e.customerId === id);
    // A postpaid customer's bill carries the add-on; a prepaid one's bundle top-up includes it.
    if (bill?.kind === 'bill') expect(bill.data.lines.find((l) => l.type === 'addon')).toEqual({ type: 'addon', amount: 5, description: 'Extra 5 GB' });
    else expect(topup?.kind === 'topup' && topup.data.amount).toBeGreaterThanOrEqual(5);
    expect(await provision('end-1', { type: 'terminate', customerId: id })).toMatchObject({ state: 'completed' });
    expect(w.takePendingEvents().map((e) => e.kind === 'subscription' && e.data.action)).toEqual(['addon_removed', 'terminated']);
    expect(await b.orderManagement.create({ idempotencyKey: 'end-2', order: { type: 'terminate', customerId: id } })).toEqual({ status: 'rejected', reason: 'customer_not_active' });
  });

  it('an accepted retention offer moves a persuadable customer’s true hazard as configured', async () => {
    const w = world();
    const oracle = createOracle(w);
    const persuadables = oracle.customerIds().filter((id) => oracle.responseType(id) === 'persuadable' && oracle.churnProbability(id) > 0);
    let checked = 0;
    for (const id of persuadables) {
      const before = oracle.churnProbability(id);
      const truth = oracle.offerEffect(id, 'retain-25');
      expect(truth.hazardIfAccepted).toBeCloseTo(before * reliable.offers.persuadableHazardMultiplier, 10);
      const r = await w.backends.campaignDelivery.deliver({ idempotencyKey: `d-${id}`, campaignId: 'camp', customerId: id, offerId: 'retain-25', channel: 'app' });
      if (r.status === 'ok' && r.value.response === 'accepted') {
        expect(oracle.churnProbability(id)).toBeCloseTo(before * reliable.offers.persuadableHazardMultiplier, 10);
        expect(oracle.outcome(id).offersAccepted).toEqual(['retain-25']);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
    const offers = w.takePendingEvents().filter((e) => e.kind === 'offer');
    expect(offers.filter((e) => e.kind === 'offer' && e.data.action === 'presented').length).toBe(persuadables.length);
    expect(offers.filter((e) => e.kind === 'offer' && e.data.action === 'accepted').length).toBe(checked);
  });

  it("a data bonus accepted is an add-on on the line while it runs, taken off on the first bill after its months (the twin's allowance held no bonus, so the customer read over it and was offered it again)", async () => {
    const w = world();
    const oracle = createOracle(w);
    const ids = oracle.customerIds().filter((x) => oracle.churnProbability(x) > 0).slice(0, 8);
    const added = new Map<string, TwinEvent>();
    for (const id of ids) {
      const r = await w.backends.campaignDelivery.deliver({ idempotencyKey: `bonus-${id}`, campaignId: 'camp', customerId: id, offerId: 'data-bonus', channel: 'call', acceptedBy: 'alice' });
      expect(r.status === 'ok' && r.value.response).toBe('accepted');
      const subs = w.takePendingEvents().filter((e) => e.kind === 'subscription' && e.customerId === id);
      expect(subs).toHaveLength(1);
      expect(subs[0].data).toMatchObject({ action: 'addon_added', productKind: 'addon', productId: 'data-bonus', monthlyPrice: 0, reason: 'retention_offer' });
      // Half the plan's allowance.
      expect(reliable.plans.some((p) => subs[0].kind === 'subscription' && 2 * subs[0].data.dataAllowanceMb! === p.dataAllowanceMb)).toBe(true);
      added.set(id, subs[0]);
    }
    const out = new ArrayOutput();
    w.generate(out, { days: 130 });
    let stayed = 0;
    for (const [id, bonus] of added) {
      const later = out.events.filter((e) => e.customerId === id && e.kind === 'subscription');
      const removed = later.filter((e) => e.kind === 'subscription' && e.data.action === 'addon_removed');
      if (later.some((e) => e.kind === 'subscription' && e.data.action === 'terminated')) continue;
      stayed++;
      expect(removed).toHaveLength(1);
      expect(removed[0].kind === 'subscription' && bonus.kind === 'subscription' && removed[0].data.subscriptionId === bonus.data.subscriptionId).toBe(true);
      expect(removed[0].data).toMatchObject({ productId: 'data-bonus', reason: 'offer_ended' });
      // Three months on, with a bill or a prepaid period's top-up (the first whose period the bonus no longer reaches).
      expect(Date.parse(removed[0].time) - Date.parse(bonus.time)).toBeGreaterThan(90 * 86_400_000);
      expect(out.events.some((e) => e.customerId === id && (e.kind === 'bill' || e.kind === 'topup') && e.time === removed[0].time)).toBe(true);
    }
    expect(stayed).toBeGreaterThanOrEqual(4);
  });

  it('an offer the customer already accepted on the line is booked accepted, naming who recorded it, with its terms, once', async () => {
    const w = world();
    const oracle = createOracle(w);
    // Those who would leave it unanswered or decline it if merely presented: every type, ignorers most.
    const ids = oracle.customerIds().filter((id) => oracle.churnProbability(id) > 0).slice(0, 40);
    for (const id of ids) {
      const req = { idempotencyKey: `yes-${id}`, campaignId: 'nba-call', customerId: id, offerId: 'retain-10', channel: 'call' as const, acceptedBy: 'alice' };
      const r = await w.backends.campaignDelivery.deliver(req);
      expect(r.status === 'ok' && r.value.response).toBe('accepted');
      expect(oracle.outcome(id).offersAccepted).toEqual(['retain-10']);
      // A retry of the same request repeats nothing: one presentation, one acceptance.
      expect(await w.backends.campaignDelivery.deliver(req)).toEqual(r);
    }
    const offers = w.takePendingEvents().filter((e) => e.kind === 'offer');
    expect(offers.filter((e) => e.data.action === 'presented')).toHaveLength(ids.length);
    const accepted = offers.filter((e) => e.data.action === 'accepted');
    expect(accepted).toHaveLength(ids.length);
    expect(accepted.every((e) => e.kind === 'offer' && e.data.by === 'alice' && e.data.channel === 'call' && e.data.requestId === `yes-${e.customerId}`)).toBe(true);
  });

  it('customers leave offers unanswered as often as their type says, with no answer event; a world without offers.ignore answers every one', async () => {
    const ignore = { sureThing: 0.1, lostCause: 0.5, persuadable: 0.05, sleepingDog: 0.9 };
    const run = async (doc: typeof reliable) => {
      const w = createSandboxWorld(doc, 3, { latencyScale: 0 });
      w.generate(new ArrayOutput(), { days: 10 });
      const oracle = createOracle(w);
      const tally: Record<string, { notAccepted: number; noAnswer: number }> = {};
      for (const id of oracle.customerIds().filter((x) => oracle.churnProbability(x) > 0)) {
        for (let k = 0; k < 4; k++) {
          const r = await w.backends.campaignDelivery.deliver({ idempotencyKey: `i-${id}-${k}`, campaignId: 'camp', customerId: id, offerId: 'retain-10', channel: 'app' });
          if (r.status !== 'ok' || r.value.response === 'accepted') continue;
          const t = (tally[oracle.responseType(id)] ??= { notAccepted: 0, noAnswer: 0 });
          t.notAccepted++;
          if (r.value.response === 'no-answer') t.noAnswer++;
        }
      }
      const offers = w.takePendingEvents().filter((e) => e.kind === 'offer');
      const answers = offers.filter((e) => e.kind === 'offer' && e.data.action !== 'presented').length;
      return { tally, presented: offers.length - answers, answers };
    };
    const withIgnores = await run(loadWorldDocument({ ...reliable, offers: { ...reliable.offers, ignore } }));
    for (const [type, t] of Object.entries(withIgnores.tally)) {
      expect(t.notAccepted).toBeGreaterThan(50);
      expect(Math.abs(t.noAnswer / t.notAccepted - ignore[type as keyof typeof ignore])).toBeLessThan(0.12);
    }
    const noAnswers = Object.values(withIgnores.tally).reduce((s, t) => s + t.noAnswer, 0);
    expect(withIgnores.answers).toBe(withIgnores.presented - noAnswers);
    const { offers: { ignore: _none, ...answering } } = reliable;
    const without = await run(loadWorldDocument({ ...reliable, offers: answering }));
    expect(Object.values(without.tally).every((t) => t.noAnswer === 0)).toBe(true);
    expect(without.answers).toBe(without.presented);
  });

  it('sleeping dogs get worse when contacted; service messages do not count', async () => {
    const w = world();
    const oracle = createOracle(w);
    const dogs = oracle.customerIds().filter((id) => oracle.responseType(id) === 'sleepingDog' && oracle.churnProbability(id) > 0).slice(0, 5);
    expect(dogs.length).toBe(5);
    for (const id of dogs) {
      const before = oracle.churnProbability(id);
      await w.backends.notifications.send({ idempotencyKey: `s-${id}`, customerId: id, channel: 'sms', purpose: 'service' });
      expect(oracle.churnProbability(id)).toBe(before);
      expect(oracle.offerEffect(id, 'retain-10').effect).toBeGreaterThan(0);
      await w.backends.notifications.send({ idempotencyKey: `m-${id}`, customerId: id, channel: 'email', purpose: 'marketing' });
      expect(oracle.churnProbability(id)).toBeCloseTo(Math.min(0.95, before * reliable.offers.sleepingDogHazardMultiplier), 10);
    }
  });

  it('answer onboarding checks from the applicant’s hidden truth and report alarms shaped like TMF642', async () => {
    const w = world();
    const oracle = createOracle(w);
    let invalid = 0;
    for (let i = 0; i < 200; i++) {
      const a = w.nextApplicant();
      const r = await w.backends.identityVerification.verify({ idempotencyKey: `v-${i}`, ...a });
      const truth = oracle.applicant(a.applicantId);
      expect(r.status === 'rejected').toBe(truth?.identityValid === false);
      if (r.status === 'rejected') invalid++;
      const credit = await w.backends.creditBureau.check({ idempotencyKey: `cb-${i}`, ...a });
      expect(credit.status === 'ok' && credit.value.score).toBe(truth?.creditScore);
    }
    expect(invalid).toBeGreaterThan(0);
    const alarms = await w.backends.networkAlarms.list({ idempotencyKey: 'l-1' });
    expect(alarms.status).toBe('ok');
    if (alarms.status === 'ok' && alarms.value.length) {
      const a = alarms.value[0];
      expect(a.alarmedObject.id).toMatch(/^(cell|site)-/);
      expect(['raised', 'cleared']).toContain(a.state);
      expect(Date.parse(a.raisedTime)).toBeLessThanOrEqual(w.clock.now());
    }
  });
});
