import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import { TwinEngine } from '../../twin/twin-engine.js';
import { LiveProfiles } from './live-profiles.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
let n = 0;
const ev = (customerId: string, kind: TwinEvent['kind'], at: number, data: unknown) => ({ id: `e${n++}`, kind, customerId, time: new Date(at).toISOString(), source: 't', v: 1, data }) as TwinEvent;

/** Customers who each got `offers` discount offers, answering them as `answer(i, k)` says. */
function engineWith(customers: number, offers: number, answer: (i: number, k: number) => 'accepted' | 'declined' | 'ignored' | 'none', offered: (i: number) => boolean = () => true): TwinEngine {
  const engine = new TwinEngine();
  const apply = (e: TwinEvent) => {
    const t = Date.parse(e.time);
    const verdict = engine.check(e, t, engine.gate(e.customerId));
    if (!verdict.ok) throw new Error(JSON.stringify(verdict));
    engine.apply(e, t);
  };
  for (let i = 0; i < customers; i++) {
    const id = `C${i}`;
    apply(ev(id, 'customer', T0, { segment: 'consumer', billing: 'postpaid', contractMonths: i % 2 ? 12 : 0, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' }));
    apply(ev(id, 'subscription', T0, { action: 'activated', subscriptionId: `S${i}`, productKind: 'plan', productId: 'p', monthlyPrice: 30 }));
    for (let k = 0; k < (offered(i) ? offers : 0); k++) {
      const at = T0 + (1 + 10 * k) * DAY;
      apply(ev(id, 'offer', at, { action: 'presented', offerId: 'o', channel: 'app', treatment: 'discount' }));
      const a = answer(i, k);
      if (a !== 'none') apply(ev(id, 'offer', a === 'ignored' ? at + 7 * DAY : at, { action: a, offerId: 'o', channel: 'app', treatment: 'discount' }));
    }
  }
  return engine;
}

describe('live profiles', () => {
  it('read a twin\u2019s contact risk exactly as its profile, and nothing for an unknown twin', () => {
    const engine = engineWith(60, 3, (i, k) => (i % 3 === 0 ? 'accepted' : i % 3 === 1 ? 'declined' : k === 2 ? 'none' : 'ignored'));
    const profiles = new LiveProfiles(engine);
    for (const id of ['C0', 'C1', 'C2']) {
      const view = engine.view(id)!;
      const risk = profiles.contactRisk(id)!;
      expect(risk.sleepingDog).toBeCloseTo(profiles.profileOf(view).classes['sleeping-dog'], 4);
      expect(risk.contactMultiplier).toBeGreaterThanOrEqual(1);
      expect(risk.acceptance.discount).toBeCloseTo(profiles.profileOf(view).acceptance.discount.mean, 3);
    }
    // The one who took every offer is expected to take the next more than the one who declined every one.
    expect(profiles.contactRisk('C0')!.acceptance.discount).toBeGreaterThan(profiles.contactRisk('C1')!.acceptance.discount + 0.2);
    expect(profiles.contactRisk('nobody')).toBeUndefined();
  });

  it('shows ignores as their own answers: the counts, and the ignore share of those who ignore above those who decline', () => {
    const engine = engineWith(90, 4, (i) => (i % 3 === 0 ? 'accepted' : i % 3 === 1 ? 'declined' : 'ignored'));
    const profiles = new LiveProfiles(engine);
    const ignorer = profiles.profileOf(engine.view('C2')!);
    const decliner = profiles.profileOf(engine.view('C1')!);
    expect(engine.view('C2')!.contacts.byKind.discount).toEqual({ presented: 4, accepted: 0, declined: 0, ignored: 4 });
    expect(ignorer.ignore.discount.mean).toBeGreaterThan(decliner.ignore.discount.mean);
    expect(ignorer.ignore.discount.low).toBeLessThanOrEqual(ignorer.ignore.discount.mean);
    expect(ignorer.ignore.discount.high).toBeGreaterThanOrEqual(ignorer.ignore.discount.mean);
    expect(ignorer.contacts).toBe(4);
    expect(ignorer.model.customers).toBe(90);
  });

  it('shift a twin\u2019s acceptance by what its answers show, against the twins never offered anything', () => {
    // Customers 0–119 got three offers (a third took each, a third declined each, a third ignored
    // them); customers 120–239 were never offered anything.
    const engine = engineWith(240, 3, (i) => (i >= 120 ? 'none' : i % 3 === 0 ? 'accepted' : i % 3 === 1 ? 'declined' : 'ignored'), (i) => i < 120);
    const shift = new LiveProfiles(engine).acceptanceShift('discount');
    expect(shift('C0'), 'took every offer').toBeGreaterThan(0.5);
    expect(shift('C1'), 'declined every offer').toBeLessThan(-0.5);
    // The twins never offered anything are the base the shift is measured against.
    const fresh = Array.from({ length: 120 }, (_, k) => shift(`C${120 + k}`));
    expect(Math.abs(fresh.reduce((s, x) => s + x, 0) / fresh.length)).toBeLessThan(0.2);
    expect(shift('nobody')).toBe(0);
  });

  it('show the rates\u2019 own uncertainty: a twin with no answers in a base without any shows the prior\u2019s spread, not a point', () => {
    const silent = new LiveProfiles(engineWith(30, 0, () => 'none'));
    const before = silent.profileOf(engineWith(30, 0, () => 'none').view('C0')!);
    // Every class's ignore prior is 0.4 (worth 50 refusals): its 90 % interval is about 29 %–52 %.
    expect(before.contacts).toBe(0);
    expect(before.ignore.discount.mean).toBeCloseTo(0.4, 3);
    expect(before.ignore.discount.low).toBeLessThan(0.31);
    expect(before.ignore.discount.high).toBeGreaterThan(0.49);
    expect(before.acceptance.discount.high - before.acceptance.discount.low).toBeGreaterThan(0.2);
    // Thousands of answers pin the classes' rates down: the same reading narrows.
    const engine = engineWith(600, 4, (i, k) => ((i + k) % 5 === 0 ? 'accepted' : (i + k) % 5 < 3 ? 'declined' : 'ignored'));
    const after = new LiveProfiles(engine).profileOf(engine.view('C0')!);
    expect(after.ignore.discount.high - after.ignore.discount.low).toBeLessThan(before.ignore.discount.high - before.ignore.discount.low);
  });

  it('stamp the fit on the event clock the twins are read on, not the wall clock', () => {
    // The latest answer of engineWith(…, 3, …) is 21 days after T0: the event clock stands there.
    const engine = engineWith(30, 3, (i) => (i % 2 ? 'accepted' : 'declined'));
    expect(engine.eventClock).toBe(T0 + 21 * DAY);
    const profile = new LiveProfiles(engine).profileOf(engine.view('C0')!);
    expect(profile.model.fittedAt).toBe(new Date(T0 + 21 * DAY).toISOString());
  });
});
