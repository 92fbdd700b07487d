import { describe, expect, it } from 'vitest';
import { longestGuardedPrefix } from './plan-guard.js';

describe('plan guard', () => {
  const weights = [0.25, 0.25, 0.25, 0.25];
  it('keeps the longest run whose kept value is ≥ 0 with probability 1 − risk, summed draw by draw', () => {
    // The fourth draw is the bad one: the run grows while the sum stays ≥ 0 there (the second candidate's harm is covered by the first's gain, the third's is not).
    const kept = [[5, 5, 5, 2], [5, 5, 5, -1], [1, 1, 1, -3]];
    expect(longestGuardedPrefix(kept, weights, 0.1)).toBe(2);
    // Allowed a quarter's risk, the bad draw may go negative.
    expect(longestGuardedPrefix(kept, weights, 0.3)).toBe(3);
    expect(longestGuardedPrefix(kept, weights, 1)).toBe(3);
    expect(longestGuardedPrefix([[-1, 0, 0, 0]], weights, 0.1)).toBe(0);
  });

  it('refuses a risk that is not a probability and a candidate valued on other draws', () => {
    expect(() => longestGuardedPrefix([[1, 1, 1, 1]], weights, 1.5)).toThrow(/risk/);
    expect(() => longestGuardedPrefix([[1, 1]], weights, 0.1)).toThrow(/one kept value per draw/);
  });
});
