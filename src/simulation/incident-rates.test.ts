import { describe, expect, it } from 'vitest';
import { estimateIncidentEffect, estimateIncidentRates, type ImpactRecord } from './incident-rates.js';

/** A network of `cells` cells with `homes` customers each; `incidentsOn(c)` incidents on cell c, each touching all its home customers. */
function history(cells: number, homes: number, incidentsOn: (c: number) => number) {
  const impacts: ImpactRecord[] = [];
  const homeOf = new Map<string, string>();
  let n = 0;
  for (let c = 0; c < cells; c++) {
    for (let k = 0; k < homes; k++) homeOf.set(`c${c}-${k}`, `cell-${c}`);
    for (let j = 0; j < incidentsOn(c); j++) {
      const incidentId = `INC-${++n}`;
      for (let k = 0; k < homes; k++) impacts.push({ customerId: `c${c}-${k}`, incidentId, cellId: `cell-${c}`, startMs: 0, endMs: 90 * 60_000 });
    }
  }
  return { impacts, homeOf, cells: Array.from({ length: cells }, (_, c) => `cell-${c}`), days: 300 };
}

describe('incident rates', () => {
  it('do not predict that cells with more incidents lately keep having more when the cells do not differ beyond chance', () => {
    // Counts 0..2 over ten 30-day windows: Poisson-like spread around 1 on each cell.
    const r = estimateIncidentRates(history(30, 10, (c) => c % 3));
    expect(r.pooled).toBeCloseTo(0.1, 6);
    expect(r.between).toBe(0);
    expect(r.rate('cell-2').mean).toBeCloseTo(0.1, 6);
    expect(r.homeTouchShare).toBe(1);
    expect(r.minutesPerIncident).toBeCloseTo(90, 6);
  });

  it('keep most of the excess of a cell that is really worse, and weight an improvement by the customers on its cells', () => {
    const r = estimateIncidentRates(history(20, 10, (c) => (c < 2 ? 40 : 1)));
    expect(r.between).toBeGreaterThan(0);
    expect(r.rate('cell-0').mean).toBeGreaterThan(3);
    expect(r.rate('cell-5').mean).toBeLessThan(1);
    const ids = Array.from({ length: 10 }, (_, k) => `c0-${k}`).concat(Array.from({ length: 10 }, (_, k) => `c5-${k}`));
    const fix = r.forImprovement(['cell-0'], ids);
    // Half the customers live on the improved cell: they feel its incidents, the others not.
    expect(fix.incidentsPer30d.mean).toBeCloseTo(r.rate('cell-0').mean / 2, 6);
    expect(fix.cellIncidentsPer30d).toBeCloseTo(r.rate('cell-0').mean, 6);
  });
});

describe('the effect of an incident on churn', () => {
  it('is the log hazard ratio of the days after an incident against the days without, with its standard error', () => {
    // 2,000 customers followed 300 days; the first 1,000 feel one incident on day 100. Churns: 10
    // in the 30 days after it among them (30,000 customer-days), 40 in the other 570,000 days.
    const impacts: ImpactRecord[] = [];
    const spans = new Map<string, { fromMs: number; toMs: number; churned: boolean }>();
    const day = (d: number) => d * 86_400_000;
    let exposedChurns = 0;
    let otherChurns = 0;
    for (let i = 0; i < 2000; i++) {
      const id = `c${i}`;
      if (i < 1000) impacts.push({ customerId: id, incidentId: 'INC-1', cellId: 'cell-0', startMs: day(100) + 3_600_000 });
      let last = 299;
      let churned = false;
      if (i < 1000 && exposedChurns < 10 && i % 100 === 0) {
        last = 110;
        churned = true;
        exposedChurns++;
      } else if (i >= 1000 && otherChurns < 40 && i % 25 === 0) {
        last = 200;
        churned = true;
        otherChurns++;
      }
      spans.set(id, { fromMs: day(0), toMs: day(last) + 72_000_000, churned });
    }
    const e = estimateIncidentEffect(impacts, spans);
    expect(e.churnsExposed).toBe(10);
    expect(e.churnsUnexposed).toBe(40);
    const rate = (c: number, d: number) => c / d;
    expect(e.mean).toBeCloseTo(Math.log(rate(10, e.daysExposed) / rate(40, e.daysUnexposed)), 3);
    expect(e.sd).toBeCloseTo(Math.sqrt(1 / 10 + 1 / 40), 1);
  });
});
