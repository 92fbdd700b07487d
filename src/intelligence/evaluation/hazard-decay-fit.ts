import { poissonTrend } from './poisson-trend.js';

/**
 * How a picked group's churn runs after the pick. A simulation holds each twin's hazard, scored
 * from its features now, over the whole horizon; but part of a score now is met once or wears off:
 * a twin whose contract ends within the model's window carries the renewal decision in its score
 * (it stays or leaves once, and a stayer is an ordinary twin after it), what else made a twin risky
 * partly fades (a complaint, an incident, a bill over the allowance: the model reads their last 30
 * or 90 days), and the frailest of a group leave first. So a group's churn m months on is below
 * what its scores at the pick said (2026-12-06: the untreated groups of `simulate validate`
 * churned at 0.4–0.9× the lab's hazard over the horizon; on answering-base the riskiest 149 were
 * scored 16.5 % a month, the truth's churn within a month, contract ends included, was 14.5 %, and
 * their hazard without the decision 7.7 %). Read from the model's own training rows: at each of its
 * monthly cutoffs every active twin was scored (by the model recalibrated out of time, as the lab
 * scores), and the churn of those still active m months later within the next horizon (the rows of
 * that later cutoff) is set against what their scores at the pick said, times that later month's
 * churn over every twin against its scores then (a season, a campaign: the calendar's, not the
 * group's). Per cell of the pick (the
 * score's quartile, and whether the contract ends within the horizon: `contractEndsWithin`), a
 * Poisson regression of those churns on m = 1, 2, … gives the cell's level a month on and its
 * change per month after that, each weighed against a stated prior of none (`DECAY_PRIOR`). The
 * first month after a pick is the model's own (its out-of-time recalibration sets it). Fitted once
 * with the model and kept in its metadata (`hazardDecay`), so every lab that scores with the model
 * reads the same fall (docs/simulation.md).
 */

/**
 * Bands of the score at the pick, by the quantiles of the scores over every cutoff that end them:
 * quartiles, with the top quartile cut at 0.9 and 0.95 too. A campaign picks the riskiest 5–20 %,
 * whose scores are the most inflated by luck and by one-off risks, and a quartile of every twin
 * above 4.8 % (answering-base) averaged them with twins scored half as high.
 */
export const DECAY_QUANTILES = [0.25, 0.5, 0.75, 0.9, 0.95] as const;
/** How many bands of the score (the last has no upper bound). */
export const DECAY_BANDS = DECAY_QUANTILES.length + 1;

/**
 * The stated priors a cell's fit is weighed against, chosen once and not fitted to any world: its
 * level a month on is a factor of mean 1 and relative sd 0.3 (a gamma prior of shape 1 / 0.3² ≈ 11
 * churners' worth of evidence, as a scenario group's level check states it), its change per month
 * after that a log-slope ~ N(0, 0.1²) (10 % a month is already a steep fall). A cell of a handful
 * of churners keeps about the model's level and no trend.
 */
export const DECAY_PRIOR = { levelSd: 0.3, slopeSd: 0.1 } as const;

/** One cell's churn after the pick (JSON-serialisable). */
export interface DecayBand {
  /** Upper bound of the band's horizon probabilities at the pick (null for the last: no bound; JSON has no Infinity). */
  readonly below: number | null;
  /**
   * The twins whose contract ends within the model's horizon at the pick (`contractEndsWithin`):
   * their score holds the renewal decision, which they meet once; absent on a fall read before
   * the cells were split (then false).
   */
  readonly contractEnds?: boolean;
  /**
   * The cell's churn a month after the pick against what its scores said (shrunk toward 1 by
   * `DECAY_PRIOR`): the level from the second month on. Absent on a fall read before it (then `perMonth`).
   */
  readonly level?: number;
  /** The churn a month later against the month before, from the second month on, e^β (1: no fall; β shrunk toward 0 by `DECAY_PRIOR`). */
  readonly perMonth: number;
  /** sd of β (the log of `perMonth`) before shrinking. */
  readonly sd: number;
  /** Churners and their expectation from the scores at the pick (each in the month it lands in: see `fitHazardDecay`), over the months fitted (m ≥ 1). */
  readonly churners: number;
  readonly expected: number;
}

