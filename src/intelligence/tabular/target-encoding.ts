import { isMissing } from './value-parsing.js';

/**
 * Smoothed target (mean) encoding for high-cardinality categoricals: each level maps to
 * (positives + m·prior) / (count + m), so rare levels shrink toward the overall rate.
 */
export interface TargetEncoding {
  readonly prior: number;
  readonly means: Record<string, number>;
}

/** Pseudo-count pulling a level's rate toward the prior; 20 rows weigh as much as the prior. */
const SMOOTHING = 20;
/** Folds used to cross-fit the training rows' own encodings. */
const CROSS_FIT_FOLDS = 5;

/** Fits the level → smoothed rate table from rows of one column and their 0/1 labels. */
export function fitTargetEncoding(values: readonly string[], rows: ArrayLike<number>, labels: ArrayLike<number>): TargetEncoding {
  const pos = new Map<string, number>();
  const cnt = new Map<string, number>();
  let total = 0;
  for (let k = 0; k < rows.length; k++) {
    total += labels[k];
    const raw = values[rows[k]];
    if (isMissing(raw)) continue;
    const v = raw.trim();
    pos.set(v, (pos.get(v) ?? 0) + labels[k]);
    cnt.set(v, (cnt.get(v) ?? 0) + 1);
  }
  const prior = rows.length ? total / rows.length : 0.5;
  const means: Record<string, number> = {};
  for (const [v, c] of cnt) means[v] = ((pos.get(v) ?? 0) + SMOOTHING * prior) / (c + SMOOTHING);
  return { prior, means };
}

/** Encodes one value; unseen and missing values get NaN (the learners route missing values). */
export function applyTargetEncoding(enc: TargetEncoding, raw: string | undefined): number {
  if (raw === undefined || isMissing(raw)) return Number.NaN;
  const m = enc.means[raw.trim()];
  return m === undefined ? Number.NaN : m;
}

/**
 * Training-row encodings by cross-fitting: each row is encoded by a table fitted on the other
 * folds, so a row's own label never leaks into its feature value.
 */
export function crossFitTargetEncoding(values: readonly string[], rows: ArrayLike<number>, labels: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let f = 0; f < CROSS_FIT_FOLDS; f++) {
    const fitRows: number[] = [];
    const fitLabels: number[] = [];
    for (let k = 0; k < rows.length; k++) {
      if (k % CROSS_FIT_FOLDS !== f) {
        fitRows.push(rows[k]);
        fitLabels.push(labels[k]);
      }
    }
    const enc = fitTargetEncoding(values, fitRows, fitLabels);
    for (let k = f; k < rows.length; k += CROSS_FIT_FOLDS) out[k] = applyTargetEncoding(enc, values[rows[k]]);
  }
  return out;
}
