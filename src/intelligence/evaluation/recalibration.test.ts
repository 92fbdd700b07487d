import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { bend, fitRecalibration, fitTopBend, recalibrate, recalibrationLine } from './recalibration.js';
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

describe('fitTopBend', () => {
  // The truth rises as the model's log-odds up to its top tenth (about −1.9 here), then half as fast:
  // a model whose riskiest scores are partly luck.
  const knotTruth = -1.9;
  const bent = (z: number) => z - 0.5 * Math.max(0, z - knotTruth);

  it('finds the top tenth overstated and serves it the truth, where a line left it too high', () => {
    const { probs, labels } = rows(200_000, 5, bent);
    const b = fitTopBend(probs, labels);
    expect(b).toBeDefined();
    if (!b) return;
    expect(b.knot).toBeGreaterThan(-2.2);
    expect(b.knot).toBeLessThan(-1.6);
    expect(b.topSlope).toBeLessThan(0.7);
    expect(Math.abs(b.slope - 1)).toBeLessThan(0.1);
    // The riskiest rows' mean served probability against their true one: the bend's within 3 %, the line's over.
    const line = fitRecalibration(probs, labels);
    const top = Array.from(probs).filter((p) => logit(p) > -1.2);
    const mean = (f: (p: number) => number) => top.reduce((t, p) => t + f(p), 0) / top.length;
    const truth = mean((p) => sigmoid(bent(logit(p))));
    expect(Math.abs(mean((p) => bend(p, b)) / truth - 1)).toBeLessThan(0.03);
    expect(mean((p) => recalibrate(p, line)) / truth).toBeGreaterThan(1.1);
  });

  it('leaves a model calibrated at its top alone, within its uncertainty, and stays increasing', () => {
    const { probs, labels } = rows(200_000, 9, (z) => z);
    const b = fitTopBend(probs, labels);
    expect(b).toBeDefined();
    if (!b) return;
    expect(Math.abs(b.topSlope - 1)).toBeLessThan(0.15);
    const grid = Array.from({ length: 200 }, (_, i) => sigmoid(-8 + i * 0.05));
    grid.slice(1).forEach((p, i) => expect(bend(p, b)).toBeGreaterThan(bend(grid[i], b)));
  });

  it('reads no bend without churners above the knot', () => {
    const probs = Float64Array.from({ length: 500 }, (_, i) => sigmoid(-5 + i / 100));
    expect(fitTopBend(probs, new Uint8Array(500))).toBeUndefined();
  });

  it('is applied before the line, which is then fitted on the bent scores', () => {
    const { probs, labels } = rows(100_000, 13, (z) => bent(z) - 0.3);
    const b = fitTopBend(probs, labels);
    const r = fitRecalibration(probs, labels, undefined, b);
    expect(r.bend).toBe(b);
    // The bend already took the top; the line finds the level and a spread of about one.
    expect(Math.abs(r.slope - 1)).toBeLessThan(3 * r.slopeSd + 0.05);
    for (const z of [-5, -3, -1.5, -0.5]) {
      const { slope, shift } = recalibrationLine(z, r);
      expect(sigmoid(slope * z + shift)).toBeCloseTo(recalibrate(sigmoid(z), r), 12);
    }
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

  it('explains exactly on both sides of a bend', () => {
    const withBend = { ...r, bend: { intercept: 0.1, slope: 1.1, topSlope: 0.6, centre: -4, knot: -3, rows: 1000, positives: 40 } };
    const s = recalibratedScorer(scorer, withBend);
    for (const p of [0.01, 0.3]) {
      const e = s.explain(Float64Array.of(p));
      expect(e.probability).toBeCloseTo(recalibrate(p, withBend), 12);
      expect(sigmoid(e.logOdds)).toBeCloseTo(e.probability, 12);
      expect(e.expected + e.contributions.reduce((t, c) => t + c.contribution, 0)).toBeCloseTo(e.logOdds, 12);
    }
  });

  it('is the scorer itself without a recalibration', () => {
    expect(recalibratedScorer(scorer, undefined)).toBe(scorer);
  });
});
