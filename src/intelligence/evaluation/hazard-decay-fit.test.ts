import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { fitHazardDecay, type HazardDecay } from './hazard-decay-fit.js';
import { poissonTrend } from './poisson-trend.js';

describe('a Poisson trend over months', () => {
  it('reads the fall per month from churners against their expectation, base aside', () => {
    // Exposure 1,000 a month at a base of 0.05 churners per unit, falling by 0.8 a month: 50, 40, 32, 25.6, 20.5.
    const exposure = [1000, 1000, 1000, 1000, 1000];
    const events = exposure.map((e, m) => 0.05 * e * 0.8 ** m);
    const t = poissonTrend(exposure, events);
    expect(Math.exp(t.beta)).toBeCloseTo(0.8, 6);
    // Fewer survivors later (less exposure) leave the fall as it is.
    const shrinking = [1000, 900, 800, 700, 600];
    expect(Math.exp(poissonTrend(shrinking, shrinking.map((e, m) => 0.05 * e * 0.8 ** m)).beta)).toBeCloseTo(0.8, 6);
    // Twice the churners tell the same fall more surely.
    expect(poissonTrend(exposure, events.map((x) => 2 * x)).sd).toBeLessThan(t.sd);
    // No churner at all: no fall read, and no certainty.
    expect(poissonTrend(exposure, [0, 0, 0, 0, 0])).toEqual({ beta: 0, sd: 5 });
  });
});

/**
 * Customers followed over `K` monthly cutoffs: each scored at every cutoff it is active at, and
 * churning in the month after with probability score × fall^(months since its first row) for the
 * risky half (the safe half's churn holds), so the risky bands' fall is `fall` a month.
 */
function history(K: number, customers: number, fall: number, keep = 1) {
  const rng = createRng(7);
  const probability: number[] = [];
  const labels: number[] = [];
  const customerIds: string[] = [];
  const cutoffIndex: number[] = [];
  for (let c = 0; c < customers; c++) {
    const risky = c % 2 === 0;
    const score = risky ? 0.2 : 0.02;
    for (let k = 0; k < K; k++) {
      const churns = rng.next() < score * (risky ? fall ** k : 1);
      // A sample of the rows (a training set's reservoir) keeps each with probability `keep`.
      if (rng.next() < keep) {
        probability.push(score);
        labels.push(churns ? 1 : 0);
        customerIds.push(`c${c}`);
        cutoffIndex.push(k);
      }
      if (churns) break;
    }
  }
  return { probability, labels, customerIds, cutoffIndex, cutoffs: K };
}

describe('the fall of a picked group\'s churn, from the training rows', () => {
  it('reads each band\'s fall per month after the pick, the survivors alone at risk', () => {
    // Everyone picked at cutoff 0 falls by 0.7 a month from then; a pick at cutoff k sees the same
    // fall from k on, so the fit over every pick recovers it.
    const d = fitHazardDecay(history(8, 8000, 0.7))!;
    expect(d.cutoffs).toBe(8);
    // Bands by the scores' quantiles: most rows are the safe half's 0.02 (the risky leave sooner),
    // so the bands below 0.02 are empty, one ending at 0.2 holds the safe half, and the last,
    // unbounded, the risky half; no row has a contract ending, so those cells are empty.
    const held = d.bands.filter((b) => b.churners > 0);
    expect(held.map((b) => [b.below, b.contractEnds])).toEqual([[0.2, false], [null, false]]);
    const [safe, risky] = held;
    expect(risky.perMonth).toBeGreaterThan(0.6);
    expect(risky.perMonth).toBeLessThan(0.8);
    expect(Math.abs(Math.log(safe.perMonth))).toBeLessThan(3 * safe.sd);
    // The last band has no upper bound, and survives JSON as it is.
    expect(d.bands[d.bands.length - 1].below).toBeNull();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('reads the same fall from a sample of the rows', () => {
    const full = fitHazardDecay(history(8, 8000, 0.7))!;
    const sampled = fitHazardDecay(history(8, 8000, 0.7, 0.6))!;
    // What the lab reads of it (decayLevel): a risky group's mean level over four months.
    const over4 = (d: HazardDecay) => {
      const b = d.bands.find((x) => x.below === null && !x.contractEnds)!;
      return (1 + b.level! * (1 + b.perMonth + b.perMonth ** 2)) / 4;
    };
    expect(over4(full)).toBeLessThan(0.85);
    expect(Math.abs(over4(sampled) - over4(full))).toBeLessThan(0.05);
  });

  it('reads a risk met once (a contract\'s end within the horizon) apart: its churn drops a month on and stays', () => {
    // A twin whose contract ends within the horizon at cutoff 0 is scored 0.2 (its renewal decision
    // in the window); if it stays it is an ordinary twin scored 0.05 that churns at 0.05. The
    // others are scored and churn at 0.05 throughout.
    const rng = createRng(3);
    const rows = { probability: [] as number[], labels: [] as number[], customerIds: [] as string[], cutoffIndex: [] as number[], contractEnds: [] as number[], cutoffs: 6 };
    for (let c = 0; c < 20_000; c++) {
      const ending = c % 4 === 0;
      for (let k = 0; k < 6; k++) {
        const endsNow = ending && k === 0;
        const score = endsNow ? 0.2 : 0.05;
        const churns = rng.next() < score;
        rows.probability.push(score);
        rows.labels.push(churns ? 1 : 0);
        rows.customerIds.push(`c${c}`);
        rows.cutoffIndex.push(k);
        rows.contractEnds.push(endsNow ? 1 : 0);
        if (churns) break;
      }
    }
    const d = fitHazardDecay(rows)!;
    const ends = d.bands.filter((b) => b.contractEnds && b.churners > 0);
    expect(ends).toHaveLength(1);
    // A month on they churn at a quarter of the score that picked them, and no less later.
    expect(ends[0].level).toBeGreaterThan(0.2);
    expect(ends[0].level).toBeLessThan(0.3);
    expect(Math.abs(Math.log(ends[0].perMonth))).toBeLessThan(0.05);
    // Those without a contract ending churn as scored.
    for (const b of d.bands.filter((x) => !x.contractEnds && x.churners > 100)) expect(Math.abs(b.level! - 1)).toBeLessThan(0.1);
  });

  it('needs three cutoffs: a month after a pick and the month before it', () => {
    expect(fitHazardDecay(history(2, 100, 0.7))).toBeNull();
  });
});
