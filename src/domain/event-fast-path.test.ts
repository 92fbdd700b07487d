import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  civilMonth,
  daysFromCivil,
  fastBillEvent,
  fastCustomerEvent,
  fastEvent,
  fastInteractionEvent,
  fastNetworkImpactEvent,
  fastOfferEvent,
  fastPaymentEvent,
  fastSubscriptionEvent,
  fastTicketEvent,
  fastTopupEvent,
  fastUsageEvent,
  isPlainIsoDate,
  isPlainIsoTime,
  parseEventTime,
} from './event-fast-path.js';
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
    droppedCalls: fc.oneof(fc.integer({ min: -1, max: 100_001 }), fc.constant(0.5), fc.constant(2 ** 60)),
    throughputMbps: fc.oneof(fc.double({ min: -1, max: 200_000 }), fc.constant(1.319)),
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

/**
 * Data records of each kind the other fast paths take: mostly valid values (so that valid records
 * come often), some the schema refuses, optional keys present or not.
 */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: invalid, weight: 1 });
const text = (max: number) => mostly(fc.string({ minLength: 1, maxLength: 3 }), fc.constantFrom('', 'x'.repeat(max), 'x'.repeat(max + 1), '😀'.repeat(Math.ceil((max + 1) / 2))));
const amount = mostly(fc.constantFrom(12.5, 35, 1_000_000), fc.oneof(fc.double(), fc.constantFrom(0, -1, 1_000_000.5, 1e10)));
const flag = mostly(fc.boolean(), fc.constant('yes'));
const anId = (valid: string) => mostly(fc.constant(valid), fc.constantFrom('', 3, 'x'.repeat(129)));
const oneOf = (valid: string[], invalid: string) => mostly(fc.constantFrom(...valid), fc.constant(invalid));
const validTime = mostly(fc.constantFrom('2025-01-01T13:02:36.000Z', '2025-01-01T19:36:04+02:00'), timeText);
const otherKinds = {
  offer: fc.record(
    { action: oneOf(['presented', 'accepted'], 'maybe'), offerId: anId('retention-10'), channel: oneOf(['app', 'call'], 'fax'), treatment: text(64), decisionId: anId('D1'), requestId: text(200), by: text(200) },
    { requiredKeys: ['action', 'offerId'], noNullPrototype: true },
  ),
  interaction: mostly(
    fc.record({ channel: oneOf(['web', 'call'], 'fax'), intent: text(64), phase: oneOf(['start', 'end'], 'later') }, { noNullPrototype: true }),
    fc.record({ channel: oneOf(['web', 'call'], 'fax'), intent: text(64), phase: oneOf(['start', 'end'], 'later'), context: fc.constant({ bundle: 'b' }) }, { requiredKeys: ['channel', 'intent'], noNullPrototype: true }),
  ),
  network_impact: fc.record(
    { incidentId: anId('INC-1'), cellId: anId('cell-1'), siteId: anId('site-1'), impact: oneOf(['outage', 'congestion'], 'fire'), severity: oneOf(['low', 'critical'], 'mild'), start: validTime, end: validTime },
    { requiredKeys: ['incidentId', 'cellId', 'impact', 'severity'], noNullPrototype: true },
  ),
  topup: fc.record({ topupId: anId('T1'), amount: fc.oneof(amount, fc.constant(0)), currency: oneOf(['EUR'], 'EU'), method: oneOf(['voucher', 'auto'], 'cheque'), purpose: oneOf(['bundle', 'addon'], 'gift'), credit: amount }, { requiredKeys: ['topupId', 'method', 'purpose'], noNullPrototype: true }),
  ticket: fc.record({ ticketId: anId('K1'), action: oneOf(['opened', 'resolved'], 'closed'), category: oneOf(['billing', 'network'], 'weather'), severity: oneOf(['high', 'low'], 'extreme'), complaint: flag, text: text(4000) }, { requiredKeys: ['ticketId', 'action', 'category'], noNullPrototype: true }),
  subscription: fc.record(
    {
      action: oneOf(['activated', 'terminated'], 'paused'),
      subscriptionId: anId('S1'),
      productKind: oneOf(['plan', 'addon'], 'device'),
      productId: anId('voice-s'),
      monthlyPrice: amount,
      dataAllowanceMb: mostly(amount, fc.constant(2e9)),
      voiceAllowanceMin: amount,
      reason: text(200),
    },
    { requiredKeys: ['action', 'subscriptionId'], noNullPrototype: true },
  ),
  customer: fc.record(
    {
      segment: oneOf(['consumer', 'business'], 'public'),
      billing: oneOf(['prepaid', 'postpaid'], 'free'),
      contractMonths: mostly(fc.integer({ min: 0, max: 60 }), fc.constantFrom(-1, 61, 12.5, 2 ** 60)),
      contractEnd: mostly(fc.constant('2026-08-20'), dateText),
      paymentMethod: oneOf(['card', 'voucher'], 'barter'),
      since: validTime,
      name: text(200),
      consent: mostly(fc.record({ marketing: flag, sms: flag, email: flag }, { requiredKeys: [], noNullPrototype: true }), fc.constantFrom(null, [true], { marketing: true, fax: true })),
    },
    { requiredKeys: ['segment', 'billing', 'paymentMethod'], noNullPrototype: true },
  ),
};
const envelopeMostlyValid = (kind: string) => ({
  id: anId('e-1'),
  kind: mostly(fc.constant(kind), fc.constant('usage')),
  customerId: anId('C1'),
  time: validTime,
  source: mostly(fc.constant('sandbox'), fc.constant('')),
  v: mostly(fc.constant(1), fc.constant(2)),
});
const fastOf = { offer: fastOfferEvent, interaction: fastInteractionEvent, network_impact: fastNetworkImpactEvent, topup: fastTopupEvent, ticket: fastTicketEvent, subscription: fastSubscriptionEvent, customer: fastCustomerEvent };

