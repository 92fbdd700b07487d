import type { CsvTable } from '../tabular/csv-table.js';
import { encodeTable } from '../tabular/encoder.js';
import { resolveTarget } from '../tabular/target.js';
import { repeatedStratifiedKFold } from '../evaluation/stratified-folds.js';
import type { Split } from '../evaluation/stratified-folds.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import type { LearnerName } from './model-document.js';
import type { TrainOptions } from './train-tabular-model.js';
import { pipelineLogOdds, trainPipeline } from './train-tabular-model.js';

/** Per-fold test AUCs for each learner and for the automatically selected one. */
export interface CrossValidationResult {
  readonly folds: number;
  readonly repeats: number;
  readonly auc: Readonly<Record<LearnerName | 'selected', readonly number[]>>;
  readonly selected: readonly LearnerName[];
  readonly rows: number;
  readonly positives: number;
}

/** Mean and (sample) standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, std: Math.sqrt(v) };
}

/**
 * Repeated stratified k-fold of the whole pipeline: the encoder, the inner learner selection
 * and calibration are all fitted inside each outer training fold, so nothing leaks from the test
 * fold.
 */
export function crossValidateTable(
  table: CsvTable,
  options: TrainOptions & { readonly folds: number; readonly repeats: number; readonly onFold?: (done: number, total: number) => void },
  splits?: readonly Split[],
): CrossValidationResult {
  const target = resolveTarget(table, options.target);
  const seed = options.seed ?? 1;
  const outer = splits ?? repeatedStratifiedKFold(target.labels, options.folds, options.repeats, seed);
  const auc = { logistic: [] as number[], gbdt: [] as number[], blend: [] as number[], selected: [] as number[] };
  const selected: LearnerName[] = [];
  outer.forEach((split, s) => {
    const trainRows = split.train.map((i) => target.rows[i]);
    const testRows = split.test.map((i) => target.rows[i]);
    const yTrain = split.train.map((i) => target.labels[i]);
    const yTest = Uint8Array.from(split.test, (i) => target.labels[i]);
    const p = trainPipeline(table, trainRows, Uint8Array.from(yTrain), { ...options, seed: seed + s, fitAll: true });
    const { matrix } = encodeTable(p.encoder, table, testRows);
    const lr = p.logistic ? pipelineLogOdds({ ...p, learner: 'logistic' }, matrix) : null;
    const gb = p.gbdt ? pipelineLogOdds({ ...p, learner: 'gbdt' }, matrix) : null;
    if (lr) auc.logistic.push(rocAuc(yTest, lr));
    if (gb) auc.gbdt.push(rocAuc(yTest, gb));
    if (lr && gb) auc.blend.push(rocAuc(yTest, lr.map((z, i) => 0.5 * (z + gb[i]))));
    const chosen = p.learner === 'logistic' ? lr : p.learner === 'gbdt' ? gb : lr && gb ? lr.map((z, i) => 0.5 * (z + gb[i])) : null;
    if (chosen) auc.selected.push(rocAuc(yTest, chosen));
    selected.push(p.learner);
    options.onFold?.(s + 1, outer.length);
  });
  let positives = 0;
  for (const y of target.labels) positives += y;
  return { folds: options.folds, repeats: options.repeats, auc, selected, rows: target.rows.length, positives };
}
