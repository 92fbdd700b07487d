/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function closest (in
 * squared error) to the labels ordered by score. Stored as block breakpoints; values between them
 * are linearly interpolated (as scikit-learn's IsotonicRegression does) and clipped at the ends.
 */
export interface IsotonicFit {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** Fits the monotone map score → probability. */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): IsotonicFit {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const bx: number[] = [];
  const bxMax: number[] = [];
  const by: number[] = [];
  const bw: number[] = [];
  for (const i of order) {
    bx.push(scores[i]);
    bxMax.push(scores[i]);
    by.push(labels[i]);
    bw.push(1);
    while (by.length > 1 && by[by.length - 2] >= by[by.length - 1]) {
      const w = bw[bw.length - 2] + bw[bw.length - 1];
      const y = (by[by.length - 2] * bw[bw.length - 2] + by[by.length - 1] * bw[bw.length - 1]) / w;
      const hi = bxMax[bxMax.length - 1];
      by.pop();
      bw.pop();
      bx.pop();
      bxMax.pop();
      by[by.length - 1] = y;
      bw[bw.length - 1] = w;
      bxMax[bxMax.length - 1] = hi;
    }
  }
  // Each block contributes its two ends, so interpolation is flat inside a block.
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < by.length; k++) {
    x.push(bx[k]);
    y.push(by[k]);
    if (bxMax[k] > bx[k]) {
      x.push(bxMax[k]);
      y.push(by[k]);
    }
  }
  return { x, y };
}

/** Applies the fitted map to one score. */
export function applyIsotonic(fit: IsotonicFit, s: number): number {
  const { x, y } = fit;
  if (x.length === 0) return 0.5;
  if (s <= x[0]) return y[0];
  if (s >= x[x.length - 1]) return y[y.length - 1];
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= s) lo = mid;
    else hi = mid;
  }
  const t = x[hi] === x[lo] ? 0 : (s - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}
