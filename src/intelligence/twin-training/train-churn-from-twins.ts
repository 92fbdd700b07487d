import { TwinloopError } from '../../domain/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { FeatureMatrix } from '../tabular/encoder.js';
import type { LearnerName, TabularModelDocument } from '../model/model-document.js';
import { pipelineDocument, trainMatrixPipeline, trainMatrixSingle } from '../model/train-matrix-model.js';
import { createTabularScorer } from '../model/tabular-scorer.js';
import { parseModel } from '../model/model-file.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import { expectedCalibrationError, logLoss, reliabilityBins, type ReliabilityBin } from '../evaluation/calibration-error.js';
import { stratifiedSplit } from '../evaluation/stratified-folds.js';
import { fitBaseline, type DriftBaseline } from '../live/drift-monitor.js';
import { planCutoffs } from './training-cutoffs.js';
import { scoreBins, type ScoreBins } from './score-bins.js';
import { fitRecalibration, fitTopBend, RECALIBRATION_PRIOR, recalibrate, type Recalibration } from '../evaluation/recalibration.js';
import { calibrate } from '../learners/calibrator.js';
import { contractEndsWithin } from '../contract-end.js';
import { fitHazardDecay, type HazardDecay } from '../evaluation/hazard-decay-fit.js';
import { buildTwinTrainingSet, type TwinTrainingSet } from './twin-training-set.js';
import { DAY_MS } from '../../domain/time.js';
import { fnv1a32 } from '../../domain/string-hash.js';

/** The registry name of the churn model family. */
export const CHURN_MODEL_NAME = 'churn';
/** Default label window: churn within the next 30 days, the horizon retention teams act on. */
export const DEFAULT_HORIZON_DAYS = 30;
/** Largest horizon a caller may ask for: labels need that much history after every cutoff. */
export const MAX_HORIZON_DAYS = 365;
/** Most cutoffs a caller may ask for: four years of monthly snapshots. */
export const MAX_CUTOFFS = 48;
/** Fewer churners than this cannot rank anything reliably; training refuses. */
export const MIN_POSITIVES = 20;
/** Features whose drift is monitored: the model's most important ones. */
export const MONITORED_FEATURES = 5;
/** Equal-width probability bins of the validation calibration table (CLV interval, ECE). */
const CALIBRATION_BINS = 10;

/**
 * How the learner is fitted: `selected`, the full training (logistic regression and GBDT compared
 * by 3-fold inner CV, the winner refitted and calibrated on its out-of-fold log-odds); `first`, the
 * first model of a new system (`FIRST_MODEL_FIT`: one GBDT with its documented defaults, no
 * inner folds), which the full training replaces when it does better (docs/models.md).
 */
export type ChurnFit = 'selected' | 'first';

/**
 * The first model's fit: gradient-boosted trees (the learner the full training picks on the
 * sandbox's worlds: inner-CV AUC 0.77 against logistic regression's 0.74 on the default world)
 * with the learner's defaults (shrinkage 0.05, ≤ 8 leaves, early stopping on 10 % of the rows),
 * fitted once on every training row and Platt-calibrated on the 10 % it stopped early on: one GBDT
 * fit where the full training makes four (three inner folds and the refit, whose trees are these
 * when it picks GBDT) and seven logistic ones.
 */
export const FIRST_MODEL_FIT = { learner: 'gbdt' } as const;

