import { pearson, spearman } from '../intelligence/evaluation/spearman.js';
import { qiniAucScore } from '../intelligence/uplift/qini.js';

/** Pearson correlation; 0 when either side is constant (no ranking to agree with). */
export function pearsonOrZero(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const r = pearson(a, b);
  return Number.isFinite(r) ? r : 0;
}

/** Spearman rank correlation; 0 when either side is constant. */
export function spearmanOrZero(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const r = spearman(a, b);
  return Number.isFinite(r) ? r : 0;
}

/**
 * Normalised Qini coefficient of estimated churn changes. The Qini counts *good* outcomes and
 * ranks by the uplift *in* them, so both signs are flipped here: the outcome is "stayed"
 * (1 − churned) and the score is the predicted drop in churn (−estimate). A model that ranks the
 * customers the offer keeps first then scores above 0.
 */
export function retentionQini(estimatedChurnChange: ArrayLike<number>, churned: ArrayLike<number>, treated: ArrayLike<number>): number {
  const stayed = Array.from(churned, (c) => 1 - c);
  const retentionUplift = Array.from(estimatedChurnChange, (u) => -u);
  return qiniAucScore(stayed, retentionUplift, treated);
}

/** How often a hidden type turns up in a model's chosen tail, against its share of everyone. */
export interface TailFinding {
  /** Customers in the tail (10 % of the rows, rounded down). */
  readonly customers: number;
  /** Share of the tail of the type. */
  readonly share: number;
  /** Share of all rows of the type. */
  readonly populationShare: number;
  /** share / populationShare: 1 is what picking at random finds. */
  readonly lift: number;
}

/**
 * The share of a type among the `fraction` of rows with the highest scores. Ties at the cut are
 * broken by row order (stable), which random-looking rows make harmless.
 */
export function typeShareInTop(scores: ArrayLike<number>, isType: ArrayLike<boolean>, fraction: number): TailFinding {
  const n = scores.length;
  const k = Math.max(1, Math.floor(n * fraction));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  let inTail = 0;
  for (let r = 0; r < k; r++) if (isType[order[r]]) inTail++;
  let all = 0;
  for (let i = 0; i < n; i++) if (isType[i]) all++;
  const share = inTail / k;
  const populationShare = all / n;
  return { customers: k, share, populationShare, lift: populationShare > 0 ? share / populationShare : 0 };
}
