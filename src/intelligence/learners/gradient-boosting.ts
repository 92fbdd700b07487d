import type { FeatureMatrix } from '../tabular/encoder.js';
import { createRng, shuffleInPlace } from '../random.js';
import { binMatrix, fitBinEdges } from './feature-binning.js';
import type { BinTree } from './histogram-tree.js';
import { growTree, predictBinned } from './histogram-tree.js';
import { stratifiedSplit } from '../evaluation/stratified-folds.js';

/**
 * One tree with raw-value thresholds: go left when x <= threshold, missing follows missingLeft.
 * A node with feature −1 is a leaf holding `value`.
 */
export interface Tree {
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly missingLeft: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly value: readonly number[];
  readonly cover: readonly number[];
}

/** A fitted boosted ensemble. Output = baseScore + Σ tree values (log-odds for 'logloss'). JSON-serialisable. */
export interface BoostedModel {
  readonly kind: 'gbdt';
  readonly objective: 'logloss' | 'squared';
  readonly baseScore: number;
  readonly trees: readonly Tree[];
  readonly featureCount: number;
  readonly bestIteration: number;
}

/** Boosting options with defaults chosen for small-to-medium tabular churn data (strong shrinkage, small leaves). */
export interface BoostingOptions {
  readonly objective?: 'logloss' | 'squared';
  readonly learningRate?: number;
  readonly maxIterations?: number;
  readonly maxLeaves?: number;
  readonly maxDepth?: number;
  readonly minSamplesLeaf?: number;
  readonly l2?: number;
  readonly subsample?: number;
  readonly colsample?: number;
  /** Share of the training rows held out for early stopping; 0 turns early stopping off. */
  readonly validationFraction?: number;
  /** Stop after this many rounds without improving the validation loss. */
  readonly patience?: number;
  readonly seed?: number;
}

const DEFAULTS: Required<BoostingOptions> = {
  objective: 'logloss',
  learningRate: 0.05,
  maxIterations: 400,
  maxLeaves: 8,
  maxDepth: 6,
  minSamplesLeaf: 20,
  l2: 1,
  subsample: 0.8,
  colsample: 0.8,
  validationFraction: 0.1,
  patience: 20,
  seed: 1,
};

/** Below this many rows early stopping is off: the validation split would be too noisy. */
const MIN_ROWS_FOR_EARLY_STOPPING = 400;

/**
 * The rows `fitBoosting` grows its trees on and the rows it stops early on (none below
 * MIN_ROWS_FOR_EARLY_STOPPING or with `validationFraction` 0): a caller may score the latter as
 * rows the trees never saw (the first churn model calibrates on them). Stratified for log loss;
 * for squared error a shuffle drawn from `rng`, the fit's own generator (pass it to get its split).
 */
export function earlyStoppingSplit(target: ArrayLike<number>, options: BoostingOptions = {}, rng = createRng({ ...DEFAULTS, ...options }.seed)): { trainRows: Uint32Array; validRows: Uint32Array } {
  const o = { ...DEFAULTS, ...options };
  const n = target.length;
  if (!(o.validationFraction > 0 && n >= MIN_ROWS_FOR_EARLY_STOPPING)) return { trainRows: Uint32Array.from({ length: n }, (_, i) => i), validRows: new Uint32Array(0) };
  if (o.objective === 'logloss') {
    const s = stratifiedSplit(target, o.validationFraction, o.seed + 17);
    return { trainRows: s.train, validRows: s.test };
  }
  const perm = Uint32Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(perm, rng);
  const nv = Math.round(n * o.validationFraction);
  return { validRows: perm.slice(0, nv).sort(), trainRows: perm.slice(nv).sort() };
}

