import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MAX_MONEY, MAX_RECORD_DATA_MB, type TwinEvent } from '../domain/events.js';
import { validateEvent } from '../domain/event-validation.js';
import { TwinEngine } from './twin-engine.js';
import { syntheticEvents } from './synthetic-events.js';
import { NEVER_DAYS } from './twin-features.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function customer(id = 'C1', since = '2024-01-01T00:00:00Z'): TwinEvent {
  return { id: `${id}-reg`, kind: 'customer', customerId: id, time: iso(T0 - 30 * 24 * H), source: 't', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since } };
}

function applyAll(engine: TwinEngine, events: readonly TwinEvent[]): void {
  for (const e of events) {
    const time = Date.parse(e.time);
    const verdict = engine.check(e, time, engine.gate(e.customerId));
    if (verdict.ok) engine.apply(e, time);
  }
}

/** Arbitrary events of one registered customer within `spanHours` after T0. */
const eventArb = (spanHours: number) =>
  fc
    .record({
      kind: fc.constantFrom('usage', 'ticket', 'interaction', 'offer', 'payment', 'subscription', 'network_impact', 'bill'),
      at: fc.integer({ min: 0, max: spanHours * H }),
      n: fc.integer({ min: 0, max: 3 }),
      x: fc.double({ min: 0, max: 5000, noNaN: true }),
      flag: fc.boolean(),
    })
    .map(({ kind, at, n, x, flag }): Omit<TwinEvent, 'id'> => {
      const time = iso(T0 + at);
      const base = { customerId: 'C1', time, source: 't', v: 1 as const };
      switch (kind) {
        case 'usage':
          return { ...base, kind, data: { subscriptionId: 'S1', dataMb: x, voiceMin: x / 100, sms: n, roaming: flag, ...(n > 0 ? { cellId: `cell-${n}`, siteId: 'site-0' } : {}) } };
        case 'ticket':
          return { ...base, kind, data: { ticketId: `T${n}`, action: flag ? 'opened' : 'resolved', category: 'billing', severity: 'low', complaint: flag } };
        case 'interaction':
          return { ...base, kind, data: { channel: flag ? 'web' : 'call', intent: 'x', phase: 'start' } };
        case 'offer':
          return { ...base, kind, data: { action: (['presented', 'accepted', 'declined'] as const)[n % 3], offerId: 'o1', channel: 'app' } };
        case 'payment':
          return { ...base, kind, data: flag ? { status: 'paid', billId: 'B', amount: 10, dueDate: '2026-02-20', paidDate: `2026-02-2${n + 1}` } : { status: 'failed', billId: 'B', amount: 10, dueDate: '2026-02-20', failureReason: 'x' } };
        case 'subscription':
          return { ...base, kind, data: { action: (['activated', 'plan_changed', 'suspended', 'terminated'] as const)[n], subscriptionId: `S${n % 2}`, productKind: 'plan', productId: `P${n}`, monthlyPrice: Math.round(x) / 100 } };
        case 'network_impact':
          return { ...base, kind, data: { incidentId: `I${n}`, cellId: 'cell-1', impact: 'outage', severity: 'high', start: time, end: flag ? iso(T0 + at + n * 600_000) : undefined } };
        default:
          return { ...base, kind: 'bill', data: { billId: `B${n}`, periodStart: '2026-02-01', periodEnd: '2026-02-28', amount: Math.round(x) / 100, lines: [{ type: 'overage', amount: n }] } };
      }
    });

const withIds = (events: Omit<TwinEvent, 'id'>[]) => events.map((e, i) => ({ ...e, id: `e${i}` }) as TwinEvent);

