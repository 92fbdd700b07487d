/**
 * A churn model's probabilities checked against churn that came later (logistic recalibration,
 * Cox 1958): logit q = logit p + a + c · (logit p − centre), fitted on rows the model was not
 * fitted to (its out-of-time validation rows). `a` is how far the level is off at the rows' mean
 * log-odds, `c` how far the spread is: a model's top scores are partly luck (it fitted noise as
 * well as risk), so out of time they come out too high and its lowest too low (c < 0), and a
 * population whose churn has moved since the training months moves the level (a ≠ 0).
 *
 * Both are weighed against a stated prior of none (a, c ~ N(0, sd²), the normal posterior by
 * Newton's method): a validation window holds some tens of churners, and a recalibration fitted to
 * them alone would chase their noise. Chosen once, not fitted to any world.
 */

/** The prior's sd of the level shift (log-odds at the centre: e^0.5 = 1.65×) and of the slope's departure from 1. */
export const RECALIBRATION_PRIOR = { interceptSd: 0.5, slopeSd: 0.25 } as const;

/**
 * Where the top's bend starts: the log-odds above which the riskiest tenth of the rows lie. A
 * flexible learner's highest scores are partly luck (it ranked noise as well as risk there), so
 * above about its top tenth its probabilities rise faster than churn does: a line in log-odds fitted
 * to every row leaves that tenth served too high (`model ceiling`, 2026-12-07: the model's top 2 %
 * about 1.2 × the truth even after the best line, docs/models.md). A stated quantile, not fitted.
 */
export const BEND_QUANTILE = 0.9;

/** The prior's sd of the bend's change of slope above the knot (e = −0.5 halves the spread there). */
export const BEND_PRIOR_SD = 0.5;

/** The least slope a bend may keep on either side of its knot: the map stays increasing. */
const MIN_SLOPE = 0.05;

/**
 * The top's bend (JSON-serialisable): logit b = z + a + c · (z − centre) + e · max(0, z − knot),
 * fitted in time on the training rows' held-out probabilities (every training cutoff's churners,
 * some ten times one window's), where the learner's out-of-fold scores show the same flattening at
 * the top (`fitTopBend`). Monotone: both slopes are kept above zero.
 */
export interface TopBend {
  /** a: log-odds added at the centre. */
  readonly intercept: number;
  /** 1 + c: the slope below the knot. */
  readonly slope: number;
  /** 1 + c + e: the slope above it. */
  readonly topSlope: number;
  readonly centre: number;
  readonly knot: number;
  readonly rows: number;
  readonly positives: number;
}

/** A fitted recalibration (JSON-serialisable). */
export interface Recalibration {
  /** a: log-odds added at the centre. */
  readonly intercept: number;
  /** 1 + c: the factor the log-odds' distance from the centre is multiplied by. */
  readonly slope: number;
  /** The rows' mean log-odds. */
  readonly centre: number;
  /** Posterior sds of the intercept and the slope. */
  readonly interceptSd: number;
  readonly slopeSd: number;
  readonly rows: number;
  readonly positives: number;
  /**
   * The top's bend, applied before the line above (whose centre is then the bent log-odds' mean);
   * absent on models trained before it and where the training rows held too few churners to fit it.
   */
  readonly bend?: TopBend;
}

const EPS = 1e-6;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};

/** The bent log-odds of a model's log-odds `z`. */
export function bendLogOdds(z: number, b: TopBend): number {
  return b.centre + b.intercept + b.slope * (z - b.centre) + (b.topSlope - b.slope) * Math.max(0, z - b.knot);
}

/**
 * The recalibration as a line at the model's log-odds `z`: the recalibrated log-odds are
 * `slope · z + shift` there (one line below the bend's knot, another above it), so an explanation's
 * terms can be carried over exactly (`recalibratedScorer`).
 */
export function recalibrationLine(z: number, r: Pick<Recalibration, 'intercept' | 'slope' | 'centre' | 'bend'>): { readonly slope: number; readonly shift: number } {
  let slope = 1;
  let shift = 0;
  const b = r.bend;
  if (b) {
    slope = z > b.knot ? b.topSlope : b.slope;
    shift = bendLogOdds(z, b) - slope * z;
  }
  return { slope: r.slope * slope, shift: r.slope * shift + r.intercept + r.centre * (1 - r.slope) };
}

/** The recalibrated probability of a model's probability `p`. */
export function recalibrate(p: number, r: Pick<Recalibration, 'intercept' | 'slope' | 'centre' | 'bend'>): number {
  const z = r.bend ? bendLogOdds(logit(p), r.bend) : logit(p);
  return 1 / (1 + Math.exp(-(r.centre + r.intercept + r.slope * (z - r.centre))));
}

/** The bent probability of a model's probability `p` (the bend alone, before the line). */
export function bend(p: number, b: TopBend | undefined): number {
  return b ? 1 / (1 + Math.exp(-bendLogOdds(logit(p), b))) : p;
}

/**
 * Fits the top's bend of `probs` (a model's held-out probabilities) against `labels`, each
 * parameter weighed against a prior of none (a, c as the line's, e ~ N(0, BEND_PRIOR_SD²)); the
 * knot at the `BEND_QUANTILE` of the rows' log-odds. Undefined with fewer than 20 rows above the
 * knot or no churner among them: nothing there to read a bend from.
 */
