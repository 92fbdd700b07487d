import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { fitRecalibration, recalibrate } from './recalibration.js';
import { recalibratedScorer, type ChurnScorer } from '../live/churn-scorer.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));

/** Rows scored by a model whose log-odds are `z`, churning with the true log-odds `truth(z)`. */
function rows(n: number, seed: number, truth: (z: number) => number) {
  const rng = createRng(seed);
  const probs = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Scores spread like a churn model's: mostly 1–5 % a month, a tail to 30 %.
    const z = -3.5 + 1.2 * (rng.next() + rng.next() + rng.next() - 1.5) * 2;
    probs[i] = sigmoid(z);
    labels[i] = rng.next() < sigmoid(truth(z)) ? 1 : 0;
  }
  return { probs, labels };
}

describe('fitRecalibration', () => {
  it('finds a model whose top scores are too high out of time: its spread shrunk and its level lowered', () => {
    const { probs, labels } = rows(200_000, 7, (z) => -3.5 - 0.3 + 0.6 * (z + 3.5));
    const r = fitRecalibration(probs, labels);
    // The true map is logit q = z − 0.3 − 0.4 (z + 3.5); centred on the rows' mean (≈ −3.5).
    expect(r.slope).toBeGreaterThan(0.55);
    expect(r.slope).toBeLessThan(0.65);
    expect(r.intercept).toBeGreaterThan(-0.4);
    expect(r.intercept).toBeLessThan(-0.2);
    expect(r.positives).toBe(labels.reduce((t, y) => t + y, 0));
    // The recalibrated top score is the truth's, not the model's.
    const top = sigmoid(-1);
    expect(recalibrate(top, r)).toBeCloseTo(sigmoid(-3.5 - 0.3 + 0.6 * 2.5), 2);
  });

  it('leaves a calibrated model alone, within its uncertainty', () => {
    const { probs, labels } = rows(100_000, 3, (z) => z);
    const r = fitRecalibration(probs, labels);
    expect(Math.abs(r.intercept)).toBeLessThan(3 * r.interceptSd);
    expect(Math.abs(r.slope - 1)).toBeLessThan(3 * r.slopeSd);
    expect(recalibrate(0.04, { intercept: 0, slope: 1, centre: r.centre })).toBeCloseTo(0.04, 12);
  });

  it('weighs a few churners against the prior of none: a small window moves the fit less than its own data say', () => {
    const small = rows(800, 11, (z) => z - 0.8);
    const r = fitRecalibration(small.probs, small.labels);
    const loose = fitRecalibration(small.probs, small.labels, { interceptSd: 100, slopeSd: 100 });
    expect(loose.intercept).toBeLessThan(-0.3);
    expect(Math.abs(r.intercept)).toBeLessThan(Math.abs(loose.intercept));
    expect(Math.abs(r.slope - 1)).toBeLessThanOrEqual(Math.abs(loose.slope - 1));
    expect(r.interceptSd).toBeLessThan(0.5);
  });
});

describe('recalibratedScorer', () => {
  const explained = (p: number) => ({ probability: p, logOdds: logit(p), expected: -3, units: 'calibrated log-odds' as const, contributions: [{ feature: 'a', value: 1, contribution: logit(p) + 3 - 0.25 }, { feature: 'b', value: 2, contribution: 0.25 }] });
  const scorer = { model: {}, probability: (f: Float64Array) => f[0], explain: (f: Float64Array) => explained(f[0]) } as unknown as ChurnScorer;
  const r = { intercept: -0.4, slope: 0.7, centre: -3.2, interceptSd: 0.1, slopeSd: 0.1, rows: 1000, positives: 40 };

  it('scores and explains with the recalibrated probability, the decomposition still exact', () => {
    const s = recalibratedScorer(scorer, r);
    const f = Float64Array.of(0.12);
    expect(s.probability(f)).toBeCloseTo(recalibrate(0.12, r), 12);
    expect(s.probability(f)).toBeLessThan(0.12);
    const e = s.explain(f);
    expect(e.probability).toBeCloseTo(s.probability(f), 12);
    expect(sigmoid(e.logOdds)).toBeCloseTo(e.probability, 12);
    expect(e.expected + e.contributions.reduce((t, c) => t + c.contribution, 0)).toBeCloseTo(e.logOdds, 12);
  });

  it('is the scorer itself without a recalibration', () => {
    expect(recalibratedScorer(scorer, undefined)).toBe(scorer);
  });
});
