import type { ChurnModelMetadata } from '../twin-training/train-churn-from-twins.js';
import { bendLogOdds, RECALIBRATION_PRIOR, type TopBend } from '../evaluation/recalibration.js';
import { Z90 } from '../evaluation/posterior-interval.js';

/**
 * The sd, in log-odds, of a customer's true churn probability around the calibrated probability
 * its events give (decision 0030). Customers who look alike differ in what no event shows (how
 * frail, how strained, how they answer contact) and the model ranks the observables imperfectly,
 * so among customers served 5 % some truly have 1 % and some 20 %. One churn label per customer
 * cannot measure this spread (a label's mean is the served probability whatever the spread): it is
 * stated here, and `model ceiling` checks it against the sandbox's true probabilities. There the
 * truth lies 1.25-1.39 log-odds (sd) from the served score on the small world (seeds 1-2, a model
 * of 1,000 customers) and 0.98 on the default world (seed 1); 1.3 holds the truth in the 90 %
 * interval on 89 % of the small world's validation rows and 97 % of the default's (BENCHMARKS.md):
 * at least what the label says where the model knows least, wider than it needs where it knows most.
 */
export const CUSTOMER_LOGIT_SD = 1.3;

/**
 * How far the served probability itself may be off, per score, in log-odds (the model's level):
 * - `recalibration` (models with `outOfTime`): the posterior sds of the out-of-time recalibration's
 *   level and slope, sd² = interceptSd² + (logit raw − centre)² · slopeSd²;
 * - `bins` (older models with `scoreBins`): 1 / √(churners + ½) of the validation bin the score falls
 *   in, the sd of the log of its observed / expected ratio;
 * - `prior` (neither): the recalibration prior's level sd, what the level is weighed against unmeasured.
 */
export type ChurnLevel =
  | { readonly kind: 'recalibration'; readonly centre: number; readonly interceptSd: number; readonly slopeSd: number; readonly bend?: TopBend }
  | { readonly kind: 'bins'; readonly upper: Float64Array; readonly sd: Float64Array }
  | { readonly kind: 'prior'; readonly sd: number };

/** The level uncertainty a model's metadata records (see `ChurnLevel`). */
export function churnLevel(metadata: Pick<ChurnModelMetadata, 'outOfTime' | 'scoreBins'>): ChurnLevel {
  const r = metadata.outOfTime;
  if (r) return { kind: 'recalibration', centre: r.centre, interceptSd: r.interceptSd, slopeSd: r.slopeSd, ...(r.bend ? { bend: r.bend } : {}) };
  const bins = metadata.scoreBins;
  if (bins && bins.upper.length > 0) return { kind: 'bins', upper: Float64Array.from(bins.upper), sd: Float64Array.from(bins.positives, (k) => 1 / Math.sqrt(k + 0.5)) };
  return { kind: 'prior', sd: RECALIBRATION_PRIOR.interceptSd };
}

const EPS = 1e-9;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
const expit = (z: number) => 1 / (1 + Math.exp(-z));

/** The level's sd at the model's own probability `raw`. */
export function levelSd(level: ChurnLevel, raw: number): number {
  if (level.kind === 'prior') return level.sd;
  if (level.kind === 'recalibration') {
    // The line's centre is on the bent log-odds when the recalibration has a bend.
    const d = (level.bend ? bendLogOdds(logit(raw), level.bend) : logit(raw)) - level.centre;
    return Math.sqrt(level.interceptSd * level.interceptSd + d * d * level.slopeSd * level.slopeSd);
  }
  const n = level.upper.length;
  let b = 0;
  while (b < n - 1 && raw > level.upper[b]) b++;
  return level.sd[b];
}

/**
 * The customers served `p` hold true probabilities spread around it: logit-normal with sd
 * CUSTOMER_LOGIT_SD, whose mean is `p` (the calibrated probability is what they churn at on
 * average). Its median lies below `p` when p < ½: a few of them carry most of the risk. The
 * table holds median − logit p over logit p on a grid (Newton on the mean, the normal integrated on
 * a fine grid), read by linear interpolation; beyond the grid the edge value holds (±σ²/2).
 */
const GRID = { from: -16, to: 16, step: 1 / 16 } as const;
const MEDIAN_SHIFT = (() => {
  const s = CUSTOMER_LOGIT_SD;
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let x = -8; x <= 8 + 1e-9; x += 0.05) {
    nodes.push(x);
    weights.push(Math.exp(-x * x / 2));
  }
  const total = weights.reduce((a, w) => a + w, 0);
  const n = Math.round((GRID.to - GRID.from) / GRID.step) + 1;
  const shift = new Float64Array(n);
  let mu = GRID.from;
  for (let i = 0; i < n; i++) {
    const target = expit(GRID.from + i * GRID.step);
    for (let iter = 0; iter < 30; iter++) {
      let m = 0;
      let dm = 0;
      for (let k = 0; k < nodes.length; k++) {
        const q = expit(mu + s * nodes[k]);
        m += weights[k] * q;
        dm += weights[k] * q * (1 - q);
      }
      const step = (m / total - target) / (dm / total);
      mu -= step;
      if (Math.abs(step) < 1e-10) break;
    }
    shift[i] = mu - (GRID.from + i * GRID.step);
  }
  return shift;
})();

function medianShift(z: number): number {
  const x = (Math.min(GRID.to, Math.max(GRID.from, z)) - GRID.from) / GRID.step;
  const i = Math.min(MEDIAN_SHIFT.length - 2, Math.floor(x));
  const t = x - i;
  return MEDIAN_SHIFT[i] * (1 - t) + MEDIAN_SHIFT[i + 1] * t;
}

/**
 * A customer's 90 % churn interval (decision 0030): where the customer's own probability lies,
 * given the probability served `point` (calibrated) and the model's own probability `raw` (its
 * level's uncertainty is read there). The customers served `point` are spread around it
 * (CUSTOMER_LOGIT_SD, mean `point`), and the served level itself is uncertain (`levelSd`): the
 * interval is the 5 % and 95 % points of logit-normal with the spread's median and both sds
 * combined. The point lies strictly inside (the mean of a logit-normal of sd below 3.3 lies between
 * its 5 % and 95 % points), below the middle on the log scale for low probabilities.
 */
export function churnInterval(level: ChurnLevel, raw: number, point = raw): [number, number] {
  const out = new Float64Array(2);
  churnIntervalInto(level, raw, point, out);
  return [out[0], out[1]];
}

/** `churnInterval` written into `out` ([low, high]) without allocating: the live hot path. */
export function churnIntervalInto(level: ChurnLevel, raw: number, point: number, out: Float64Array): void {
  const z = logit(point);
  const median = z + medianShift(z);
  const l = levelSd(level, raw);
  const half = Z90 * Math.sqrt(CUSTOMER_LOGIT_SD * CUSTOMER_LOGIT_SD + l * l);
  out[0] = expit(median - half);
  out[1] = expit(median + half);
}
