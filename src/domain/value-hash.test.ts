import { describe, expect, it } from 'vitest';
import { hashValue } from './value-hash.js';

const BASIS = 0x811c9dc5;
const h = (v: unknown) => hashValue(BASIS, v);
const usage = () => ({
  id: 'sbx-1-9',
  customerId: 'C000001',
  time: '2025-01-02T00:00:00Z',
  source: 'sandbox',
  v: 1,
  kind: 'usage',
  data: { subscriptionId: 'S1', dataMb: 812.4, voiceMin: 12, sms: 3, roaming: false, cellId: 'cell-7', siteId: 'site-2' },
});

describe('hashValue', () => {
  it('hashes values built alike alike, whichever object holds them', () => {
    expect(h(usage())).toBe(h(usage()));
    expect(h(JSON.parse(JSON.stringify(usage())))).toBe(h(usage()));
  });

  it('tells apart a change in any field, as the text would (a regenerated event that differs anywhere)', () => {
    const base = h(usage());
    const changed = [
      { ...usage(), id: 'sbx-1-8' },
      { ...usage(), time: '2025-01-02T00:00:01Z' },
      { ...usage(), data: { ...usage().data, dataMb: 812.5 } },
      { ...usage(), data: { ...usage().data, cellId: 'cell-8' } },
      { ...usage(), data: { ...usage().data, siteId: undefined } },
      { ...usage(), data: { ...usage().data, roaming: true } },
      { ...usage(), data: { ...usage().data, droppedCalls: 0 } },
    ];
    for (const e of changed) expect(h(e)).not.toBe(base);
  });

  it('marks each kind of value apart, and where a key ends', () => {
    const seen = new Set([h('1'), h(1), h(true), h(null), h([]), h({}), h([1]), h({ a: 1 }), h({ a: 'bc' }), h({ ab: 'c' }), h(['a', 'b']), h(['ab']), h(0), h(-0)]);
    expect(seen.size).toBe(14);
  });
});
