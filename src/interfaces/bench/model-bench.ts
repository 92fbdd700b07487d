import { join } from 'node:path';
import type { CsvTable } from '../../intelligence/tabular/csv-table.js';
import { findColumn, readCsvTable, selectRows } from '../../intelligence/tabular/csv-table.js';
import { encodeTable, fitEncoder } from '../../intelligence/tabular/encoder.js';
import type { FeatureMatrix } from '../../intelligence/tabular/encoder.js';
import { resolveTarget } from '../../intelligence/tabular/target.js';
import { parseNumber } from '../../intelligence/tabular/value-parsing.js';
import { repeatedStratifiedKFold } from '../../intelligence/evaluation/stratified-folds.js';
import { rocAuc } from '../../intelligence/evaluation/roc-auc.js';
import { spearman } from '../../intelligence/evaluation/spearman.js';
import { loadXGBoost, xgboostFitPredict, XGBOOST_PARAMS } from '../../intelligence/evaluation/xgboost-reference.js';
import { crossValidateTable, meanStd } from '../../intelligence/model/cross-validate.js';
import { categoricalLevels, trainTabularModel } from '../../intelligence/model/train-tabular-model.js';
import { outOfFoldProbabilities } from '../../intelligence/model/out-of-fold.js';
import { createTabularScorer } from '../../intelligence/model/tabular-scorer.js';
import { fitLogistic } from '../../intelligence/learners/logistic-regression.js';
import { fitBoosting } from '../../intelligence/learners/gradient-boosting.js';
import { evaluateUplift, UPLIFT_METHODS } from '../../intelligence/uplift/uplift-evaluation.js';
import { clv, monthlyHazardFromWindow } from '../../intelligence/clv/customer-lifetime-value.js';
import { intOption } from '../cli/cli-numbers.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';

/** Folds × repeats of the published IBM protocol (data README). */
const IBM_FOLDS = 5;
const IBM_REPEATS = 3;
/** The published Hillstrom protocol: 10 random stratified 70/30 splits. */
const HILLSTROM_SPLITS = 10;
/** Rows scored in the throughput test: large enough that timer noise is negligible. */
const THROUGHPUT_ROWS = 1_000_000;
/** CLV settings: IBM's label is "left within the last month", so the churn probability is a monthly hazard. */
const CLV_SETTINGS = { horizonMonths: 72, monthlyDiscountRate: 0.01, marginRate: 1, revenueTrend: 0, labelWindowMonths: 1 } as const;

type Stat = { mean: number; std: number };
/** ml-xgboost on the IBM folds, or why it could not run. */
type XgboostFigures = { ok: true; auc: Stat; train_seconds: number; train_cpu_seconds: number; params: typeof XGBOOST_PARAMS } | { ok: false; error: string };
const stat = (values: readonly number[]): Stat => {
  const s = meanStd(values);
  return { mean: round(s.mean, 4), std: round(s.std, 4) };
};
const seconds = (start: number): number => round((performance.now() - start) / 1000, 3);
/** Wall and CPU seconds of a call: the machine is shared, so CPU time is the fairer speed figure. */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = fn();
  return { value, wall: seconds(t), cpu: round(process.cpuUsage(c).user / 1e6, 3) };
}

/** The README protocol for IBM: TotalCharges blank (tenure-0 customers) counts as 0. */
function fillBlank(table: CsvTable, column: string, value: string): CsvTable {
  const c = findColumn(table, column);
  if (c < 0) return table;
  const columns = table.columns.map((col, k) => (k === c ? col.map((v) => (v.trim() === '' ? value : v)) : col));
  return { ...table, columns };
}

