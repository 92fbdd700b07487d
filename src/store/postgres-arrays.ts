/**
 * The array literals the PostgreSQL event store's batch statements send: one parameter per
 * column, unnested into rows by the statement, instead of thousands of parameters.
 */

// An odd run of backslashes followed by anything but a quote or a backslash: a JSON escape such as
// \n or \u0001 that a PostgreSQL array literal would read differently.
const JSON_ONLY_ESCAPE = /(?<!\\)(?:\\\\)*\\[^"\\]/;

/**
 * A `text[]` literal. pg's own array encoder escapes element by element and costs ~50 ms per
 * 5,000 bodies; JSON.stringify quotes strings exactly as an array literal does (`\"`, `\\`) as long
 * as it used no other escape, which is the common case, and takes ~2 ms.
 */
export function textArray(values: readonly string[]): string {
  const json = JSON.stringify(values);
  if (!JSON_ONLY_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** A `bigint[]` literal; a value that is not an integer makes PostgreSQL reject the statement. */
export function bigintArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
