import type { CsvTable } from '../tabular/csv-table.js';
import type { FeatureMatrix } from '../tabular/encoder.js';
import { describeValue, encodeRecord, encodeTable } from '../tabular/encoder.js';
import { logisticLogOdds } from '../learners/logistic-regression.js';
import type { PackedForest } from '../learners/packed-forest.js';
import { packForest, predictPacked } from '../learners/packed-forest.js';
import { calibrate } from '../learners/calibrator.js';
import { blendedExplainer, blendOf, type ContributionUnits } from '../explain/blended-contributions.js';
import type { Contribution, ReasonOptions } from '../explain/reasons.js';
import { formatReasons } from '../explain/reasons.js';
import type { TabularModelDocument } from './model-document.js';

/** The score of one record with its explanation. */
export interface RecordScore {
  /** Calibrated probability of the positive class. */
  readonly probability: number;
  /** The explained quantity: expected + Σ contributions (in `units`). */
  readonly logOdds: number;
  readonly expected: number;
  readonly units: ContributionUnits;
  readonly contributions: readonly Contribution[];
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
}

/** A scorer built once per model document (the forest is packed once). */
export interface TabularScorer {
  readonly model: TabularModelDocument;
  /** Scores and explains one plain record (column → string). */
  scoreRecord(record: Readonly<Record<string, string>>, reasons?: ReasonOptions): RecordScore;
  /** Calibrated probabilities for an already-encoded matrix (the fast path). */
  scoreMatrix(matrix: FeatureMatrix, out?: Float64Array): Float64Array;
  /** Encodes and scores a whole table; warnings name unseen values and absent columns. */
  scoreTable(table: CsvTable): { probabilities: Float64Array; warnings: string[] };
}

/** Builds the scorer for a model document. */
export function createTabularScorer(model: TabularModelDocument): TabularScorer {
  const forest: PackedForest | null = model.gbdt ? packForest(model.gbdt) : null;
  const cal = model.calibration;
  const { useLogistic: useLr, useTrees: useGb, weight } = blendOf(model);
  const explainRow = blendedExplainer(model);

  const rawLogOdds = (matrix: FeatureMatrix, out: Float64Array): Float64Array => {
    if (useGb && forest) predictPacked(forest, matrix, out);
    else out.fill(0);
    if (useLr && model.logistic) {
      const lr = logisticLogOdds(model.logistic, matrix);
      for (let i = 0; i < out.length; i++) out[i] = weight * out[i] + weight * lr[i];
    }
    return out;
  };
  const scoreMatrix = (matrix: FeatureMatrix, out: Float64Array = new Float64Array(matrix.rows)): Float64Array => {
    rawLogOdds(matrix, out);
    for (let i = 0; i < out.length; i++) out[i] = calibrate(cal, out[i]);
    return out;
  };
  return {
    model,
    scoreMatrix,
    scoreTable(table) {
      const { matrix, warnings } = encodeTable(model.encoder, table);
      return { probabilities: scoreMatrix(matrix), warnings };
    },
    scoreRecord(record, reasonOptions) {
      const { row, warnings } = encodeRecord(model.encoder, record);
      const d = explainRow(row);
      const contributions = model.encoder.features.map((f, j) => ({
        feature: f.name,
        value: describeValue(f, lookup(record, f.name)),
        contribution: d.contributions[j],
      }));
      return {
        probability: d.probability,
        logOdds: d.logOdds,
        expected: d.expected,
        units: d.units,
        contributions,
        reasons: formatReasons(contributions, reasonOptions),
        warnings,
      };
    },
  };
}

/** A record's value for a column, matching names as the CSV reader does. */
function lookup(record: Readonly<Record<string, string>>, name: string): string | undefined {
  if (name in record) return record[name];
  const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');
  const key = Object.keys(record).find((k) => norm(k) === norm(name));
  return key === undefined ? undefined : record[key];
}
