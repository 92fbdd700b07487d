import { describe, expect, it } from 'vitest';
import { earlyStoppingSplit } from '../learners/gradient-boosting.js';
import { createRng } from '../random.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import { trainMatrixPipeline, trainMatrixSingle } from './train-matrix-model.js';
import { subMatrix } from './train-tabular-model.js';
import { fitCalibrator } from '../learners/calibrator.js';
import { packForest, predictPacked } from '../learners/packed-forest.js';

/** 3,000 rows, 4 columns: churn driven by the first two (one through a threshold), the others noise. */
function churnLike() {
  const rng = createRng(5);
  const rows = 3000;
  const cols = 4;
  const data = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = rng.next();
    const z = -3 + 2.5 * data[i * cols] + (data[i * cols + 1] > 0.7 ? 1.5 : 0);
    labels[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { matrix: { rows, cols, data }, labels, names: ['a', 'b', 'c', 'd'] };
}

describe('a single fit (the first churn model)', () => {
  const { matrix, labels, names } = churnLike();
  const single = trainMatrixSingle(matrix, labels, names, { learner: 'gbdt', seed: 3 });

  it('grows the very trees the selected pipeline refits when it picks GBDT', () => {
    const selected = trainMatrixPipeline(matrix, labels, names, { seed: 3, learners: ['gbdt'] });
    expect(selected.learner).toBe('gbdt');
    expect(single.gbdt).toEqual(selected.gbdt);
    expect(single.logistic).toBeNull();
  });

  it('is calibrated on the rows it stopped early on, which no tree was grown on', () => {
    const { validRows, trainRows } = earlyStoppingSplit(labels, { seed: 3 });
    expect(validRows.length).toBe(300);
    expect(validRows.length + trainRows.length).toBe(matrix.rows);
    const z = predictPacked(packForest(single.gbdt!), subMatrix(matrix, validRows));
    const y = Uint8Array.from(validRows, (i) => labels[i]);
    expect(single.calibration).toEqual(fitCalibrator('platt', z, y));
    // Its AUC there is reported as the one learner's, and it ranks: the data has signal.
    expect(single.cvAuc.gbdt).toBeCloseTo(rocAuc(y, z), 12);
    expect(single.cvAuc.gbdt).toBeGreaterThan(0.6);
    expect(Number.isNaN(single.cvAuc.logistic)).toBe(true);
  });

  it('refuses rows too few to stop early on', () => {
    const few = { rows: 100, cols: 4, data: matrix.data.slice(0, 400) };
    expect(() => trainMatrixSingle(few, labels.slice(0, 100), names, { learner: 'gbdt' })).toThrow(/too few/);
  });
});
