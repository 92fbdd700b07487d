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

/** One bin of a reliability diagram: rows, their mean predicted probability and their observed positive rate. */
export interface ReliabilityBin {
  readonly rows: number;
  readonly predicted: number;
  readonly observed: number;
}

/**
 * The reliability diagram's points: the rows sorted by predicted probability and cut into `bins`
 * bins of (nearly) equal size, each with its mean prediction and observed rate. Equal-count bins,
 * not equal-width ones: churn probabilities crowd near zero, where equal-width bins put nearly
 * every row in the first bin and show nothing.
 */
export function reliabilityBins(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[a] - probabilities[b]);
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const from = Math.floor((b * n) / bins);
    const to = Math.floor(((b + 1) * n) / bins);
    if (to <= from) continue;
    let p = 0;
    let y = 0;
    for (let k = from; k < to; k++) {
      p += probabilities[order[k]];
      y += labels[order[k]];
    }
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    out.push({ rows: to - from, predicted: round(p / (to - from)), observed: round(y / (to - from)) });
  }
  return out;
}
