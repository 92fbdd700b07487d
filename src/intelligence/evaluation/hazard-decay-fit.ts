import { poissonTrend } from './poisson-trend.js';

/**
 * How a picked group's churn falls after the pick. A simulation holds each twin's hazard, scored
 * from its features now, over the whole horizon; but what made a twin risky now partly wears off
 * (a complaint, an incident, a bill over the allowance: the churn model reads their last 30 or 90
 * days) and the frailest of a group leave first, so the group's churn m months on is below what its
 * scores at the pick said (2026-12-06: the untreated groups of `simulate validate`'s seed 1 and
 * restless-dogs churned at 0.4–0.9× the lab's hazard over the horizon, where a month before the
 * cutoff they had churned as the model said). Read from the model's own training rows: at each of
 * its monthly cutoffs every active twin was scored (by the model recalibrated out of time, as the
 * lab scores), and the churn of those still active m months later within the next horizon (the
 * rows of that later cutoff) is set against what their scores at the pick said; by band of the
 * score at the pick (quartiles: a safe twin's churn falls in proportion as much as a risky one's,
 * or more), a Poisson regression of those churns on m = 1, 2, … gives the band's factor per month.
 * The first month after a pick is the model's own (its out-of-time recalibration sets it), so the
 * fit starts at m = 1. Fitted once with the model and kept in its metadata (`hazardDecay`), so
 * every lab that scores with the model reads the same fall (docs/simulation.md).
 */

/** Bands of the score at the pick: the quartiles of the scores over every cutoff. */
export const DECAY_BANDS = 4;

/** One band's fall per month after the pick (JSON-serialisable). */
export interface DecayBand {
  /** Upper bound of the band's horizon probabilities at the pick (null for the last: no bound; JSON has no Infinity). */
  readonly below: number | null;
  /** The group's churn a month later against the month before, e^β (1: no fall). */
  readonly perMonth: number;
  /** sd of β (the log of `perMonth`). */
  readonly sd: number;
  /** Churners and their expectation from the scores at the pick, over the months fitted (m ≥ 1). */
  readonly churners: number;
  readonly expected: number;
}

/** The history's fall of a picked group's churn, by band of the score at the pick. */
export interface HazardDecay {
  readonly bands: readonly DecayBand[];
  /** Monthly cutoffs it was read over. */
  readonly cutoffs: number;
}

/** Training rows as the fall is read from them: one per (customer, cutoff) the customer was active at. */
export interface DecayRows {
  /** The model's (recalibrated) probability of churn within its horizon at the row's cutoff. */
  readonly probability: ArrayLike<number>;
  /** 1 when the customer churned within the horizon after the row's cutoff. */
  readonly labels: ArrayLike<number>;
  readonly customerIds: readonly string[];
  /** The row's cutoff, 0 … cutoffs − 1 in time order. */
  readonly cutoffIndex: ArrayLike<number>;
  readonly cutoffs: number;
}

/**
 * Fits the fall (see the module comment). Null with fewer than three cutoffs (a month after a pick
 * needs two more). Rows may be a sample of the (customer, cutoff) pairs: a pair counts when both
 * its rows are present, and a customer who left has no later row, so only those still active are
 * at risk, as the lab holds them.
 */
export function fitHazardDecay(rows: DecayRows): HazardDecay | null {
  const K = rows.cutoffs;
  if (K < 3) return null;
  const n = rows.customerIds.length;
  const p = rows.probability;
  // Each customer's row at each cutoff (−1: none, left or not sampled).
  const rowAt = new Map<string, Int32Array>();
  for (let r = 0; r < n; r++) {
    const id = rows.customerIds[r];
    let at = rowAt.get(id);
    if (!at) rowAt.set(id, (at = new Int32Array(K).fill(-1)));
    at[rows.cutoffIndex[r]] = r;
  }
  const sorted = Float64Array.from(p).sort();
  const bounds = Array.from({ length: DECAY_BANDS }, (_, b) => (b === DECAY_BANDS - 1 ? Infinity : sorted[Math.floor(((b + 1) * n) / DECAY_BANDS)] ?? Infinity));
  const bandOf = (q: number) => bounds.findIndex((below) => q < below);
  // Cells m = 1 … K − 1 months after the pick, per band: Σ score at the pick of those still here, and their churners.
  const exposure = bounds.map(() => new Float64Array(K - 1));
  const events = bounds.map(() => new Float64Array(K - 1));
  for (const at of rowAt.values()) {
    for (let k = 0; k < K; k++) {
      const pick = at[k];
      if (pick < 0) continue;
      const b = bandOf(p[pick]);
      for (let m = 1; k + m < K; m++) {
        const later = at[k + m];
        if (later < 0) continue;
        exposure[b][m - 1] += p[pick];
        events[b][m - 1] += rows.labels[later];
      }
    }
  }
  const sum = (xs: Float64Array) => xs.reduce((t, x) => t + x, 0);
  const bands = bounds.map((below, b) => {
    const { beta, sd } = poissonTrend(exposure[b], events[b]);
    return { below: below === Infinity ? null : below, perMonth: Math.exp(beta), sd, churners: sum(events[b]), expected: sum(exposure[b]) };
  });
  return { bands, cutoffs: K };
}
