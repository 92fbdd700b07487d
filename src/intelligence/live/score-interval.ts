import type { ChurnModelMetadata } from '../twin-training/train-churn-from-twins.js';
import { gammaInterval, Z95 } from '../evaluation/posterior-interval.js';

/** Wilson score interval of k successes in n trials: well-behaved for small n and rates near 0. */
export function wilson(k: number, n: number, z = Z95): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * How a churn score's interval is read, per bin of validation scores (ascending `upper` edges):
 * - `ratio` (models with `scoreBins`): the 95 % interval of the ratio of churners observed to
 *   churners expected among the validation customers scored like this one (Gamma posterior of a
 *   Poisson count with a Jeffreys prior), applied to the score itself: the score's plausible range
 *   if the model is as well or as badly calibrated near it as it was on the validation rows;
 * - `rate` (older models, tenths of [0, 1]): the 95 % Wilson interval of the bin's observed churn rate.
 */
export interface ScoreIntervalTable {
  readonly kind: 'ratio' | 'rate';
  readonly upper: Float64Array;
  readonly low: Float64Array;
  readonly high: Float64Array;
}

/** The interval table of a model from its validation rows (see `ScoreIntervalTable`). */
export function intervalTable(metadata: Pick<ChurnModelMetadata, 'calibration' | 'scoreBins'>): ScoreIntervalTable {
  const bins = metadata.scoreBins;
  if (bins) {
    const low = new Float64Array(bins.upper.length);
    const high = new Float64Array(bins.upper.length);
    bins.upper.forEach((_, b) => {
      if (!(bins.expected[b] > 0)) {
        [low[b], high[b]] = [Number.NaN, Number.NaN];
        return;
      }
      const r = gammaInterval(bins.positives[b] + 0.5, bins.expected[b], Z95);
      [low[b], high[b]] = [r.low, r.high];
    });
    return { kind: 'ratio', upper: Float64Array.from(bins.upper), low, high };
  }
  const t = metadata.calibration;
  const n = t.count.length;
  const cells = t.count.map((c, b) => (c > 0 ? wilson(t.positives[b], c) : [Number.NaN, Number.NaN]));
  return { kind: 'rate', upper: Float64Array.from({ length: n }, (_, b) => (b + 1) / n), low: Float64Array.from(cells, (c) => c[0]), high: Float64Array.from(cells, (c) => c[1]) };
}

/**
 * A churn probability's plausible range from the model's validation rows (see
 * `ScoreIntervalTable`), widened to contain the score itself. A bin no validation row fell in
 * gives [p/2, 2p] (capped to [0, 1]).
 */
export function churnInterval(table: ScoreIntervalTable, p: number): [number, number] {
  const out = new Float64Array(2);
  churnIntervalInto(table, p, out);
  return [out[0], out[1]];
}

/** `churnInterval` written into `out` ([low, high]) without allocating: the live hot path. */
export function churnIntervalInto(table: ScoreIntervalTable, p: number, out: Float64Array): void {
  const n = table.upper.length;
  let b = 0;
  while (b < n - 1 && p > table.upper[b]) b++;
  const lo = table.low[b];
  const hi = table.high[b];
  if (n === 0 || Number.isNaN(lo)) {
    out[0] = p / 2;
    out[1] = Math.min(1, 2 * p);
    return;
  }
  if (table.kind === 'ratio') {
    out[0] = Math.min(p, p * lo);
    out[1] = Math.min(1, Math.max(p, p * hi));
    return;
  }
  out[0] = Math.min(p, lo);
  out[1] = Math.max(p, hi);
}
