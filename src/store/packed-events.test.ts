import { describe, expect, it } from 'vitest';
import type { AppendOutcome, NewEvent } from './event-store.js';
import { packEvents, packOutcomes, unpackEvents, unpackOutcomes } from './packed-events.js';

const T0 = Date.UTC(2026, 0, 1);

describe('packed events (the writer thread\'s wire)', () => {
  it('give back every field of every event exactly, whatever the text holds', () => {
    const events: NewEvent[] = [
      { id: 'u-1', customerId: 'C1', kind: 'usage', time: T0, receivedAt: T0 + 5, body: '{"id":"u-1"}' },
      // A NUL, a lone surrogate on each side of a field boundary, an emoji, an empty body, newlines.
      { id: 'a\u0000b\ud800', customerId: '\udc00C2', kind: '', time: -1.5, receivedAt: 2 ** 52, body: '' },
      { id: '📶', customerId: 'C3', kind: 'bill', time: Number.MAX_SAFE_INTEGER, receivedAt: 0, body: 'pretty\n\t{"a": "\\n"} 📶' },
    ];
    const packed = packEvents(events);
    expect(packed).toBeDefined();
    expect(unpackEvents(structuredClone(packed!.packed))).toEqual(events);
    expect(unpackEvents(packEvents([])!.packed)).toEqual([]);
  });

  it('refuse to pack an event of another shape, which the store must see as it is to refuse it', () => {
    const good: NewEvent = { id: 'u-1', customerId: 'C1', kind: 'usage', time: T0, receivedAt: T0, body: '{}' };
    for (const bad of [{ id: 7 }, { customerId: null }, { body: undefined }, { time: String(T0) }, { receivedAt: undefined }]) {
      expect(packEvents([good, { ...good, ...bad } as unknown as NewEvent])).toBeUndefined();
    }
  });

  it('give back a batch\'s outcomes, duplicates with their stored bodies', () => {
    const outcomes: AppendOutcome[] = [
      { status: 'accepted', seq: 41 },
      { status: 'duplicate', seq: 7, body: '{"id":"u-7"}' },
      { status: 'accepted', seq: 42 },
      { status: 'duplicate', seq: 41, body: '' },
    ];
    expect(unpackOutcomes(structuredClone(packOutcomes(outcomes).packed))).toEqual(outcomes);
    expect(unpackOutcomes(packOutcomes([]).packed)).toEqual([]);
  });
});
