import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { civilMonth, daysFromCivil, fastBillEvent, fastEvent, fastPaymentEvent, fastUsageEvent, isPlainIsoDate, isPlainIsoTime, parseEventTime } from './event-fast-path.js';
import { twinEventSchema, usageEventSchema } from './events.js';

const digits = (n: number, max: number) => fc.integer({ min: 0, max }).map((x) => String(x).padStart(n, '0'));
const timeText = fc
  .tuple(digits(4, 9999), digits(2, 13), digits(2, 32), digits(2, 24), digits(2, 60), digits(2, 60), fc.constantFrom('', '.5', '.123', '.123456'), fc.constantFrom('Z', '+02:00', '-11:30', '+24:00', ''))
  .map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`);

const usageLike = fc.record({
  id: fc.oneof(fc.string({ maxLength: 3 }), fc.constant('u-1')),
  kind: fc.constantFrom('usage', 'usage', 'bill'),
  customerId: fc.oneof(fc.constant(''), fc.constant('C1')),
  time: timeText,
  source: fc.constantFrom('cdr', ''),
  v: fc.constantFrom(1, 1, 2),
  data: fc.record({
    subscriptionId: fc.constantFrom('S1', ''),
    dataMb: fc.oneof(fc.double(), fc.constant(10)),
    voiceMin: fc.oneof(fc.double({ min: -1, max: 100 }), fc.constant(0)),
    sms: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1.5)),
    roaming: fc.oneof(fc.boolean(), fc.constant('no')),
    cellId: fc.constantFrom('cell-1', '', 7),
    siteId: fc.constantFrom('site-1', ''),
  }, { requiredKeys: ['subscriptionId', 'dataMb', 'voiceMin', 'sms', 'roaming'] }),
});

describe('usage fast path', () => {
  it('accepts only what the schema accepts, unchanged', () => {
    fc.assert(
      fc.property(usageLike, fc.option(fc.constant('extra')), (event, extra) => {
        const raw = extra ? { ...event, [extra]: 1 } : event;
        const fast = fastUsageEvent(raw);
        const slow = usageEventSchema.safeParse(raw);
        if (fast) {
          expect(slow.success).toBe(true);
          expect(slow.data).toEqual(fast);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the ordinary usage event', () => {
    const e = { id: 'u', kind: 'usage', customerId: 'C', time: '2026-02-28T23:59:59.250Z', source: 'cdr', v: 1, data: { subscriptionId: 'S', dataMb: 1.5, voiceMin: 0, sms: 0, roaming: false } };
    expect(fastUsageEvent(e)).toBe(e);
    const served = { ...e, data: { ...e.data, cellId: 'cell-3', siteId: 'site-1' } };
    expect(fastUsageEvent(served)).toBe(served);
    expect(isPlainIsoTime('2024-02-29T00:00:00Z')).toBe(true);
    expect(isPlainIsoTime('2026-02-29T00:00:00Z')).toBe(false);
  });

  it('parses event times exactly like Date.parse', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }), fc.constantFrom(0, 1, 2, 3), (date, cut) => {
        let s = date.toISOString();
        if (cut === 1) s = s.replace(/\.\d+Z$/, 'Z');
        if (cut === 2) s = s.replace(/Z$/, '+00:00');
        if (cut === 3) s = s.replace(/(\.\d)\d\dZ$/, '$1Z');
        expect(parseEventTime(s)).toBe(Date.parse(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('turns day numbers into months like the Date object does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -50_000, max: 100_000 }), (day) => {
        const d = new Date(day * 86_400_000);
        expect(civilMonth(day)).toBe(d.getUTCFullYear() * 12 + d.getUTCMonth());
        expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(day);
      }),
    );
  });
});

const dateText = fc.tuple(digits(4, 9999), digits(2, 13), digits(2, 32)).map(([y, m, d]) => `${y}-${m}-${d}`);
const moneyLike = fc.oneof(fc.double(), fc.constantFrom(12.5, -3, 0, 1_000_000, 1_000_000.01));
const envelopeOf = (kind: fc.Arbitrary<string>) => ({
  id: fc.oneof(fc.string({ maxLength: 3 }), fc.constant('e-1')),
  kind,
  customerId: fc.oneof(fc.constant(''), fc.constant('C1')),
  time: timeText,
  source: fc.constantFrom('billing', ''),
  v: fc.constantFrom(1, 1, 2),
});
const billLike = fc.record({
  ...envelopeOf(fc.constantFrom('bill', 'bill', 'payment')),
  data: fc.record(
    {
      billId: fc.constantFrom('B1', ''),
      periodStart: fc.oneof(dateText, fc.constant('2024-02-29')),
      periodEnd: dateText,
      amount: moneyLike,
      currency: fc.constantFrom('EUR', 'EURO', 3),
      lines: fc.array(
        fc.record({ type: fc.constantFrom('plan', 'overage', 'nope'), amount: moneyLike, description: fc.oneof(fc.string({ maxLength: 3 }), fc.constant('x'.repeat(201))) }, { requiredKeys: ['type', 'amount'] }),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ['billId', 'periodStart', 'periodEnd', 'amount', 'lines'] },
  ),
});
const paymentLike = fc.record({
  ...envelopeOf(fc.constantFrom('payment', 'payment', 'bill')),
  data: fc.record(
    {
      status: fc.constantFrom('paid', 'failed', 'late'),
      billId: fc.constantFrom('B1', ''),
      amount: moneyLike,
      dueDate: dateText,
      paidDate: dateText,
      failureReason: fc.oneof(fc.constantFrom('', 'declined'), fc.constant('x'.repeat(201))),
    },
    { requiredKeys: ['status', 'billId', 'amount', 'dueDate'] },
  ),
});

describe('bill and payment fast paths', () => {
  it('accept only what the schema accepts, unchanged', () => {
    for (const [arb, fast] of [
      [billLike, fastBillEvent],
      [paymentLike, fastPaymentEvent],
    ] as const) {
      fc.assert(
        fc.property(arb, fc.option(fc.constant('extra')), (event, extra) => {
          const raw = extra ? { ...event, [extra]: 1 } : event;
          const got = fast(raw);
          const slow = twinEventSchema.safeParse(raw);
          if (got) {
            expect(slow.success).toBe(true);
            expect(slow.data).toEqual(got);
          }
          expect(fastEvent(raw)).toBe(got);
        }),
        { numRuns: 3000 },
      );
    }
  });

  it('take the ordinary bill and payments', () => {
    const bill = { id: 'b', kind: 'bill', customerId: 'C', time: '2026-02-01T00:00:00Z', source: 'billing', v: 1, data: { billId: 'B1', periodStart: '2026-01-01', periodEnd: '2026-01-31', amount: 41.5, lines: [{ type: 'plan', amount: 39 }, { type: 'overage', amount: 2.5, description: 'data' }] } };
    expect(fastEvent(bill)).toBe(bill);
    const paid = { id: 'p', kind: 'payment', customerId: 'C', time: '2026-02-10T00:00:00Z', source: 'billing', v: 1, data: { status: 'paid', billId: 'B1', amount: 41.5, dueDate: '2026-02-15', paidDate: '2026-02-10' } };
    expect(fastEvent(paid)).toBe(paid);
    const failed = { ...paid, data: { status: 'failed', billId: 'B1', amount: 41.5, dueDate: '2026-02-15', failureReason: 'card declined' } };
    expect(fastEvent(failed)).toBe(failed);
    expect(isPlainIsoDate('2024-02-29')).toBe(true);
    expect(isPlainIsoDate('2100-02-29')).toBe(false);
  });
});
