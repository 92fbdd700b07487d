import type { CalibrationTable } from '../twin-training/train-churn-from-twins.js';

/** z for a two-sided 95 % interval. */
const Z95 = 1.96;

/** Wilson score interval of k successes in n trials: well-behaved for small n and rates near 0. */
export function wilson(k: number, n: number, z = Z95): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The Wilson interval of the observed churn rate in each probability bin of the validation rows. */
export function intervalTable(table: CalibrationTable): [number, number][] {
  return table.count.map((n, b) => wilson(table.positives[b], n));
}

/**
 * A churn probability's plausible range: the observed churn rate (95 % Wilson interval) among
 * validation customers scored in the same tenth of [0, 1], widened to contain the score itself.
 * A bin nobody fell in gives [p/2, 2p] (capped to [0, 1]).
 */
export function churnInterval(table: readonly (readonly [number, number])[], p: number): [number, number] {
  const out = new Float64Array(2);
  churnIntervalInto(table, p, out);
  return [out[0], out[1]];
}

/** `churnInterval` written into `out` ([low, high]) without allocating: the live hot path. */
export function churnIntervalInto(table: readonly (readonly [number, number])[], p: number, out: Float64Array): void {
  const bins = table.length;
  const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
  const cell = table[b];
  if (!cell || (cell[0] === 0 && cell[1] === 1)) {
    out[0] = p / 2;
    out[1] = Math.min(1, 2 * p);
    return;
  }
  out[0] = Math.min(p, cell[0]);
  out[1] = Math.max(p, cell[1]);
}
