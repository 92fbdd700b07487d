import { describe, expect, it } from 'vitest';
import { enqueue } from './assist-queue';
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
    for (let i = 0; i < 100; i++) queue = enqueue(queue, card(`C1${String(i).padStart(5, '0')}`, 21 + (i % 30)), 12, pinned);
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
});
