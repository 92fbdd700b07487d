import type { CsvTable } from '../tabular/csv-table.js';
import type { FeatureMatrix, TabularEncoder } from '../tabular/encoder.js';
import { fitEncoder } from '../tabular/encoder.js';
import { resolveTarget } from '../tabular/target.js';
import type { LogisticModel } from '../learners/logistic-regression.js';
import { fitLogistic, logisticLogOdds } from '../learners/logistic-regression.js';
import type { BoostedModel, BoostingOptions } from '../learners/gradient-boosting.js';
import { earlyStoppingSplit, fitBoosting } from '../learners/gradient-boosting.js';
import { TwinloopError } from '../../domain/errors.js';
import { packForest, predictPacked } from '../learners/packed-forest.js';
import type { Calibrator } from '../learners/calibrator.js';
import { crossFittedCalibration, fitCalibrator } from '../learners/calibrator.js';
import { stratifiedKFold } from '../evaluation/stratified-folds.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import { expectedCalibrationError } from '../evaluation/calibration-error.js';
import type { LearnerName, TabularModelDocument } from './model-document.js';
import { MODEL_FORMAT, MODEL_VERSION } from './model-document.js';

/** What to train on and how. */
export interface TrainOptions {
  readonly target: string;
  readonly id?: string;
  readonly drop?: readonly string[];
  readonly seed?: number;
  /** Inner folds for learner selection and out-of-fold calibration. */
  readonly innerFolds?: number;
  readonly calibration?: Calibrator['method'];
  /** Restricts the candidates (default: all three). */
  readonly learners?: readonly LearnerName[];
  readonly boosting?: BoostingOptions;
  /** Fit both learners' final models even when one is chosen (cross-validation reports each). */
  readonly fitAll?: boolean;
  /** Called after each inner fold, for progress bars. */
  readonly onStep?: (done: number, total: number) => void;
}

/** 3 inner folds: enough to tell the learners apart, cheap enough for a ≤ 2 s fit on 7k rows. */
export const DEFAULT_INNER_FOLDS = 3;
/** Candidate inverse regularisation strengths; 1 is scikit-learn's default. */
const LOGISTIC_C_GRID = [0.1, 1] as const;

/** Fitted pieces before they are packed into a document. */
export interface TrainedPipeline {
  readonly encoder: TabularEncoder;
  readonly learner: LearnerName;
  readonly logistic: LogisticModel | null;
  readonly gbdt: BoostedModel | null;
  readonly calibration: Calibrator;
  readonly cvAuc: Record<LearnerName, number>;
  readonly chosenC: number;
  readonly eceUncalibrated: number;
  readonly eceCalibrated: number;
  /**
   * The rows the calibrator was fitted on and the chosen learner's log-odds for them: every row's
   * out-of-fold log-odds after selection, from fits that did not see them; or, for a single fit (the
   * first model), its early-stopping rows, which no tree was fitted on but which chose the tree count
   * and fitted the calibrator, so a bend read on them may come out a little flatter than on unseen
   * rows (review of 187beeb). Where a caller reads how the calibrated scores bend. Not saved.
   */
  readonly heldOut?: { readonly rows: ArrayLike<number>; readonly logOdds: Float64Array };
}

/** Log-odds of one learner (or the blend) for an encoded matrix. */
export function pipelineLogOdds(p: Pick<TrainedPipeline, 'learner' | 'logistic' | 'gbdt'>, matrix: FeatureMatrix): Float64Array {
  const lr = p.learner !== 'gbdt' && p.logistic ? logisticLogOdds(p.logistic, matrix) : null;
  const gb = p.learner !== 'logistic' && p.gbdt ? predictPacked(packForest(p.gbdt), matrix) : null;
  if (lr && gb) return lr.map((z, i) => 0.5 * (z + gb[i]));
  return (lr ?? gb) as Float64Array;
}

/** Categorical level counts per feature (0 for non-categorical) — the linear design needs them. */
export function categoricalLevels(encoder: TabularEncoder): number[] {
  return encoder.features.map((f) => (f.kind === 'categorical' ? f.levels.length : 0));
}

