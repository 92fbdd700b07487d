import { describe, expect, it } from 'vitest';
import { enqueue, interactionOver } from './assist-queue';
import type { AssistCard } from './types';

const card = (customerId: string, minute: number): AssistCard => ({
  cardId: `${customerId}-${minute}`,
  customerId,
  channel: 'call',
  reason: 'billing_complaint',
  at: new Date(Date.UTC(2026, 11, 6, 10, minute)).toISOString(),
  summary: null,
  actions: [],
  otherChannels: [],
});

/**
 * The agent desktop's queue on the sandbox's world, where tens of calls start every second: the
 * card the agent was sent to (the scenario's staged call) stays until they take it.
 */
describe('enqueue', () => {
  const pinned = (c: AssistCard) => c.customerId === 'C024126';

  it('keeps the staged call while a hundred background calls arrive after it', () => {
    let queue = enqueue([], card('C024126', 20), 12, pinned);
    for (let i = 0; i < 100; i++) queue = enqueue(queue, card(`C1${String(i).padStart(5, '0')}`, 21 + i), 12, pinned);
    expect(queue).toHaveLength(12);
    expect(queue.map((c) => c.customerId)).toContain('C024126');
    // The rest is the newest background calls, newest first.
    expect(queue[0]!.customerId).toBe('C100099');
    expect(queue.filter((c) => !pinned(c)).map((c) => c.customerId)).toEqual(Array.from({ length: 11 }, (_, i) => `C1${String(99 - i).padStart(5, '0')}`));
  });

  it('without a pinned card keeps the newest max, and one card per interaction (the newer)', () => {
    let queue: AssistCard[] = [];
    for (let i = 0; i < 20; i++) queue = enqueue(queue, card(`C${i}`, i), 12, () => false);
    expect(queue.map((c) => c.customerId)).toEqual(Array.from({ length: 12 }, (_, i) => `C${19 - i}`));
    const again = { ...card('C15', 15), cardId: 'newer' };
    queue = enqueue(queue, again, 12, () => false);
    expect(queue.filter((c) => c.customerId === 'C15').map((c) => c.cardId)).toEqual(['newer']);
    expect(queue).toHaveLength(12);
  });

  it('lists the calls newest first by when they started, whatever order their cards came in (a desktop joining is sent the open calls newest first)', () => {
    let queue: AssistCard[] = [];
    // On joining: the open calls, most recently started first; then a live one that started before the newest.
    for (const minute of [50, 40, 30, 20, 10]) queue = enqueue(queue, card(`C${minute}`, minute), 12, () => false);
    queue = enqueue(queue, card('C35', 35), 12, () => false);
    expect(queue.map((c) => c.customerId)).toEqual(['C50', 'C40', 'C35', 'C30', 'C20', 'C10']);
    // Full, the oldest call is the one that goes, even when its card came last.
    queue = enqueue(queue, card('C5', 5), 6, () => false);
    expect(queue.map((c) => c.customerId)).toEqual(['C50', 'C40', 'C35', 'C30', 'C20', 'C10']);
  });
});

describe('interactionOver', () => {
  const at = '2026-12-06T10:20:00.000Z';
  const endsBy = '2026-12-06T12:20:00.000Z';
  const call = { channel: 'call', at, inProgress: true };

  it("is null while the server says the card's call is in progress", () => {
    expect(interactionOver(call, { call: { phase: 'start', startedAt: at, at, endsBy, inProgress: true } })).toBeNull();
    expect(interactionOver(call, { call: { phase: 'update', startedAt: at, at: '2026-12-06T10:22:00.000Z', endsBy, inProgress: true } })).toBeNull();
  });

  it('says the call ended, and when; a later call is another contact; a card opened with no call is over from the start', () => {
    expect(interactionOver(call, { call: { phase: 'end', startedAt: at, at: '2026-12-06T10:24:00.000Z', endsBy, inProgress: false } })).toBe('the call ended 2026-12-06 10:24 UTC');
    expect(interactionOver(call, { call: { phase: 'start', startedAt: '2026-12-06T11:00:00.000Z', at: '2026-12-06T11:00:00.000Z', endsBy, inProgress: true } })).toBe('the call ended (another began 2026-12-06 11:00 UTC)');
    expect(interactionOver({ ...call, inProgress: false }, { call: { phase: 'start', startedAt: at, at, endsBy, inProgress: true } })).toBe('no call in progress');
  });

  it('follows the server on a call whose end is never seen: over once it is past its endsBy, and once the context no longer holds it', () => {
    expect(interactionOver(call, { call: { phase: 'start', startedAt: at, at, endsBy, inProgress: false } })).toBe('the call counts as ended 2026-12-06 12:20 UTC, no end of it seen by then');
    expect(interactionOver(call, {})).toBe('the call is over');
  });
});
