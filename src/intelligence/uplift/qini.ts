/**
 * Qini curve and normalised Qini coefficient, computed as scikit-uplift's `qini_curve`,
 * `perfect_qini_curve` (negative_effect=True) and `qini_auc_score`, and `uplift_at_k`
 * (strategy "overall").
 */

/** Points (x = customers targeted, y = incremental positives) of a Qini curve. */
export interface Curve {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Indices sorted by score descending, as numpy's argsort(kind="mergesort")[::-1] (ties: later row first). */
function descendingOrder(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[a] - scores[b] || a - b);
  return idx.reverse();
}

/**
 * Qini curve: at each distinct-score threshold, treated positives minus control positives scaled
 * by treated/control counts so far; starts at (0, 0).
 */
export function qiniCurve(y: ArrayLike<number>, uplift: ArrayLike<number>, treatment: ArrayLike<number>): Curve {
  const order = descendingOrder(uplift);
  const xs: number[] = [];
  const ys: number[] = [];
  let nT = 0;
  let yT = 0;
  let yC = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (treatment[i] === 1) {
      nT++;
      yT += y[i];
    } else yC += y[i];
    const last = k === order.length - 1 || uplift[order[k + 1]] !== uplift[i];
    if (!last) continue;
    const nAll = k + 1;
    const nC = nAll - nT;
    xs.push(nAll);
    ys.push(yT - (nC !== 0 ? (yC * nT) / nC : 0));
  }
  if (xs.length === 0 || ys[0] !== 0 || xs[0] !== 0) {
    xs.unshift(0);
    ys.unshift(0);
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/** The perfect curve allowing negative effects: ranks by y·t − y·(1 − t). */
export function perfectQiniCurve(y: ArrayLike<number>, treatment: ArrayLike<number>): Curve {
  const perfect = Float64Array.from({ length: y.length }, (_, i) => y[i] * treatment[i] - y[i] * (1 - treatment[i]));
  return qiniCurve(y, perfect, treatment);
}

/** Trapezoidal area under a curve. */
export function trapezoid(c: Curve): number {
  let s = 0;
  for (let k = 1; k < c.x.length; k++) s += ((c.x[k] - c.x[k - 1]) * (c.y[k] + c.y[k - 1])) / 2;
  return s;
}

/** (area(model) − area(random)) / (area(perfect) − area(random)); random is the straight line to the perfect curve's end. */
export function qiniAucScore(y: ArrayLike<number>, uplift: ArrayLike<number>, treatment: ArrayLike<number>): number {
  const actual = qiniCurve(y, uplift, treatment);
  const perfect = perfectQiniCurve(y, treatment);
  const xEnd = perfect.x[perfect.x.length - 1];
  const yEnd = perfect.y[perfect.y.length - 1];
  const baseline = (xEnd * yEnd) / 2;
  return (trapezoid(actual) - baseline) / (trapezoid(perfect) - baseline);
}

/**
 * Uplift in the top k share of all customers by score: treated response rate minus control
 * response rate among them (n = floor(k·N), as scikit-uplift's `uplift_at_k`).
 */
export function upliftAtK(y: ArrayLike<number>, uplift: ArrayLike<number>, treatment: ArrayLike<number>, k: number): number {
  const order = descendingOrder(uplift);
  const n = Math.floor(y.length * k);
  let nT = 0;
  let yT = 0;
  let nC = 0;
  let yC = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (treatment[i] === 1) {
      nT++;
      yT += y[i];
    } else {
      nC++;
      yC += y[i];
    }
  }
  return (nT ? yT / nT : 0) - (nC ? yC / nC : 0);
}
