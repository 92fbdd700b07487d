import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOT_WRITTEN, putJson } from './json-bytes.js';

/** The text putJson writes for `v` with `room` bytes, or null when it gives up. */
function written(v: unknown, room = 1 << 14): string | null {
  const b = Buffer.alloc(room);
  const o = putJson(b, 0, v, room);
  return o === NOT_WRITTEN ? null : b.toString('latin1', 0, o);
}

/** What JSON.stringify would write, where putJson writes anything at all. */
const agrees = (v: unknown) => {
  const w = written(v);
  return w === null || w === JSON.stringify(v);
};

describe('putJson', () => {
  it('prints numbers exactly as JSON.stringify does', () => {
    for (let k = -20000; k <= 20000; k++) expect(written(k / 100, 32)).toBe(JSON.stringify(k / 100));
    fc.assert(fc.property(fc.double(), (x) => written(x) === JSON.stringify(x)));
    expect(written(-0)).toBe('0');
    expect(written([1e21, -1e-7, Number.NaN, -Infinity, 2 ** 60])).toBe(JSON.stringify([1e21, -1e-7, Number.NaN, -Infinity, 2 ** 60]));
  });

  it('matches JSON.stringify on arbitrary JSON values, or gives up', () => {
    fc.assert(fc.property(fc.jsonValue(), agrees));
    fc.assert(fc.property(fc.object(), agrees));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), agrees));
    // Printable ASCII is always written, so the property above is not met by giving up.
    fc.assert(fc.property(fc.jsonValue({ stringUnit: fc.constantFrom(...' azAZ09-_.:/'.split('')) }), (v) => written(v) === JSON.stringify(v)));
  });

  it('skips what JSON.stringify skips and writes null where it does', () => {
    const v = { a: undefined, b: () => 1, c: Symbol('x'), d: [undefined, () => 1], e: null, f: true };
    expect(written(v)).toBe(JSON.stringify(v));
  });

  it('gives up on escapes, non-ASCII text, own serialisations and too little room', () => {
    expect(written('a"b')).toBeNull();
    expect(written('é')).toBeNull();
    expect(written({ when: new Date(0) })).toBeNull();
    expect(written(new Map())).toBeNull();
    expect(written(1n)).toBeNull();
    const long = { id: 'x'.repeat(100), n: [1, 2, 3] };
    const exact = JSON.stringify(long).length;
    // Every room short of the text and its one spare byte gives up, never writes past the end.
    for (let room = 0; room < exact + 1; room++) expect(written(long, room)).toBeNull();
    expect(written(long, exact + 40)).toBe(JSON.stringify(long));
  });
});