async function ibmChurn(dir: string, seed: number) {
  const table = fillBlank(readCsvTable(join(dir, 'ibm_telco_customer_churn.csv')), 'TotalCharges', '0');
  const opts = { target: 'Churn', id: 'customerID', seed };
  const target = resolveTarget(table, 'Churn');
  const splits = repeatedStratifiedKFold(target.labels, IBM_FOLDS, IBM_REPEATS, seed);
  const started = performance.now();
  const cv = crossValidateTable(table, { ...opts, folds: IBM_FOLDS, repeats: IBM_REPEATS }, splits);
  const cvSeconds = seconds(started);
  const pipeline = timed(() => trainTabularModel(table, opts));
  const doc = pipeline.value;
  const { encoder, matrix } = fitEncoder(table, target.rows, target.labels, opts);
  const lr = timed(() => fitLogistic(matrix, target.labels, { categoricalLevels: categoricalLevels(encoder) }));
  const gb = timed(() => fitBoosting(matrix, target.labels, { seed }));
  const result = {
    rows: target.rows.length,
    folds: splits.length,
    auc: { logistic: stat(cv.auc.logistic), gbdt: stat(cv.auc.gbdt), blend: stat(cv.auc.blend), selected: stat(cv.auc.selected) },
    selected_counts: countOf(cv.selected),
    full_fit_learner: doc.learner,
    train_seconds: { pipeline: pipeline.wall, logistic: lr.wall, gbdt: gb.wall },
    train_cpu_seconds: { pipeline: pipeline.cpu, logistic: lr.cpu, gbdt: gb.cpu },
    cv_seconds: cvSeconds,
    ece_calibrated: round(doc.metrics.eceCalibrated, 4),
  };
  return { ...result, xgboost: await xgboostOnFolds(table, opts, splits) };
}

async function xgboostOnFolds(table: CsvTable, opts: { target: string; id: string; seed: number }, splits: ReturnType<typeof repeatedStratifiedKFold>): Promise<XgboostFigures> {
  try {
    const XGBoost = await loadXGBoost();
    const target = resolveTarget(table, opts.target);
    const aucs: number[] = [];
    for (const split of splits) {
      const trainRows = split.train.map((i) => target.rows[i]);
      const yTrain = split.train.map((i) => target.labels[i]);
      const { encoder, matrix } = fitEncoder(table, trainRows, yTrain, opts);
      const test = encodeTable(encoder, table, split.test.map((i) => target.rows[i])).matrix;
      aucs.push(rocAuc(Array.from(split.test, (i) => target.labels[i]), xgboostFitPredict(XGBoost, matrix, yTrain, test)));
    }
    const { matrix } = fitEncoder(table, target.rows, target.labels, opts);
    const fit = timed(() => xgboostFitPredict(XGBoost, matrix, target.labels, { rows: 1, cols: matrix.cols, data: matrix.data.subarray(0, matrix.cols) }));
    return { ok: true, auc: stat(aucs), train_seconds: fit.wall, train_cpu_seconds: fit.cpu, params: XGBOOST_PARAMS };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
    return { ok: false, error: message };
  }
}

function hillstrom(dir: string, seed: number) {
  const table = readCsvTable(join(dir, 'hillstrom.csv'));
  const started = performance.now();
  const r = evaluateUplift(
    table,
    {
      outcome: 'visit',
      treatmentColumn: 'segment',
      treatedValue: 'Womens E-Mail',
      controlValue: 'No E-Mail',
      features: ['recency', 'history_segment', 'history', 'mens', 'womens', 'zip_code', 'newbie', 'channel'],
    },
    { splits: HILLSTROM_SPLITS, testFraction: 0.3, seed },
  );
  const qini: Record<string, Stat> = {};
  const at30: Record<string, Stat> = {};
  for (const m of UPLIFT_METHODS) {
    qini[m] = stat(r.qini[m]);
    at30[m] = stat(r.upliftAt30[m]);
  }
  return { rows: r.rows, splits: r.splits, qini, uplift_at_30: at30, seconds: seconds(started) };
}