/** Fits gradient-boosted trees on histograms of binned features. */
export function fitBoosting(matrix: FeatureMatrix, target: ArrayLike<number>, options: BoostingOptions = {}): BoostedModel {
  const o = { ...DEFAULTS, ...options };
  const n = matrix.rows;
  const binEdges = fitBinEdges(matrix);
  const bins = binMatrix(binEdges, matrix);
  const binCounts = Int32Array.from(binEdges.edges.map((e) => e.length + 1));
  const rng = createRng(o.seed);
  const y = Float64Array.from(target);
  const { trainRows, validRows } = earlyStoppingSplit(y, o, rng);
  let mean = 0;
  for (const r of trainRows) mean += y[r];
  mean /= Math.max(1, trainRows.length);
  const baseScore = o.objective === 'logloss' ? Math.log(Math.min(Math.max(mean, 1e-6), 1 - 1e-6) / (1 - Math.min(Math.max(mean, 1e-6), 1 - 1e-6))) : mean;
  const raw = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const updated = new Uint8Array(n);
  const pool: Float64Array[] = [];
  const allFeatures = Int32Array.from({ length: matrix.cols }, (_, j) => j);
  const nFeat = Math.max(1, Math.round(o.colsample * matrix.cols));
  const nSample = Math.max(1, Math.round(o.subsample * trainRows.length));
  const trees: BinTree[] = [];
  let bestLoss = Infinity;
  let bestIteration = 0;
  const params = { maxLeaves: o.maxLeaves, maxDepth: o.maxDepth, minSamplesLeaf: o.minSamplesLeaf, l2: o.l2, learningRate: o.learningRate };
  for (let it = 0; it < o.maxIterations; it++) {
    for (let k = 0; k < trainRows.length; k++) {
      const r = trainRows[k];
      if (o.objective === 'logloss') {
        const p = 1 / (1 + Math.exp(-raw[r]));
        grad[r] = p - y[r];
        hess[r] = Math.max(p * (1 - p), 1e-16);
      } else {
        grad[r] = raw[r] - y[r];
        hess[r] = 1;
      }
    }
    let rows = trainRows;
    if (nSample < trainRows.length) {
      const perm = trainRows.slice();
      shuffleInPlace(perm, rng);
      rows = perm.subarray(0, nSample).sort();
    }
    let features = allFeatures;
    if (nFeat < matrix.cols) {
      const perm = allFeatures.slice();
      for (let i = perm.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      features = perm.subarray(0, nFeat).sort();
    }
    updated.fill(0);
    const tree = growTree(bins, n, binCounts, grad, hess, rows, features, params, { raw, updated }, pool);
    trees.push(tree);
    // Rows the tree was grown on were updated from their leaves; only the others need a walk.
    for (let r = 0; r < n; r++) if (updated[r] === 0) raw[r] += predictBinned(tree, bins, n, r);
    if (validRows.length === 0) {
      bestIteration = it + 1;
      continue;
    }
    let loss = 0;
    for (let k = 0; k < validRows.length; k++) {
      const r = validRows[k];
      const z = raw[r];
      loss += o.objective === 'logloss' ? Math.max(z, 0) - z * y[r] + Math.log1p(Math.exp(-Math.abs(z))) : (z - y[r]) ** 2;
    }
    if (loss < bestLoss - 1e-9 * Math.abs(loss)) {
      bestLoss = loss;
      bestIteration = it + 1;
    } else if (it + 1 - bestIteration >= o.patience) break;
  }
  const kept = trees.slice(0, Math.max(1, bestIteration)).map((t) => toRawTree(t, binEdges.edges));
  return { kind: 'gbdt', objective: o.objective, baseScore, trees: kept, featureCount: matrix.cols, bestIteration: kept.length };
}

/** Translates bin thresholds to raw values: bin <= t is x <= edges[t]. */
function toRawTree(t: BinTree, edges: readonly Float64Array[]): Tree {
  return {
    ...t,
    threshold: t.threshold.map((th, k) => (t.feature[k] >= 0 ? edges[t.feature[k]][th] : 0)),
  };
}

/** Raw output (log-odds for logloss) for one row of raw feature values. */
export function boostedOutput(model: BoostedModel, row: ArrayLike<number>, offset = 0): number {
  let s = model.baseScore;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      const v = row[offset + tree.feature[node]];
      node = v <= tree.threshold[node] ? tree.left[node] : v > tree.threshold[node] ? tree.right[node] : tree.missingLeft[node] ? tree.left[node] : tree.right[node];
    }
    s += tree.value[node];
  }
  return s;
}