/** The history's fall of a picked group's churn, by cell of the pick (the bands of the score, without and then with a contract ending). */
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
  /** 1 when the row's contract ends within the horizon at its cutoff (`contractEndsWithin`); absent: none does. */
  readonly contractEnds?: ArrayLike<number>;
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
  const bounds = [...DECAY_QUANTILES.map((q) => sorted[Math.floor(q * n)] ?? Infinity), Infinity];
  // Cells: the score's band, and whether the contract ends within the horizon (the second half).
  const cellOf = (r: number) => bounds.findIndex((below) => p[r] < below) + (rows.contractEnds?.[r] ? DECAY_BANDS : 0);
  // How every active twin churned at each cutoff against its score then (Σ labels / Σ scores): the
  // history's own months, above 1 while a campaign, a price rise or a season made everybody churn
  // more. A pick's later churn is read against that month's, so a fall after the pick is the
  // group's own and not the calendar's: a pilot's contacts and the operator's price rise raised
  // every twin's churn in the months before the cutoff (restless-dogs: × 1.10–1.37 a month on in
  // every band, 2026-12-06), and the lab then held the future that high. The future's month is the
  // latest's, which the out-of-time recalibration sets.
  const labelsAt = new Float64Array(K);
  const scoresAt = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    labelsAt[rows.cutoffIndex[r]] += rows.labels[r];
    scoresAt[rows.cutoffIndex[r]] += p[r];
  }
  const month = Array.from(labelsAt, (l, k) => (scoresAt[k] > 0 && l > 0 ? l / scoresAt[k] : 1));
  // Per cell, months m = 1 … K − 1 after the pick: Σ score at the pick of those still here (times
  // their later month's level), and their churners.
  const exposure = Array.from({ length: 2 * DECAY_BANDS }, () => new Float64Array(K - 1));
  const events = Array.from({ length: 2 * DECAY_BANDS }, () => new Float64Array(K - 1));
  for (const at of rowAt.values()) {
    for (let k = 0; k < K; k++) {
      const pick = at[k];
      if (pick < 0) continue;
      const c = cellOf(pick);
      for (let m = 1; k + m < K; m++) {
        const later = at[k + m];
        if (later < 0) continue;
        exposure[c][m - 1] += p[pick] * month[k + m];
        events[c][m - 1] += rows.labels[later];
      }
    }
  }
  const sum = (xs: Float64Array) => xs.reduce((t, x) => t + x, 0);
  const alpha = 1 / DECAY_PRIOR.levelSd ** 2;
  const bands = exposure.map((x, c) => {
    // The change per month from the second month on (index 0 is a month after the pick), shrunk
    // toward none; then the level a month on, given it, shrunk toward the model's.
    const trend = poissonTrend(x, events[c]);
    // A cell of a few churners in one month or two cannot tell a slope: its sd is capped at poissonTrend's "cannot tell" 5.
    const t = { beta: trend.beta, sd: Math.min(5, trend.sd) };
    const beta = t.beta / (1 + (t.sd / DECAY_PRIOR.slopeSd) ** 2);
    let trended = 0;
    x.forEach((e, k) => (trended += e * Math.exp(beta * k)));
    const churners = sum(events[c]);
    const below = bounds[c % DECAY_BANDS];
    return { below: below === Infinity ? null : below, contractEnds: c >= DECAY_BANDS, level: (alpha + churners) / (alpha + trended), perMonth: Math.exp(beta), sd: t.sd, churners, expected: sum(x) };
  });
  return { bands, cutoffs: K };
}
