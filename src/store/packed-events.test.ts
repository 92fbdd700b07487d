import { describe, expect, it } from 'vitest';
import type { AppendOutcome, NewEvent } from './event-store.js';
import { packEvents, packOutcomes, unpackEvents, unpackOutcomes } from './packed-events.js';

const event = (i: number, over: Partial<NewEvent> = {}): NewEvent => ({
  id: `e-${i}`,
  customerId: `C${i % 7}`,
  kind: i % 3 ? 'usage' : 'bill',
  time: 1_767_225_600_000 + i * 61_000.5,
  receivedAt: 1_767_225_600_123,
  body: JSON.stringify({ id: `e-${i}`, note: 'é ünïcode \n escaped, "quoted", tab\t' }),
  hash: String(9_007_199_254_740_000 - i),
  ...over,
});

describe('packed events for the writer thread', () => {
  it('unpacks to exactly the events packed, empty strings and unicode included', () => {
    const events = [...Array.from({ length: 50 }, (_, i) => event(i)), event(50, { body: '', hash: '' }), event(51, { id: '😀-id', customerId: 'Ç' })];
    const packed = packEvents(events)!;
    expect(packed.count).toBe(events.length);
    expect(unpackEvents(packed)).toEqual(events);
    expect(unpackEvents(packEvents([])!)).toEqual([]);
  });

  it('declines a batch where a field holds U+0000 (sent as objects instead), and refuses a text that does not hold its count', () => {
    expect(packEvents([event(1), event(2, { id: 'a\u0000b' })])).toBeUndefined();
    expect(packEvents([event(1, { body: 'x\u0000' })])).toBeUndefined();
    // A malformed event is left for the store to refuse, not packed into something else.
    expect(packEvents([event(1, { customerId: null as unknown as string })])).toBeUndefined();
    expect(packEvents([event(1, { time: '2026' as unknown as number })])).toBeUndefined();
    const packed = packEvents([event(1), event(2)])!;
    expect(() => unpackEvents({ ...packed, count: 3 })).toThrow(/fields for 3 events/);
  });

  it('keeps accepted and duplicate outcomes in order with the duplicates\' stored hashes', () => {
    const outcomes: AppendOutcome[] = [
      { status: 'accepted', seq: 1 },
      { status: 'duplicate', seq: 7, hash: 'h7' },
      { status: 'accepted', seq: 2 ** 40 },
      { status: 'duplicate', seq: 1, hash: '' },
    ];
    expect(unpackOutcomes(packOutcomes(outcomes))).toEqual(outcomes);
  });
});
