import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { TwinEngine } from './twin-engine.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;
const ev = (kind: TwinEvent['kind'], time: number, data: Record<string, unknown>) => ({ id: `e${++n}`, kind, customerId: 'C1', time: iso(time), source: 't', v: 1, data }) as TwinEvent;

function applyAll(engine: TwinEngine, events: readonly TwinEvent[]): void {
  for (const e of events) {
    const time = Date.parse(e.time);
    const verdict = engine.check(e, time, engine.gate(e.customerId));
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    engine.apply(e, time);
  }
}

/**
 * A month in progress over its allowance shows the day it happens: the monthly features count
 * complete months only, so a customer at 140 % of their data by the 20th read "0 months over".
 */
describe('period usage', () => {
  const billed = Date.parse('2026-11-22T02:00:00Z');
  const day = (d: number) => Date.parse('2026-11-22T23:59:00Z') + d * DAY;

  function customerOver(): TwinEngine {
    const engine = new TwinEngine();
    applyAll(engine, [
      ev('customer', billed - 60 * DAY, { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' }),
      ev('subscription', billed - 60 * DAY, { action: 'activated', subscriptionId: 'S1', productKind: 'plan', productId: 'voice-s', monthlyPrice: 19.9, dataAllowanceMb: 2048, voiceAllowanceMin: 300 }),
      // The day before the bill: the previous period, not counted in the one the bill opens.
      ev('usage', day(-1), { subscriptionId: 'S1', dataMb: 100, voiceMin: 10, sms: 1, roaming: false }),
      ev('bill', billed, { billId: 'B1', periodStart: '2026-10-22', periodEnd: '2026-11-21', amount: 19.9, lines: [{ type: 'plan', amount: 19.9 }] }),
      // 20 days of 143.36 MB: 2,867.2 MB, 140 % of 2,048 MB.
      ...Array.from({ length: 20 }, (_, d) => ev('usage', day(d), { subscriptionId: 'S1', dataMb: 143.36, voiceMin: 6, sms: 2, roaming: false })),
    ]);
    return engine;
  }

  it("counts what was used since the last bill against the plan's allowance, the day it happens", () => {
    const view = customerOver().view('C1', day(19))!;
    expect(view.periodUsage).toEqual({ basis: 'since-last-bill', from: '2026-11-22', through: '2026-12-11', days: 20, dataMb: 2867.2, voiceMin: 120, sms: 40, dataAllowanceMb: 2048, voiceAllowanceMin: 300, dataShare: 1.4, voiceShare: 0.4 });
    // The monthly features see none of it until the month is complete.
    expect(view.features.months_over_allowance_3m).toBe(0);
  });

  it('reads as of a past time: only the days up to it', () => {
    const view = customerOver().view('C1', day(9))!;
    expect(view.periodUsage).toMatchObject({ basis: 'since-last-bill', through: '2026-12-01', days: 10, dataMb: 1433.6, dataShare: 0.7 });
  });

  it('reads the calendar month for a customer with no bill (prepaid), and no share without an allowance', () => {
    const engine = new TwinEngine();
    applyAll(engine, [
      ev('customer', billed - 60 * DAY, { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'cash', since: '2024-01-01T00:00:00Z' }),
      ev('subscription', billed - 60 * DAY, { action: 'activated', subscriptionId: 'S1', productKind: 'plan', productId: 'talk', monthlyPrice: 5, dataAllowanceMb: 0, voiceAllowanceMin: 100 }),
      ev('usage', Date.parse('2026-11-30T23:59:00Z'), { subscriptionId: 'S1', dataMb: 50, voiceMin: 30, sms: 0, roaming: false }),
      ev('usage', Date.parse('2026-12-02T23:59:00Z'), { subscriptionId: 'S1', dataMb: 20, voiceMin: 45, sms: 0, roaming: false }),
    ]);
    expect(engine.view('C1', Date.parse('2026-12-03T12:00:00Z'))!.periodUsage).toEqual({ basis: 'calendar-month', from: '2026-12-01', through: '2026-12-03', days: 3, dataMb: 20, voiceMin: 45, sms: 0, dataAllowanceMb: 0, voiceAllowanceMin: 100, dataShare: null, voiceShare: 0.45 });
  });
});