describe('the other kinds’ fast paths', () => {
  for (const kind of Object.keys(otherKinds) as (keyof typeof otherKinds)[]) {
    it(`${kind}: accepts only what the schema accepts, unchanged`, () => {
      let taken = 0;
      fc.assert(
        fc.property(fc.record({ ...envelopeMostlyValid(kind), data: otherKinds[kind] as fc.Arbitrary<Record<string, unknown>> }, { noNullPrototype: true }), fc.option(fc.constant('extra')), (event, extra) => {
          const raw = extra ? { ...event, data: { ...event.data, [extra]: 1 } } : event;
          const got = fastOf[kind](raw);
          const slow = twinEventSchema.safeParse(raw);
          if (got) {
            taken++;
            expect(slow.success).toBe(true);
            expect(slow.data).toEqual(got);
          }
          expect(fastEvent(raw)).toBe(got);
        }),
        { numRuns: 6000 },
      );
      // The arbitrary reaches valid records often enough for the check to mean something.
      expect(taken).toBeGreaterThan(10);
    });
  }

  it("takes the sandbox's records of every kind, and offers' answers", () => {
    const envelope = { id: 'e', customerId: 'C', time: '2025-01-01T13:02:36.000Z', source: 'sandbox', v: 1 };
    const records = [
      { ...envelope, kind: 'customer', data: { segment: 'consumer', billing: 'postpaid', contractMonths: 24, contractEnd: '2026-08-20', paymentMethod: 'electronic_check', since: '2022-08-20T00:00:00.000Z', consent: { marketing: true, sms: true, email: true } } },
      { ...envelope, kind: 'subscription', data: { action: 'activated', subscriptionId: 'S1', productKind: 'plan', productId: 'voice-s', monthlyPrice: 19.9, dataAllowanceMb: 2048, voiceAllowanceMin: 300, reason: 'existing_customer' } },
      { ...envelope, kind: 'usage', data: { subscriptionId: 'S1', dataMb: 0, voiceMin: 0, sms: 0, roaming: false, cellId: 'cell-90', siteId: 'site-30', throughputMbps: 1.319 } },
      { ...envelope, kind: 'usage', data: { subscriptionId: 'S1', dataMb: 0, voiceMin: 0, sms: 0, roaming: false, cellId: 'cell-9', siteId: 'site-3', droppedCalls: 1 } },
      { ...envelope, kind: 'topup', data: { topupId: 'T1', amount: 35, currency: 'EUR', method: 'voucher', purpose: 'bundle' } },
      { ...envelope, kind: 'interaction', data: { channel: 'store', intent: 'configure_bundle', phase: 'start' } },
      { ...envelope, kind: 'ticket', data: { ticketId: 'T1', action: 'opened', category: 'service', severity: 'medium', complaint: false } },
      { ...envelope, kind: 'offer', data: { action: 'declined', offerId: 'retention-10', channel: 'app' } },
      { ...envelope, kind: 'network_impact', data: { incidentId: 'INC-3', cellId: 'cell-238', siteId: 'site-79', impact: 'congestion', severity: 'medium', start: '2025-01-01T13:02:36.000Z', end: '2025-01-01T19:36:04.000Z' } },
    ];
    for (const r of records) expect(fastEvent(r), r.kind).toBe(r);
    // What the schema would change (a default filled in) or may refuse goes to it.
    expect(fastEvent({ ...records[5], data: { channel: 'store', intent: 'x' } })).toBeUndefined();
    expect(fastEvent({ ...records[4], data: { ...records[4].data, amount: 0 } })).toBeUndefined();
  });
});
