import type { FeatureMatrix } from '../tabular/encoder.js';

/** The bin that holds missing values; value bins are 0..254, so at most 255 value bins. */
export const MISSING_BIN = 255;
/** 255 value bins at most: bin indices fit a byte with one code left for missing. */
const MAX_VALUE_BINS = 255;

/**
 * Per-feature bin edges: value x falls in the smallest bin b with x <= edges[b] (or the last bin),
 * so "bin <= t" is exactly "x <= edges[t]" and tree thresholds translate back to raw values.
 */
export interface BinEdges {
  readonly edges: readonly Float64Array[];
}

/** Fits edges on training rows: midpoints between distinct values, or quantiles when there are many. */
export function fitBinEdges(matrix: FeatureMatrix): BinEdges {
  const { rows: n, cols: p, data } = matrix;
  const edges: Float64Array[] = [];
  const buf = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = data[i * p + j];
      if (!Number.isNaN(v)) buf[m++] = v;
    }
    const sorted = buf.slice(0, m).sort();
    const distinct: number[] = [];
    for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    const e: number[] = [];
    if (distinct.length <= MAX_VALUE_BINS) {
      for (let k = 0; k + 1 < distinct.length; k++) e.push((distinct[k] + distinct[k + 1]) / 2);
    } else {
      for (let q = 1; q < MAX_VALUE_BINS; q++) {
        const v = sorted[Math.min(m - 1, Math.floor((q / MAX_VALUE_BINS) * m))];
        if (e.length === 0 || v > e[e.length - 1]) e.push(v);
      }
      if (e.length && e[e.length - 1] >= distinct[distinct.length - 1]) e.pop();
    }
    edges.push(Float64Array.from(e));
  }
  return { edges };
}

/** The bin of one value (binary search over the edges). */
export function binOf(edges: Float64Array, v: number): number {
  return Number.isNaN(v) ? MISSING_BIN : searchBin(edges, v);
}

/** Index of the first edge at or above `v` (edges ascending): the bin `v` falls in. */
export function searchBin(edges: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins a matrix into column-major bytes: bins[j * rows + i]. */
export function binMatrix(binEdges: BinEdges, matrix: FeatureMatrix): Uint8Array {
  const { rows: n, cols: p, data } = matrix;
  const out = new Uint8Array(n * p);
  for (let j = 0; j < p; j++) {
    const e = binEdges.edges[j];
    for (let i = 0; i < n; i++) out[j * n + i] = binOf(e, data[i * p + j]);
  }
  return out;
}
