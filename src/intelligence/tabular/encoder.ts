import { TwinloopError } from '../../domain/errors.js';
import type { CsvTable } from './csv-table.js';
import { findColumn } from './csv-table.js';
import { inferColumnKind } from './column-inference.js';
import { isMissing, parseBoolean, parseNumber } from './value-parsing.js';
import type { TargetEncoding } from './target-encoding.js';
import { applyTargetEncoding, crossFitTargetEncoding, fitTargetEncoding } from './target-encoding.js';

/** How one source column becomes one numeric feature (NaN = missing). JSON-serialisable. */
export type EncodedColumn =
  | { readonly kind: 'numeric'; readonly name: string }
  | { readonly kind: 'boolean'; readonly name: string }
  /** Code = index in `levels`; levels are ordered by training positive rate so ordinal tree splits group similar levels. */
  | { readonly kind: 'categorical'; readonly name: string; readonly levels: readonly string[] }
  | { readonly kind: 'target-encoded'; readonly name: string; readonly encoding: TargetEncoding };

/** The fitted encoding: one feature per kept column, plus what was left out and why. */
export interface TabularEncoder {
  readonly features: readonly EncodedColumn[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** A dense row-major matrix of features, NaN for missing. */
export interface FeatureMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Options for fitting: columns never used as features. */
export interface EncoderOptions {
  readonly target: string;
  readonly id?: string;
  readonly drop?: readonly string[];
}

/**
 * Fits the encoder on the training rows only and returns it with the training matrix. High-
 * cardinality columns get cross-fitted target encodings on the training rows (no leakage).
 */
export function fitEncoder(
  table: CsvTable,
  rows: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: EncoderOptions,
): { encoder: TabularEncoder; matrix: FeatureMatrix } {
  const excluded = new Set<number>([findColumn(table, options.target)]);
  if (options.id !== undefined) {
    const i = findColumn(table, options.id);
    if (i < 0) throw new TwinloopError('BAD_INPUT', `id column "${options.id}" not found; columns are: ${table.names.join(', ')}`);
    excluded.add(i);
  }
  for (const d of options.drop ?? []) {
    const i = findColumn(table, d);
    if (i < 0) throw new TwinloopError('BAD_INPUT', `--drop column "${d}" not found; columns are: ${table.names.join(', ')}`);
    excluded.add(i);
  }
  const features: EncodedColumn[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const trainColumns: Float64Array[] = [];
  table.names.forEach((name, c) => {
    if (excluded.has(c)) return;
    const values = table.columns[c];
    const kind = inferColumnKind(values, rows);
    if (kind === 'constant' || kind === 'identifier-like') {
      skipped.push({ name, reason: kind });
      return;
    }
    let enc: EncodedColumn;
    if (kind === 'categorical') enc = { kind, name, levels: levelsByRate(values, rows, labels) };
    else if (kind === 'high-cardinality') enc = { kind: 'target-encoded', name, encoding: fitTargetEncoding(values, rows, labels) };
    else enc = { kind, name };
    features.push(enc);
    const col = new Float64Array(rows.length);
    if (enc.kind === 'target-encoded') col.set(crossFitTargetEncoding(values, rows, labels));
    else {
      const encode = cellEncoder(enc);
      for (let k = 0; k < rows.length; k++) col[k] = encode(values[rows[k]]);
    }
    trainColumns.push(col);
  });
  const p = features.length;
  const data = new Float64Array(rows.length * p);
  for (let j = 0; j < p; j++) for (let k = 0; k < rows.length; k++) data[k * p + j] = trainColumns[j][k];
  return { encoder: { features, skipped }, matrix: { rows: rows.length, cols: p, data } };
}

/** Categorical levels ordered by smoothed positive rate (ties by name) on the training rows. */
function levelsByRate(values: readonly string[], rows: ArrayLike<number>, labels: ArrayLike<number>): string[] {
  const pos = new Map<string, number>();
  const cnt = new Map<string, number>();
  for (let k = 0; k < rows.length; k++) {
    const raw = values[rows[k]];
    if (isMissing(raw)) continue;
    const v = raw.trim();
    pos.set(v, (pos.get(v) ?? 0) + labels[k]);
    cnt.set(v, (cnt.get(v) ?? 0) + 1);
  }
  const rate = (v: string): number => ((pos.get(v) ?? 0) + 1) / ((cnt.get(v) ?? 0) + 2);
  return [...cnt.keys()].sort((a, b) => rate(a) - rate(b) || (a < b ? -1 : 1));
}

/** The per-cell function for one encoded column (unseen or missing → NaN). */
export function cellEncoder(enc: EncodedColumn): (raw: string | undefined) => number {
  switch (enc.kind) {
    case 'numeric':
      return parseNumber;
    case 'boolean':
      return parseBoolean;
    case 'categorical': {
      const codes = new Map(enc.levels.map((l, i) => [l, i]));
      return (raw) => (raw === undefined || isMissing(raw) ? Number.NaN : (codes.get(raw.trim()) ?? Number.NaN));
    }
    case 'target-encoded':
      return (raw) => applyTargetEncoding(enc.encoding, raw);
  }
}

/** True when a non-missing raw value could not be encoded (an unseen level or a non-number). */
function isUnseen(raw: string | undefined, encoded: number): boolean {
  return raw !== undefined && !isMissing(raw) && Number.isNaN(encoded);
}

/**
 * Encodes a whole table with a fitted encoder. Absent columns and unseen values become missing;
 * each such column yields one warning line.
 */
export function encodeTable(encoder: TabularEncoder, table: CsvTable, rows?: ArrayLike<number>): { matrix: FeatureMatrix; warnings: string[] } {
  const n = rows ? rows.length : table.rowCount;
  const p = encoder.features.length;
  const data = new Float64Array(n * p);
  const warnings: string[] = [];
  encoder.features.forEach((enc, j) => {
    const c = findColumn(table, enc.name);
    if (c < 0) {
      warnings.push(`column "${enc.name}" is absent; treated as missing for every row`);
      for (let i = 0; i < n; i++) data[i * p + j] = Number.NaN;
      return;
    }
    const values = table.columns[c];
    const encode = cellEncoder(enc);
    let unseen = 0;
    let example = '';
    for (let i = 0; i < n; i++) {
      const raw = values[rows ? rows[i] : i];
      const v = encode(raw);
      if (isUnseen(raw, v)) {
        unseen++;
        example ||= raw;
      }
      data[i * p + j] = v;
    }
    if (unseen > 0) warnings.push(`column "${enc.name}": ${unseen} row(s) had values unseen in training (e.g. "${example}"); treated as missing`);
  });
  return { matrix: { rows: n, cols: p, data }, warnings };
}

/** Encodes one plain record (column → string) into a feature row, with warnings for unseen input. */
export function encodeRecord(encoder: TabularEncoder, record: Readonly<Record<string, string>>): { row: Float64Array; warnings: string[] } {
  const keys = Object.keys(record);
  const table: CsvTable = { names: keys.map((k) => k.trim()), columns: keys.map((k) => [record[k]]), rowCount: 1 };
  const { matrix, warnings } = encodeTable(encoder, table);
  return { row: matrix.data, warnings };
}

/** A readable rendering of a feature's raw value for reasons ("Month-to-month", "2", "missing"). */
export function describeValue(enc: EncodedColumn, raw: string | undefined): string {
  if (raw === undefined || isMissing(raw)) return 'missing';
  return raw.trim();
}
