import type { FeatureMatrix, TabularEncoder } from '../tabular/encoder.js';
import type { LogisticModel } from '../learners/logistic-regression.js';
import { fitLogistic, logisticLogOdds } from '../learners/logistic-regression.js';
import type { BoostingOptions } from '../learners/gradient-boosting.js';
import { fitBoosting } from '../learners/gradient-boosting.js';
import { packForest, predictPacked } from '../learners/packed-forest.js';
import type { Calibrator } from '../learners/calibrator.js';
import { crossFittedCalibration, fitCalibrator } from '../learners/calibrator.js';
import { stratifiedKFold } from '../evaluation/stratified-folds.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import { expectedCalibrationError } from '../evaluation/calibration-error.js';
import type { LearnerName, TabularModelDocument } from './model-document.js';
import { MODEL_FORMAT, MODEL_VERSION } from './model-document.js';
import type { TrainedPipeline } from './train-tabular-model.js';

/** How to train on an already numeric matrix (e.g. twin features). */
export interface MatrixTrainOptions {
  readonly seed?: number;
  readonly innerFolds?: number;
  readonly calibration?: Calibrator['method'];
  /** Candidates, simplest first (default logistic and gbdt). */
  readonly learners?: readonly LearnerName[];
  readonly boosting?: BoostingOptions;
  /** Names written into the document's target (default churned within the horizon). */
  readonly target?: { readonly column: string; readonly positive: string; readonly negative: string };
  readonly idColumn?: string | null;
  readonly onStep?: (done: number, total: number) => void;
}

/** Same grid and fold count as the CSV pipeline, so both pick learners the same way. */
const LOGISTIC_C_GRID = [0.1, 1] as const;
const DEFAULT_INNER_FOLDS = 3;
const ORDER: readonly LearnerName[] = ['logistic', 'gbdt', 'blend'];

function rowsOf(m: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const data = new Float64Array(rows.length * m.cols);
  for (let k = 0; k < rows.length; k++) data.set(m.data.subarray(rows[k] * m.cols, (rows[k] + 1) * m.cols), k * m.cols);
  return { rows: rows.length, cols: m.cols, data };
}

/**
 * The CSV pipeline's learner selection and calibration on a numeric matrix: inner stratified CV
 * gives out-of-fold log-odds per candidate, the best AUC wins (0.001 margin toward the simpler
 * learner), it is refitted on all rows and Platt- (or isotonic-) calibrated on its out-of-fold
 * log-odds. Every column is a numeric feature named by `featureNames`.
 */
