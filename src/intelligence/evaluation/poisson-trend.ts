/**
 * A Poisson regression on one count covariate: events in cell k ~ Poisson(base × exposure_k × e^(β k)),
 * the base profiled out, by Newton's method. What an incident's effect on churn is read with (k =
 * incidents felt lately) and how a picked group's churn falls month by month (k = months since the
 * pick).
 */

/** β and its standard error (the inverse of the observed information); β 0 ± 5 when the cells cannot tell. */
export interface PoissonTrend {
  readonly beta: number;
  readonly sd: number;
}

/**
 * Fits β to `exposure` and `events` per cell k = 0 … n − 1 (equal lengths). Steps are bounded (a
 * cell with exposure and no event has no finite maximum) and β is kept within ±5.
 */
export function poissonTrend(exposure: ArrayLike<number>, events: ArrayLike<number>): PoissonTrend {
  const n = exposure.length;
  let total = 0;
  let observed = 0;
  for (let k = 0; k < n; k++) {
    total += events[k];
    observed += k * events[k];
  }
  let beta = 0;
  let info = 0;
  for (let it = 0; it < 50; it++) {
    let w = 0;
    let wk = 0;
    let wk2 = 0;
    for (let k = 0; k < n; k++) {
      const x = exposure[k] * Math.exp(beta * k);
      w += x;
      wk += x * k;
      wk2 += x * k * k;
    }
    if (w === 0) break;
    const mean = wk / w;
    info = total * (wk2 / w - mean * mean);
    if (!(info > 0)) break;
    const step = (observed - total * mean) / info;
    beta += Math.max(-1, Math.min(1, step));
    if (Math.abs(step) < 1e-9) break;
  }
  return { beta: Math.max(-5, Math.min(5, beta)), sd: info > 0 ? 1 / Math.sqrt(info) : 5 };
}
