import type { CsvTable } from '../tabular/csv-table.js';
import { findColumn } from '../tabular/csv-table.js';
import { fitEncoder, encodeTable } from '../tabular/encoder.js';
import { parseBoolean } from '../tabular/value-parsing.js';
import { stratifiedSplit } from '../evaluation/stratified-folds.js';
import { createRng } from '../random.js';
import { TwinloopError } from '../../domain/errors.js';
import type { Predictor } from './base-learner.js';
import { fitTwoModel } from './two-model.js';
import { fitXLearner } from './x-learner.js';
import { qiniAucScore, upliftAtK } from './qini.js';

/** A randomised experiment read from a table: who was treated, the outcome, and the pre-treatment features. */
export interface ExperimentSpec {
  readonly outcome: string;
  readonly treatmentColumn: string;
  readonly treatedValue: string;
  readonly controlValue: string;
  readonly features: readonly string[];
}

/** The uplift methods compared. */
export const UPLIFT_METHODS = ['two-model-logistic', 'two-model-gbdt', 'x-learner-gbdt', 'x-learner-logistic', 'random'] as const;
export type UpliftMethod = (typeof UPLIFT_METHODS)[number];

/** Per-split Qini coefficients and uplift in the top 30 % for each method. */
export interface UpliftEvaluation {
  readonly rows: number;
  readonly splits: number;
  readonly qini: Record<UpliftMethod, number[]>;
  readonly upliftAt30: Record<UpliftMethod, number[]>;
}

/**
 * Repeated random stratified train/test splits (strata = treatment × outcome). Each method is
 * fitted on the training side (encoder included) and scored on the test side.
 */
export function evaluateUplift(table: CsvTable, spec: ExperimentSpec, options: { splits: number; testFraction: number; seed: number; onSplit?: (done: number) => void }): UpliftEvaluation {
  const tCol = findColumn(table, spec.treatmentColumn);
  const yCol = findColumn(table, spec.outcome);
  if (tCol < 0 || yCol < 0) throw new TwinloopError('BAD_INPUT', `experiment columns not found: ${spec.treatmentColumn}, ${spec.outcome}`);
  const rows: number[] = [];
  const treat: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < table.rowCount; i++) {
    const t = table.columns[tCol][i].trim();
    if (t !== spec.treatedValue && t !== spec.controlValue) continue;
    const outcome = parseBoolean(table.columns[yCol][i]);
    if (Number.isNaN(outcome)) continue;
    rows.push(i);
    treat.push(t === spec.treatedValue ? 1 : 0);
    y.push(outcome);
  }
  const keep = new Set(spec.features.map((f) => findColumn(table, f)));
  const drop = table.names.filter((_, c) => !keep.has(c) && c !== yCol);
  const strata = rows.map((_, k) => 2 * treat[k] + y[k]);
  const qini = Object.fromEntries(UPLIFT_METHODS.map((m) => [m, [] as number[]])) as Record<UpliftMethod, number[]>;
  const at30 = Object.fromEntries(UPLIFT_METHODS.map((m) => [m, [] as number[]])) as Record<UpliftMethod, number[]>;
  for (let s = 0; s < options.splits; s++) {
    const split = stratifiedSplit(strata, options.testFraction, options.seed + s);
    const trRows = Array.from(split.train, (k) => rows[k]);
    const teRows = Array.from(split.test, (k) => rows[k]);
    const yTr = Array.from(split.train, (k) => y[k]);
    const tTr = Array.from(split.train, (k) => treat[k]);
    const yTe = Array.from(split.test, (k) => y[k]);
    const tTe = Array.from(split.test, (k) => treat[k]);
    const { encoder, matrix } = fitEncoder(table, trRows, yTr, { target: spec.outcome, drop });
    const { matrix: test } = encodeTable(encoder, table, teRows);
    const levels = encoder.features.map((f) => (f.kind === 'categorical' ? f.levels.length : 0));
    const seed = options.seed * 1000 + s;
    const rng = createRng(seed);
    const predictors: Record<UpliftMethod, Predictor> = {
      'two-model-logistic': fitTwoModel(matrix, yTr, tTr, { learner: 'logistic', categoricalLevels: levels, seed }),
      'two-model-gbdt': fitTwoModel(matrix, yTr, tTr, { learner: 'gbdt', categoricalLevels: levels, seed }),
      'x-learner-gbdt': fitXLearner(matrix, yTr, tTr, { outcomeLearner: 'gbdt', categoricalLevels: levels, seed }),
      'x-learner-logistic': fitXLearner(matrix, yTr, tTr, { outcomeLearner: 'logistic', categoricalLevels: levels, seed }),
      random: (m) => Float64Array.from({ length: m.rows }, () => rng.next()),
    };
    for (const m of UPLIFT_METHODS) {
      const u = predictors[m](test);
      qini[m].push(qiniAucScore(yTe, u, tTe));
      at30[m].push(upliftAtK(yTe, u, tTe, 0.3));
    }
    options.onSplit?.(s + 1);
  }
  return { rows: rows.length, splits: options.splits, qini, upliftAt30: at30 };
}
