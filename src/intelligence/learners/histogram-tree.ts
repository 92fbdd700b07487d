import { MISSING_BIN } from './feature-binning.js';

/**
 * A regression tree in bin space, stored as parallel arrays (node 0 is the root). A node with
 * feature −1 is a leaf. Rows go left when bin <= threshold; missing rows follow `missingLeft`.
 */
export interface BinTree {
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  left: number[];
  right: number[];
  value: number[];
  /** Training rows that reached the node (the "cover" TreeSHAP weighs paths with). */
  cover: number[];
}

/** Growth controls for one tree. */
export interface TreeParams {
  readonly maxLeaves: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly l2: number;
  /** Leaf values are multiplied by this (the shrinkage). */
  readonly learningRate: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  G: number;
  H: number;
  gain: number;
  feature: number;
  threshold: number;
  missingLeft: boolean;
}

const STRIDE = 256 * 3;

/**
 * Grows one tree leaf-wise (best gain first) on histograms of gradients and hessians. The
 * smaller child's histogram is built from its rows and the larger one's by subtraction.
 */
export function growTree(
  bins: Uint8Array,
  n: number,
  binCounts: Int32Array,
  grad: Float64Array,
  hess: Float64Array,
  rows: Uint32Array,
  features: Int32Array,
  params: TreeParams,
  /** When given, each grown row's leaf value is added here and the row marked in `updated`. */
  update?: { readonly raw: Float64Array; readonly updated: Uint8Array },
  /** Spare histogram buffers reused across trees, sparing the garbage collector. */
  pool: Float64Array[] = [],
): BinTree {
  const p = binCounts.length;
  const idx = rows.slice();
  const tmp = new Uint32Array(idx.length);
  const tree: BinTree = { feature: [], threshold: [], missingLeft: [], left: [], right: [], value: [], cover: [] };
  const addNode = (cover: number): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.missingLeft.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    tree.cover.push(cover);
    return tree.feature.length - 1;
  };
  const buildHist = (start: number, end: number): Float64Array => {
    const hist = pool.pop() ?? new Float64Array(p * STRIDE);
    hist.fill(0);
    for (let fi = 0; fi < features.length; fi++) {
      const f = features[fi];
      const off = f * n;
      const base = f * STRIDE;
      for (let k = start; k < end; k++) {
        const r = idx[k];
        const h = base + bins[off + r] * 3;
        hist[h] += grad[r];
        hist[h + 1] += hess[r];
        hist[h + 2] += 1;
      }
    }
    return hist;
  };
  const { l2, minSamplesLeaf } = params;
  const score = (g: number, h: number): number => (g * g) / (h + l2);
  const findSplit = (leaf: Leaf): void => {
    leaf.gain = 0;
    leaf.feature = -1;
    const count = leaf.end - leaf.start;
    if (count < 2 * minSamplesLeaf || leaf.depth >= params.maxDepth) return;
    const parent = score(leaf.G, leaf.H);
    const hist = leaf.hist;
    for (let fi = 0; fi < features.length; fi++) {
      const f = features[fi];
      const base = f * STRIDE;
      const mb = base + MISSING_BIN * 3;
      const gM = hist[mb];
      const hM = hist[mb + 1];
      const cM = hist[mb + 2];
      let gL = 0;
      let hL = 0;
      let cL = 0;
      const last = binCounts[f] - 1;
      for (let t = 0; t < last; t++) {
        const b = base + t * 3;
        gL += hist[b];
        hL += hist[b + 1];
        cL += hist[b + 2];
        if (hist[b + 2] === 0 && t > 0) continue;
        // Missing to the right.
        let cR = count - cL;
        if (cL >= minSamplesLeaf && cR >= minSamplesLeaf) {
          const gain = score(gL, hL) + score(leaf.G - gL, leaf.H - hL) - parent;
          if (gain > leaf.gain) {
            leaf.gain = gain;
            leaf.feature = f;
            leaf.threshold = t;
            leaf.missingLeft = cM > 0 ? false : cL >= cR;
          }
        }
        if (cM === 0) continue;
        // Missing to the left.
        const cL2 = cL + cM;
        cR = count - cL2;
        if (cL2 >= minSamplesLeaf && cR >= minSamplesLeaf) {
          const gl = gL + gM;
          const hl = hL + hM;
          const gain = score(gl, hl) + score(leaf.G - gl, leaf.H - hl) - parent;
          if (gain > leaf.gain) {
            leaf.gain = gain;
            leaf.feature = f;
            leaf.threshold = t;
            leaf.missingLeft = true;
          }
        }
      }
    }
  };
  let G = 0;
  let H = 0;
  for (let k = 0; k < idx.length; k++) {
    G += grad[idx[k]];
    H += hess[idx[k]];
  }
  const root: Leaf = { node: addNode(idx.length), start: 0, end: idx.length, depth: 0, hist: buildHist(0, idx.length), G, H, gain: 0, feature: -1, threshold: 0, missingLeft: false };
  findSplit(root);
  const open: Leaf[] = [root];
  let leaves = 1;
  while (leaves < params.maxLeaves) {
    let best = -1;
    for (let k = 0; k < open.length; k++) if (open[k].feature >= 0 && (best < 0 || open[k].gain > open[best].gain)) best = k;
    if (best < 0) break;
    const leaf = open[best];
    open.splice(best, 1);
    // Stable in-place partition of the leaf's rows.
    const off = leaf.feature * n;
    let l = leaf.start;
    let r = 0;
    let gl = 0;
    let hl = 0;
    for (let k = leaf.start; k < leaf.end; k++) {
      const row = idx[k];
      const b = bins[off + row];
      const goLeft = b === MISSING_BIN ? leaf.missingLeft : b <= leaf.threshold;
      if (goLeft) {
        idx[l++] = row;
        gl += grad[row];
        hl += hess[row];
      } else tmp[r++] = row;
    }
    idx.set(tmp.subarray(0, r), l);
    const nl = l - leaf.start;
    const nr = leaf.end - l;
    const ln = addNode(nl);
    const rn = addNode(nr);
    tree.feature[leaf.node] = leaf.feature;
    tree.threshold[leaf.node] = leaf.threshold;
    tree.missingLeft[leaf.node] = leaf.missingLeft ? 1 : 0;
    tree.left[leaf.node] = ln;
    tree.right[leaf.node] = rn;
    const smallIsLeft = nl <= nr;
    const small = smallIsLeft ? buildHist(leaf.start, l) : buildHist(l, leaf.end);
    const large = leaf.hist;
    for (let fi = 0; fi < features.length; fi++) {
      const end = (features[fi] + 1) * STRIDE;
      for (let k = features[fi] * STRIDE; k < end; k++) large[k] -= small[k];
    }
    const lh = smallIsLeft ? small : large;
    const rh = smallIsLeft ? large : small;
    const mk = (node: number, start: number, end: number, hist: Float64Array, g: number, h: number): Leaf => {
      const child: Leaf = { node, start, end, depth: leaf.depth + 1, hist, G: g, H: h, gain: 0, feature: -1, threshold: 0, missingLeft: false };
      findSplit(child);
      return child;
    };
    open.push(mk(ln, leaf.start, l, lh, gl, hl), mk(rn, l, leaf.end, rh, leaf.G - gl, leaf.H - hl));
    leaves++;
  }
  for (const leaf of open) {
    pool.push(leaf.hist);
    const v = (-leaf.G / (leaf.H + l2)) * params.learningRate;
    tree.value[leaf.node] = v;
    if (!update) continue;
    for (let k = leaf.start; k < leaf.end; k++) {
      update.raw[idx[k]] += v;
      update.updated[idx[k]] = 1;
    }
  }
  return tree;
}

/** The leaf value a binned row reaches. */
export function predictBinned(tree: BinTree, bins: Uint8Array, n: number, row: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const b = bins[tree.feature[node] * n + row];
    const left = b === MISSING_BIN ? tree.missingLeft[node] === 1 : b <= tree.threshold[node];
    node = left ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}
