import { describe, expect, it } from 'vitest';
import { kthLargest } from './kth-largest.js';
import { seededRandom } from './seeded-random.js';

/** The k-th largest by sorting a copy: what the selection must agree with. */
const bySort = (values: ArrayLike<number>, k: number, n = values.length) => Array.from(values).slice(0, n).sort((a, b) => b - a)[k - 1];

describe('kthLargest', () => {
  it('agrees with a sort on random, tied, sorted and reversed inputs, at every k of small ones', () => {
    const rnd = seededRandom(3);
    const inputs: number[][] = [
      Array.from({ length: 1_000 }, () => rnd()),
      // A tree model's scores: a few distinct values shared by many twins.
      Array.from({ length: 1_000 }, () => Math.floor(rnd() * 7) / 10),
      Array.from({ length: 500 }, (_, i) => i),
      Array.from({ length: 500 }, (_, i) => 500 - i),
      Array.from({ length: 300 }, () => 0.25),
      [0.5],
    ];
    for (const input of inputs) {
      const ks = input.length <= 500 ? input.map((_, i) => i + 1) : [1, 2, 10, 100, 500, 999, 1_000];
      for (const k of ks) expect(kthLargest(Float64Array.from(input), k)).toBe(bySort(input, k));
    }
  });

  it('reads only the first n values, and refuses a k or n outside them', () => {
    const values = Float64Array.from([5, 1, 9, 3, 100, 200]);
    expect(kthLargest(values, 1, 4)).toBe(9);
    expect(kthLargest(Float64Array.from([5, 1, 9, 3, 100, 200]), 4, 4)).toBe(1);
    expect(() => kthLargest(values, 0)).toThrow(/k must be an integer from 1 to 6, got 0/);
    expect(() => kthLargest(values, 7)).toThrow(/k must be an integer from 1 to 6, got 7/);
    expect(() => kthLargest(values, 1, 0)).toThrow(/n must be 1 to 6, got 0/);
  });
});