function clvCheck(dir: string, seed: number) {
  const table = readCsvTable(join(dir, 'ibm_telco_customer_churn_cltv.csv'));
  const opts = { target: 'Churn Value', id: 'CustomerID', drop: ['Churn Label', 'Churn Reason', 'CLTV'], seed, folds: 5 };
  const p = outOfFoldProbabilities(table, opts);
  const col = (name: string): Float64Array => Float64Array.from(table.columns[findColumn(table, name)], (v) => parseNumber(v));
  const revenue = col('Monthly Charges');
  const cltv = col('CLTV');
  const tenure = col('Tenure Months');
  const ours = Float64Array.from(p, (prob, i) =>
    clv({ ...CLV_SETTINGS, monthlyRevenue: revenue[i], monthlyChurnHazard: monthlyHazardFromWindow(prob, CLV_SETTINGS.labelWindowMonths) }).value,
  );
  const out = {
    spearman: round(spearman(ours, cltv), 4),
    spearman_baselines: { monthly_charges: round(spearman(revenue, cltv), 4), tenure: round(spearman(tenure, cltv), 4), retention_probability: round(spearman(p.map((v) => 1 - v), cltv), 4) },
    oof_churn_auc: round(rocAuc(Float64Array.from(table.columns[findColumn(table, 'Churn Value')], Number), p), 4),
    revenue: 'Monthly Charges, no trend',
    settings: CLV_SETTINGS,
  };
  return out;
}

function maven(dir: string, seed: number) {
  const raw = readCsvTable(join(dir, 'maven_telecom_customer_churn.csv'));
  const status = findColumn(raw, 'Customer Status');
  const keep: number[] = [];
  raw.columns[status].forEach((v, i) => (v.trim() !== 'Joined' ? keep.push(i) : 0));
  const table = selectRows(raw, keep);
  const cv = crossValidateTable(table, { target: 'Customer Status', id: 'Customer ID', drop: ['Churn Category', 'Churn Reason'], folds: IBM_FOLDS, repeats: IBM_REPEATS, seed });
  const out = { rows: keep.length, auc: { logistic: stat(cv.auc.logistic), gbdt: stat(cv.auc.gbdt), blend: stat(cv.auc.blend), selected: stat(cv.auc.selected) }, selected_counts: countOf(cv.selected) };
  return out;
}

function throughput(dir: string, seed: number) {
  const table = fillBlank(readCsvTable(join(dir, 'ibm_telco_customer_churn.csv')), 'TotalCharges', '0');
  const doc = trainTabularModel(table, { target: 'Churn', id: 'customerID', seed, learners: ['gbdt'] });
  const scorer = createTabularScorer(doc);
  const small = encodeTable(doc.encoder, table).matrix;
  const data = new Float64Array(THROUGHPUT_ROWS * small.cols);
  for (let i = 0; i < THROUGHPUT_ROWS; i++) data.set(small.data.subarray((i % small.rows) * small.cols, ((i % small.rows) + 1) * small.cols), i * small.cols);
  const big: FeatureMatrix = { rows: THROUGHPUT_ROWS, cols: small.cols, data };
  const out = new Float64Array(THROUGHPUT_ROWS);
  // Three timed passes after a warm-up; the median resists other load on a shared machine.
  scorer.scoreMatrix({ rows: 10_000, cols: big.cols, data: big.data.subarray(0, 10_000 * big.cols) });
  const rates: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now();
    scorer.scoreMatrix(big, out);
    rates.push(THROUGHPUT_ROWS / ((performance.now() - t0) / 1000));
  }
  const modelRate = rates.sort((a, b) => a - b)[1];
  let t = performance.now();
  // Baseline 1: the same pass over the same typed array, reading every feature, no model.
  t = performance.now();
  let sink = 0;
  for (let i = 0; i < THROUGHPUT_ROWS; i++) {
    let s = 0;
    for (let j = 0; j < big.cols; j++) s += data[i * big.cols + j];
    out[i] = s;
    sink += s;
  }
  const readRate = THROUGHPUT_ROWS / ((performance.now() - t) / 1000);
  // Baseline 2: JSON.parse of the same rows as raw CSV records (what a service would receive).
  const nJson = 50_000;
  const json = JSON.stringify(Array.from({ length: nJson }, (_, i) => Object.fromEntries(table.names.map((n, c) => [n, table.columns[c][i % table.rowCount]]))));
  t = performance.now();
  sink += (JSON.parse(json) as unknown[]).length;
  const jsonRate = nJson / ((performance.now() - t) / 1000);
  const result = {
    model_rows_per_second: Math.round(modelRate),
    trees: doc.gbdt?.trees.length ?? 0,
    read_loop_rows_per_second: Math.round(readRate),
    json_parse_rows_per_second: Math.round(jsonRate),
    ratio_to_read_loop: ratio(modelRate, readRate, 4),
    ratio_to_json_parse: ratio(modelRate, jsonRate, 4),
    checksum: Number.isFinite(sink) ? 1 : 0,
  };
  return result;
}

