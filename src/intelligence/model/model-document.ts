import type { TabularEncoder } from '../tabular/encoder.js';
import type { LogisticModel } from '../learners/logistic-regression.js';
import type { BoostedModel } from '../learners/gradient-boosting.js';
import type { Calibrator } from '../learners/calibrator.js';

/** Identifies the file type; readers refuse anything else. */
export const MODEL_FORMAT = 'twinloop.tabular-model';
/** Bumped on any incompatible change to the document shape. */
export const MODEL_VERSION = 1;

/** Which learner produces the model's log-odds; 'blend' is the mean of both learners' log-odds. */
export type LearnerName = 'logistic' | 'gbdt' | 'blend';

/** Cross-validated figures measured while training (inner folds of the training data). */
export interface TrainingMetrics {
  readonly innerFolds: number;
  readonly cvAuc: Readonly<Record<LearnerName, number>>;
  readonly chosenLogisticC: number;
  /**
   * Expected calibration error (10 bins) of out-of-fold probabilities before calibration, and
   * after it with the calibrator itself cross-fitted (5 folds) so the figure is held-out.
   */
  readonly eceUncalibrated: number;
  readonly eceCalibrated: number;
}

/** The versioned, self-contained model file: everything needed to score a new CSV or record. */
export interface TabularModelDocument {
  readonly format: typeof MODEL_FORMAT;
  readonly version: typeof MODEL_VERSION;
  readonly createdAt: string;
  readonly target: { readonly column: string; readonly positive: string; readonly negative: string };
  readonly idColumn: string | null;
  readonly encoder: TabularEncoder;
  readonly featureNames: readonly string[];
  readonly learner: LearnerName;
  readonly logistic: LogisticModel | null;
  readonly gbdt: BoostedModel | null;
  readonly calibration: Calibrator;
  readonly metrics: TrainingMetrics;
  readonly training: {
    readonly rows: number;
    readonly positives: number;
    readonly seed: number;
    readonly durationMs: number;
    /** Process CPU time spent training: unlike wall time, unaffected by other load on the machine. */
    readonly cpuMs: number;
    readonly skippedColumns: readonly { readonly name: string; readonly reason: string }[];
  };
}
