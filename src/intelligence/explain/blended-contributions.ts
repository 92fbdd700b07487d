import { calibrate } from '../learners/calibrator.js';
import { logisticContributions } from '../learners/logistic-regression.js';
import type { TabularModelDocument } from '../model/model-document.js';
import { treeExpectedValue, treeShap } from './tree-shap.js';

/** Units of the contributions: calibrated log-odds with Platt (affine), else the model's raw log-odds. */
export type ContributionUnits = 'calibrated log-odds' | 'model log-odds';

/** Which learners of a model document score, and the weight of each in the blend (½ each when both do). */
export interface Blend {
  readonly useLogistic: boolean;
  readonly useTrees: boolean;
  readonly weight: number;
}

/** The blend a model document asks for (its learner, and which parts it holds). */
export function blendOf(model: TabularModelDocument): Blend {
  const useLogistic = model.learner !== 'gbdt' && model.logistic !== null;
  const useTrees = model.learner !== 'logistic' && model.gbdt !== null;
  return { useLogistic, useTrees, weight: useLogistic && useTrees ? 0.5 : 1 };
}

/** One row's score decomposed exactly: expected + Σ contributions = logOdds, all in `units`. */
export interface Decomposition {
  /** Calibrated probability. */
  readonly probability: number;
  readonly logOdds: number;
  readonly expected: number;
  readonly units: ContributionUnits;
  /** Per model feature (in `model.featureNames` order). */
  readonly contributions: Float64Array;
}

/**
 * Builds, once per model, the function that explains an encoded row: linear terms (relative to
 * the training mean) and TreeSHAP values, weighted as the model blends its learners. Platt is
 * affine in log-odds, so scaling by its slope keeps the decomposition exact after calibration.
 */
export function blendedExplainer(model: TabularModelDocument): (row: Float64Array) => Decomposition {
  const { useLogistic, useTrees, weight } = blendOf(model);
  const p = model.featureNames.length;
  const lr = useLogistic ? model.logistic : null;
  const gbdt = useTrees ? model.gbdt : null;
  const treesExpected = gbdt ? gbdt.baseScore + gbdt.trees.reduce((s, t) => s + treeExpectedValue(t), 0) : 0;
  const cal = model.calibration;
  const scale = cal.method === 'platt' ? cal.a : 1;
  const shift = cal.method === 'platt' ? cal.b : 0;
  const units: ContributionUnits = cal.method === 'platt' ? 'calibrated log-odds' : 'model log-odds';
  return (row) => {
    const phi = new Float64Array(p);
    let expected = 0;
    if (lr) {
      const c = logisticContributions(lr, row, p);
      for (let j = 0; j < p; j++) phi[j] += weight * c[j];
      // Linear terms are relative to the training mean, where the model's log-odds is the intercept.
      expected += weight * lr.intercept;
    }
    if (gbdt) {
      const c = new Float64Array(p);
      for (const tree of gbdt.trees) treeShap(tree, row, c);
      for (let j = 0; j < p; j++) phi[j] += weight * c[j];
      expected += weight * treesExpected;
    }
    let raw = expected;
    for (let j = 0; j < p; j++) raw += phi[j];
    for (let j = 0; j < p; j++) phi[j] *= scale;
    return { probability: calibrate(cal, raw), logOdds: raw * scale + shift, expected: expected * scale + shift, units, contributions: phi };
  };
}