/** What to train on. */
export interface ChurnTrainingOptions {
  /** Latest event time of the history (normally the live engine's event clock). */
  readonly to: number;
  /** Earliest event time; read from the log's first event when absent. */
  readonly from?: number;
  readonly horizonDays?: number;
  /** How many monthly cutoffs to stack (default 12). */
  readonly cutoffs?: number;
  readonly latenessMs?: number;
  readonly maxRows?: number;
  readonly seed?: number;
  readonly untilSeq?: number;
  /** Train on these customers only (see `sampleTrainingCustomers`); every customer when absent. */
  readonly customers?: readonly string[];
  /** Rows under a contact's effect left out, in days (`TwinTrainingSetOptions.contactEffectMs`): a model of churn without contact. */
  readonly contactEffectDays?: number;
  readonly learners?: readonly LearnerName[];
  /** How the learner is fitted (default `selected`). */
  readonly fit?: ChurnFit;
  /**
   * Another version scored on this training's validation rows (`metrics.rival`): the first model
   * the start's full training may replace, trained on a smaller sample, so the two are judged on
   * the same out-of-time rows (the latest cutoff, which neither was fitted to).
   */
  readonly rival?: ChurnRival;
  readonly onProgress?: (stage: string) => void;
  /**
   * Stops the training (a server asked to stop): the reading of the log stops at its next page,
   * and a training set built is not fitted. Rejects UNAVAILABLE (`trainingStopped`): a training
   * thread is asked to end and stops the same way (`trainChurnInThread`).
   */
  readonly signal?: AbortSignal;
}

/** A registered version to judge on a training's validation rows: its id and its document (the registry's JSON). */
export interface ChurnRival {
  readonly id: string;
  readonly document: string;
}

/** Observed churn per tenth of probability on the validation rows (the Models page's calibration table; score intervals of models trained before `scoreBins`). */
export interface CalibrationTable {
  readonly count: readonly number[];
  readonly positives: readonly number[];
}

/** What the registry stores beside the document (JSON-serialisable). */
export interface ChurnModelMetadata {
  readonly kind: 'churn';
  readonly createdAt: string;
  readonly horizonDays: number;
  readonly trainingWindow: { readonly from: string; readonly to: string; readonly cutoffs: readonly string[] };
  readonly featureNames: readonly string[];
  readonly learner: LearnerName;
  /** How it was fitted (absent on models trained before the first model's fit: `selected`). */
  readonly fit?: ChurnFit;
  readonly metrics: {
    readonly auc: number;
    readonly logLoss: number;
    readonly ece: number;
    readonly validation: string;
    readonly validationRows: number;
    readonly validationPositives: number;
    readonly trainRows: number;
    readonly trainPositives: number;
    readonly cvAuc: Readonly<Record<string, number>>;
    /** The rival version's AUC and log loss on the same validation rows (`ChurnTrainingOptions.rival`). */
    readonly rival?: { readonly id: string; readonly auc: number; readonly logLoss: number };
  };
  readonly calibration: CalibrationTable;
  /** The validation rows in bins of equal expected churn, the basis of score intervals (absent on models trained before it). */
  readonly scoreBins?: ScoreBins;
  /** The calibration plot's points: deciles of the validation rows by predicted probability (models trained before it have none). */
  readonly reliability?: readonly ReliabilityBin[];
  /**
   * The model's probabilities against the churn of its out-of-time validation rows (the latest
   * cutoff, which it was not fitted to): how far its level and its spread are off later
   * (`fitRecalibration`). Absent with a single cutoff (no rows out of time) and on models trained before it.
   */
  readonly outOfTime?: Recalibration;
  /**
   * How a group picked by the (recalibrated) model's scores churns in the months after the pick,
   * against what the scores said, read from every training row (`fitHazardDecay`): what a
   * simulation holding each twin's hazard over months applies. Absent with fewer than three
   * cutoffs and on models trained before it.
   */
  readonly hazardDecay?: HazardDecay;
  readonly drift: DriftBaseline;
  readonly rows: { readonly eligible: number; readonly used: number; readonly fitted: number; readonly eventsRead: number; readonly customers?: number };
  readonly durationMs: number;
}

/** A trained churn model ready to register. */
export interface TrainedChurnModel {
  readonly document: TabularModelDocument;
  readonly metadata: ChurnModelMetadata;
}

