import { isMissing, looksBoolean, parseBoolean, parseNumber } from './value-parsing.js';

/** What a column holds, decided from its training values. */
export type ColumnKind = 'numeric' | 'boolean' | 'categorical' | 'high-cardinality' | 'constant' | 'identifier-like';

/** Categorical columns with more levels than this are target-encoded instead of coded/one-hot. */
export const MAX_CATEGORICAL_LEVELS = 50;
/** A text column with at least this share of distinct values is an identifier, not a feature. */
const IDENTIFIER_SHARE = 0.5;

/** Infers the kind of one column from the values at the given rows. */
export function inferColumnKind(values: readonly string[], rows: ArrayLike<number>): ColumnKind {
  const distinct = new Set<string>();
  let allNumeric = true;
  let present = 0;
  for (let k = 0; k < rows.length; k++) {
    const raw = values[rows[k]];
    if (isMissing(raw)) continue;
    present++;
    const v = raw.trim();
    if (distinct.size <= MAX_CATEGORICAL_LEVELS * 100) distinct.add(v);
    if (allNumeric && Number.isNaN(parseNumber(v))) allNumeric = false;
  }
  if (distinct.size <= 1) return 'constant';
  // Case variants ("Yes", "yes") of one boolean family still make a two-valued boolean column.
  if (looksBoolean(distinct)) return new Set([...distinct].map(parseBoolean)).size === 2 ? 'boolean' : 'constant';
  if (allNumeric) return 'numeric';
  if (distinct.size <= MAX_CATEGORICAL_LEVELS) return 'categorical';
  if (distinct.size >= IDENTIFIER_SHARE * present) return 'identifier-like';
  return 'high-cardinality';
}
