import type { FeatureMatrix } from '../tabular/encoder.js';

/** One standardised design column built from one source feature. */
export interface DesignColumn {
  /** Index of the source feature. */
  readonly source: number;
  /** 'value' = imputed numeric value; 'level' = one-hot of category code `level`; 'missing' = missing indicator. */
  readonly role: 'value' | 'level' | 'missing';
  readonly level: number;
  /** Training mean of the source feature, used to impute missing values of a 'value' column. */
  readonly impute: number;
  readonly mean: number;
  readonly scale: number;
}

/** The fitted expansion from features to a standardised linear design. JSON-serialisable. */
export interface LinearDesign {
  readonly columns: readonly DesignColumn[];
}

/**
 * Fits the design on training features: categoricals (given as level counts) become one-hot
 * columns, other features are mean-imputed with a missing indicator when training had missing
 * values; every column is standardised to mean 0, sd 1 so one L2 penalty treats them alike.
 */
export function fitLinearDesign(matrix: FeatureMatrix, categoricalLevels: readonly number[]): LinearDesign {
  const { rows: n, cols: p, data } = matrix;
  const raw: Omit<DesignColumn, 'mean' | 'scale'>[] = [];
  for (let j = 0; j < p; j++) {
    const levels = categoricalLevels[j];
    if (levels > 0) {
      for (let l = 0; l < levels; l++) raw.push({ source: j, role: 'level', level: l, impute: 0 });
      continue;
    }
    let s = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const v = data[i * p + j];
      if (!Number.isNaN(v)) {
        s += v;
        c++;
      }
    }
    raw.push({ source: j, role: 'value', level: 0, impute: c ? s / c : 0 });
    if (c < n) raw.push({ source: j, role: 'missing', level: 0, impute: 0 });
  }
  const columns = raw.map((col) => {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const v = designValue(col, data[i * p + col.source]);
      s += v;
      ss += v * v;
    }
    const mean = s / n;
    const sd = Math.sqrt(Math.max(0, ss / n - mean * mean));
    return { ...col, mean, scale: sd > 1e-12 ? sd : 1 };
  });
  return { columns };
}

/** The unstandardised value of a design column for a source feature value. */
export function designValue(col: Omit<DesignColumn, 'mean' | 'scale'>, v: number): number {
  switch (col.role) {
    case 'value':
      return Number.isNaN(v) ? col.impute : v;
    case 'missing':
      return Number.isNaN(v) ? 1 : 0;
    case 'level':
      return v === col.level ? 1 : 0;
  }
}

/** Expands a feature matrix into the standardised design (row-major, n × columns). */
export function applyLinearDesign(design: LinearDesign, matrix: FeatureMatrix): Float64Array {
  const { rows: n, cols: p, data } = matrix;
  const d = design.columns.length;
  const out = new Float64Array(n * d);
  for (let k = 0; k < d; k++) {
    const col = design.columns[k];
    for (let i = 0; i < n; i++) out[i * d + k] = (designValue(col, data[i * p + col.source]) - col.mean) / col.scale;
  }
  return out;
}
