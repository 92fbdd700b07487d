import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { scoreBins } from '../twin-training/score-bins.js';
import { churnInterval, intervalTable } from './score-interval.js';

/** A validation set like a telco's monthly churn: most scores near 0.3 %, a tail up to 40 %, labels drawn from the scores (a calibrated model). */
function validation(rows: number, seed: number): { scores: Float64Array; labels: Uint8Array } {
  const rng = createRng(seed);
  const scores = new Float64Array(rows);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    scores[i] = Math.min(0.4, 0.004 * Math.exp(1.1 * z));
    labels[i] = rng.next() < scores[i] ? 1 : 0;
  }
  return { scores, labels };
}

/** The equal-width table of the same rows, as models recorded it before `scoreBins`. */
function tenths(scores: Float64Array, labels: Uint8Array) {
  const count = new Array<number>(10).fill(0);
  const positives = new Array<number>(10).fill(0);
  scores.forEach((q, i) => {
    const b = Math.min(9, Math.floor(q * 10));
    count[b]++;
    positives[b] += labels[i];
  });
  return { count, positives };
}

describe('churn score intervals', () => {
  const { scores, labels } = validation(60_000, 7);
  const bins = scoreBins(scores, labels);
  const table = intervalTable({ calibration: tenths(scores, labels), scoreBins: bins });

  it('bin the validation rows by equal expected churn, every row once, scores ascending', () => {
    const churners = labels.reduce((s, y) => s + y, 0);
    expect(bins.upper.length).toBe(Math.min(10, Math.floor(churners / 10)));
    expect(bins.count.reduce((s, c) => s + c, 0)).toBe(scores.length);
    expect(bins.positives.reduce((s, c) => s + c, 0)).toBe(churners);
    for (let b = 1; b < bins.upper.length; b++) expect(bins.upper[b]).toBeGreaterThan(bins.upper[b - 1]);
    const share = bins.expected.map((e) => e / bins.expected.reduce((s, x) => s + x, 0));
    for (const s of share) expect(Math.abs(s - 1 / share.length)).toBeLessThan(0.05);
  });

  it('sit around the score, low or high, where the old tenths gave every low score the first tenth\u2019s range', () => {
    for (const p of [0.0024, 0.01, 0.05, 0.3]) {
      const [lo, hi] = churnInterval(table, p);
      expect(lo).toBeLessThanOrEqual(p);
      expect(hi).toBeGreaterThanOrEqual(p);
      // A calibrated model on 60,000 rows: within a factor of two either way.
      expect(lo).toBeGreaterThan(p / 2);
      expect(hi).toBeLessThan(2 * p);
    }
    // The equal-width table (what models recorded before) puts 0.24 % and 5 % in one bin, whose
    // churn rate (about 0.7 %) is then the range of both: over three times the lower score.
    const legacy = intervalTable({ calibration: tenths(scores, labels) });
    expect(churnInterval(legacy, 0.0024)[1]).toBe(churnInterval(legacy, 0.005)[1]);
    expect(churnInterval(legacy, 0.0024)[1]).toBeGreaterThan(3 * 0.0024);
  });

  it('widen where the validation rows hold few churners, and fall back to [p/2, 2p] without any row', () => {
    const few = validation(1_500, 3);
    const small = intervalTable({ calibration: tenths(few.scores, few.labels), scoreBins: scoreBins(few.scores, few.labels) });
    const [lo, hi] = churnInterval(small, 0.004);
    const [wideLo, wideHi] = churnInterval(table, 0.004);
    expect(hi - lo).toBeGreaterThan(wideHi - wideLo);
    expect(churnInterval(intervalTable({ calibration: { count: [0, 0], positives: [0, 0] } }), 0.2)).toEqual([0.1, 0.4]);
  });
});
