import { describe, expect, it } from 'vitest';
import { bestCertaintyEquivalentPrefix } from './plan-size.js';

describe('a plan sized by the evidence: the prefix with the largest certainty equivalent', () => {
  // Two draws of the shared effects: in three of four each contact makes 2, in the fourth each loses 2.
  const weights = [0.75, 0.25];
  const alike = (n: number, win: number, loss: number) => Array.from({ length: n }, () => [win, -loss]);

  it('stops where one more contact adds more risk than value: about τ·ln 3 / 4 contacts of a bet won 3 times in 4', () => {
    // CE(k) = −τ log(0.75 e^(−2k/τ) + 0.25 e^(2k/τ)), largest at e^(4k/τ) = 3: k = 40 · 1.0986 / 4 = 11.0.
    expect(bestCertaintyEquivalentPrefix(alike(30, 2, 2), weights, 40)).toBe(11);
    // Twice the tolerance, twice the plan; a surer bet (the loss half as large), a longer one.
    expect(bestCertaintyEquivalentPrefix(alike(30, 2, 2), weights, 80)).toBe(22);
    expect(bestCertaintyEquivalentPrefix(alike(30, 2, 1), weights, 40)).toBeGreaterThan(11);
  });

  it('takes the whole list when no draw loses, and nobody when the bet loses on average', () => {
    expect(bestCertaintyEquivalentPrefix(alike(30, 2, -1), weights, 40)).toBe(30);
    expect(bestCertaintyEquivalentPrefix(alike(30, 1, 4), weights, 40)).toBe(0);
    expect(bestCertaintyEquivalentPrefix([], weights, 40)).toBe(0);
  });

  it('refuses a tolerance that is not above zero, and a candidate without a value per draw', () => {
    expect(() => bestCertaintyEquivalentPrefix(alike(2, 2, 2), weights, 0)).toThrow(/tolerance/);
    expect(() => bestCertaintyEquivalentPrefix([[1]], weights, 40)).toThrow(/one net value per draw/);
  });
});
