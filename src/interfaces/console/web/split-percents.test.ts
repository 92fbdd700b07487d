import { describe, expect, it } from 'vitest';
import { splitPercents } from './split-percents';

describe("a campaign's split in whole percents", () => {
  it('adds up to 100, the points left going to the largest remainders', () => {
    // Each rounded alone: "68 %" and "33 %" (a newcomer's campaign page).
    expect(splitPercents([0.675, 0.325])).toEqual(['68 %', '32 %']);
    expect(splitPercents([1 / 3, 1 / 3, 1 / 3])).toEqual(['34 %', '33 %', '33 %']);
    expect(splitPercents([0.05, 0.95])).toEqual(['5 %', '95 %']);
    for (const shares of [[0.675, 0.325], [0.125, 0.125, 0.75], [0.2049, 0.3951, 0.4]]) {
      expect(splitPercents(shares).reduce((a, t) => a + Number.parseInt(t, 10), 0)).toBe(100);
    }
  });

  it('rounds each alone when the shares do not make a whole', () => {
    expect(splitPercents([0, 0])).toEqual(['0 %', '0 %']);
  });
});
