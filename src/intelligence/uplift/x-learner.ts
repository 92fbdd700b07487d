import type { FeatureMatrix } from '../tabular/encoder.js';
import type { BoostingOptions } from '../learners/gradient-boosting.js';
import type { BaseLearnerName, Predictor } from './base-learner.js';
import { fitProbability, fitRegression, rowsWhere } from './base-learner.js';

/**
 * X-learner (Künzel et al. 2019). Stage 1 fits outcome models μ0, μ1; stage 2 regresses the
 * imputed effects D1 = y − μ0(x) on treated rows and D0 = μ1(x) − y on control rows; the two
 * effect models are mixed with the propensity g (the treated share, constant in a randomised
 * test): τ(x) = g·τ0(x) + (1 − g)·τ1(x).
 */
export function fitXLearner(
  matrix: FeatureMatrix,
  y: ArrayLike<number>,
  treatment: ArrayLike<number>,
  options: { outcomeLearner: BaseLearnerName; categoricalLevels: readonly number[]; seed: number; boosting?: BoostingOptions },
): Predictor {
  const t = rowsWhere(matrix, treatment, 1);
  const c = rowsWhere(matrix, treatment, 0);
  const yT = t.index.map((i) => y[i]);
  const yC = c.index.map((i) => y[i]);
  const mu1 = fitProbability(options.outcomeLearner, t.matrix, yT, options.categoricalLevels, options.seed + 1, options.boosting);
  const mu0 = fitProbability(options.outcomeLearner, c.matrix, yC, options.categoricalLevels, options.seed, options.boosting);
  const d1 = mu0(t.matrix).map((m, k) => yT[k] - m);
  const d0 = mu1(c.matrix).map((m, k) => m - yC[k]);
  // Effects are small and noisy: shallow, heavily regularised trees avoid chasing noise.
  const stage2: BoostingOptions = { maxLeaves: 4, minSamplesLeaf: 100, learningRate: 0.05, ...options.boosting };
  const tau1 = fitRegression(t.matrix, d1, options.seed + 3, stage2);
  const tau0 = fitRegression(c.matrix, d0, options.seed + 2, stage2);
  const g = t.index.length / matrix.rows;
  return (x) => {
    const a = tau0(x);
    const b = tau1(x);
    return a.map((v, i) => g * v + (1 - g) * b[i]);
  };
}
