import { FEATURE_INDEX, type FeatureName } from '../../twin/twin-features.js';
import type { TabularModelDocument } from '../model/model-document.js';
import { packForest, predictPacked } from '../learners/packed-forest.js';
import { calibrate } from '../learners/calibrator.js';
import { recalibrate, recalibrationLine, type Recalibration } from '../evaluation/recalibration.js';
import { blendedExplainer, blendOf, type ContributionUnits } from '../explain/blended-contributions.js';
import type { FeatureMatrix } from '../tabular/encoder.js';

/** One feature's signed share of a twin's churn log-odds. */
export interface FeatureContribution {
  readonly feature: string;
  readonly value: number;
  /** In calibrated log-odds with Platt calibration, else in the model's raw log-odds. */
  readonly contribution: number;
}

/** A twin's churn score with its exact decomposition (expected + Σ contributions = logOdds). */
export interface ChurnExplanation {
  readonly probability: number;
  readonly logOdds: number;
  readonly expected: number;
  readonly units: ContributionUnits;
  readonly contributions: readonly FeatureContribution[];
}

/** Scores twin feature vectors (in `FEATURE_NAMES` order) with a churn model document. */
export interface ChurnScorer {
  readonly model: TabularModelDocument;
  /** Calibrated churn probability; allocation-free (the hot path of live re-scoring). */
  probability(twinFeatures: Float64Array): number;
  /** Probability with per-feature contributions (TreeSHAP / linear terms): on demand, one twin. */
  explain(twinFeatures: Float64Array): ChurnExplanation;
}

/**
 * Builds the scorer once per model: the forest is packed, the linear design flattened into typed
 * arrays, and each model feature mapped to its index in the twin's vector (a name the twin no
 * longer has reads as missing).
 */
export function createChurnScorer(model: TabularModelDocument): ChurnScorer {
  const P = model.featureNames.length;
  const source = Int32Array.from(model.featureNames, (n) => (n in FEATURE_INDEX ? FEATURE_INDEX[n as FeatureName] : -1));
  const row = new Float64Array(P);
  const matrix: FeatureMatrix = { rows: 1, cols: P, data: row };
  const out = new Float64Array(1);
  const { useLogistic: useLr, useTrees: useGb, weight } = blendOf(model);
  const explainRow = blendedExplainer(model);
  const forest = useGb && model.gbdt ? packForest(model.gbdt) : null;
  const lr = model.logistic;
  const cols = lr ? lr.design.columns : [];
  const colSource = Int32Array.from(cols, (c) => c.source);
  const colRole = Uint8Array.from(cols, (c) => (c.role === 'value' ? 0 : c.role === 'missing' ? 1 : 2));
  const colLevel = Float64Array.from(cols, (c) => c.level);
  const colImpute = Float64Array.from(cols, (c) => c.impute);
  const colMean = Float64Array.from(cols, (c) => c.mean);
  const colFactor = Float64Array.from(cols, (c, k) => (lr ? lr.weights[k] / c.scale : 0));
  const cal = model.calibration;

  const gather = (f: Float64Array): void => {
    for (let j = 0; j < P; j++) row[j] = source[j] >= 0 ? f[source[j]] : Number.NaN;
  };
  const rawLogOdds = (): number => {
    let z = 0;
    if (forest) z += weight * predictPacked(forest, matrix, out)[0];
    if (useLr && lr) {
      let s = lr.intercept;
      for (let k = 0; k < colSource.length; k++) {
        const v = row[colSource[k]];
        const role = colRole[k];
        const x = role === 0 ? (v !== v ? colImpute[k] : v) : role === 1 ? (v !== v ? 1 : 0) : v === colLevel[k] ? 1 : 0;
        s += (x - colMean[k]) * colFactor[k];
      }
      z += weight * s;
    }
    return z;
  };

  return {
    model,
    probability(f) {
      gather(f);
      return calibrate(cal, rawLogOdds());
    },
    explain(f) {
      gather(f);
      const d = explainRow(row);
      return { ...d, contributions: model.featureNames.map((feature, j) => ({ feature, value: row[j], contribution: d.contributions[j] })) };
    },
  };
}

/**
 * The scorer with its probabilities recalibrated against churn that came later (`recalibrate`,
 * the model's `outOfTime` fit); the scorer itself when there is none. Explanations move with the
 * log-odds (the map is a line on each side of its bend's knot, and the line at the twin's log-odds
 * keeps expected + Σ contributions = logOdds exact). Hence `expected` differs either side of the
 * knot: twins in the top tenth are explained from the upper line's baseline (docs/models.md).
 */
export function recalibratedScorer(scorer: ChurnScorer, r: Recalibration | undefined): ChurnScorer {
  if (!r) return scorer;
  return {
    model: scorer.model,
    probability: (f) => recalibrate(scorer.probability(f), r),
    explain(f) {
      const e = scorer.explain(f);
      // The recalibration is a line on each side of its bend's knot: the one at this twin's log-odds.
      const { slope, shift } = recalibrationLine(e.logOdds, r);
      return {
        ...e,
        probability: recalibrate(e.probability, r),
        logOdds: slope * e.logOdds + shift,
        expected: slope * e.expected + shift,
        contributions: e.contributions.map((c) => ({ ...c, contribution: slope * c.contribution })),
      };
    },
  };
}
