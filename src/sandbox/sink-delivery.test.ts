import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../domain/errors.js';
import type { EventSink, RecordOutcome } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { deliver, DeliveryWindow, emptyTally } from './sink-delivery.js';

const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `e${from + i}`, customerId: 'C1', time: '2026-01-01T00:00:00Z', source: 't', v: 1, kind: 'usage', data: {} }) as unknown as TwinEvent);

/** A sink that answers only when told to, and refuses at submission while `full` is set. */
function manualSink() {
  const waiting: { ids: string[]; answer: (o: RecordOutcome[]) => void }[] = [];
  const submitted: string[][] = [];
  let full = 0;
  const sink: EventSink = {
    submit(batch) {
      if (full > 0) {
        full--;
        throw new TwinloopError('OVERLOADED', 'full');
      }
      const ids = batch.map((e) => e.id);
      submitted.push(ids);
      return new Promise((resolve) => waiting.push({ ids, answer: resolve }));
    },
  };
  const answerOldest = () => {
    const w = waiting.shift()!;
    w.answer(w.ids.map((id) => ({ status: 'accepted', id })));
  };
  return { sink, submitted, waiting, answerOldest, refuseNext: (n: number) => (full = n) };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('DeliveryWindow', () => {
  it('keeps up to `window` batches in the sink, in order, and reports progress only once the sink has answered', async () => {
    const s = manualSink();
    const w = new DeliveryWindow(s.sink, 2, emptyTally(), 2);
    const progress: string[] = [];
    const sending = w.send(events(0, 6));
    await turn();
    // Two batches in, the third waits for room.
    expect(s.submitted).toEqual([['e0', 'e1'], ['e2', 'e3']]);
    s.answerOldest();
    await sending.then(() => {});
    expect(s.submitted.map((b) => b[0])).toEqual(['e0', 'e2', 'e4']);
    w.then(() => progress.push('day 1'));
    expect(progress).toEqual([]);
    s.answerOldest();
    await turn();
    expect(progress).toEqual([]);
    s.answerOldest();
    await turn();
    expect(progress).toEqual([]);
    const flushing = w.flush();
    await flushing;
    expect(progress).toEqual(['day 1']);
    expect(w.tally.accepted).toBe(6);
  });

  it('retries a batch refused as OVERLOADED before submitting any later one', async () => {
    const s = manualSink();
    const w = new DeliveryWindow(s.sink, 1, emptyTally(), 3);
    await w.send(events(0, 1));
    s.refuseNext(1);
    const sending = w.send(events(1, 2));
    // The refusal waits for the oldest batch to be answered, then e1 goes in, then e2.
    await turn();
    expect(s.submitted).toEqual([['e0']]);
    s.answerOldest();
    await sending;
    expect(s.submitted).toEqual([['e0'], ['e1'], ['e2']]);
    expect(w.tally.retries).toBe(1);
    s.answerOldest();
    s.answerOldest();
    await w.flush();
    expect(w.tally.accepted).toBe(3);
  });

  it('refuses to reorder: a sink that says OVERLOADED after later batches went in stops the delivery with a clear error', async () => {
    let calls = 0;
    const late: EventSink = {
      submit: async (batch) => {
        if (calls++ === 0) throw new TwinloopError('OVERLOADED', 'full');
        return batch.map((e) => ({ status: 'accepted' as const, id: e.id }));
      },
    };
    const w = new DeliveryWindow(late, 1, emptyTally(), 2);
    await w.send(events(0, 2));
    await expect(w.flush()).rejects.toThrow(/window of 1/);
  });

  it('runs a progress callback at once when nothing is on its way, and fails on the first error the sink answers', async () => {
    const failing: EventSink = { submit: () => Promise.reject(new TwinloopError('UNAVAILABLE', 'stopping', { context: { retryable: false } })) };
    const w = new DeliveryWindow(failing, 10, emptyTally(), 2);
    let ran = false;
    w.then(() => (ran = true));
    expect(ran).toBe(true);
    await w.send(events(0, 5));
    await expect(w.flush()).rejects.toThrow('stopping');
  });

  it('takes a batch again after a transient store failure (a busy database, a dropped connection) and goes on, in order', async () => {
    // The intake answers a batch whose commit failed with the store's UNAVAILABLE; before, the
    // window stopped there for good, and with it the sandbox's catch-up.
    const locked = new TwinloopError('UNAVAILABLE', 'The event store in /d: append failed (database is locked); retry');
    const submitted: string[] = [];
    let failuresLeft = 2;
    const flaky: EventSink = {
      submit: async (batch) => {
        submitted.push(batch[0].id);
        if (batch[0].id === 'e2' && failuresLeft-- > 0) throw locked;
        return batch.map((e) => ({ status: 'accepted' as const, id: e.id }));
      },
    };
    const seen: number[] = [];
    const w = new DeliveryWindow(flaky, 2, emptyTally(), 2, { onRetry: (err, attempt) => seen.push(attempt) && expect(err).toBe(locked) });
    const progress: string[] = [];
    await w.send(events(0, 4));
    w.then(() => progress.push('first day'));
    await w.send(events(4, 4));
    await w.flush();
    expect(w.tally).toMatchObject({ accepted: 8, rejected: 0, retries: 2 });
    expect(seen).toEqual([1, 2]);
    expect(progress).toEqual(['first day']);
    // e4's batch was in already (a window of 2); e2's went again before any batch after it.
    expect(submitted).toEqual(['e0', 'e2', 'e4', 'e2', 'e2', 'e6']);
  });

  it('deliver() waits out transient failures, and stops at once on a permanent one', async () => {
    let calls = 0;
    const flaky: EventSink = {
      submit: async (batch) => {
        if (calls++ < 3) throw new TwinloopError('UNAVAILABLE', 'connection terminated; retry');
        return batch.map((e) => ({ status: 'accepted' as const, id: e.id }));
      },
    };
    const tally = emptyTally();
    await deliver(flaky, events(0, 3), 2, tally);
    expect(tally).toMatchObject({ accepted: 3, retries: 3 });

    for (const permanent of [new TwinloopError('INTERNAL', 'a bug'), new TwinloopError('BAD_INPUT', 'bad'), new TwinloopError('UNAVAILABLE', 'the store is closed', { context: { retryable: false } })]) {
      let tries = 0;
      const broken: EventSink = { submit: () => (tries++, Promise.reject(permanent)) };
      await expect(deliver(broken, events(0, 1), 1, emptyTally())).rejects.toBe(permanent);
      const w = new DeliveryWindow(broken, 1, emptyTally(), 3);
      await w.send(events(0, 2));
      await expect(w.flush()).rejects.toBe(permanent);
      expect(tries).toBe(3);
    }
  });
});