/** The given rows of a matrix, as a new matrix. */
export function subMatrix(m: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const data = new Float64Array(rows.length * m.cols);
  for (let k = 0; k < rows.length; k++) data.set(m.data.subarray(rows[k] * m.cols, (rows[k] + 1) * m.cols), k * m.cols);
  return { rows: rows.length, cols: m.cols, data };
}

/**
 * Trains on the given table rows: fits the encoder, runs inner stratified CV for both learners
 * (and their blend), keeps the best by out-of-fold AUC, refits it on all rows and calibrates it on
 * the out-of-fold log-odds.
 */
export function trainPipeline(table: CsvTable, rows: Uint32Array, labels: Uint8Array, options: TrainOptions): TrainedPipeline {
  const { encoder, matrix } = fitEncoder(table, rows, labels, options);
  return fitSelectedPipeline(matrix, labels, encoder, categoricalLevels(encoder), options);
}

/** How the learner is selected and calibrated on an encoded matrix. */
export type SelectionOptions = Pick<TrainOptions, 'seed' | 'innerFolds' | 'calibration' | 'learners' | 'boosting' | 'fitAll' | 'onStep'>;

/**
 * On an encoded matrix: inner stratified CV for both learners (and their blend), keeps the best
 * by out-of-fold AUC, refits it on all rows and calibrates it on the out-of-fold log-odds. Shared
 * by the CSV pipeline and training on numeric matrices (twin features).
 */
