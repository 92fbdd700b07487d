import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { TwinEngine } from './twin-engine.js';
import { offerKindSlot, OFFER_KINDS } from './twin-responses.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;
const ev = (kind: TwinEvent['kind'], at: number, data: unknown) => ({ id: `e${n++}`, kind, customerId: 'C1', time: iso(at), source: 't', v: 1, data }) as TwinEvent;
const offer = (at: number, action: 'presented' | 'accepted' | 'declined' | 'ignored', treatment?: string) => ev('offer', at, { action, offerId: 'o', channel: 'app', ...(treatment ? { treatment } : {}) });

function engineWith(events: TwinEvent[]): TwinEngine {
  const engine = new TwinEngine();
  for (const e of events) {
    const time = Date.parse(e.time);
    const verdict = engine.check(e, time, engine.gate(e.customerId));
    if (!verdict.ok) throw new Error(JSON.stringify(verdict));
    engine.apply(e, time);
  }
  return engine;
}

const history = () => [
  ev('customer', T0, { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'card', since: '2025-01-01T00:00:00Z' }),
  ev('subscription', T0, { action: 'activated', subscriptionId: 'S1', productKind: 'plan', productId: 'p', monthlyPrice: 30 }),
  offer(T0 + DAY, 'presented', 'discount'),
  offer(T0 + DAY, 'declined', 'discount'),
  offer(T0 + 40 * DAY, 'presented', 'discount'),
  offer(T0 + 40 * DAY, 'accepted', 'discount'),
  offer(T0 + 70 * DAY, 'presented', 'data_bonus'),
  offer(T0 + 70 * DAY, 'declined', 'data_bonus'),
  offer(T0 + 200 * DAY, 'presented', 'a-campaign-treatment'),
  offer(T0 + 230 * DAY, 'presented', 'data_bonus'),
  offer(T0 + 237 * DAY, 'ignored', 'data_bonus'),
];

describe('twin contact record', () => {
  it('counts answers per offer kind over the whole life of the twin, past the 90-day window', () => {
    const r = engineWith(history()).contactRecord('C1')!;
    expect(r.byKind.discount).toEqual({ presented: 2, accepted: 1, declined: 1, ignored: 0 });
    expect(r.byKind.data_bonus).toEqual({ presented: 2, accepted: 0, declined: 1, ignored: 1 });
    // Presented and not answered yet: neither declined nor ignored.
    expect(r.byKind.other).toEqual({ presented: 1, accepted: 0, declined: 0, ignored: 0 });
    expect([r.presented, r.accepted, r.declined, r.ignored]).toEqual([5, 1, 2, 1]);
    expect(r.lastContactAt).toBe(T0 + 230 * DAY);
    expect(r.leftAt).toBe(0);
  });

  it('gives the same record whatever the order the events arrive in', () => {
    const events = history();
    // Each answer before its presentation (same time): within the lateness window, in another order.
    const shuffled = [events[0], events[1], events[3], events[2], events[5], events[4], events[7], events[6], events[8], events[9], events[10]];
    expect(engineWith(shuffled).contactRecord('C1')).toEqual(engineWith(events).contactRecord('C1'));
  });

  it('knows when the customer left', () => {
    const left = T0 + 250 * DAY;
    const r = engineWith([...history(), ev('subscription', left, { action: 'terminated', subscriptionId: 'S1', productKind: 'plan' })]).contactRecord('C1')!;
    expect(r.leftAt).toBe(left);
  });

  it('maps unknown or missing treatments to "other"', () => {
    expect(offerKindSlot(undefined)).toBe(OFFER_KINDS.indexOf('other'));
    expect(offerKindSlot('loyalty_credit')).toBe(OFFER_KINDS.indexOf('loyalty_credit'));
  });
});