function select(m: FeatureMatrix, labels: Uint8Array, rows: ArrayLike<number>): { matrix: FeatureMatrix; labels: Uint8Array } {
  const data = new Float64Array(rows.length * m.cols);
  const y = new Uint8Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    data.set(m.data.subarray(rows[k] * m.cols, (rows[k] + 1) * m.cols), k * m.cols);
    y[k] = labels[rows[k]];
  }
  return { matrix: { rows: rows.length, cols: m.cols, data }, labels: y };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Trains a calibrated churn model from the event log (see `buildTwinTrainingSet` for the
 * leakage-free protocol). Validation is out of time: the model is fitted on the earlier cutoffs
 * (learner chosen by inner-CV AUC, calibrated on out-of-fold log-odds) and scored on the latest
 * one (a stratified 20 % when there is a single cutoff). The validated model is the one returned,
 * so its metrics are what it will do, not an estimate for a refit.
 */
export async function trainChurnFromTwins(store: EventStore, options: ChurnTrainingOptions): Promise<TrainedChurnModel> {
  const started = performance.now();
  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!(horizonDays > 0)) throw new TwinloopError('BAD_INPUT', `horizonDays must be positive; got ${horizonDays}`);
  const horizonMs = horizonDays * DAY_MS;
  const cutoffs = churnCutoffs({ from: options.from ?? (await store.readLog(0, 1))[0]?.time, to: options.to, horizonDays, cutoffs: options.cutoffs });
  options.onProgress?.('building the training set');
  const set = await buildTwinTrainingSet(store, { cutoffs, horizonMs, latenessMs: options.latenessMs, maxRows: options.maxRows, seed: options.seed, untilSeq: options.untilSeq, customers: options.customers, signal: options.signal, ...(options.contactEffectDays === undefined ? {} : { contactEffectMs: options.contactEffectDays * DAY_MS }) }).catch((err: unknown) => {
    // Stopped while reading (the signal's own reason, whatever it was): said as every stop is.
    throw options.signal?.aborted ? trainingStopped() : err;
  });
  if (options.signal?.aborted) throw trainingStopped();
  return fitChurnModel(set, horizonDays, options, started);
}

/** The rival's AUC and log loss on the validation rows (its document's own probabilities, as the training's are). */
function scoreRival(rival: ChurnRival, valid: { matrix: FeatureMatrix; labels: Uint8Array }): { id: string; auc: number; logLoss: number } {
  const probs = createTabularScorer(parseModel(rival.document)).scoreMatrix(valid.matrix);
  return { id: rival.id, auc: round(rocAuc(valid.labels, probs)), logLoss: round(logLoss(valid.labels, probs)) };
}

/** What a training stopped by its signal rejects with. */
export function trainingStopped(): TwinloopError {
  return new TwinloopError('UNAVAILABLE', 'the churn training was stopped before it finished (the server is stopping); nothing was registered', { context: { retryable: false } });
}

/**
 * The monthly cutoffs a churn model's rows are taken at, from the log's first event time to the
 * event clock (the same for every part of a training fanned out over workers); CONFLICT when
 * there are no events, or too few days of them for the horizon.
 */
export function churnCutoffs(o: { from: number | undefined; to: number; horizonDays: number; cutoffs?: number }): number[] {
  if (o.from === undefined) throw new TwinloopError('CONFLICT', 'no events yet: ingest a history before training a churn model');
  const cutoffs = planCutoffs({ from: o.from, to: o.to, horizonMs: o.horizonDays * DAY_MS, maxCutoffs: o.cutoffs });
  if (cutoffs.length === 0) {
    throw new TwinloopError('CONFLICT', `the history (${iso(o.from)} … ${iso(o.to)}) is too short for a ${o.horizonDays}-day horizon: it needs at least ${o.horizonDays + 30} days of events`);
  }
  return cutoffs;
}

