/**
 * Expected calibration error with equal-width probability bins: the row-weighted mean gap between
 * the mean predicted probability and the observed positive rate in each bin.
 */
export function expectedCalibrationError(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): number {
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probabilities[i] * bins));
    sumP[b] += probabilities[i];
    sumY[b] += labels[i];
    count[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += Math.abs(sumP[b] - sumY[b]);
  return ece / labels.length;
}

/** Mean log-loss, clipping probabilities away from 0 and 1. */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]));
    s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / labels.length;
}
