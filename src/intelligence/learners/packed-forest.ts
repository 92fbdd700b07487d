import type { FeatureMatrix } from '../tabular/encoder.js';
import type { BoostedModel } from './gradient-boosting.js';

/**
 * All trees of a boosted model in flat typed arrays, for batch scoring without per-row objects.
 * Leaves are stored as negative child links (−1 − leafIndex) so the inner loop has one test, and
 * both children sit side by side in `children` so the next node is one indexed load.
 */
export interface PackedForest {
  readonly baseScore: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** children[2k] = left[k], children[2k + 1] = right[k]. */
  readonly children: Int32Array;
  readonly leafValue: Float64Array;
}

/** Packs a model once; reuse the result for every batch. */
export function packForest(model: BoostedModel): PackedForest {
  let internal = 0;
  let leaves = 0;
  for (const t of model.trees) {
    for (const f of t.feature) {
      if (f >= 0) internal++;
      else leaves++;
    }
  }
  const feature = new Int32Array(internal);
  const threshold = new Float64Array(internal);
  const missingLeft = new Uint8Array(internal);
  const left = new Int32Array(internal);
  const right = new Int32Array(internal);
  const leafValue = new Float64Array(leaves);
  const roots = new Int32Array(model.trees.length);
  let ni = 0;
  let li = 0;
  model.trees.forEach((t, k) => {
    const id = new Int32Array(t.feature.length);
    t.feature.forEach((f, node) => {
      if (f >= 0) id[node] = ni++;
      else {
        leafValue[li] = t.value[node];
        id[node] = -1 - li++;
      }
    });
    t.feature.forEach((f, node) => {
      if (f < 0) return;
      const m = id[node];
      feature[m] = f;
      threshold[m] = t.threshold[node];
      missingLeft[m] = t.missingLeft[node];
      left[m] = id[t.left[node]];
      right[m] = id[t.right[node]];
    });
    roots[k] = id[0];
  });
  const children = new Int32Array(2 * internal);
  for (let k = 0; k < internal; k++) {
    children[2 * k] = left[k];
    children[2 * k + 1] = right[k];
  }
  return { baseScore: model.baseScore, roots, feature, threshold, missingLeft, left, right, children, leafValue };
}

/** Raw outputs (log-odds) for every row of a row-major matrix, written into `out`. */
export function predictPacked(forest: PackedForest, matrix: FeatureMatrix, out: Float64Array = new Float64Array(matrix.rows)): Float64Array {
  const { roots, feature, threshold, missingLeft, children, leafValue, baseScore } = forest;
  const { rows, cols, data } = matrix;
  const nTrees = roots.length;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let s = baseScore;
    for (let t = 0; t < nTrees; t++) {
      let node = roots[t];
      while (node >= 0) {
        const v = data[base + feature[node]];
        // NaN fails `<=`, so only a missing value reaches the missingLeft test.
        node = children[2 * node + (v <= threshold[node] || (v !== v && missingLeft[node] === 1) ? 0 : 1)];
      }
      s += leafValue[-1 - node];
    }
    out[i] = s;
  }
  return out;
}