/** Fits a churn model on a built training set (one process's, or the parts of a training fanned out over workers put together); CONFLICT with too few of either class. */
export function fitChurnModel(set: TwinTrainingSet, horizonDays: number, options: Pick<ChurnTrainingOptions, 'seed' | 'learners' | 'onProgress' | 'customers' | 'fit' | 'rival'>, started = performance.now()): TrainedChurnModel {
  if (set.positives < MIN_POSITIVES || set.matrix.rows - set.positives < MIN_POSITIVES) {
    throw new TwinloopError('CONFLICT', `only ${set.positives} churners among ${set.matrix.rows} training rows; at least ${MIN_POSITIVES} of each class are needed (a longer history or a longer horizon helps)`);
  }
  return fitAndEvaluate(set, horizonDays, options, started);
}

/** Fits, validates and describes a model on a built training set (exported for tests and benches). */
export function fitAndEvaluate(set: TwinTrainingSet, horizonDays: number, options: Pick<ChurnTrainingOptions, 'seed' | 'learners' | 'onProgress' | 'customers' | 'fit' | 'rival'>, started = performance.now()): TrainedChurnModel {
  const seed = options.seed ?? 1;
  const K = set.cutoffs.length;
  const trainIdx: number[] = [];
  const validIdx: number[] = [];
  let validation: string;
  if (K >= 2) {
    for (let i = 0; i < set.matrix.rows; i++) (set.cutoffIndex[i] === K - 1 ? validIdx : trainIdx).push(i);
    validation = `out of time: the latest cutoff (${iso(set.cutoffs[K - 1])})`;
  } else {
    const split = stratifiedSplit(set.labels, 0.2, seed);
    trainIdx.push(...split.train);
    validIdx.push(...split.test);
    validation = 'stratified 20 % of the single cutoff';
  }
  const train = select(set.matrix, set.labels, trainIdx);
  const valid = select(set.matrix, set.labels, validIdx);
  options.onProgress?.('selecting the learner and fitting');
  const cpu = process.cpuUsage();
  const fitStarted = performance.now();
  const fit = options.fit ?? 'selected';
  const p =
    fit === 'first'
      ? trainMatrixSingle(train.matrix, train.labels, set.featureNames, { ...FIRST_MODEL_FIT, seed })
      : trainMatrixPipeline(train.matrix, train.labels, set.featureNames, { seed, learners: options.learners });
  const document = pipelineDocument(p, train.labels, { seed, idColumn: 'customerId', ...(fit === 'first' ? { innerFolds: 0 } : {}) }, { durationMs: Math.round(performance.now() - fitStarted), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000) });
  // The registered model is the validated one: its metrics are out of time, not estimates for a refit.
  const probs = createTabularScorer(document).scoreMatrix(valid.matrix);
  const count = new Array<number>(CALIBRATION_BINS).fill(0);
  const positives = new Array<number>(CALIBRATION_BINS).fill(0);
  probs.forEach((q, i) => {
    const b = Math.min(CALIBRATION_BINS - 1, Math.floor(q * CALIBRATION_BINS));
    count[b]++;
    positives[b] += valid.labels[i];
  });
  const drift = driftBaseline(set.featureNames, document, valid.matrix, probs);
  const sum = (y: Uint8Array): number => y.reduce((s, v) => s + v, 0);
  // The top's bend is read in time, on the training rows' held-out scores (every cutoff's churners),
  // the line out of time on the latest cutoff's: one window's few churners at the top cannot say how
  // far its riskiest tenth is overstated, and a line alone fitted there chased them (docs/models.md).
  const held = p.heldOut;
  const topBend = K >= 2 && held ? fitTopBend(Array.from(held.logOdds, (z) => calibrate(p.calibration, z)), Array.from(held.rows, (r) => train.labels[r])) : undefined;
  const outOfTime = K >= 2 ? fitRecalibration(probs, valid.labels, RECALIBRATION_PRIOR, topBend) : undefined;
  const hazardDecay = K >= 3 ? decayOf(set, { trainIdx, validIdx, document, recalibration: outOfTime, fit, seed }, horizonDays) : null;
  const metadata: ChurnModelMetadata = {
    kind: 'churn',
    createdAt: document.createdAt,
    horizonDays,
    trainingWindow: { from: iso(set.cutoffs[0]), to: iso(set.cutoffs[K - 1] + horizonDays * DAY_MS), cutoffs: set.cutoffs.map(iso) },
    featureNames: set.featureNames,
    learner: document.learner,
    fit,
    metrics: {
      auc: round(rocAuc(valid.labels, probs)),
      logLoss: round(logLoss(valid.labels, probs)),
      ece: round(expectedCalibrationError(valid.labels, probs)),
      validation,
      validationRows: valid.matrix.rows,
      validationPositives: sum(valid.labels),
      trainRows: train.matrix.rows,
      trainPositives: sum(train.labels),
      cvAuc: Object.fromEntries(Object.entries(p.cvAuc).filter(([, v]) => !Number.isNaN(v)).map(([k, v]) => [k, round(v)])),
      ...(options.rival ? { rival: scoreRival(options.rival, valid) } : {}),
    },
    calibration: { count, positives },
    scoreBins: scoreBins(probs, valid.labels),
    reliability: reliabilityBins(valid.labels, probs),
    ...(outOfTime ? { outOfTime } : {}),
    ...(hazardDecay ? { hazardDecay } : {}),
    drift,
    rows: { eligible: set.eligibleRows, used: set.matrix.rows, fitted: train.matrix.rows, eventsRead: set.eventsRead, ...(options.customers ? { customers: options.customers.length } : {}) },
    durationMs: Math.round(performance.now() - started),
  };
  return { document, metadata };
}

