import { describe, expect, it } from 'vitest';
import { fmix32, seededRandom } from './seeded-random.js';
import { fnv1a32 } from './string-hash.js';

describe('fnv1a32', () => {
  it('gives the published FNV-1a test vectors, and a different hash per seed', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fnv1a32('foobar', 7)).not.toBe(fnv1a32('foobar'));
  });
});

describe('seeded random', () => {
  it('repeats a stream for a seed, stays in [0, 1) and differs between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(fmix32(42));
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(c()).not.toBe(xs[0]);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});
