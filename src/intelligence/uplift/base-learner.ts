import type { FeatureMatrix } from '../tabular/encoder.js';
import { fitLogistic, logisticLogOdds } from '../learners/logistic-regression.js';
import { fitBoosting } from '../learners/gradient-boosting.js';
import type { BoostingOptions } from '../learners/gradient-boosting.js';
import { packForest, predictPacked } from '../learners/packed-forest.js';

/** The learners the uplift methods are built from. */
export type BaseLearnerName = 'logistic' | 'gbdt';

/** A fitted predictor: probabilities (binary) or values (regression) for a matrix. */
export type Predictor = (matrix: FeatureMatrix) => Float64Array;

/** Rows of a matrix selected by a mask value. */
export function rowsWhere(matrix: FeatureMatrix, mask: ArrayLike<number>, value: number): { matrix: FeatureMatrix; index: number[] } {
  const index: number[] = [];
  for (let i = 0; i < matrix.rows; i++) if (mask[i] === value) index.push(i);
  const data = new Float64Array(index.length * matrix.cols);
  index.forEach((r, k) => data.set(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols), k * matrix.cols));
  return { matrix: { rows: index.length, cols: matrix.cols, data }, index };
}

/** Fits a binary probability model. */
export function fitProbability(
  name: BaseLearnerName,
  matrix: FeatureMatrix,
  y: ArrayLike<number>,
  categoricalLevels: readonly number[],
  seed: number,
  boosting: BoostingOptions = {},
): Predictor {
  if (name === 'logistic') {
    const m = fitLogistic(matrix, y, { categoricalLevels });
    return (x) => logisticLogOdds(m, x).map((z) => 1 / (1 + Math.exp(-z)));
  }
  const forest = packForest(fitBoosting(matrix, y, { ...boosting, seed }));
  return (x) => predictPacked(forest, x).map((z) => 1 / (1 + Math.exp(-z)));
}

/** Fits a squared-loss regression with boosted trees (the X-learner's second stage). */
export function fitRegression(matrix: FeatureMatrix, y: ArrayLike<number>, seed: number, boosting: BoostingOptions = {}): Predictor {
  const forest = packForest(fitBoosting(matrix, y, { ...boosting, objective: 'squared', seed }));
  return (x) => predictPacked(forest, x);
}
