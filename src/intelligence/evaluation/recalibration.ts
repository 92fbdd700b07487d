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
}

const EPS = 1e-6;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};

/** The recalibrated probability of a model's probability `p`. */
export function recalibrate(p: number, r: Pick<Recalibration, 'intercept' | 'slope' | 'centre'>): number {
  const z = logit(p);
  return 1 / (1 + Math.exp(-(r.centre + r.intercept + r.slope * (z - r.centre))));
}

/** Fits the recalibration of `probs` against `labels` (0/1), weighed against the prior of none. */
export function fitRecalibration(probs: ArrayLike<number>, labels: ArrayLike<number>, prior: { interceptSd: number; slopeSd: number } = RECALIBRATION_PRIOR): Recalibration {
  const n = probs.length;
  const z = Float64Array.from({ length: n }, (_, i) => logit(probs[i]));
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
  return { intercept: a, slope: 1 + c, centre, interceptSd: Math.sqrt(h11 / det), slopeSd: Math.sqrt(h00 / det), rows: n, positives };
}
