import { InvalidArgumentError } from 'commander';

/** A commander parser of an integer option ≥ `min` (≤ `max` when given); the message names the option. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
    return n;
  };
}

/** A commander parser of a positive number option (speeds, sizes); the message names the option. */
export function positiveOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

/** A commander parser of a number option ≥ 0 (shares, rates); the message names the option. */
export function nonNegativeOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
    return n;
  };
}

/** A whole number with its digits grouped, as the console writes it (`40,123`). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `mean [p05, p95]` (or any mean and interval) rounded for a terminal. */
export function formatInterval(mean: number, low: number, high: number, digits = 0): string {
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(mean)} [${f(low)}, ${f(high)}]`;
}

/** Pads the columns of rows of cells to a table (first column left-aligned, others right-aligned). */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}
