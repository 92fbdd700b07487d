import { readFileSync, existsSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { TwinloopError } from '../../domain/errors.js';

/** A tidy table held column-wise as raw strings: one array per column, all the same length. */
export interface CsvTable {
  readonly names: readonly string[];
  readonly columns: readonly (readonly string[])[];
  readonly rowCount: number;
}

/**
 * Parses CSV text (quoted commas, CRLF, UTF-8 BOM). Header names are trimmed because some public
 * files carry trailing spaces in them.
 */
export function parseCsvTable(text: string): CsvTable {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `cannot parse CSV: ${(err as Error).message}`, { cause: err });
  }
  if (records.length === 0) throw new TwinloopError('BAD_INPUT', 'the CSV is empty: it needs a header row and data rows');
  const names = records[0].map((n) => n.trim());
  const columns: string[][] = names.map(() => new Array<string>(records.length - 1));
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    for (let c = 0; c < names.length; c++) columns[c][r - 1] = rec[c] ?? '';
  }
  return { names, columns, rowCount: records.length - 1 };
}

/** Reads and parses a CSV file, failing with a one-line BAD_INPUT error when it is missing. */
export function readCsvTable(path: string): CsvTable {
  if (!existsSync(path)) throw new TwinloopError('BAD_INPUT', `CSV file not found: ${path}`);
  return parseCsvTable(readFileSync(path, 'utf8'));
}

/** Finds a column by name: exact first, then ignoring case, spaces and underscores. */
export function findColumn(table: Pick<CsvTable, 'names'>, name: string): number {
  const exact = table.names.indexOf(name.trim());
  if (exact >= 0) return exact;
  const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');
  return table.names.findIndex((n) => norm(n) === norm(name));
}

/** Keeps only the given rows (in order), e.g. to drop rows that are out of scope. */
export function selectRows(table: CsvTable, rows: ArrayLike<number>): CsvTable {
  const columns = table.columns.map((col) => Array.from({ length: rows.length }, (_, i) => col[rows[i]]));
  return { names: table.names, columns, rowCount: rows.length };
}

/** Removes columns by name (names not present are ignored). */
export function dropColumns(table: CsvTable, names: readonly string[]): CsvTable {
  const drop = new Set(names.map((n) => findColumn(table, n)).filter((i) => i >= 0));
  const keep = table.names.map((_, i) => i).filter((i) => !drop.has(i));
  return { names: keep.map((i) => table.names[i]), columns: keep.map((i) => table.columns[i]), rowCount: table.rowCount };
}
