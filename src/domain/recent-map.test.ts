import { describe, expect, it } from 'vitest';
import { RecentMap } from './recent-map.js';

describe('RecentMap', () => {
  it('keeps the most recently added keys and forgets the oldest past its capacity', () => {
    const m = new RecentMap<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) m.set(k, i);
    expect([m.has('a'), m.get('b'), m.get('c'), m.get('d'), m.size]).toEqual([false, 1, 2, 3, 3]);
    // Replacing a value keeps its place: it is not added again, so nothing else is forgotten.
    m.set('b', 10);
    expect([m.get('b'), m.get('c'), m.size]).toEqual([10, 2, 3]);
    m.set('e', 4);
    expect([m.has('b'), m.get('c'), m.get('d'), m.get('e')]).toEqual([false, 2, 3, 4]);
    // Long runs stay bounded and hold exactly the last `capacity` keys.
    const big = new RecentMap<number, number>(1000);
    for (let i = 0; i < 50_000; i++) big.set(i, i);
    expect(big.size).toBe(1000);
    expect(big.has(49_000) && big.has(49_999) && !big.has(48_999)).toBe(true);
    expect(() => new RecentMap(0)).toThrow(/capacity/);
  });
});