describe('twin engine', () => {
  it('keeps rolling usage windows, products and payments from events', () => {
    const engine = new TwinEngine();
    const events: TwinEvent[] = [
      customer(),
      { id: 'act', kind: 'subscription', customerId: 'C1', time: iso(T0), source: 't', v: 1, data: { action: 'activated', subscriptionId: 'S1', productKind: 'plan', productId: 'P-20', monthlyPrice: 20, dataAllowanceMb: 2000 } },
    ];
    for (let d = 0; d < 40; d++) {
      events.push({ id: `u${d}`, kind: 'usage', customerId: 'C1', time: iso(T0 + d * 24 * H), source: 't', v: 1, data: { subscriptionId: 'S1', dataMb: 100, voiceMin: 10, sms: 1, roaming: false } });
    }
    events.push({ id: 'pay', kind: 'payment', customerId: 'C1', time: iso(T0 + 39 * 24 * H), source: 't', v: 1, data: { status: 'paid', billId: 'B1', amount: 20, dueDate: '2026-03-10', paidDate: '2026-03-15' } });
    for (const e of events) expect(validateEvent(e).ok).toBe(true);
    applyAll(engine, events);
    const view = engine.view('C1')!;
    expect(view.features.data_mb_7d).toBe(700);
    expect(view.features.data_mb_30d).toBe(3000);
    expect(view.features.data_mb_90d).toBe(4000);
    expect(view.features.voice_min_30d).toBe(300);
    expect(view.features.payments_late_90d).toBe(1);
    expect(view.features.days_late_90d).toBe(5);
    expect(view.features.monthly_price).toBe(20);
    expect(view.products).toEqual([expect.objectContaining({ subscriptionId: 'S1', productId: 'P-20', status: 'active' })]);
    expect(view.features.tenure_days).toBeGreaterThan(790);
  });

  it("keeps a plan's allowances through a change of its price alone, whatever the order the events arrive in", () => {
    const sub = (id: string, hours: number, data: Record<string, unknown>): TwinEvent => ({ id, kind: 'subscription', customerId: 'C1', time: iso(T0 + hours * H), source: 't', v: 1, data: { subscriptionId: 'S1', productKind: 'plan', productId: 'fibre-m', ...data } }) as TwinEvent;
    const events = [
      customer(),
      sub('act', 0, { action: 'activated', monthlyPrice: 40, dataAllowanceMb: 20_000, voiceAllowanceMin: 600 }),
      // A price change names the plan and its new price, as the sandbox's (and a BSS's) notice does.
      sub('rise', 24, { action: 'plan_changed', monthlyPrice: 43.2, reason: 'price_change' }),
    ];
    for (const e of events) expect(validateEvent(e).ok).toBe(true);
    for (const order of [events, [events[0], events[2], events[1]]]) {
      const engine = new TwinEngine();
      applyAll(engine, order);
      const view = engine.view('C1')!;
      expect(view.features.monthly_price).toBe(43.2);
      expect(view.features.data_allowance_mb).toBe(20_000);
      expect(view.features.voice_allowance_min).toBe(600);
    }
    // A change that states the new terms takes them.
    const engine = new TwinEngine();
    applyAll(engine, [...events, sub('down', 48, { action: 'plan_changed', productId: 'fibre-s', monthlyPrice: 30, dataAllowanceMb: 5_000, voiceAllowanceMin: 300 })]);
    expect(engine.view('C1')!.features.data_allowance_mb).toBe(5_000);
    expect(engine.view('C1')!.features.monthly_price).toBe(30);
  });

  it('counts a prepaid customer’s top-ups as their monthly spend (ARPU), without bills', () => {
    const engine = new TwinEngine();
    const prepaid: TwinEvent = { ...customer(), data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'voucher', since: '2024-01-01T00:00:00Z' } } as TwinEvent;
    const topup = (id: string, month: string, amount: number, purpose: 'bundle' | 'addon'): TwinEvent =>
      ({ id, kind: 'topup', customerId: 'C1', time: `2026-${month}-04T02:00:00Z`, source: 't', v: 1, data: { topupId: id, amount, currency: 'EUR', method: 'voucher', purpose } });
    const events = [prepaid, topup('t1', '03', 20, 'bundle'), topup('t2', '04', 20, 'bundle'), topup('t3', '04', 6, 'addon'), topup('t4', '05', 20, 'bundle')];
    for (const e of events) expect(validateEvent(e).ok).toBe(true);
    for (const e of events) {
      const time = Date.parse(e.time);
      expect(engine.check(e, time, engine.gate('C1')).ok).toBe(true);
      engine.apply(e, time);
    }
    const view = engine.view('C1', Date.parse('2026-06-01T00:00:00Z'))!;
    expect(view.features.is_prepaid).toBe(1);
    // (20 + 26 + 20) / 3 months
    expect(view.features.arpu_3m).toBeCloseTo(22, 2);
    expect(validateEvent(topup('t5', '05', 0, 'bundle')).ok).toBe(false);
  });

  it('saturates usage and bill counters at their limit instead of wrapping around', () => {
    const engine = new TwinEngine();
    const day = T0 + 2 * H;
    const huge = Array.from({ length: 6 }, (_, i): TwinEvent => ({ id: `big-${i}`, kind: 'usage', customerId: 'C1', time: iso(day + i), source: 't', v: 1, data: { subscriptionId: 'S1', dataMb: MAX_RECORD_DATA_MB, voiceMin: 0, sms: 0, roaming: false } }));
    const bills = Array.from({ length: 30 }, (_, i): TwinEvent => ({ id: `bill-${i}`, kind: 'bill', customerId: 'C1', time: iso(day + i), source: 't', v: 1, data: { billId: `B${i}`, periodStart: '2026-02-01', periodEnd: '2026-02-28', amount: MAX_MONEY, lines: [] } }));
    applyAll(engine, [customer(), ...huge, ...bills]);
    // Six records of 1 TB fill the day's 32-bit KB counter (4 TB) and stay there.
    expect(engine.view('C1', T0 + 3 * H)!.features.data_mb_7d).toBeGreaterThanOrEqual(4_194_303);
    // Thirty bills of a million fill the month's 32-bit cents (21.4 million), not a negative sum
    // (read the next month: the average is over complete months).
    expect(engine.view('C1', Date.parse('2026-04-01T00:00:00Z'))!.features.bill_avg_3m).toBeGreaterThanOrEqual(21_474_836);
  });

  it('refuses events of unknown customers, before the customer existed, and past the lateness', () => {
    const engine = new TwinEngine({ latenessMs: 24 * H });
    const usage = (id: string, at: number): TwinEvent => ({ id, kind: 'usage', customerId: 'C1', time: iso(at), source: 't', v: 1, data: { subscriptionId: 'S1', dataMb: 1, voiceMin: 0, sms: 0, roaming: false } });
    expect(engine.check(usage('a', T0), T0, engine.gate('C1'))).toMatchObject({ ok: false, reason: expect.stringContaining('unknown customer') });
    applyAll(engine, [customer('C1', '2026-01-20T00:00:00Z')]);
    const before = Date.parse('2026-01-15T00:00:00Z');
    expect(engine.check(usage('b', before), before, engine.gate('C1'))).toMatchObject({ ok: false, reason: expect.stringContaining('before the customer existed') });
    applyAll(engine, [usage('c', T0 + 48 * H)]);
    expect(engine.check(usage('d', T0), T0, engine.gate('C1'))).toMatchObject({ ok: false, reason: expect.stringContaining('late event') });
    expect(engine.check(usage('e', T0 + 30 * H), T0 + 30 * H, engine.gate('C1')).ok).toBe(true);
  });

  it("takes an offer's ignored and an outcome at any lateness, dated when they became facts, and counts them as in time", () => {
    const engine = new TwinEngine({ latenessMs: 24 * H });
    const late = new TwinEngine({ latenessMs: 24 * H });
    const offer = (id: string, action: 'presented' | 'ignored', at: number): TwinEvent => ({ id, kind: 'offer', customerId: 'C1', time: iso(at), source: 'twinloop', v: 1, data: { action, offerId: 'retain-10', channel: 'app', requestId: 'r1', treatment: 'discount' } });
    const usage = (id: string, at: number): TwinEvent => ({ id, kind: 'usage', customerId: 'C1', time: iso(at), source: 't', v: 1, data: { subscriptionId: 'S1', dataMb: 1, voiceMin: 0, sms: 0, roaming: false } });
    const outcome: TwinEvent = { id: 'o1', kind: 'outcome', customerId: 'C1', time: iso(T0 + 90 * 24 * H), source: 'twinloop', v: 1, data: { requestId: 'r1', actionClass: 'offer', horizonDays: 90, actedAt: iso(T0), result: 'stayed' } };
    const ignored = offer('i1', 'ignored', T0 + 7 * 24 * H);
    // In time: the ignore at its window's end, then three weeks of usage.
    applyAll(engine, [customer(), offer('p1', 'presented', T0), ignored, usage('u1', T0 + 21 * 24 * H)]);
    // A stalled sweep: the same ignore arrives two weeks after the customer's latest usage.
    applyAll(late, [customer(), offer('p1', 'presented', T0), usage('u1', T0 + 21 * 24 * H)]);
    expect(late.check(ignored, Date.parse(ignored.time), late.gate('C1'))).toEqual({ ok: true });
    applyAll(late, [ignored]);
    expect(late.view('C1', T0 + 21 * 24 * H)!.features).toEqual(engine.view('C1', T0 + 21 * 24 * H)!.features);
    // An outcome too; any other late event is still refused.
    applyAll(late, [usage('u2', T0 + 100 * 24 * H)]);
    expect(late.check(outcome, Date.parse(outcome.time), late.gate('C1')).ok).toBe(true);
    expect(late.check(offer('p2', 'presented', T0 + 90 * 24 * H), T0 + 90 * 24 * H, late.gate('C1'))).toMatchObject({ ok: false, reason: expect.stringContaining('late event') });
  });

  it('gives the same twin for any arrival order within the lateness window', () => {
    fc.assert(
      fc.property(fc.array(eventArb(48), { minLength: 1, maxLength: 40 }), fc.infiniteStream(fc.nat()), (raw, shuffles) => {
        const events = withIds(raw);
        const shuffled = [...events];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = shuffles.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        const a = new TwinEngine({ latenessMs: 72 * H });
        const b = new TwinEngine({ latenessMs: 72 * H });
        applyAll(a, [customer(), ...events]);
        applyAll(b, [customer(), ...shuffled]);
        const at = T0 + 49 * H;
        expect(b.view('C1', at)).toEqual(a.view('C1', at));
      }),
      { numRuns: 200 },
    );
  });

  it('rebuilds byte-identical state from the same events in the same order', () => {
    const events = [...syntheticEvents({ customers: 50, days: 100, seed: 7 })];
    const a = new TwinEngine();
    const b = new TwinEngine();
    applyAll(a, events);
    applyAll(b, events);
    expect(a.size).toBe(50);
    for (const id of a.customerIds()) expect(Buffer.from(b.snapshot(id)!)).toEqual(Buffer.from(a.snapshot(id)!));
  });

  it('restores a twin from its snapshot exactly', () => {
    const events = [...syntheticEvents({ customers: 3, days: 40, seed: 3 })];
    const a = new TwinEngine();
    applyAll(a, events);
    const b = new TwinEngine();
    b.loadMeta(a.metaJSON());
    for (const id of a.customerIds()) b.restore(id, a.snapshot(id)!);
    expect(b.view('C2')).toEqual(a.view('C2'));
  });

  it("writes a checkpoint's meta without sorting the names again until one changes, as JSON.stringify would", () => {
    const events = [...syntheticEvents({ customers: 40, days: 60, seed: 5 })];
    const engine = new TwinEngine();
    applyAll(engine, events.slice(0, 2_000));
    const made = vi.spyOn(engine.names, 'toJSON');
    // The interactions of the last day go with them (recent-interactions.ts), as [time, event].
    const meta = (seq?: number) => JSON.stringify({ eventClock: engine.eventClock, names: engine.names.toJSON(), interactions: engine.recentInteractions()!.map((i) => [i.time, i.event]), ...(seq === undefined ? {} : { asOfSeq: seq }) });
    const first = engine.metaJSON(7);
    // Every slice of a checkpoint writes the meta: the names are sorted and written once while none changes.
    expect(engine.metaJSON(8)).toContain('"asOfSeq":8');
    expect(engine.metaJSON()).not.toContain('asOfSeq');
    expect(made).toHaveBeenCalledTimes(1);
    expect(first).toBe(meta(7));
    expect(engine.metaJSON()).toBe(meta());
    // New names (a new customer's subscription and products, a cell moved to another site) are in the next one.
    applyAll(engine, events.slice(2_000));
    engine.names.cell(12345, 'cell-x', 'site-a');
    const later = engine.metaJSON(9);
    expect(later).toBe(meta(9));
    expect(later).not.toBe(first.replace('"asOfSeq":7', '"asOfSeq":9'));
    expect(JSON.parse(later).names.cells).toContainEqual([12345, 'cell-x']);
    engine.names.cell(12345, 'cell-x', 'site-b');
    expect(JSON.parse(engine.metaJSON()).names.cellSites).toContainEqual([12345, 'site-b']);
    const copy = new TwinEngine();
    copy.loadMeta(engine.metaJSON());
    expect(copy.metaJSON()).toBe(engine.metaJSON());
    made.mockRestore();
  });

  it('counts one incident once however many notices arrive, with its longest duration', () => {
    const engine = new TwinEngine();
    const start = T0;
    const impact = (id: string, end?: number): TwinEvent => ({ id, kind: 'network_impact', customerId: 'C1', time: iso(end ?? start), source: 't', v: 1, data: { incidentId: 'INC-1', cellId: 'cell-9', impact: 'outage', severity: 'high', start: iso(start), end: end ? iso(end) : undefined } });
    applyAll(engine, [customer(), impact('n1'), impact('n2', start + 30 * 60_000), impact('n3', start + 90 * 60_000)]);
    const f = engine.view('C1', start + H * 2)!.features;
    expect(f.network_incidents_30d).toBe(1);
    expect(f.network_minutes_30d).toBe(90);
  });

  it("counts down to the contract's end, moves it on a renewal, and knows none once the customer rolls on month to month", () => {
    const engine = new TwinEngine();
    const profile = (id: string, at: number, contractMonths: number, contractEnd?: string): TwinEvent =>
      ({ ...customer(), id, time: iso(at), data: { segment: 'consumer', billing: 'postpaid', contractMonths, ...(contractEnd ? { contractEnd } : {}), paymentMethod: 'card', since: '2024-04-10T00:00:00Z' } }) as TwinEvent;
    const day = 24 * H;
    const signed = profile('p1', T0, 24, '2026-04-10');
    expect(validateEvent(signed).ok).toBe(true);
    expect(validateEvent({ ...signed, data: { ...signed.data, contractEnd: '10/04/2026' } } as TwinEvent).ok).toBe(false);
    applyAll(engine, [signed]);
    expect(engine.view('C1', T0)!.profile?.contractEnd).toBe('2026-04-10');
    // 1 March to 10 April 2026: 40 days; part of a day left counts as a day.
    expect(engine.view('C1', T0)!.features.contract_days_left).toBe(40);
    expect(engine.view('C1', T0 + 30 * day + 12 * H)!.features.contract_days_left).toBe(10);
    expect(engine.view('C1', Date.parse('2026-04-10T20:00:00Z'))!.features.contract_days_left).toBe(0);
    // Renewed on its last day: the next end, two years on.
    applyAll(engine, [profile('p2', Date.parse('2026-04-10T20:00:00Z'), 24, '2028-04-10')]);
    expect(engine.view('C1', Date.parse('2026-04-11T00:00:00Z'))!.features.contract_days_left).toBe(730);
    // Rolled on month to month: no end any more.
    applyAll(engine, [profile('p3', Date.parse('2026-04-12T00:00:00Z'), 0)]);
    const rolled = engine.view('C1', Date.parse('2026-04-12T00:00:00Z'))!;
    expect(rolled.profile?.contractEnd).toBeNull();
    expect(rolled.features.contract_days_left).toBe(NEVER_DAYS);
    expect(rolled.features.contract_months).toBe(0);
  });

  it("reads the customer's history beyond the 90-day windows: a year of bills, late payments, complaints and months over allowance", () => {
    const engine = new TwinEngine();
    const day = 24 * H;
    const events: TwinEvent[] = [
      customer(),
      { id: 'act', kind: 'subscription', customerId: 'C1', time: iso(T0), source: 't', v: 1, data: { action: 'activated', subscriptionId: 'S1', productKind: 'plan', productId: 'P-20', monthlyPrice: 20, dataAllowanceMb: 2000 } },
    ];
    // Twelve monthly bills from March 2026, each paid; every fourth late, every third with overage.
    for (let m = 0; m < 12; m++) {
      const start = new Date(Date.UTC(2026, 2 + m, 1));
      const end = new Date(Date.UTC(2026, 3 + m, 0));
      const billed = Date.UTC(2026, 3 + m, 1, 6);
      const due = new Date(billed + 14 * day).toISOString().slice(0, 10);
      const paid = new Date(billed + (m % 4 === 0 ? 20 : 10) * day).toISOString().slice(0, 10);
      events.push({ id: `b${m}`, kind: 'bill', customerId: 'C1', time: iso(billed), source: 't', v: 1, data: { billId: `B${m}`, periodStart: start.toISOString().slice(0, 10), periodEnd: end.toISOString().slice(0, 10), amount: 20 + (m % 3 === 0 ? 5 : 0), lines: m % 3 === 0 ? [{ type: 'overage', amount: 5 }] : [] } });
      events.push({ id: `p${m}`, kind: 'payment', customerId: 'C1', time: iso(Date.parse(`${paid}T12:00:00Z`)), source: 't', v: 1, data: { status: 'paid', billId: `B${m}`, amount: 20, dueDate: due, paidDate: paid } });
    }
    // Complaints: two long ago, one 10 days before the read.
    const at = Date.parse('2027-03-20T12:00:00Z');
    for (const [i, t] of [T0 + 40 * day, T0 + 100 * day, at - 10 * day].entries()) {
      events.push({ id: `c${i}`, kind: 'ticket', customerId: 'C1', time: iso(t), source: 't', v: 1, data: { ticketId: `T${i}`, action: 'opened', category: 'billing', severity: 'low', complaint: true } });
    }
    // Last month's data: 1,500 MB of the plan's 2,000.
    for (let d = 0; d < 30; d++) events.push({ id: `u${d}`, kind: 'usage', customerId: 'C1', time: iso(at - d * day), source: 't', v: 1, data: { subscriptionId: 'S1', dataMb: 50, voiceMin: 1, sms: 0, roaming: false } });
    events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    for (const e of events) expect(validateEvent(e).ok, e.id).toBe(true);
    applyAll(engine, events);
    const f = engine.view('C1', at)!.features;
    expect(f.history_days).toBe(Math.floor((at - (T0 - 30 * day)) / day));
    expect(f.bills_total).toBe(12);
    expect(f.payments_late_share).toBe(0.25);
    expect(f.complaints_total).toBe(3);
    expect(f.complaints_30d).toBe(1);
    expect(f.complaints_90d).toBe(1);
    // Overage on the bills of March, June, September and December 2026 (periods), billed the month after: the twelve months before March 2027 hold all four.
    expect(f.months_over_allowance_12m).toBe(4);
    expect(f.data_use_to_allowance).toBe(0.75);
  });

  it('marks a customer churned when its last plan is terminated', () => {
    const engine = new TwinEngine();
    const sub = (id: string, action: 'activated' | 'terminated', at: number): TwinEvent => ({ id, kind: 'subscription', customerId: 'C1', time: iso(at), source: 't', v: 1, data: { action, subscriptionId: 'S1', productKind: 'plan' } });
    applyAll(engine, [customer(), sub('a', 'activated', T0)]);
    expect(engine.view('C1')!.features.churned).toBe(0);
    applyAll(engine, [sub('t', 'terminated', T0 + H)]);
    expect(engine.view('C1')!.features.churned).toBe(1);
    expect(engine.view('C1')!.products[0].status).toBe('terminated');
  });

  it("stops a customer's tenure at the day their last plan ended, and counts it again once they come back", () => {
    const engine = new TwinEngine();
    const day = 24 * H;
    const since = Date.parse('2024-01-01T00:00:00Z');
    const sub = (id: string, subscriptionId: string, action: 'activated' | 'terminated', at: number): TwinEvent => ({ id, kind: 'subscription', customerId: 'C1', time: iso(at), source: 't', v: 1, data: { action, subscriptionId, productKind: 'plan' } });
    applyAll(engine, [customer(), sub('a', 'S1', 'activated', T0), sub('t', 'S1', 'terminated', T0 + 5 * day + H)]);
    const atLeaving = Math.floor((T0 + 5 * day + H - since) / day);
    // Read 40 and 400 days later: a customer for as long as they had been on the day they left.
    expect(engine.view('C1', T0 + 40 * day)!.features.tenure_days).toBe(atLeaving);
    expect(engine.view('C1', T0 + 400 * day)!.features.tenure_days).toBe(atLeaving);
    // Back on a new plan: a customer since the first day again, counted to the day read.
    applyAll(engine, [sub('b', 'S2', 'activated', T0 + 60 * day)]);
    expect(engine.view('C1', T0 + 61 * day)!.features.churned).toBe(0);
    expect(engine.view('C1', T0 + 61 * day)!.features.tenure_days).toBe(Math.floor((T0 + 61 * day - since) / day));
  });

  it('forgets twins it no longer answers for: they read as unknown, and their events replayed build them as fresh', () => {
    const events = [...syntheticEvents({ customers: 6, days: 20, seed: 4 })];
    const engine = new TwinEngine();
    applyAll(engine, events);
    const fresh = new TwinEngine();
    applyAll(fresh, events);
    expect(engine.forget(['C1', 'C2', 'NOBODY'])).toBe(2);
    expect(engine.has('C1')).toBe(false);
    expect(engine.gate('C1')).toBeUndefined();
    expect(engine.has('C3')).toBe(true);
    // The partition comes back: its events replayed onto the forgotten records, not on top of the stale state.
    for (const e of events) if (e.customerId === 'C1' || e.customerId === 'C2') engine.apply(e, Date.parse(e.time));
    for (const id of ['C1', 'C2', 'C3']) expect(Buffer.from(engine.snapshot(id)!)).toEqual(Buffer.from(fresh.snapshot(id)!));
  });
});

describe('the engine\'s "now" (eventClockOrNow)', () => {
  it('is the wall clock before any event, then the event clock, never 1970', () => {
    const engine = new TwinEngine();
    const before = Date.now();
    const empty = engine.eventClockOrNow();
    expect(empty).toBeGreaterThanOrEqual(before);
    expect(empty).toBeLessThanOrEqual(Date.now());
    const e = syntheticEvents({ customers: 1, days: 1, seed: 3 }).next().value as TwinEvent;
    const time = Date.parse(e.time);
    expect(engine.check(e, time, engine.gate(e.customerId)).ok).toBe(true);
    engine.apply(e, time);
    expect(engine.eventClockOrNow()).toBe(time);
  });
});
