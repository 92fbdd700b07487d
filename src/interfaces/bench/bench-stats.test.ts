import { describe, expect, it } from 'vitest';
import { bestRate, consume, ratio, sampleStats, timeEach } from './bench-stats.js';

describe('bench statistics', () => {
  it('gives nearest-rank percentiles in the order asked, whatever the order of the samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    const s = sampleStats(samples, ['p99', 'count', 'p50', 'p10', 'max', 'mean']);
    expect(s).toEqual({ p99: 99, count: 100, p50: 50, p10: 10, max: 100, mean: 50.5 });
    expect(Object.keys(s)).toEqual(['p99', 'count', 'p50', 'p10', 'max', 'mean']);
    // Nearest rank on a small sample: the smallest value with at least that share at or below it.
    expect(sampleStats([4, 1, 3, 2], ['p50', 'p90'])).toEqual({ p50: 2, p90: 4 });
  });

  it('rounds to the digits asked and gives zeros for an empty sample', () => {
    expect(sampleStats([1.23456, 2.34567], ['mean'], 2)).toEqual({ mean: 1.79 });
    expect(sampleStats([], ['count', 'p50', 'max', 'mean'])).toEqual({ count: 0, p50: 0, max: 0, mean: 0 });
  });

  it('divides by the baseline, and says 0 when the baseline measured nothing', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 3, 2)).toBe(0.33);
    expect(ratio(5, 0)).toBe(0);
  });

  it('times each call after the warm-up calls, in µs', () => {
    const calls: number[] = [];
    const times = timeEach(5, (i) => calls.push(i), 3);
    expect(calls).toEqual([0, 1, 2, 0, 1, 2, 3, 4]);
    expect(times).toHaveLength(5);
    expect([...times].every((t) => t >= 0 && t < 1e6)).toBe(true);
    let runs = 0;
    expect(bestRate(10, 3, () => void runs++)).toBeGreaterThan(0);
    expect(runs).toBe(3);
  });

  it('refuses a baseline that computed NaN', () => {
    expect(() => consume(Number.NaN)).toThrow(/NaN/);
    expect(() => consume(1)).not.toThrow();
  });
});
