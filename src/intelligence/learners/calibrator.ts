import type { IsotonicFit } from './isotonic-regression.js';
import { applyIsotonic, fitIsotonic } from './isotonic-regression.js';
import { newtonLogistic } from './logistic-regression.js';
import { stratifiedKFold } from '../evaluation/stratified-folds.js';

/**
 * Maps a model's raw log-odds to a calibrated probability. Platt scaling is affine in log-odds
 * (p = σ(a·z + b)), so explanations stay exact in calibrated log-odds; isotonic is monotone but
 * not affine. JSON-serialisable.
 */
export type Calibrator =
  | { readonly method: 'platt'; readonly a: number; readonly b: number }
  | { readonly method: 'isotonic'; readonly fit: IsotonicFit };

/** Fits a calibrator on out-of-fold (or held-out) raw log-odds and labels. */
export function fitCalibrator(method: Calibrator['method'], logOdds: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  if (method === 'isotonic') return { method, fit: fitIsotonic(logOdds, labels) };
  const X = Float64Array.from(logOdds);
  const beta = newtonLogistic(X, X.length, 1, labels, 1e-6, 50);
  return { method, b: beta[0], a: beta[1] };
}

/** Calibrated probability of the positive class. */
export function calibrate(cal: Calibrator, z: number): number {
  if (cal.method === 'platt') return 1 / (1 + Math.exp(-(cal.a * z + cal.b)));
  return applyIsotonic(cal.fit, z);
}

/**
 * Held-out calibrated probabilities: each row is calibrated by a calibrator fitted on the other
 * folds. Measuring calibration error on these is honest even for isotonic regression, which
 * would look perfect on the very rows it was fitted to.
 */
export function crossFittedCalibration(method: Calibrator['method'], logOdds: ArrayLike<number>, labels: ArrayLike<number>, seed: number, folds = 5): Float64Array {
  const out = new Float64Array(labels.length);
  for (const split of stratifiedKFold(labels, folds, seed)) {
    const cal = fitCalibrator(method, Array.from(split.train, (i) => logOdds[i]), Array.from(split.train, (i) => labels[i]));
    for (const i of split.test) out[i] = calibrate(cal, logOdds[i]);
  }
  return out;
}
