import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../domain/time.js';
import type { CustomerSpan } from './incident-rates.js';
import { estimatePriceResponse, type PlanRecord } from './price-response.js';

/** A small seeded generator (xorshift), so the synthetic history is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
}

/**
 * 360 days of `n` customers, half on plan `up` (riskier: twice the others' daily hazard), half on
 * `same`; `up` rises by `pct` % on day 150, which multiplies its customers' hazard by `ratio` for
 * `lasting` days, in a season when everybody's churn rises by half. Every customer is there from day 0; each leaves on the day its hazard says.
 */
function history(n: number, pct: number, ratio: number, lasting: number, seed = 7) {
  const next = rng(seed);
  const plans: PlanRecord[] = [];
  const spans = new Map<string, CustomerSpan>();
  const rise = 150;
  for (let c = 0; c < n; c++) {
    const id = `C${c}`;
    const onUp = c % 2 === 0;
    const base = onUp ? 0.002 : 0.001;
    plans.push({ customerId: id, timeMs: 0, planId: onUp ? 'up' : 'same', monthlyPrice: onUp ? 50 : 30 });
    let day = 0;
    for (; day < 360; day++) {
      if (onUp && day === rise) plans.push({ customerId: id, timeMs: rise * DAY_MS, planId: 'up', monthlyPrice: 50 * (1 + pct / 100), reason: 'price_change' });
      // A season that raises everybody's churn from the day of the rise: what the others are there to tell apart.
      const season = day >= rise ? 1.5 : 1;
      const h = (onUp && day >= rise && day < rise + lasting ? base * ratio : base) * season;
      if (next() < h) break;
    }
    spans.set(id, { fromMs: 0, toMs: Math.min(day, 360) * DAY_MS, churned: day < 360 });
  }
  return { plans, spans };
}

describe('estimatePriceResponse', () => {
  it("reads a rise's churn response off the plan's customers against the others, not the plan's own higher churn", () => {
    // +10 % with the hazard × e^0.5 for 91 days: 0.05 per % of price, then absorbed.
    const { plans, spans } = history(20_000, 10, Math.exp(0.5), 91);
    const r = estimatePriceResponse(plans, spans)!;
    expect(r.rises).toEqual([{ planId: 'up', timeMs: 150 * DAY_MS, pct: expect.closeTo(10, 9), customers: expect.any(Number) }]);
    // The plan's customers still there on the day of the rise.
    expect(r.rises[0].customers).toBeGreaterThan(7_000);
    expect(Math.abs(r.elasticity.mean - 0.05)).toBeLessThan(2.5 * r.elasticity.sd);
    expect(r.elasticity.sd).toBeLessThan(0.01);
    // Absorbed: the window after shows none.
    expect(Math.abs(r.later.mean)).toBeLessThan(2.5 * r.later.sd);
  });

  it('finds no response where the rise moved nobody, however much riskier the plan is, and a lasting one where it lasts', () => {
    const none = estimatePriceResponse(...Object.values(history(20_000, 10, 1, 91, 11)) as [PlanRecord[], Map<string, CustomerSpan>])!;
    expect(Math.abs(none.elasticity.mean)).toBeLessThan(2.5 * none.elasticity.sd);
    const lasting = estimatePriceResponse(...Object.values(history(20_000, 10, Math.exp(0.5), 365, 13)) as [PlanRecord[], Map<string, CustomerSpan>])!;
    expect(lasting.later.mean - 1.645 * lasting.later.sd).toBeGreaterThan(0);
  });

  it('is null when the history holds no rise, or none with a window before it', () => {
    const { plans, spans } = history(200, 10, 1, 91);
    expect(estimatePriceResponse(plans.filter((r) => r.reason === undefined), spans)).toBeNull();
    expect(estimatePriceResponse(plans, spans, 200)).toBeNull();
  });
});
