import type { Tree } from '../learners/gradient-boosting.js';

/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2): Shapley values of a
 * tree's output where "feature absent" means averaging over both children weighted by training
 * cover. Contributions sum to the tree's output minus its expected value.
 */
export function treeShap(tree: Tree, row: ArrayLike<number>, phi: Float64Array): void {
  const depth = treeDepth(tree, 0);
  const size = ((depth + 3) * (depth + 4)) / 2 + 4;
  const feat = new Int32Array(size);
  const zero = new Float64Array(size);
  const one = new Float64Array(size);
  const pw = new Float64Array(size);

  const extend = (p: number, d: number, z: number, o: number, f: number): void => {
    feat[p + d] = f;
    zero[p + d] = z;
    one[p + d] = o;
    pw[p + d] = d === 0 ? 1 : 0;
    for (let i = d - 1; i >= 0; i--) {
      pw[p + i + 1] += (o * pw[p + i] * (i + 1)) / (d + 1);
      pw[p + i] = (z * pw[p + i] * (d - i)) / (d + 1);
    }
  };
  const unwind = (p: number, d: number, k: number): void => {
    const o = one[p + k];
    const z = zero[p + k];
    let next = pw[p + d];
    for (let i = d - 1; i >= 0; i--) {
      if (o !== 0) {
        const t = pw[p + i];
        pw[p + i] = (next * (d + 1)) / ((i + 1) * o);
        next = t - (pw[p + i] * z * (d - i)) / (d + 1);
      } else {
        pw[p + i] = (pw[p + i] * (d + 1)) / (z * (d - i));
      }
    }
    for (let i = k; i < d; i++) {
      feat[p + i] = feat[p + i + 1];
      zero[p + i] = zero[p + i + 1];
      one[p + i] = one[p + i + 1];
    }
  };
  const unwoundSum = (p: number, d: number, k: number): number => {
    const o = one[p + k];
    const z = zero[p + k];
    let next = pw[p + d];
    let total = 0;
    for (let i = d - 1; i >= 0; i--) {
      if (o !== 0) {
        const t = (next * (d + 1)) / ((i + 1) * o);
        total += t;
        next = pw[p + i] - (t * z * (d - i)) / (d + 1);
      } else {
        total += pw[p + i] / z / ((d - i) / (d + 1));
      }
    }
    return total;
  };
  const recurse = (node: number, parent: number, d: number, pz: number, po: number, pf: number): void => {
    // Copy the parent's path into this level's slot, then extend it.
    const p = parent + d + 1;
    for (let i = 0; i < d; i++) {
      feat[p + i] = feat[parent + i];
      zero[p + i] = zero[parent + i];
      one[p + i] = one[parent + i];
      pw[p + i] = pw[parent + i];
    }
    extend(p, d, pz, po, pf);
    const f = tree.feature[node];
    if (f < 0) {
      for (let i = 1; i <= d; i++) {
        const w = unwoundSum(p, d, i);
        phi[feat[p + i]] += w * (one[p + i] - zero[p + i]) * tree.value[node];
      }
      return;
    }
    const v = row[f];
    const thr = tree.threshold[node];
    const goLeft = v <= thr ? true : v > thr ? false : tree.missingLeft[node] === 1;
    const hot = goLeft ? tree.left[node] : tree.right[node];
    const cold = goLeft ? tree.right[node] : tree.left[node];
    const cover = tree.cover[node];
    let iz = 1;
    let io = 1;
    let depth = d;
    let k = 0;
    for (; k <= depth; k++) if (feat[p + k] === f) break;
    if (k !== depth + 1) {
      iz = zero[p + k];
      io = one[p + k];
      unwind(p, depth, k);
      depth -= 1;
    }
    recurse(hot, p, depth + 1, (tree.cover[hot] / cover) * iz, io, f);
    recurse(cold, p, depth + 1, (tree.cover[cold] / cover) * iz, 0, f);
  };
  recurse(0, 0, 0, 1, 1, -1);
}

function treeDepth(tree: Tree, node: number): number {
  if (tree.feature[node] < 0) return 0;
  return 1 + Math.max(treeDepth(tree, tree.left[node]), treeDepth(tree, tree.right[node]));
}

/** The cover-weighted mean leaf value: the tree's output when no feature is known. */
export function treeExpectedValue(tree: Tree, node = 0): number {
  if (tree.feature[node] < 0) return tree.value[node];
  const c = tree.cover[node];
  const l = tree.left[node];
  const r = tree.right[node];
  return (tree.cover[l] / c) * treeExpectedValue(tree, l) + (tree.cover[r] / c) * treeExpectedValue(tree, r);
}
