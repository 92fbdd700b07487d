import { describe, expect, it } from 'vitest';
import type { HeldOutRead } from '../../intelligence/uplift/held-out-read.js';
import { planHeldOutDesign, type DesignCandidate } from './held-out-design.js';

/** A read whose strata's ln ρ are normal draws of the given mean and sd (deterministic quantiles). */
function readOf(strata: Record<string, { mean: number; sd: number }>, draws = 400): HeldOutRead {
  // Normal quantiles at (i + ½) / draws by the Acklam-free route: a fine inverse of the logistic-matched erf.
  const z = Array.from({ length: draws }, (_, i) => {
    const p = (i + 0.5) / draws;
    // Inverse normal CDF (Abramowitz–Stegun 26.2.23).
    const q = p < 0.5 ? p : 1 - p;
    const t = Math.sqrt(-2 * Math.log(q));
    const x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    return p < 0.5 ? -x : x;
  });
  const of = (s: { mean: number; sd: number }) => Float64Array.from(z, (v) => s.mean + s.sd * v);
  return {
    strata: new Map(),
    level: { mean: 0, sd: 0.5 },
    spread: 0.2,
    draws,
    drawsOf: (s) => of(strata[s] ?? { mean: 0, sd: 0.5 }),
  };
}

const cands = (stratum: string, n: number, hazard = 0.08, value = 1500, spend = 6): DesignCandidate[] =>
  Array.from({ length: n }, (_, i) => ({ customerId: `${stratum}-${String(i).padStart(3, '0')}`, stratum, hazard: hazard + (i % 5) / 1000, value, spend }));

const options = { budget: 40, effectMonths: 3, monthsLeft: 12, seed: 9 };

describe('held-out contact design plan', () => {
  it('never contacts a stratum where a contact more likely raises churn than not', () => {
    const plan = planHeldOutDesign(cands('hurts', 30), readOf({ hurts: { mean: 0.05, sd: 0.3 } }), options);
    expect(plan.contact).toEqual([]);
    expect(plan.holdout).toEqual([]);
    expect(plan.counts.harms).toBe(30);
  });

  it('exploits where the read is sure enough, best first, and holds a share out at random', () => {
    const plan = planHeldOutDesign([...cands('helps', 60), ...cands('hurts', 20)], readOf({ helps: { mean: -0.5, sd: 0.1 }, hurts: { mean: 0.3, sd: 0.1 } }), { ...options, holdoutShare: 0.2 });
    expect(plan.counts.harms).toBe(20);
    // Why each of the rest was left: its stratum's harm, or past the budget.
    expect([...plan.left.values()].filter((x) => x === 'never-stratum')).toHaveLength(20);
    expect([...plan.left.values()].filter((x) => x === 'budget')).toHaveLength(20);
    expect(plan.contact.every((c) => c.reason === 'exploit' && c.stratum === 'helps')).toBe(true);
    expect(plan.contact.length + plan.holdout.length).toBe(40);
    expect(plan.holdout.length).toBeGreaterThan(2);
    expect(plan.holdout.length).toBeLessThan(16);
    const values = plan.contact.map((c) => c.expectedValue);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });

  it('where the read leans to a benefit but is unsure, explores in pairs of one stratum, one of each held out', () => {
    const read = readOf({ a: { mean: -0.3, sd: 0.35 }, b: { mean: -0.25, sd: 0.35 } });
    const plan = planHeldOutDesign([...cands('a', 40), ...cands('b', 40)], read, options);
    expect(plan.counts.exploit).toBe(0);
    expect(plan.exploration.pairs).toBeGreaterThan(0);
    expect(plan.exploration.valueOfInformation).toBeGreaterThan(0);
    expect(plan.contact.length).toBe(plan.exploration.pairs);
    expect(plan.holdout.length).toBe(plan.exploration.pairs);
    const strata = (list: readonly { stratum: string }[]) => list.map((c) => c.stratum).sort();
    expect(strata(plan.contact)).toEqual(strata(plan.holdout));
    // Nothing left to learn for: no batch.
    expect(planHeldOutDesign([...cands('a', 40), ...cands('b', 40)], read, { ...options, monthsLeft: 2 }).contact).toEqual([]);
  });

  it('sizes a pair batch on the agent\'s own units too: where they do not replicate the whole read\'s benefit it explores less', () => {
    // The whole read leans to a benefit (a pilot's); the agent's own units lean the other way,
    // or they confirm the benefit.
    const read = readOf({ a: { mean: -0.3, sd: 0.35 }, b: { mean: -0.25, sd: 0.35 } });
    const all = [...cands('a', 40), ...cands('b', 40)];
    const alone = planHeldOutDesign(all, read, options);
    const unreplicated = planHeldOutDesign(all, read, { ...options, ownRead: readOf({ a: { mean: 1, sd: 0.2 }, b: { mean: 1, sd: 0.2 } }) });
    const confirmed = planHeldOutDesign(all, read, { ...options, ownRead: readOf({ a: { mean: -0.3, sd: 0.1 }, b: { mean: -0.3, sd: 0.1 } }) });
    expect(alone.exploration.pairs).toBeGreaterThan(0);
    expect(unreplicated.exploration.pairs).toBeLessThan(alone.exploration.pairs);
    expect(confirmed.exploration.pairs).toBe(alone.exploration.pairs);
    // What the batch may lose at the guard's level on the own read stays within its value of information.
    expect(unreplicated.exploration.worstLossOwn).toBeLessThanOrEqual(unreplicated.exploration.valueOfInformation + 1e-9);
  });

  it('explores nobody whose contact is not worth it on the read\'s mean', () => {
    const plan = planHeldOutDesign(cands('a', 40, 0.01, 100, 20), readOf({ a: { mean: -0.3, sd: 0.35 } }), options);
    expect(plan.contact).toEqual([]);
    expect(plan.exploration.pairs).toBe(0);
  });
});
