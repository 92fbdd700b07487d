import { stratifiedKFold } from '../intelligence/evaluation/stratified-folds.js';
import type { FeatureMatrix } from '../intelligence/tabular/encoder.js';
import { fitRegression, type Predictor } from '../intelligence/uplift/base-learner.js';
import { fitTwoModel } from '../intelligence/uplift/two-model.js';
import { fitXLearner } from '../intelligence/uplift/x-learner.js';

/** The uplift methods estimated on the experiment. */
export const OFFER_UPLIFT_METHODS = ['two-model-logistic', 'two-model-gbdt', 'x-learner-gbdt'] as const;
export type OfferUpliftMethod = (typeof OFFER_UPLIFT_METHODS)[number];

/** Fits one method on a training matrix with labels y (1 = churned) and treatment t. */
function fitMethod(method: OfferUpliftMethod, m: FeatureMatrix, y: number[], t: number[], seed: number): Predictor {
  // Twin features are all numeric: no categorical columns for the logistic design.
  const categoricalLevels = new Array<number>(m.cols).fill(0);
  switch (method) {
    case 'two-model-logistic':
      return fitTwoModel(m, y, t, { learner: 'logistic', categoricalLevels, seed });
    case 'two-model-gbdt':
      return fitTwoModel(m, y, t, { learner: 'gbdt', categoricalLevels, seed });
    case 'x-learner-gbdt':
      return fitXLearner(m, y, t, { outcomeLearner: 'gbdt', categoricalLevels, seed });
  }
}

function takeRows(m: FeatureMatrix, rows: Uint32Array): FeatureMatrix {
  const data = new Float64Array(rows.length * m.cols);
  rows.forEach((r, k) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return { rows: rows.length, cols: m.cols, data };
}

/**
 * Runs `fitAndPredict(train, test)` on each of k folds (stratified on treatment × outcome so each
 * keeps the experiment's balance) and gathers the test predictions into one array per output.
 */
function crossFit<K extends string>(
  matrix: FeatureMatrix,
  churned: ArrayLike<number>,
  treated: ArrayLike<number>,
  options: { folds: number; seed: number },
  fitAndPredict: (train: { matrix: FeatureMatrix; rows: number[] }, test: FeatureMatrix, fold: number) => Record<K, Float64Array>,
): Record<K, Float64Array> {
  const strata = Array.from({ length: matrix.rows }, (_, i) => 2 * treated[i] + churned[i]);
  const out = {} as Record<K, Float64Array>;
  stratifiedFolds4(strata, options.folds, options.seed).forEach((test, f) => {
    const inTest = new Uint8Array(matrix.rows);
    test.forEach((r) => (inTest[r] = 1));
    const trainRows: number[] = [];
    for (let i = 0; i < matrix.rows; i++) if (!inTest[i]) trainRows.push(i);
    const predicted = fitAndPredict({ matrix: takeRows(matrix, Uint32Array.from(trainRows)), rows: trainRows }, takeRows(matrix, test), f);
    for (const key of Object.keys(predicted) as K[]) {
      out[key] ??= new Float64Array(matrix.rows);
      test.forEach((r, k) => (out[key][r] = predicted[key][k]));
    }
  });
  return out;
}

/**
 * Out-of-sample uplift estimates by k-fold cross-fitting: every row's estimate comes from a
 * model fitted on the other folds, so no customer is scored by a model that saw its outcome.
 * Estimates are predicted changes in churn probability over the horizon (positive = the offer
 * raises churn), because the models are fitted with y = churned.
 */
export function crossFittedUplift(
  matrix: FeatureMatrix,
  churned: ArrayLike<number>,
  treated: ArrayLike<number>,
  options: { folds: number; seed: number },
): Record<OfferUpliftMethod, Float64Array> {
  return crossFit(matrix, churned, treated, options, (train, test, f) => {
    const y = train.rows.map((i) => churned[i]);
    const t = train.rows.map((i) => treated[i]);
    const fold = {} as Record<OfferUpliftMethod, Float64Array>;
    for (const method of OFFER_UPLIFT_METHODS) fold[method] = fitMethod(method, train.matrix, y, t, options.seed * 100 + f)(test);
    return fold;
  });
}

/**
 * A ceiling, not a method: boosted regression of the oracle's true effect itself on the
 * features, cross-fitted on the same folds. It says how much of the true effect the twin's
 * features can explain at all, which bounds what any uplift model fitted on outcomes can reach.
 */
export function crossFittedTruthOnFeatures(
  matrix: FeatureMatrix,
  trueEffect: ArrayLike<number>,
  churned: ArrayLike<number>,
  treated: ArrayLike<number>,
  options: { folds: number; seed: number },
): Float64Array {
  return crossFit(matrix, churned, treated, options, (train, test, f) => ({
    truth: fitRegression(train.matrix, train.rows.map((i) => trueEffect[i]), options.seed * 100 + f)(test),
  })).truth;
}

/** Test rows of k folds, each of the four treatment × outcome strata dealt evenly across folds. */
function stratifiedFolds4(strata: number[], folds: number, seed: number): Uint32Array[] {
  const byFold: number[][] = Array.from({ length: folds }, () => []);
  for (let s = 0; s < 4; s++) {
    const rows: number[] = [];
    strata.forEach((v, i) => v === s && rows.push(i));
    // stratifiedKFold with one class deals a shuffled copy round-robin: reuse its shuffle.
    const splits = stratifiedKFold(new Uint8Array(rows.length), folds, seed * 31 + s);
    splits.forEach((sp, f) => sp.test.forEach((k) => byFold[f].push(rows[k])));
  }
  return byFold.map((rows) => Uint32Array.from(rows.sort((a, b) => a - b)));
}
