/**
 * The k-th largest of the first `n` numbers of `values` (k from 1), found by selection (quickselect
 * with a three-way partition), not by sorting: O(n) on average where a sort is O(n log n) and, on
 * a number[], a boxed copy. Reorders `values[0..n)`; NaN must not be among them (the caller
 * leaves them out: they compare with nothing). Equal values are one block, so a population
 * where many share a score (a tree model's few distinct leaves) costs no more than one that does not.
 */
export function kthLargest(values: Float64Array, k: number, n: number = values.length): number {
  if (!(n >= 1 && n <= values.length)) throw new RangeError(`kthLargest: n must be 1 to ${values.length}, got ${n}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RangeError(`kthLargest: k must be an integer from 1 to ${n}, got ${k}`);
  const target = k - 1; // its index once the values run from the largest down
  let lo = 0;
  let hi = n - 1;
  // A pivot drawn by a fixed xorshift: no input order (sorted, reversed, sawtooth) is a worst case, and a run repeats exactly.
  let state = 0x9e3779b9;
  const draw = (span: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % span;
  };
  while (lo < hi) {
    const span = hi - lo + 1;
    const a = values[lo + draw(span)];
    const b = values[lo + draw(span)];
    const c = values[lo + draw(span)];
    // The median of three drawn values: a pivot near the middle more often than one drawn alone.
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // [lo, lt) above the pivot, [lt, i) equal to it, (gt, hi] below it.
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = values[i];
      if (v > pivot) {
        values[i++] = values[lt];
        values[lt++] = v;
      } else if (v < pivot) {
        values[i] = values[gt];
        values[gt--] = v;
      } else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return values[lo];
}
