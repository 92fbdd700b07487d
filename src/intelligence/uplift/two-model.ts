import type { FeatureMatrix } from '../tabular/encoder.js';
import type { BoostingOptions } from '../learners/gradient-boosting.js';
import type { BaseLearnerName, Predictor } from './base-learner.js';
import { fitProbability, rowsWhere } from './base-learner.js';

/**
 * Two-model (T-learner) uplift: one outcome model on treated rows, one on control rows; the
 * uplift is the difference of their predicted probabilities.
 */
export function fitTwoModel(
  matrix: FeatureMatrix,
  y: ArrayLike<number>,
  treatment: ArrayLike<number>,
  options: { learner: BaseLearnerName; categoricalLevels: readonly number[]; seed: number; boosting?: BoostingOptions },
): Predictor {
  const fit = (value: number): Predictor => {
    const { matrix: m, index } = rowsWhere(matrix, treatment, value);
    return fitProbability(options.learner, m, index.map((i) => y[i]), options.categoricalLevels, options.seed + value, options.boosting);
  };
  const treated = fit(1);
  const control = fit(0);
  return (x) => {
    const a = treated(x);
    const b = control(x);
    return a.map((v, i) => v - b[i]);
  };
}