export function trainMatrixPipeline(matrix: FeatureMatrix, labels: Uint8Array, featureNames: readonly string[], options: MatrixTrainOptions = {}): TrainedPipeline {
  const seed = options.seed ?? 1;
  const candidates = options.learners ?? ['logistic', 'gbdt'];
  const wantLr = candidates.some((c) => c !== 'gbdt');
  const wantGb = candidates.some((c) => c !== 'logistic');
  const levels = featureNames.map(() => 0);
  const k = options.innerFolds ?? DEFAULT_INNER_FOLDS;
  const folds = stratifiedKFold(labels, k, seed + 101);
  const oofLr = LOGISTIC_C_GRID.map(() => new Float64Array(matrix.rows));
  const oofGb = new Float64Array(matrix.rows);
  folds.forEach((fold, f) => {
    const train = rowsOf(matrix, fold.train);
    const test = rowsOf(matrix, fold.test);
    const y = fold.train.map((i) => labels[i]);
    if (wantLr) {
      let previous: LogisticModel | undefined;
      for (let c = LOGISTIC_C_GRID.length - 1; c >= 0; c--) {
        previous = fitLogistic(train, y, { C: LOGISTIC_C_GRID[c], categoricalLevels: levels, warmStart: previous });
        const z = logisticLogOdds(previous, test);
        fold.test.forEach((row, j) => (oofLr[c][row] = z[j]));
      }
    }
    if (wantGb) {
      const z = predictPacked(packForest(fitBoosting(train, y, { ...options.boosting, seed: seed + f })), test);
      fold.test.forEach((row, j) => (oofGb[row] = z[j]));
    }
    options.onStep?.(f + 1, k + 1);
  });
  let bestC = 0;
  const lrAucs = LOGISTIC_C_GRID.map((_, c) => (wantLr ? rocAuc(labels, oofLr[c]) : Number.NaN));
  lrAucs.forEach((a, c) => (a > lrAucs[bestC] ? (bestC = c) : 0));
  const oofBlend = oofLr[bestC].map((z, i) => 0.5 * (z + oofGb[i]));
  const cvAuc: Record<LearnerName, number> = {
    logistic: lrAucs[bestC],
    gbdt: wantGb ? rocAuc(labels, oofGb) : Number.NaN,
    blend: wantLr && wantGb ? rocAuc(labels, oofBlend) : Number.NaN,
  };
  let learner: LearnerName = candidates[0];
  for (const c of candidates) {
    const simpler = ORDER.indexOf(c) < ORDER.indexOf(learner);
    if (cvAuc[c] > cvAuc[learner] + (simpler ? -0.001 : 0.001)) learner = c;
  }
  const oof = learner === 'logistic' ? oofLr[bestC] : learner === 'gbdt' ? oofGb : oofBlend;
  const C = LOGISTIC_C_GRID[bestC];
  const logistic = learner !== 'gbdt' ? fitLogistic(matrix, labels, { C, categoricalLevels: levels }) : null;
  const gbdt = learner !== 'logistic' ? fitBoosting(matrix, labels, { ...options.boosting, seed }) : null;
  options.onStep?.(k + 1, k + 1);
  const calibration = fitCalibrator(options.calibration ?? 'platt', oof, labels);
  const raw = oof.map((z) => 1 / (1 + Math.exp(-z)));
  const cal = crossFittedCalibration(calibration.method, oof, labels, seed + 202);
  const encoder: TabularEncoder = { features: featureNames.map((name) => ({ kind: 'numeric' as const, name })), skipped: [] };
  return {
    encoder,
    learner,
    logistic,
    gbdt,
    calibration,
    cvAuc,
    chosenC: C,
    eceUncalibrated: expectedCalibrationError(labels, raw),
    eceCalibrated: expectedCalibrationError(labels, cal),
  };
}

/** Trains on a numeric matrix and returns the same versioned document the CSV pipeline writes. */
export function trainMatrixModel(matrix: FeatureMatrix, labels: Uint8Array, featureNames: readonly string[], options: MatrixTrainOptions = {}): TabularModelDocument {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const p = trainMatrixPipeline(matrix, labels, featureNames, options);
  return pipelineDocument(p, labels, options, { durationMs: Math.round(performance.now() - started), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000) });
}

/** Packs a fitted matrix pipeline into the versioned model document. */
export function pipelineDocument(p: TrainedPipeline, labels: Uint8Array, options: MatrixTrainOptions, cost: { durationMs: number; cpuMs: number }): TabularModelDocument {
  let positives = 0;
  for (const y of labels) positives += y;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    createdAt: new Date().toISOString(),
    target: options.target ?? { column: 'churned_within_horizon', positive: '1', negative: '0' },
    idColumn: options.idColumn ?? null,
    encoder: p.encoder,
    featureNames: p.encoder.features.map((f) => f.name),
    learner: p.learner,
    logistic: p.logistic,
    gbdt: p.gbdt,
    calibration: p.calibration,
    metrics: {
      innerFolds: options.innerFolds ?? DEFAULT_INNER_FOLDS,
      cvAuc: p.cvAuc,
      chosenLogisticC: p.chosenC,
      eceUncalibrated: p.eceUncalibrated,
      eceCalibrated: p.eceCalibrated,
    },
    training: {
      rows: labels.length,
      positives,
      seed: options.seed ?? 1,
      durationMs: cost.durationMs,
      cpuMs: cost.cpuMs,
      skippedColumns: [],
    },
  };
}
