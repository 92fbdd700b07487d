import type { CsvTable } from '../tabular/csv-table.js';
import { encodeTable } from '../tabular/encoder.js';
import { resolveTarget } from '../tabular/target.js';
import { calibrate } from '../learners/calibrator.js';
import { stratifiedKFold } from '../evaluation/stratified-folds.js';
import type { TrainOptions } from './train-tabular-model.js';
import { pipelineLogOdds, trainPipeline } from './train-tabular-model.js';

/**
 * Out-of-fold calibrated probabilities for every row with a target: each row is scored by a
 * pipeline trained without it (stratified k-fold). Rows without a target get NaN.
 */
export function outOfFoldProbabilities(table: CsvTable, options: TrainOptions & { readonly folds: number }): Float64Array {
  const target = resolveTarget(table, options.target);
  const out = new Float64Array(table.rowCount).fill(Number.NaN);
  const seed = options.seed ?? 1;
  stratifiedKFold(target.labels, options.folds, seed).forEach((split, f) => {
    const trainRows = split.train.map((i) => target.rows[i]);
    const testRows = split.test.map((i) => target.rows[i]);
    const p = trainPipeline(table, trainRows, Uint8Array.from(split.train, (i) => target.labels[i]), { ...options, seed: seed + f });
    const z = pipelineLogOdds(p, encodeTable(p.encoder, table, testRows).matrix);
    testRows.forEach((row, j) => (out[row] = calibrate(p.calibration, z[j])));
  });
  return out;
}