/** Folds of customers the fall after a pick is read over: each fold's rows scored by a model fitted without them. */
export const DECAY_FOLDS = 3;

/** The served model and how it was fitted: what the fall's fold models repeat without each fold. */
interface ServedFit {
  readonly trainIdx: readonly number[];
  readonly validIdx: readonly number[];
  readonly document: TabularModelDocument;
  readonly recalibration: Recalibration | undefined;
  readonly fit: ChurnFit;
  readonly seed: number;
}

/** The fall after a pick over every row of the set, scored as the lab scores a twin: by a model that never saw it, recalibrated out of time. */
function decayOf(set: TwinTrainingSet, served: ServedFit, horizonDays: number): HazardDecay | null {
  const probability = crossFittedScores(set, served) ?? servedScores(set, served);
  // Whose contract ends within the horizon at the row's cutoff (none when the rows do not say).
  const col = set.featureNames.indexOf('contract_days_left');
  const m = set.matrix;
  const contractEnds = Uint8Array.from({ length: m.rows }, (_, i) => (col >= 0 && contractEndsWithin(m.data[i * m.cols + col], horizonDays) ? 1 : 0));
  return fitHazardDecay({ probability, labels: set.labels, customerIds: set.customerIds, cutoffIndex: set.cutoffIndex, cutoffs: set.cutoffs.length, contractEnds });
}

/** The served model's own scores of every row, recalibrated out of time (in-sample on its training rows). */
function servedScores(set: TwinTrainingSet, served: ServedFit): Float64Array {
  const raw = createTabularScorer(served.document).scoreMatrix(set.matrix);
  const r = served.recalibration;
  return r ? raw.map((q) => recalibrate(q, r)) : raw;
}

