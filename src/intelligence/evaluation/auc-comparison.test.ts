import { describe, expect, it } from 'vitest';
import { compareAucs } from './auc-comparison.js';
import { rocAuc } from './roc-auc.js';

describe('compareAucs (DeLong)', () => {

  const labels = [0, 0, 0, 0, 1, 1, 1, 0, 1, 0];
  const a = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9, 0.65, 0.2, 0.5, 0.5];
  const b = [0.2, 0.3, 0.6, 0.1, 0.4, 0.8, 0.7, 0.3, 0.9, 0.5];

  it('gives each AUC as the rank statistic does, ties counted half', () => {
    const r = compareAucs(labels, a, b);
    expect(r.a.auc).toBeCloseTo(rocAuc(labels, a), 12);
    expect(r.b.auc).toBeCloseTo(rocAuc(labels, b), 12);
    expect(r.difference).toBeCloseTo(r.a.auc - r.b.auc, 12);
    expect(r).toMatchObject({ positives: 4, negatives: 6 });
  });

  it('gives a score compared with itself no difference and no uncertainty about it', () => {
    const r = compareAucs(labels, a, a);
    expect(r.difference).toBe(0);
    expect(r.differenceSe).toBe(0);
    expect(r.a.se).toBeGreaterThan(0);
  });

  it('matches the textbook variance: (S10/m + S01/n) of the placements', () => {
    // Hand computation for a: placements of the 4 positives over the 6 negatives.
    const pos = [0.7, 0.9, 0.65, 0.5];
    const neg = [0.1, 0.4, 0.35, 0.8, 0.2, 0.5];
    const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
    const v10 = pos.map((x) => neg.reduce((s, y) => s + psi(x, y), 0) / neg.length);
    const v01 = neg.map((y) => pos.reduce((s, x) => s + psi(x, y), 0) / pos.length);
    const auc = v10.reduce((s, v) => s + v, 0) / 4;
    const s10 = v10.reduce((s, v) => s + (v - auc) ** 2, 0) / 3;
    const s01 = v01.reduce((s, v) => s + (v - auc) ** 2, 0) / 5;
    expect(compareAucs(labels, a, b).a.se).toBeCloseTo(Math.sqrt(s10 / 4 + s01 / 6), 12);
  });

  it('refuses rows with fewer than two of a class', () => {
    expect(() => compareAucs([1, 0, 0], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1])).toThrow(/two rows of each class/);
  });
});
