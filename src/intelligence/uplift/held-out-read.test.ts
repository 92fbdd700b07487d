import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../domain/seeded-random.js';
import { readGroupedDesign, readHeldOutDesign, readNestedDesign, type DesignEpisode } from './held-out-read.js';

/** Poisson draw by inversion (small means). */
function poisson(mean: number, next: () => number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let s = p;
  const u = next();
  while (u > s && k < 1000) {
    k++;
    p *= mean / k;
    s += p;
  }
  return k;
}

/**
 * A stratum's customers, half contacted and half held out, each expected to churn `expected` (the
 * churn model's), churning at `calibration` × that, × `rho` when contacted; four contacted in five
 * accept the offer (so the acceptors can carry any benefit read).
 */
function stratum(name: string, customers: number, rho: number, next: () => number, expected = 0.3, calibration = 1): DesignEpisode[] {
  return Array.from({ length: customers }, (_, i) => {
    const heldOut = i % 2 === 1;
    const rate = expected * calibration * (heldOut ? 1 : rho);
    return { stratum: name, heldOut, expected, churned: poisson(rate, next) > 0, accepted: !heldOut && i % 10 !== 0 };
  });
}

describe('held-out contact design read', () => {
  it('reads each stratum as what the contact did there against its held out, pooled where evidence is thin', () => {
    const next = seededRandom(11);
    const read = readHeldOutDesign([...stratum('helps', 4000, 0.5, next, 0.2), ...stratum('hurts', 4000, 1.8, next, 0.2), ...stratum('thin', 20, 0.5, next, 0.2)], { seed: 3 });
    const helps = read.strata.get('helps')!;
    const hurts = read.strata.get('hurts')!;
    expect(Math.exp(helps.mean)).toBeGreaterThan(0.4);
    expect(Math.exp(helps.mean)).toBeLessThan(0.65);
    expect(helps.harm).toBeLessThan(0.01);
    expect(Math.exp(hurts.mean)).toBeGreaterThan(1.45);
    expect(Math.exp(hurts.mean)).toBeLessThan(2.1);
    expect(hurts.harm).toBeGreaterThan(0.99);
    // A handful of customers say little: the stratum sits between the others, far wider than they are.
    const thin = read.strata.get('thin')!;
    expect(thin.sd).toBeGreaterThan(3 * helps.sd);
    expect(thin.mean).toBeGreaterThan(helps.mean);
    // A stratum never tried is the pooled level with the strata's spread.
    const unseen = read.drawsOf('never-tried');
    expect(unseen.length).toBe(read.draws);
    const mean = unseen.reduce((s, v) => s + v, 0) / unseen.length;
    expect(Math.abs(mean - read.level.mean)).toBeLessThan(0.15);
  });

  it('is not moved by the churn model being off for a stratum: both arms carry the same calibration', () => {
    const a = readHeldOutDesign(stratum('s', 3000, 0.7, seededRandom(5), 0.2, 1), { seed: 1 });
    const b = readHeldOutDesign(stratum('s', 3000, 0.7, seededRandom(5), 0.1, 2), { seed: 1 });
    // The same churners, expected at half the rate in the second: the ratio between the arms is what is read.
    expect(b.strata.get('s')!.mean).toBeCloseTo(a.strata.get('s')!.mean, 1);
    expect(Math.exp(a.strata.get('s')!.mean)).toBeLessThan(0.85);
  });

  it('reads no more good than the acceptors can carry: a contact keeps customers only through those who accept', () => {
    // The contacted churned less than the held out by chance, and nobody accepted the offer: no benefit is possible there.
    const lucky: DesignEpisode[] = Array.from({ length: 400 }, (_, i) => ({ stratum: 'nobody-accepts', heldOut: i % 2 === 1, expected: 0.2, churned: i % 2 === 1 ? i % 10 === 1 : i % 20 === 0, accepted: false }));
    const read = readHeldOutDesign(lucky, { seed: 2 });
    const s = read.strata.get('nobody-accepts')!;
    expect(s.floor).toBeGreaterThan(0.95);
    expect(Math.min(...read.drawsOf('nobody-accepts'))).toBeGreaterThanOrEqual(Math.log(s.floor) - 1e-9);
    // The same churn where half accepted: the benefit stands.
    const accepting = readHeldOutDesign(lucky.map((e, i) => ({ ...e, accepted: !e.heldOut && i % 4 === 0 })), { seed: 2 });
    expect(accepting.strata.get('nobody-accepts')!.floor).toBeLessThan(0.6);
    expect(accepting.strata.get('nobody-accepts')!.mean).toBeLessThan(s.mean - 0.2);
  });

  it('with no evidence reads the prior: no effect, wide', () => {
    const read = readHeldOutDesign([], { seed: 1 });
    expect(Math.abs(read.level.mean)).toBeLessThan(0.08);
    expect(read.level.sd).toBeGreaterThan(0.2);
    const harm = read.drawsOf('any').filter((x) => x > 0).length / read.draws;
    expect(harm).toBeGreaterThan(0.4);
    expect(harm).toBeLessThan(0.6);
  });

  it('says what is wrong with bad input', () => {
    expect(() => readHeldOutDesign([{ stratum: 's', heldOut: false, expected: -1, churned: false }])).toThrow(/expected churn/);
    expect(() => readHeldOutDesign([], { draws: 0 })).toThrow(/draws/);
  });
  it('reads a group of strata toward a level of its own: a few units of another kind do not take the many\'s level', () => {
    const next = seededRandom(5);
    // Four strata of month-to-month customers where a contact keeps many (ρ 0.6), and one thin stratum
    // of contracts ending in the window where it hurts (ρ 1.5: 3 contacted churners against 1 held out).
    const episodes = [...['a', 'b', 'c', 'd'].flatMap((s) => stratum(`${s}|m2m`, 1500, 0.6, next, 0.2)), ...stratum('a|ends', 16, 1.5, next, 0.2)];
    const groupOf = (s: string) => s.slice(s.indexOf('|') + 1);
    const pooled = readHeldOutDesign(episodes, { seed: 2 });
    const grouped = readGroupedDesign(episodes, groupOf, { seed: 2 });
    // Pooled with the others the thin stratum reads their benefit; in its own group it sits near no effect or above.
    expect(pooled.strata.get('a|ends')!.mean).toBeLessThan(-0.2);
    expect(grouped.strata.get('a|ends')!.mean).toBeGreaterThan(0);
    // The many strata read the same either way, and a stratum never seen is drawn from its own group's level.
    expect(grouped.strata.get('a|m2m')!.mean).toBeCloseTo(pooled.strata.get('a|m2m')!.mean, 1);
    const mean = (x: Float64Array) => x.reduce((t, v) => t + v, 0) / x.length;
    expect(mean(grouped.drawsOf('z|m2m'))).toBeLessThan(-0.3);
    expect(mean(grouped.drawsOf('z|ends'))).toBeGreaterThan(mean(grouped.drawsOf('z|m2m')) + 0.2);
  });
  it('reads a group of strata nested in the level: a thin group leans on the others\' level, a well-read one moves to its own', () => {
    const mean = (x: Float64Array) => x.reduce((t, v) => t + v, 0) / x.length;
    const next = seededRandom(5);
    const many = ['a', 'b', 'c', 'd'].flatMap((s) => stratum(`${s}|m2m`, 1500, 0.6, next, 0.2));
    const offsetOf = (s: string) => (s.endsWith('|ends') ? 'ends' : undefined);
    const groupOf = (s: string) => s.slice(s.indexOf('|') + 1);
    // A thin stratum of ending contracts (16 units) where the contact hurts: between one level and a level of its own.
    const thin = [...many, ...stratum('a|ends', 16, 1.5, next, 0.2)];
    const pooled = readHeldOutDesign(thin, { seed: 2 }).strata.get('a|ends')!.mean;
    const grouped = readGroupedDesign(thin, groupOf, { seed: 2 }).strata.get('a|ends')!.mean;
    const nested = readNestedDesign(thin, offsetOf, { seed: 2 });
    expect(nested.strata.get('a|ends')!.mean).toBeGreaterThan(pooled + 0.05);
    expect(nested.strata.get('a|ends')!.mean).toBeLessThan(grouped - 0.05);
    // An ending contract never seen leans on the level the many set (a level of its own sits near the prior's 0).
    expect(mean(nested.drawsOf('z|ends'))).toBeLessThan(-0.15);
    expect(nested.strata.get('a|m2m')!.mean).toBeCloseTo(Math.log(0.6), 1);
    // Many ending contracts where the contact hurts (ρ 1.4): their group reads as itself, the others as theirs.
    const wellRead = readNestedDesign([...many, ...['a', 'b'].flatMap((s) => stratum(`${s}|ends`, 3000, 1.4, next, 0.2))], offsetOf, { seed: 2 });
    expect(wellRead.strata.get('a|ends')!.mean).toBeGreaterThan(Math.log(1.4) - 0.15);
    expect(wellRead.strata.get('a|ends')!.harm).toBeGreaterThan(0.9);
    expect(wellRead.strata.get('a|m2m')!.mean).toBeCloseTo(Math.log(0.6), 1);
    expect(wellRead.level.mean).toBeLessThan(-0.4);
    expect(() => readNestedDesign([], offsetOf, { offsetSpreads: [0] })).toThrow(/offset spread/);
  });
});