/**
 * Every row's score from a model that never saw its customer: the customers in `DECAY_FOLDS`
 * folds, each fold's rows (every cutoff) scored by a model of the served one's learner fitted on
 * the other folds' training rows (the served one's fit: GBDT fitted once when it chose GBDT or
 * was a first model, the learner's own selection otherwise) and recalibrated on the other folds'
 * out-of-time rows, as the served model is on all of them. The lab scores today's twins, whose
 * future no fit has seen; read on the served model's own scores of its training rows, the
 * survivors of a pick were scored down by their own labels (the fit pushed a stayer's score
 * toward 0), so their later churn read high against it and the fall came out too shallow: the
 * lab's untreated churn over the horizon was 1.11–1.45 × the realised on every validation of
 * 2026-12-06 (BENCHMARKS.md). Null when a fold's rows are too few to fit on (then the served
 * model's scores are read, as before).
 */
function crossFittedScores(set: TwinTrainingSet, served: ServedFit): Float64Array | null {
  const foldOf = set.customerIds.map((id) => fnv1a32(id, served.seed) % DECAY_FOLDS);
  const out = new Float64Array(set.matrix.rows);
  for (let f = 0; f < DECAY_FOLDS; f++) {
    const trainRows = served.trainIdx.filter((r) => foldOf[r] !== f);
    const validRows = served.validIdx.filter((r) => foldOf[r] !== f);
    const heldRows = foldOf.flatMap((g, r) => (g === f ? [r] : []));
    const train = select(set.matrix, set.labels, trainRows);
    const positives = train.labels.reduce((t, y) => t + y, 0);
    if (positives < MIN_POSITIVES || train.matrix.rows - positives < MIN_POSITIVES || validRows.length === 0) return null;
    const learner = served.document.learner;
    let p;
    try {
      p = served.fit === 'first' || learner === 'gbdt'
        ? trainMatrixSingle(train.matrix, train.labels, set.featureNames, { ...FIRST_MODEL_FIT, seed: served.seed + f })
        : trainMatrixPipeline(train.matrix, train.labels, set.featureNames, { seed: served.seed + f, learners: [learner] });
    } catch (err) {
      // Too few rows for the single fit's early-stopping split: the fold cannot be fitted.
      if (err instanceof TwinloopError && err.code === 'BAD_INPUT') return null;
      throw err;
    }
    const scorer = createTabularScorer(pipelineDocument(p, train.labels, { seed: served.seed + f, idColumn: 'customerId' }, { durationMs: 0, cpuMs: 0 }));
    const valid = select(set.matrix, set.labels, validRows);
    const r = served.recalibration ? fitRecalibration(scorer.scoreMatrix(valid.matrix), valid.labels) : undefined;
    const held = scorer.scoreMatrix(select(set.matrix, set.labels, heldRows).matrix);
    heldRows.forEach((row, j) => (out[row] = r ? recalibrate(held[j], r) : held[j]));
  }
  return out;
}

/**
 * The distributions drift is measured against: the validation rows (one population snapshot,
 * like the live twins) scored by the registered model, and the values of the features with the
 * largest mean absolute contribution to those scores.
 */
function driftBaseline(featureNames: readonly string[], doc: TabularModelDocument, valid: FeatureMatrix, probs: Float64Array): DriftBaseline {
  const P = valid.cols;
  const importance = new Float64Array(P);
  if (doc.gbdt) {
    // Split gains are not kept; the rows each feature's splits route (cover) are a stable proxy.
    for (const t of doc.gbdt.trees) t.feature.forEach((f, node) => f >= 0 && (importance[f] += t.cover[node]));
  } else if (doc.logistic) {
    const lr = doc.logistic;
    // Standardised design: |weight| is the log-odds effect of one standard deviation.
    lr.design.columns.forEach((c, k) => (importance[c.source] += Math.abs(lr.weights[k])));
  }
  const top = Array.from(importance, (v, j) => [v, j] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, MONITORED_FEATURES)
    .filter(([v]) => v > 0)
    .map(([, j]) => j);
  const column = (j: number): Float64Array => Float64Array.from({ length: valid.rows }, (_, i) => valid.data[i * P + j]);
  return {
    score: fitBaseline(probs),
    features: top.map((j) => ({ name: featureNames[j], baseline: fitBaseline(column(j)) })),
  };
}
