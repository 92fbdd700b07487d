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
 * Customers followed over `K` monthly cutoffs, in a steady state: each churns at a base 0.02 plus
 * a risk of its own that wears off by `fall` a month (a complaint, an incident), renewed to 0.25
 * at random (15 % of months). The model sees the risk now (its score is base + risk), not how it
 * will wear off, so a twin picked for a high score churns less a month on, and one picked as safe
 * more (risks come to it later); the month's churn over everybody stays what the scores say.
 */
function history(K: number, customers: number, fall: number, keep = 1) {
  const rng = createRng(7);
  const probability: number[] = [];
  const labels: number[] = [];
  const customerIds: string[] = [];
  const cutoffIndex: number[] = [];
  const step = (risk: number) => (rng.next() < 0.15 ? 0.25 : risk * fall);
  for (let c = 0; c < customers; c++) {
    let risk = 0;
    // A year before the first cutoff, so each starts in the steady state.
    for (let w = 0; w < 12; w++) risk = step(risk);
    for (let k = 0; k < K; k++) {
      const score = 0.02 + risk;
      const churns = rng.next() < score;
      // A sample of the rows (a training set's reservoir) keeps each with probability `keep`.
      if (rng.next() < keep) {
        probability.push(score);
        labels.push(churns ? 1 : 0);
        customerIds.push(`c${c}`);
        cutoffIndex.push(k);
      }
      if (churns) break;
      risk = step(risk);
    }
  }
  return { probability, labels, customerIds, cutoffIndex, cutoffs: K };
}

describe('the fall of a picked group\'s churn, from the training rows', () => {
  it('reads each band\'s fall after the pick, the survivors alone at risk: the riskiest churn less a month on, the safest more', () => {
    const d = fitHazardDecay(history(8, 8000, 0.7))!;
    expect(d.cutoffs).toBe(8);
    // No row has a contract ending, so those cells are empty.
    expect(d.bands.filter((b) => b.contractEnds && b.churners > 0)).toEqual([]);
    const riskiest = d.bands.find((b) => b.below === null && !b.contractEnds)!;
    const safest = d.bands.find((b) => !b.contractEnds && b.churners > 0)!;
    expect(riskiest.level!).toBeLessThan(0.85);
    expect(riskiest.perMonth).toBeLessThan(1);
    expect(safest.level!).toBeGreaterThan(1.2);
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

  it('reads a fall against the month it lands in: a season that made everybody churn more is not a group\'s level', () => {
    // Everybody is scored and churns at 0.05, but in the months of cutoffs 4 and 5 (a pilot's
    // contacts, a price rise) everybody churned 1.5 × that, which no score knew.
    const rng = createRng(5);
    const rows = { probability: [] as number[], labels: [] as number[], customerIds: [] as string[], cutoffIndex: [] as number[], cutoffs: 8 };
    for (let c = 0; c < 20_000; c++) {
      for (let k = 0; k < 8; k++) {
        const churns = rng.next() < 0.05 * (k === 4 || k === 5 ? 1.5 : 1);
        rows.probability.push(0.05);
        rows.labels.push(churns ? 1 : 0);
        rows.customerIds.push(`c${c}`);
        rows.cutoffIndex.push(k);
        if (churns) break;
      }
    }
    const d = fitHazardDecay(rows)!;
    const held = d.bands.filter((b) => b.churners > 0);
    expect(held.length).toBeGreaterThan(0);
    // Read against their own months, the picks churn as scored: no level above the model's, no fall.
    for (const b of held) {
      expect(Math.abs(b.level! - 1)).toBeLessThan(0.05);
      expect(Math.abs(Math.log(b.perMonth))).toBeLessThan(0.03);
    }
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