export function fitSelectedPipeline(matrix: FeatureMatrix, labels: Uint8Array, encoder: TabularEncoder, levels: readonly number[], options: SelectionOptions): TrainedPipeline {
  const seed = options.seed ?? 1;
  const rowCount = matrix.rows;
  const candidates = options.learners ?? ['logistic', 'gbdt', 'blend'];
  const wantLr = candidates.some((c) => c !== 'gbdt');
  const wantGb = candidates.some((c) => c !== 'logistic');
  const k = options.innerFolds ?? DEFAULT_INNER_FOLDS;
  const folds = stratifiedKFold(labels, k, seed + 101);
  const oofLr = LOGISTIC_C_GRID.map(() => new Float64Array(rowCount));
  const oofGb = new Float64Array(rowCount);
  folds.forEach((fold, f) => {
    const train = subMatrix(matrix, fold.train);
    const test = subMatrix(matrix, fold.test);
    const y = fold.train.map((i) => labels[i]);
    if (wantLr) {
      // Fit the grid from weak to strong regularisation, each fit warm-started from the previous one.
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
  // Prefer the simpler learner unless another is clearly better (0.001 AUC is within fold noise).
  let learner: LearnerName = candidates[0];
  for (const c of candidates) {
    const simpler = ['logistic', 'gbdt', 'blend'].indexOf(c) < ['logistic', 'gbdt', 'blend'].indexOf(learner);
    if (cvAuc[c] > cvAuc[learner] + (simpler ? -0.001 : 0.001)) learner = c;
  }
  const oof = learner === 'logistic' ? oofLr[bestC] : learner === 'gbdt' ? oofGb : oofBlend;
  const C = LOGISTIC_C_GRID[bestC];
  const logistic = learner !== 'gbdt' || (options.fitAll && wantLr) ? fitLogistic(matrix, labels, { C, categoricalLevels: levels }) : null;
  const gbdt = learner !== 'logistic' || (options.fitAll && wantGb) ? fitBoosting(matrix, labels, { ...options.boosting, seed }) : null;
  options.onStep?.(k + 1, k + 1);
  const calibration = fitCalibrator(options.calibration ?? 'platt', oof, labels);
  const raw = oof.map((z) => 1 / (1 + Math.exp(-z)));
  const cal = crossFittedCalibration(calibration.method, oof, labels, seed + 202);
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
    heldOut: { rows: Uint32Array.from({ length: rowCount }, (_, i) => i), logOdds: oof },
  };
}

/** How a pipeline is fitted once, without selection. */
export interface SingleFitOptions {
  readonly learner: 'gbdt';
  readonly seed?: number;
  readonly boosting?: BoostingOptions;
  readonly calibration?: Calibrator['method'];
}

/**
 * On an encoded matrix: gradient-boosted trees fitted once with fixed hyperparameters on every
 * row, calibrated on their log-odds on the rows the fit stopped early on (its validation split,
 * `earlyStoppingSplit`: rows no tree was grown on). The same trees `fitSelectedPipeline` refits
 * when it picks GBDT (same rows, same seed), at a fraction of its cost: one fit instead of a
 * candidate grid in inner folds and a refit. `cvAuc` holds the trees' AUC on that split.
 */
export function fitSinglePipeline(matrix: FeatureMatrix, labels: Uint8Array, encoder: TabularEncoder, options: SingleFitOptions): TrainedPipeline {
  const seed = options.seed ?? 1;
  const boosting = { ...options.boosting, seed };
  const { validRows } = earlyStoppingSplit(labels, boosting);
  if (validRows.length === 0) throw new TwinloopError('BAD_INPUT', `a single fit calibrates on the rows it stops early on: ${matrix.rows} rows are too few for them`);
  const gbdt = fitBoosting(matrix, labels, boosting);
  const z = predictPacked(packForest(gbdt), subMatrix(matrix, validRows));
  const y = Uint8Array.from(validRows, (i) => labels[i]);
  const calibration = fitCalibrator(options.calibration ?? 'platt', z, y);
  const raw = z.map((v) => 1 / (1 + Math.exp(-v)));
  const cal = crossFittedCalibration(calibration.method, z, y, seed + 202);
  return {
    encoder,
    learner: 'gbdt',
    logistic: null,
    gbdt,
    calibration,
    cvAuc: { logistic: Number.NaN, gbdt: rocAuc(y, z), blend: Number.NaN },
    chosenC: Number.NaN,
    eceUncalibrated: expectedCalibrationError(y, raw),
    eceCalibrated: expectedCalibrationError(y, cal),
    heldOut: { rows: validRows, logOdds: z },
  };
}

/** Trains on every row with a target value and returns the versioned model document. */
export function trainTabularModel(table: CsvTable, options: TrainOptions): TabularModelDocument {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const target = resolveTarget(table, options.target);
  const p = trainPipeline(table, target.rows, target.labels, options);
  return modelDocument(
    p,
    target.labels,
    { target: { column: target.column, positive: target.positive, negative: target.negative }, idColumn: options.id ?? null, innerFolds: options.innerFolds, seed: options.seed },
    { durationMs: Math.round(performance.now() - started), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000) },
  );
}

/** Packs a fitted pipeline into the versioned model document (the CSV and matrix pipelines alike). */
export function modelDocument(
  p: TrainedPipeline,
  labels: Uint8Array,
  meta: { target: TabularModelDocument['target']; idColumn: string | null; innerFolds?: number; seed?: number },
  cost: { durationMs: number; cpuMs: number },
): TabularModelDocument {
  let positives = 0;
  for (const y of labels) positives += y;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    createdAt: new Date().toISOString(),
    target: meta.target,
    idColumn: meta.idColumn,
    encoder: p.encoder,
    featureNames: p.encoder.features.map((f) => f.name),
    learner: p.learner,
    logistic: p.logistic,
    gbdt: p.gbdt,
    calibration: p.calibration,
    metrics: {
      innerFolds: meta.innerFolds ?? DEFAULT_INNER_FOLDS,
      cvAuc: p.cvAuc,
      chosenLogisticC: p.chosenC,
      eceUncalibrated: p.eceUncalibrated,
      eceCalibrated: p.eceCalibrated,
    },
    training: {
      rows: labels.length,
      positives,
      seed: meta.seed ?? 1,
      durationMs: cost.durationMs,
      cpuMs: cost.cpuMs,
      skippedColumns: p.encoder.skipped,
    },
  };
}
