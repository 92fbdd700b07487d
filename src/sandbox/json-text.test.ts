import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNumber, jsonText } from './json-text.js';

describe('jsonText', () => {
  it('prints numbers exactly as JSON.stringify does', () => {
    for (let k = -20000; k <= 20000; k++) expect(jsonNumber(k / 100)).toBe(JSON.stringify(k / 100));
    fc.assert(fc.property(fc.double(), (x) => jsonNumber(x) === JSON.stringify(x)));
    expect(jsonNumber(-0)).toBe('0');
  });

  it('matches JSON.stringify on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => jsonText(v) === JSON.stringify(v)));
    fc.assert(fc.property(fc.object(), (v) => jsonText(v) === JSON.stringify(v)));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => jsonText(s) === JSON.stringify(s)));
  });
});
