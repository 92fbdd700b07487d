import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTable, selectRows } from '../tabular/csv-table.js';
import { resolveTarget } from '../tabular/target.js';
import { stratifiedSplit } from '../evaluation/stratified-folds.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import { trainTabularModel } from './train-tabular-model.js';
import { createTabularScorer } from './tabular-scorer.js';

/** The shared public data lives beside the project (`../shared/data`); CI without it skips. */
const DATA_DIR = resolve(process.cwd(), '../shared/data');
const IBM = resolve(DATA_DIR, 'ibm_telco_customer_churn.csv');
const present = existsSync(IBM);
if (!present) console.warn(`skipping public-data tests: ${DATA_DIR} is absent`);

describe.skipIf(!present)('IBM Telco churn (public data)', () => {
  it('trains on 80 % and ranks the held-out 20 % well, without leakage', () => {
    const table = readCsvTable(IBM);
    const target = resolveTarget(table, 'Churn');
    expect(target.positive).toBe('Yes');
    const split = stratifiedSplit(target.labels, 0.2, 1);
    const train = selectRows(table, Array.from(split.train, (i) => target.rows[i]));
    const test = selectRows(table, Array.from(split.test, (i) => target.rows[i]));
    const doc = trainTabularModel(train, { target: 'Churn', id: 'customerID', learners: ['logistic', 'gbdt'] });
    expect(doc.featureNames).not.toContain('customerID');
    const { probabilities } = createTabularScorer(doc).scoreTable(test);
    const auc = rocAuc(Array.from(split.test, (i) => target.labels[i]), probabilities);
    expect(auc).toBeGreaterThan(0.82);
    expect(auc).toBeLessThan(0.9);
    const record = Object.fromEntries(test.names.map((n, c) => [n, test.columns[c][0]]));
    const explained = createTabularScorer(doc).scoreRecord(record);
    expect(explained.reasons.length).toBeGreaterThan(0);
  });
});
