/**
 * Cell-level parsing shared by type inference, target resolution and scoring: what counts as
 * missing, as a number, and as a boolean.
 */

/** Spellings treated as a missing value (compared trimmed, case-insensitive). */
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?', '-']);

/** True when the cell holds no value. */
export function isMissing(raw: string | undefined): boolean {
  return raw === undefined || MISSING.has(raw.trim().toLowerCase());
}

/** The cell as a number, NaN when missing or not numeric. Thousands separators are not accepted. */
export function parseNumber(raw: string | undefined): number {
  if (raw === undefined) return Number.NaN;
  const s = raw.trim();
  if (s === '' || isMissing(s)) return Number.NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : Number.NaN;
}

const TRUE_WORDS = new Set(['yes', 'y', 'true', 't', '1']);
const FALSE_WORDS = new Set(['no', 'n', 'false', 'f', '0']);

/** 1 for yes/true/t/y/1, 0 for no/false/f/n/0 (any case), NaN for missing or anything else. */
export function parseBoolean(raw: string | undefined): number {
  if (raw === undefined) return Number.NaN;
  const s = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return 1;
  if (FALSE_WORDS.has(s)) return 0;
  return Number.NaN;
}

/** True when every non-missing value is a boolean spelling and both sides of one family appear. */
export function looksBoolean(distinct: Iterable<string>): boolean {
  let any = false;
  for (const v of distinct) {
    if (isMissing(v)) continue;
    if (Number.isNaN(parseBoolean(v))) return false;
    any = true;
  }
  return any;
}

/** Words that name the positive class of a two-valued target when they appear in a value. */
const POSITIVE_HINTS = /^(yes|y|true|t|1|churn|churned|left|lost|cancel+ed|positive|pos|bad|default|exited|attrited)$/i;

/** True when a target value reads as the positive ("yes/true/1/churned") class. */
export function readsPositive(value: string): boolean {
  return POSITIVE_HINTS.test(value.trim());
}
