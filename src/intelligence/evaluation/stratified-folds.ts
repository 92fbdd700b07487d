import { createRng, shuffleInPlace } from '../random.js';

/** One train/test split as row indices into the full table. */
export interface Split {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

/**
 * Stratified k-fold: each class is shuffled and dealt round-robin into the folds, so every fold
 * keeps the class balance (as scikit-learn's StratifiedKFold with shuffle=True does).
 */
export function stratifiedKFold(labels: ArrayLike<number>, folds: number, seed: number): Split[] {
  const rng = createRng(seed);
  const foldOf = new Int32Array(labels.length);
  for (const cls of [0, 1]) {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === cls) idx.push(i);
    shuffleInPlace(idx, rng);
    const offset = rng.int(folds);
    idx.forEach((row, k) => (foldOf[row] = (k + offset) % folds));
  }
  const splits: Split[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < labels.length; i++) (foldOf[i] === f ? test : train).push(i);
    splits.push({ train: Uint32Array.from(train), test: Uint32Array.from(test) });
  }
  return splits;
}

/** Repeated stratified k-fold: `repeats` independent stratified partitions, seeds derived from `seed`. */
export function repeatedStratifiedKFold(labels: ArrayLike<number>, folds: number, repeats: number, seed: number): Split[] {
  const out: Split[] = [];
  for (let r = 0; r < repeats; r++) out.push(...stratifiedKFold(labels, folds, seed * 7919 + r + 1));
  return out;
}

/** A stratified random split: `testFraction` of each stratum (any small integer codes) goes to the test side. */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): Split {
  const rng = createRng(seed);
  const train: number[] = [];
  const test: number[] = [];
  const strata = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  for (const cls of strata) {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === cls) idx.push(i);
    shuffleInPlace(idx, rng);
    const nTest = Math.round(idx.length * testFraction);
    idx.forEach((row, k) => (k < nTest ? test : train).push(row));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train: Uint32Array.from(train), test: Uint32Array.from(test) };
}
