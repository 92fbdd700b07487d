import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { DriftMonitor, fitBaseline, psi, type DriftAlert } from './drift-monitor.js';

function normal(n: number, mean: number, sd: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
}

describe('drift monitor', () => {
  const train = normal(20_000, 0, 1, 1);
  const base = fitBaseline(train);

  it('gives PSI ≈ 0 for the same distribution and > 0.2 for a shifted one', () => {
    expect(base.edges.length).toBe(9);
    expect(psi(base, normal(20_000, 0, 1, 2))).toBeLessThan(0.01);
    expect(psi(base, normal(20_000, 0.6, 1, 3))).toBeGreaterThan(0.2);
    expect(psi(base, normal(20_000, 0, 2, 4))).toBeGreaterThan(0.2);
  });

  it('handles discrete features (merged quantiles) and empty live data', () => {
    const counts = Float64Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const b = fitBaseline(counts);
    expect(b.edges).toEqual([0]);
    expect(psi(b, counts)).toBeCloseTo(0, 10);
    expect(psi(b, Float64Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1 : 0)))).toBeGreaterThan(0.2);
    expect(psi(b, [])).toBe(0);
  });

  it('alerts once per crossing of the threshold', () => {
    const alerts: DriftAlert[] = [];
    const monitor = new DriftMonitor('churn-v1', { score: base, features: [{ name: 'tenure_days', baseline: base }] }, { onAlert: (a) => alerts.push(a) });
    const shifted = normal(5000, 1, 1, 5);
    const same = normal(5000, 0, 1, 6);
    const live = (scores: Float64Array, feature: Float64Array) => ({ size: 5000, scores, features: [feature], include: () => true });
    expect(monitor.check(live(same, same)).drifting).toEqual([]);
    const r = monitor.check(live(shifted, same));
    expect(r.drifting).toEqual(['score']);
    expect(r.score.status).toBe('drift');
    monitor.check(live(shifted, same));
    expect(alerts.map((a) => a.subject)).toEqual(['score']);
    expect(alerts[0].message).toMatch(/PSI \d\.\d{3} > 0\.2/);
    monitor.check(live(same, same));
    monitor.check(live(shifted, shifted));
    expect(alerts.map((a) => a.subject)).toEqual(['score', 'score', 'tenure_days']);
  });
});
