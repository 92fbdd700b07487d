import { DAY_MS } from '../domain/time.js';
import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';
import { buildTwinTrainingSet } from '../intelligence/twin-training/twin-training-set.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../twin/twin-features.js';
import { poissonTrend } from './poisson-trend.js';

/**
 * How a picked group's churn falls after the pick. The lab holds each twin's hazard, scored from
 * its features now, over the whole horizon; but what made a twin risky now partly wears off (a
 * complaint, an incident, a bill over the allowance: the churn model reads their last 30 or 90
 * days) and the frailest of a group leave first, so the group's churn m months on is below what
 * its scores at the pick said (2026-12-06: the untreated groups of seed 1 and restless-dogs churned
 * at 0.4–0.9× the lab's hazard over the horizon, where a month before the cutoff they had churned
 * as the model said). Read from the operator's own history: at each of the churn model's monthly
 * cutoffs, every active twin scored then (the lab's scorer), and the churn of those still active
 * m months later within the next 30 days (the training rows of that later cutoff), against what
 * their scores at the pick said; by band of the score at the pick (quartiles: a safe twin's churn
 * falls in proportion as much as a risky one's, or more), a Poisson regression of those churns on
 * m = 1, 2, … gives the band's factor per month. The first month after a pick is the model's own
 * (its out-of-time recalibration sets it), so the fit starts at m = 1.
 */

/** Bands of the score at the pick: the quartiles of the scores over every cutoff. */
export const DECAY_BANDS = 4;

/** One band's fall per month after the pick. */
export interface DecayBand {
  /** Upper bound of the band's 30-day probabilities at the pick (Infinity for the last). */
  readonly below: number;
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

/**
 * Reads the fall from the event log at the churn model's training cutoffs (`buildTwinTrainingSet`:
 * the leakage-free rows it was trained on), scored by `scorer`; `twins` bounds the customers of
 * any cutoff (the engine's size). Null with fewer than three cutoffs (a month after a pick needs
 * two more).
 */
export async function hazardDecay(store: Parameters<typeof buildTwinTrainingSet>[0], model: { readonly horizonDays: number; readonly trainingWindow: { readonly cutoffs: readonly string[] } }, scorer: ChurnScorer, twins: number): Promise<HazardDecay | null> {
  const cutoffs = model.trainingWindow.cutoffs.map((c) => Date.parse(c));
  const K = cutoffs.length;
  if (K < 3) return null;
  const set = await buildTwinTrainingSet(store, { cutoffs, horizonMs: model.horizonDays * DAY_MS, maxRows: Math.max(1, twins) * K });
  const to = set.featureNames.map((n) => FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]));
  const n = set.matrix.rows;
  const p = new Float64Array(n);
  const f = new Float64Array(FEATURE_COUNT);
  // Each customer's row at each cutoff (none once it has left).
  const rowAt = new Map<string, Int32Array>();
  for (let r = 0; r < n; r++) {
    f.fill(0);
    for (let k = 0; k < to.length; k++) if (to[k] >= 0) f[to[k]] = set.matrix.data[r * set.matrix.cols + k];
    p[r] = scorer.probability(f);
    const id = set.customerIds[r];
    let rows = rowAt.get(id);
    if (!rows) rowAt.set(id, (rows = new Int32Array(K).fill(-1)));
    rows[set.cutoffIndex[r]] = r;
  }
  const sorted = Float64Array.from(p).sort();
  const bounds = Array.from({ length: DECAY_BANDS }, (_, b) => (b === DECAY_BANDS - 1 ? Infinity : sorted[Math.floor(((b + 1) * n) / DECAY_BANDS)] ?? Infinity));
  const bandOf = (q: number) => bounds.findIndex((below) => q < below);
  // Cells m = 1 … K − 1 months after the pick, per band: Σ score at the pick of those still here, and their churners.
  const exposure = bounds.map(() => new Float64Array(K - 1));
  const events = bounds.map(() => new Float64Array(K - 1));
  for (const rows of rowAt.values()) {
    for (let k = 0; k < K; k++) {
      const pick = rows[k];
      if (pick < 0) continue;
      const b = bandOf(p[pick]);
      for (let m = 1; k + m < K; m++) {
        const later = rows[k + m];
        if (later < 0) break;
        exposure[b][m - 1] += p[pick];
        events[b][m - 1] += set.labels[later];
      }
    }
  }
  const sum = (xs: Float64Array) => xs.reduce((t, x) => t + x, 0);
  const bands = bounds.map((below, b) => {
    const { beta, sd } = poissonTrend(exposure[b], events[b]);
    return { below, perMonth: Math.exp(beta), sd, churners: sum(events[b]), expected: sum(exposure[b]) };
  });
  return { bands, cutoffs: K };
}

/**
 * A group's hazard level over a horizon of `months` under the fall: each twin's factor is the mean
 * over the months of its band's perMonth^m (m = 0 the first month), the twins weighed by their
 * monthly hazards (the churners they stand for). 1 for an empty group.
 */
export function decayLevel(decay: HazardDecay, probabilities: readonly number[], hazards: readonly number[], months: number): number {
  let num = 0;
  let den = 0;
  probabilities.forEach((q, i) => {
    const band = decay.bands.find((b) => q < b.below) ?? decay.bands[decay.bands.length - 1];
    let f = 0;
    for (let m = 0; m < months; m++) f += band.perMonth ** m;
    num += hazards[i] * (f / months);
    den += hazards[i];
  });
  return den > 0 ? num / den : 1;
}
