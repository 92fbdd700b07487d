import { beforeAll, describe, expect, it } from 'vitest';
import { checkOffPolicy, loggingPropensities, type OffPolicyCheckResult } from './off-policy-check.js';

describe('off-policy check on a tiny sandbox world', () => {
  // 300 customers, 1 month of history, 300 decisions: too few for tight intervals, enough to see
  // that the machinery is consistent (the figures at scale are in docs/learning.md).
  let r: OffPolicyCheckResult;
  beforeAll(async () => {
    r = await checkOffPolicy({ seed: 4, customers: 300, decisions: 300, historyMonths: 1, bootstrap: 200 });
  });

  it('runs every target policy on a copy of the world identical to the logging one', () => {
    expect(r.identicalCopies).toBe(true);
    expect(r.policies.map((p) => p.name)).toEqual(['greedy', 'do-nothing', 'uniform', 'logging', 'threshold:20']);
    expect(r.decisions).toBe(300);
    expect(r.acceptanceRate).toBeGreaterThan(0);
  });

  it('values the logging policy at the logged mean reward, and do-nothing at exactly 0', () => {
    const logging = r.policies.find((p) => p.name === 'logging')!;
    expect(logging.estimates.ips.value).toBeCloseTo(r.loggedMeanReward, 9);
    expect(logging.estimates.snips.value).toBeCloseTo(r.loggedMeanReward, 9);
    const nothing = r.policies.find((p) => p.name === 'do-nothing')!;
    for (const e of Object.values(nothing.estimates)) expect(e.value).toBe(0);
    expect(nothing.truth).toEqual({ realised: 0, expected: 0 });
  });

  it('reports finite estimates inside their own intervals, with errors against the expected truth', () => {
    for (const p of r.policies) {
      for (const [name, e] of Object.entries(p.estimates)) {
        expect(Number.isFinite(e.value), `${p.name} ${name}`).toBe(true);
        expect(e.lower).toBeLessThanOrEqual(e.value + 1e-9);
        expect(e.upper).toBeGreaterThanOrEqual(e.value - 1e-9);
      }
      expect(p.error.ips).toBeCloseTo(p.estimates.ips.value - p.truth.expected, 9);
      expect(p.effectiveSampleSize).toBeGreaterThan(0);
    }
  });

  it('keeps the learner’s evidence as plain JSON', () => {
    const s = JSON.parse(JSON.stringify(r.learner)) as typeof r.learner;
    expect(s.version).toBe(1);
    expect(s.cells.length).toBeGreaterThan(0);
  });
});

describe('the logging policy', () => {
  it('gives every action at least ε / K and sums to 1', () => {
    const p = loggingPropensities([0, 50, -10, 5], 0.2, 10);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const q of p) expect(q).toBeGreaterThanOrEqual(0.05);
    expect(p[1]).toBeGreaterThan(p[3]);
  });
});