function countOf(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The human summary of `bench models` (`--json` has every figure). */
export function formatModelBench(r: ModelBenchResult): string {
  const i = r.ibm_churn;
  const x = i.xgboost;
  const s = r.scoring;
  return [
    `IBM churn AUC (${IBM_REPEATS}×${IBM_FOLDS}): selected ${i.auc.selected.mean} ± ${i.auc.selected.std}; logistic ${i.auc.logistic.mean}, gbdt ${i.auc.gbdt.mean}, blend ${i.auc.blend.mean}`,
    `IBM training on ${i.rows} rows: pipeline ${i.train_seconds.pipeline} s wall / ${i.train_cpu_seconds.pipeline} s CPU (logistic ${i.train_seconds.logistic} s, gbdt ${i.train_seconds.gbdt} s)`,
    x.ok ? `ml-xgboost on the same folds: AUC ${x.auc.mean} ± ${x.auc.std}, training ${x.train_seconds} s` : `ml-xgboost failed: ${x.error}`,
    ...UPLIFT_METHODS.map((m) => `Hillstrom ${m.padEnd(20)} Qini ${r.hillstrom_uplift.qini[m].mean} ± ${r.hillstrom_uplift.qini[m].std}, uplift@30% ${r.hillstrom_uplift.uplift_at_30[m].mean}`),
    `CLV Spearman vs IBM CLTV: ${r.clv.spearman} (monthly charges alone ${r.clv.spearman_baselines.monthly_charges}, tenure alone ${r.clv.spearman_baselines.tenure})`,
    `Maven churn AUC (Churned vs Stayed, ${IBM_REPEATS}×${IBM_FOLDS}): selected ${r.maven_churn.auc.selected.mean} ± ${r.maven_churn.auc.selected.std}`,
    `Scoring (boosted, ${s.trees} trees): ${s.model_rows_per_second} rows/s; bare read loop ${s.read_loop_rows_per_second}; JSON.parse ${s.json_parse_rows_per_second} rows/s`,
  ].join('\n');
}

/** Figures of `bench models`. */
export type ModelBenchResult = Awaited<ReturnType<typeof runModelBench>>;

/** Runs every part of `bench models` on the CSVs in `dir`. */
async function runModelBench(dir: string, seed: number, log: (line: string) => void) {
  const started = performance.now();
  log('IBM churn: cross-validating the learners and ml-xgboost…');
  const ibm = await ibmChurn(dir, seed);
  log('Hillstrom: uplift methods…');
  const uplift = hillstrom(dir, seed);
  log('lifetime value against IBM CLTV…');
  const clvFigures = clvCheck(dir, seed);
  log('Maven churn…');
  const mavenFigures = maven(dir, seed);
  log('scoring throughput…');
  const speed = throughput(dir, seed);
  return { ibm_churn: ibm, hillstrom_uplift: uplift, clv: clvFigures, maven_churn: mavenFigures, scoring: speed, seconds: seconds(started), node: process.version };
}

/** `bench models`: accuracy, uplift, CLV and speed figures on the public data sets. */
export const modelBench = defineBench({
  name: 'models',
  description: 'benchmark the churn learners, uplift methods, CLV and scoring speed on the public CSVs',
  options: [
    { flags: '--data <dir>', description: 'folder holding the public CSVs (e.g. ../shared/data)', required: true },
    { flags: '--seed <n>', description: 'random seed', parse: intOption('--seed', 0), default: 1 },
  ],
  run: (o: { data: string; seed: number }, { log }) => runModelBench(o.data, o.seed, log),
  summary: formatModelBench,
});
