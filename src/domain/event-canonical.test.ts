import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEventText, contentHash, eventContentHash, stableStringify } from './event-canonical.js';
import type { TwinEvent } from './events.js';

const usage = (over: Partial<Record<string, unknown>> = {}) =>
  ({ id: 'u"1', kind: 'usage', customerId: 'C\\1', time: '2026-01-01T00:00:00Z', source: 'cdr', v: 1, data: { subscriptionId: 'S', dataMb: 1e-7, voiceMin: 12.5, sms: 3, roaming: true }, ...over }) as TwinEvent;

describe('canonical event text', () => {
  it('writes usage events exactly as the generic sorted form', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.nat(), fc.boolean(), (id, sub, mb, sms, roaming) => {
        const e = usage({ id, data: { subscriptionId: sub, dataMb: mb, voiceMin: 0, sms, roaming } });
        const { receivedAt: _r, ...content } = e;
        expect(canonicalEventText(e)).toBe(stableStringify(content));
      }),
    );
  });

  it('ignores key order, spacing and the receive stamp, and sees any change of content', () => {
    const a = usage();
    const reordered = JSON.parse(JSON.stringify({ data: { roaming: true, sms: 3, voiceMin: 12.5, dataMb: 1e-7, subscriptionId: 'S' }, v: 1, source: 'cdr', time: a.time, customerId: a.customerId, kind: 'usage', id: a.id, receivedAt: '2026-02-02T00:00:00Z' }));
    expect(contentHash(canonicalEventText(reordered))).toBe(contentHash(canonicalEventText(a)));
    expect(eventContentHash(reordered)).toBe(eventContentHash(a));
    expect(eventContentHash(usage({ source: 'cdr2' }))).not.toBe(eventContentHash(a));
    expect(eventContentHash(usage({ id: 'u"', customerId: '1C\\1' }))).not.toBe(eventContentHash(usage({ id: 'u"1', customerId: 'C\\1' })));
    expect(eventContentHash(usage({ data: { subscriptionId: 'S', dataMb: 1e-7, voiceMin: 12.5, sms: 3, roaming: false } }))).not.toBe(eventContentHash(a));
    const ticket = { id: 't', kind: 'ticket', customerId: 'C', time: a.time, source: 's', v: 1, data: { ticketId: 'T', action: 'opened', category: 'billing', severity: 'low', complaint: false, text: undefined } } as TwinEvent;
    expect(canonicalEventText(ticket)).toBe('{"customerId":"C","data":{"action":"opened","category":"billing","complaint":false,"severity":"low","ticketId":"T"},"id":"t","kind":"ticket","source":"s","time":"2026-01-01T00:00:00Z","v":1}');
  });
});
