import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventContentDifference, stableStringify } from './event-canonical.js';
import type { TwinEvent } from './events.js';

const usage = (over: Partial<Record<string, unknown>> = {}, data: Record<string, unknown> = {}) =>
  ({ id: 'u"1', kind: 'usage', customerId: 'C\\1', time: '2026-01-01T00:00:00Z', source: 'cdr', v: 1, data: { subscriptionId: 'S', dataMb: 1e-7, voiceMin: 12.5, sms: 3, roaming: true, ...data }, ...over }) as TwinEvent;

describe('event content', () => {
  it('is the same whatever the key order, spacing or receive stamp', () => {
    const a = usage({}, { cellId: 'CELL-1', siteId: 'SITE-1' });
    const reordered = JSON.parse(JSON.stringify({ data: { siteId: 'SITE-1', roaming: true, sms: 3, cellId: 'CELL-1', voiceMin: 12.5, dataMb: 1e-7, subscriptionId: 'S' }, v: 1, source: 'cdr', time: a.time, customerId: a.customerId, kind: 'usage', id: a.id, receivedAt: '2026-02-02T00:00:00Z' })) as TwinEvent;
    expect(eventContentDifference(reordered, a)).toBeUndefined();
    const ticket = { id: 't', kind: 'ticket', customerId: 'C', time: a.time, source: 's', v: 1, data: { ticketId: 'T', action: 'opened', category: 'billing', severity: 'low', complaint: false, text: undefined } } as TwinEvent;
    const { text: _t, ...without } = (ticket as Extract<TwinEvent, { kind: 'ticket' }>).data;
    expect(eventContentDifference(ticket, { ...ticket, data: without } as TwinEvent)).toBeUndefined();
  });

  it('names the first field that differs, every field an event carries included', () => {
    const a = usage({}, { cellId: 'CELL-1', siteId: 'SITE-1', droppedCalls: 1, throughputMbps: 20 });
    expect(eventContentDifference(usage({ source: 'cdr2' }), usage())).toBe('source');
    expect(eventContentDifference(usage({ id: 'u"', customerId: '1C\\1' }), usage())).toBe('customerId');
    expect(eventContentDifference(usage({}, { roaming: false }), usage())).toBe('data.roaming');
    // The fields a usage record carries beyond its volumes: each a difference of its own.
    for (const field of ['cellId', 'siteId', 'droppedCalls', 'throughputMbps']) {
      const { [field]: _gone, ...data } = (a as Extract<TwinEvent, { kind: 'usage' }>).data as Record<string, unknown>;
      expect(eventContentDifference({ ...a, data } as TwinEvent, a)).toBe(`data.${field}`);
    }
    expect(eventContentDifference(usage({}, { cellId: 'CELL-2', siteId: 'SITE-1', droppedCalls: 1, throughputMbps: 20 }), a)).toBe('data.cellId');
    const bill = (amounts: number[]) => ({ id: 'b', kind: 'bill', customerId: 'C', time: '2026-01-01T00:00:00Z', source: 's', v: 1, data: { billId: 'B', lines: amounts.map((amount) => ({ type: 'plan', amount })) } }) as unknown as TwinEvent;
    expect(eventContentDifference(bill([10, 2]), bill([10, 3]))).toBe('data.lines[1].amount');
    expect(eventContentDifference(bill([10, 2]), bill([10]))).toBe('data.lines (2 items against 1)');
  });

  it('finds any single change of a field, and none in a copy', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.nat(), fc.option(fc.string(), { nil: undefined }), (id, sub, mb, sms, cell) => {
        const e = usage({ id }, { subscriptionId: sub, dataMb: mb, sms, cellId: cell });
        expect(eventContentDifference(JSON.parse(JSON.stringify(e)) as TwinEvent, e)).toBeUndefined();
        expect(eventContentDifference(usage({ id }, { subscriptionId: sub, dataMb: mb, sms, cellId: `${cell ?? ''}x` }), e)).toBe('data.cellId');
      }),
    );
  });
});

describe('stableStringify', () => {
  it('sorts keys at every level and leaves undefined properties out', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"f":2}]},"b":1}');
  });
});
