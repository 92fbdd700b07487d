import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';

describe('Prng', () => {
  it('repeats a stream for the same seed and label, and differs otherwise', () => {
    const draw = (seed: number, label: string) => Array.from({ length: 5 }, (() => { const r = new Prng(seed, label); return () => r.nextU32(); })());
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
  });

  it('draws uniforms in [0, 1) and normals with mean 0 and sd 1', () => {
    const r = new Prng(7);
    let sum = 0;
    let sq = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const u = r.float();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(sq / n) - 1)).toBeLessThan(0.03);
  });

  it('draws Poisson counts with the requested mean', () => {
    const r = new Prng(3);
    let s = 0;
    for (let i = 0; i < 20_000; i++) s += r.poisson(1.5);
    expect(s / 20_000).toBeCloseTo(1.5, 1);
  });
});
