import { describe, expect, it } from 'vitest';
import { bigintArray, textArray } from './postgres-arrays.js';

/** The element-by-element encoding PostgreSQL documents for array literals. */
function reference(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

describe('textArray', () => {
  const cases: Record<string, string[]> = {
    plain: ['a', 'b c', ''],
    'quotes, backslashes, braces and commas': ['say "hi"', 'C:\\dir\\', '{a,b}', 'NULL', '\\"'],
    'compact JSON bodies': [JSON.stringify({ note: 'line\nbreak', path: 'C:\\new', q: '"' })],
    'raw control characters': ['tab\there', 'new\nline', 'bell\u0007'],
    'backslash runs before letters': ['\\n', '\\\\n', '\\\\\\n', 'x\\'],
    unicode: ['📶 ünï', '\u2028'],
  };
  for (const [name, values] of Object.entries(cases)) {
    it(`encodes ${name} as PostgreSQL reads them`, () => {
      expect(textArray(values)).toBe(reference(values));
    });
  }

  it('encodes an empty array', () => {
    expect(textArray([])).toBe('{}');
    expect(bigintArray([])).toBe('{}');
    expect(bigintArray([1, -2, 1_767_225_600_000])).toBe('{1,-2,1767225600000}');
  });
});