export function fitTopBend(probs: ArrayLike<number>, labels: ArrayLike<number>, prior: { interceptSd: number; slopeSd: number; bendSd: number } = { ...RECALIBRATION_PRIOR, bendSd: BEND_PRIOR_SD }): TopBend | undefined {
  const n = probs.length;
  const z = Float64Array.from({ length: n }, (_, i) => logit(probs[i]));
  const sorted = Float64Array.from(z).sort();
  const knot = sorted[Math.min(n - 1, Math.floor(BEND_QUANTILE * n))];
  let centre = 0;
  let positives = 0;
  let above = 0;
  let topPositives = 0;
  for (let i = 0; i < n; i++) {
    centre += z[i];
    positives += labels[i];
    if (z[i] > knot) {
      above++;
      topPositives += labels[i];
    }
  }
  if (above < 20 || topPositives === 0) return undefined;
  centre /= n;
  const lambda = [1 / prior.interceptSd ** 2, 1 / prior.slopeSd ** 2, 1 / prior.bendSd ** 2];
  const th = [0, 0, 0];
  // Concave in (a, c, e) with the prior keeping it strictly so: plain Newton on a 3 × 3 system.
  for (let iter = 0; iter < 50; iter++) {
    const g = th.map((t, j) => lambda[j] * t);
    const H = [
      [lambda[0], 0, 0],
      [0, lambda[1], 0],
      [0, 0, lambda[2]],
    ];
    for (let i = 0; i < n; i++) {
      const x = [1, z[i] - centre, Math.max(0, z[i] - knot)];
      const q = 1 / (1 + Math.exp(-(z[i] + th[0] * x[0] + th[1] * x[1] + th[2] * x[2])));
      const r = q - labels[i];
      const w = Math.max(q * (1 - q), 1e-12);
      for (let a = 0; a < 3; a++) {
        g[a] += r * x[a];
        for (let b = a; b < 3; b++) H[a][b] += w * x[a] * x[b];
      }
    }
    H[1][0] = H[0][1];
    H[2][0] = H[0][2];
    H[2][1] = H[1][2];
    const step = solve3(H, g);
    for (let j = 0; j < 3; j++) th[j] -= step[j];
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  const slope = Math.max(MIN_SLOPE, 1 + th[1]);
  return { intercept: th[0], slope, topSlope: Math.max(MIN_SLOPE, slope + th[2]), centre, knot, rows: n, positives };
}

/** Solves the 3 × 3 symmetric positive-definite system H x = g (Cramer's rule). */
function solve3(H: readonly (readonly number[])[], g: readonly number[]): number[] {
  const det = (m: readonly (readonly number[])[]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(H);
  return [0, 1, 2].map((j) => det(H.map((row, i) => row.map((v, k) => (k === j ? g[i] : v)))) / d);
}

/** Fits the recalibration of `probs` against `labels` (0/1), weighed against the prior of none; after `topBend` when given. */
export function fitRecalibration(probs: ArrayLike<number>, labels: ArrayLike<number>, prior: { interceptSd: number; slopeSd: number } = RECALIBRATION_PRIOR, topBend?: TopBend): Recalibration {
  const n = probs.length;
  // With a bend, the line is fitted to the bent log-odds: the bend reshapes the top, the line sets the level and spread out of time.
  const z = Float64Array.from({ length: n }, (_, i) => (topBend ? bendLogOdds(logit(probs[i]), topBend) : logit(probs[i])));
  let centre = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    centre += z[i];
    positives += labels[i];
  }
  centre = n > 0 ? centre / n : 0;
  const la = 1 / prior.interceptSd ** 2;
  const lc = 1 / prior.slopeSd ** 2;
  let a = 0;
  let c = 0;
  let h00 = la;
  let h01 = 0;
  let h11 = lc;
  // The objective is concave in (a, c) and the prior keeps it strictly so: plain Newton converges.
  for (let iter = 0; iter < 50; iter++) {
    let g0 = la * a;
    let g1 = lc * c;
    h00 = la;
    h01 = 0;
    h11 = lc;
    for (let i = 0; i < n; i++) {
      const d = z[i] - centre;
      const q = 1 / (1 + Math.exp(-(z[i] + a + c * d)));
      const r = q - labels[i];
      const w = Math.max(q * (1 - q), 1e-12);
      g0 += r;
      g1 += r * d;
      h00 += w;
      h01 += w * d;
      h11 += w * d * d;
    }
    const det = h00 * h11 - h01 * h01;
    const da = (h11 * g0 - h01 * g1) / det;
    const dc = (h00 * g1 - h01 * g0) / det;
    a -= da;
    c -= dc;
    if (Math.abs(da) < 1e-9 && Math.abs(dc) < 1e-9) break;
  }
  const det = h00 * h11 - h01 * h01;
  return { intercept: a, slope: 1 + c, centre, interceptSd: Math.sqrt(h11 / det), slopeSd: Math.sqrt(h00 / det), rows: n, positives, ...(topBend ? { bend: topBend } : {}) };
}
