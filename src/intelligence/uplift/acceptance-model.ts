import type { FeatureMatrix } from '../tabular/encoder.js';
import { fitProbability, type BaseLearnerName } from './base-learner.js';

/** Fewer answers than this and a per-customer model is noise: the pooled rate is used instead. */
export const MIN_ANSWERS_FOR_MODEL = 60;

/** Predicts, per customer, the probability that an offer is accepted when presented. */
export interface AcceptanceEstimate {
  /** Probability of acceptance for each row of a feature matrix laid out like the training rows. */
  predict(matrix: FeatureMatrix): Float64Array;
  /** Accepted share among the answers it was fitted on. */
  readonly pooledRate: number;
  readonly answers: number;
  readonly learner: BaseLearnerName | 'pooled';
}

/**
 * Fits acceptance of one offer from presented-offer answers (1 accepted, 0 declined). Acceptance
 * is observed at once and far more often than churn, so it carries much more per-customer signal
 * than churn outcomes do; with few answers it falls back to the pooled rate.
 */
export function fitAcceptance(matrix: FeatureMatrix, accepted: Uint8Array, options: { seed: number; learner?: BaseLearnerName }): AcceptanceEstimate {
  const n = matrix.rows;
  let yes = 0;
  for (let i = 0; i < n; i++) yes += accepted[i];
  const pooledRate = n ? yes / n : 0;
  if (n < MIN_ANSWERS_FOR_MODEL || yes < 5 || n - yes < 5) {
    return { predict: (m) => new Float64Array(m.rows).fill(pooledRate), pooledRate, answers: n, learner: 'pooled' };
  }
  const learner = options.learner ?? 'logistic';
  const model = fitProbability(learner, matrix, accepted, new Array<number>(matrix.cols).fill(0), options.seed, { maxLeaves: 8, minSamplesLeaf: 40 });
  return { predict: model, pooledRate, answers: n, learner };
}
