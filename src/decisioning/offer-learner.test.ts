import { describe, expect, it } from 'vitest';
import { createRng } from '../intelligence/random.js';
import { seededRandom } from '../domain/seeded-random.js';
import { createOfferLearner, prepareGamma, sampleBeta, sampleBetaPrepared, sampleGamma } from './offer-learner.js';

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

describe('Beta and Gamma sampling from uniforms', () => {
  it.each([
    [0.5, 0.5],
    [2, 5],
    [30, 70],
    [0.2, 3],
  ])('Beta(%d, %d) draws have the right mean and variance', (a, b) => {
    const rng = createRng(11);
    const xs = Array.from({ length: 40_000 }, () => sampleBeta(a, b, rng.next));
    const m = moments(xs);
    const mean = a / (a + b);
    const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    // Standard error of the mean is sqrt(var / n) ≈ 0.0025 at worst here; 5 of them.
    expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / xs.length) + 1e-9);
    expect(m.variance / variance).toBeGreaterThan(0.95);
    expect(m.variance / variance).toBeLessThan(1.05);
    for (const x of xs) expect(x >= 0 && x <= 1).toBe(true);
  });

  it('Gamma(k) draws have mean and variance k, small shapes included', () => {
    const rng = createRng(5);
    for (const k of [0.3, 1, 4.5]) {
      const m = moments(Array.from({ length: 40_000 }, () => sampleGamma(k, rng.next)));
      expect(Math.abs(m.mean - k) / k).toBeLessThan(0.03);
      expect(Math.abs(m.variance - k) / k).toBeLessThan(0.08);
    }
  });

  it('refuses a non-positive shape', () => {
    expect(() => sampleGamma(0, Math.random)).toThrow(/shape must be > 0/);
    expect(() => prepareGamma(0, new Float64Array(3), 0)).toThrow(/shape must be > 0/);
  });
});

describe('Beta draws from prepared shapes', () => {
  it('are the same numbers from the same uniforms as sampleBeta, for shapes below, at and above 1', () => {
    const shapes = new Float64Array(6);
    const r = seededRandom(12);
    for (let i = 0; i < 2_000; i++) {
      // Shapes from 0.05 to 40, and exactly 1 now and then.
      const alpha = i % 10 === 0 ? 1 : 0.05 + r() * r() * 40;
      const beta = i % 7 === 0 ? 1 : 0.05 + r() * r() * 40;
      prepareGamma(alpha, shapes, 0);
      prepareGamma(beta, shapes, 3);
      const a = seededRandom(1_000 + i);
      const b = seededRandom(1_000 + i);
      for (let k = 0; k < 4; k++) expect(sampleBetaPrepared(alpha, beta, shapes, 0, a)).toBe(sampleBeta(alpha, beta, b));
      // Both consumed the same uniforms.
      expect(a()).toBe(b());
    }
  });
});

