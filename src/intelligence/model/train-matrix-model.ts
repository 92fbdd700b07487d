import type { FeatureMatrix, TabularEncoder } from '../tabular/encoder.js';
import type { BoostingOptions } from '../learners/gradient-boosting.js';
import type { Calibrator } from '../learners/calibrator.js';
import type { LearnerName, TabularModelDocument } from './model-document.js';
import { fitSelectedPipeline, fitSinglePipeline, modelDocument, type SingleFitOptions, type TrainedPipeline } from './train-tabular-model.js';

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

/**
 * The CSV pipeline's learner selection and calibration on a numeric matrix: inner stratified CV
 * gives out-of-fold log-odds per candidate, the best AUC wins (0.001 margin toward the simpler
 * learner), it is refitted on all rows and Platt- (or isotonic-) calibrated on its out-of-fold
 * log-odds. Every column is a numeric feature named by `featureNames`.
 */
export function trainMatrixPipeline(matrix: FeatureMatrix, labels: Uint8Array, featureNames: readonly string[], options: MatrixTrainOptions = {}): TrainedPipeline {
  const encoder = numericEncoder(featureNames);
  return fitSelectedPipeline(matrix, labels, encoder, featureNames.map(() => 0), { ...options, learners: options.learners ?? ['logistic', 'gbdt'] });
}

/** `fitSinglePipeline` (GBDT fitted once, calibrated on its early-stopping rows) on a numeric matrix. */
export function trainMatrixSingle(matrix: FeatureMatrix, labels: Uint8Array, featureNames: readonly string[], options: SingleFitOptions): TrainedPipeline {
  return fitSinglePipeline(matrix, labels, numericEncoder(featureNames), options);
}

/** Every column a numeric feature named by `featureNames`. */
function numericEncoder(featureNames: readonly string[]): TabularEncoder {
  return { features: featureNames.map((name) => ({ kind: 'numeric' as const, name })), skipped: [] };
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
  const target = options.target ?? { column: 'churned_within_horizon', positive: '1', negative: '0' };
  return modelDocument(p, labels, { target, idColumn: options.idColumn ?? null, innerFolds: options.innerFolds, seed: options.seed }, cost);
}
