import { TwinloopError } from '../../domain/errors.js';
import type { CsvTable } from './csv-table.js';
import { findColumn } from './csv-table.js';
import { isMissing, parseBoolean, readsPositive } from './value-parsing.js';

/** A binary target read from a column: 0/1 labels for the rows that have a value. */
export interface ResolvedTarget {
  readonly column: string;
  /** The raw value treated as the positive class (label 1). */
  readonly positive: string;
  readonly negative: string;
  /** Row indices (into the table) that carry a target value. */
  readonly rows: Uint32Array;
  /** Labels aligned with `rows`. */
  readonly labels: Uint8Array;
}

/**
 * Reads a two-valued target. The positive class is, in order: the true side of a boolean-like
 * pair (Yes/No, True/False, T/F, Y/N, 1/0), a value that reads as churn/yes/true, else the minority
 * value. Rows with a missing target are left out.
 */
export function resolveTarget(table: CsvTable, name: string): ResolvedTarget {
  const idx = findColumn(table, name);
  if (idx < 0) {
    throw new TwinloopError('BAD_INPUT', `target column "${name}" not found; columns are: ${table.names.join(', ')}`);
  }
  const col = table.columns[idx];
  const counts = new Map<string, number>();
  for (const raw of col) {
    if (isMissing(raw)) continue;
    const v = raw.trim();
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (counts.size !== 2) {
    const sample = [...counts.keys()].slice(0, 5).join(', ');
    throw new TwinloopError('BAD_INPUT', `target column "${table.names[idx]}" must have exactly two values; it has ${counts.size} (${sample}${counts.size > 5 ? ', …' : ''})`);
  }
  const [a, b] = [...counts.keys()];
  let positive: string;
  const ba = parseBoolean(a);
  const bb = parseBoolean(b);
  if (!Number.isNaN(ba) && !Number.isNaN(bb) && ba !== bb) positive = ba === 1 ? a : b;
  else if (readsPositive(a) !== readsPositive(b)) positive = readsPositive(a) ? a : b;
  else positive = (counts.get(a) ?? 0) < (counts.get(b) ?? 0) ? a : (counts.get(a) ?? 0) > (counts.get(b) ?? 0) ? b : [a, b].sort()[1];
  const negative = positive === a ? b : a;
  const rows: number[] = [];
  const labels: number[] = [];
  col.forEach((raw, i) => {
    if (isMissing(raw)) return;
    rows.push(i);
    labels.push(raw.trim() === positive ? 1 : 0);
  });
  return { column: table.names[idx], positive, negative, rows: Uint32Array.from(rows), labels: Uint8Array.from(labels) };
}