describe('offer learner', () => {
  it('converges to the true acceptance rate of each context', () => {
    const learner = createOfferLearner({ prior: { mean: 0.2, strength: 2 } });
    const rng = createRng(3);
    const truth: Record<string, number> = { 'call|new': 0.6, 'call|settled': 0.1 };
    for (let i = 0; i < 4000; i++) for (const [ctx, p] of Object.entries(truth)) learner.observe('retain-25', ctx, rng.next() < p);
    for (const [ctx, p] of Object.entries(truth)) expect(Math.abs(learner.mean('retain-25', ctx) - p)).toBeLessThan(0.03);
    // Thompson draws concentrate around the mean once the evidence is large.
    const draws = Array.from({ length: 2000 }, () => learner.sample('retain-25', 'call|new', rng.next));
    expect(Math.abs(moments(draws).mean - 0.6)).toBeLessThan(0.03);
    expect(Math.sqrt(moments(draws).variance)).toBeLessThan(0.02);
  });

  it('reads the prior before any evidence, and a thin context borrows its offer’s pooled rate', () => {
    const learner = createOfferLearner({ prior: { mean: 0.2, strength: 2 }, offerPriors: { upgrade: { mean: 0.4, strength: 5 } } });
    expect(learner.mean('retain-10', 'x')).toBeCloseTo(0.2, 10);
    expect(learner.mean('upgrade', 'x')).toBeCloseTo(0.4, 10);
    const rng = createRng(9);
    for (let i = 0; i < 2000; i++) learner.observe('retain-10', 'busy', rng.next() < 0.5);
    // An unseen context of the same offer reads the pooled evidence, not the prior.
    expect(Math.abs(learner.mean('retain-10', 'unseen') - 0.5)).toBeLessThan(0.03);
    // Two declines in a new context move it only part of the way from the pool.
    learner.observe('retain-10', 'thin', false);
    learner.observe('retain-10', 'thin', false);
    const thin = learner.mean('retain-10', 'thin');
    expect(thin).toBeLessThan(0.5);
    expect(thin).toBeGreaterThan(0.35);
  });

  it('with forgetting, tracks a drifting rate that a non-forgetting learner lags', () => {
    // A light pool weight: with one context, the pool is the prior and would hold the mean back.
    const forgetting = createOfferLearner({ prior: { mean: 0.5, strength: 2 }, poolStrength: 2, discount: 0.99 });
    const remembering = createOfferLearner({ prior: { mean: 0.5, strength: 2 } });
    const rng = createRng(4);
    for (const p of [0.7, 0.1]) {
      for (let i = 0; i < 2000; i++) {
        const accepted = rng.next() < p;
        forgetting.observe('o', 'c', accepted);
        remembering.observe('o', 'c', accepted);
      }
    }
    expect(Math.abs(forgetting.mean('o', 'c') - 0.1)).toBeLessThan(0.06);
    expect(remembering.mean('o', 'c')).toBeGreaterThan(0.3);
  });

  it("binds a sampler to a cell's posterior as it is: the same draws as sample() from the same uniforms", () => {
    const l = createOfferLearner({ prior: { mean: 0.3, strength: 5 } });
    for (let i = 0; i < 40; i++) l.observe('o1', 'web|low-risk', i % 4 === 0);
    const draw = l.sampler('o1', 'web|low-risk');
    const [r1, r2] = [createRng(4).next, createRng(4).next];
    for (let i = 0; i < 200; i++) expect(draw(r1)).toBe(l.sample('o1', 'web|low-risk', r2));
    // Bound to the posterior at the time: later evidence moves sample(), not this sampler.
    for (let i = 0; i < 200; i++) l.observe('o1', 'web|low-risk', true);
    const [r3, r4] = [createRng(5).next, createRng(5).next];
    const before = Array.from({ length: 200 }, () => draw(r3));
    const after = Array.from({ length: 200 }, () => l.sample('o1', 'web|low-risk', r4));
    expect(moments(after).mean).toBeGreaterThan(moments(before).mean + 0.2);
  });

  it('round-trips its state through JSON', () => {
    const a = createOfferLearner({ prior: { mean: 0.3, strength: 4 }, discount: 0.995 });
    const rng = createRng(8);
    for (let i = 0; i < 500; i++) a.observe(['o1', 'o2'][i % 2], ['c1', 'c2', 'c3'][i % 3], rng.next() < 0.3);
    const b = createOfferLearner({ prior: { mean: 0.3, strength: 4 }, discount: 0.995 });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    for (const o of ['o1', 'o2', 'o3']) for (const c of ['c1', 'c2', 'c3', 'c4']) expect(b.posterior(o, c)).toEqual(a.posterior(o, c));
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('refuses bad options and malformed snapshots', () => {
    expect(() => createOfferLearner({ prior: { mean: 1, strength: 2 } })).toThrow(/prior.mean must be in \(0, 1\)/);
    expect(() => createOfferLearner({ prior: { mean: 0.2, strength: 2 }, discount: 0 })).toThrow(/discount/);
    const l = createOfferLearner({ prior: { mean: 0.2, strength: 2 } });
    expect(() => l.restore({ version: 2, cells: [] })).toThrow(/unsupported version/);
    expect(() => l.restore({ version: 1, cells: [{ offerId: 'o', contextKey: 'c', accepted: -1, declined: 0 }] })).toThrow(/non-negative/);
  });
});
