import { describe, expect, it } from 'vitest';
import { explorationBatch, type Explorable, type ExplorationOptions } from './base-exploration.js';
import { effectDraws, meanEffect, type EffectDraw, type EffectPoint } from './effect-draws.js';

/**
 * A base whose contacts pay only if the accepted offer's effect is strong: net value k·(c − m_A)
 * less `loss`, and a kept value that is never negative (nobody is driven away), so the guard
 * leaves every batch and what is tested is the value of learning alone.
 */
const accepted = { shape: 4, rate: 5 }; // m_A ≈ 0.8, vague
const contact = { shape: 1.5e6, rate: 1e6 }; // m_D known
const draws: EffectDraw[] = effectDraws(accepted, contact);
const mean: EffectPoint = meanEffect(draws);

function explorable(id: string, c: number, loss = 0, exposure = 0.05, scale = 100): Explorable {
  const netAt = (p: EffectPoint) => scale * (c - p.acceptedMultiplier) - loss;
  const expectedValue = draws.reduce((s, d) => s + d.weight * netAt(d), 0);
  return { customerId: id, expectedValue, ownInformation: 0, acceptedExposure: exposure, contactExposure: 0, netAt, kept: draws.map(() => 1) };
}

// Worth a contact if m_A < 0.6: on the mean (0.8) nobody is.
const base = Array.from({ length: 60 }, (_, i) => explorable(`b${String(i).padStart(2, '0')}`, 0.6, 0, 0.05));
// Those the month may explore: each costs little (a small stake) and teaches much (a high churn exposure).
const pool = Array.from({ length: 20 }, (_, i) => explorable(`p${String(i).padStart(2, '0')}`, 0.6, 0, 0.5, 1));
const options: ExplorationOptions = { budget: 20, slots: 10, effectMonths: 3, monthsLeft: 12, holdoutShare: 0, acceptedRate: accepted.rate, contactRate: contact.rate, planKept: new Float64Array(draws.length) };

describe('base exploration', () => {
  it('values learning the effects at no less than nothing, and knowing them at its most', () => {
    const choice = explorationBatch(pool, base, draws, mean, options);
    expect(choice.summary.perfectInformation).toBeGreaterThan(0);
    expect(choice.summary.valueOfInformation).toBeGreaterThanOrEqual(0);
    // The months it serves: 12 left, less this one, less half the 3-month window.
    expect(choice.summary.monthsOfUse).toBe(9.5);
    expect(choice.summary.valueOfInformation).toBeLessThanOrEqual(choice.summary.monthsOfUse * choice.summary.perfectInformation + 1e-9);
  });

  it('is the value of perfect information when the batch would leave nothing unknown (s = 1)', () => {
    // A posterior rate next to nothing against the batch's exposure: s = Δ / (b + Δ) ≈ 1.
    const choice = explorationBatch(pool, base, draws, mean, { ...options, acceptedRate: 1e-12 });
    expect(choice.summary.valueOfInformation).toBeCloseTo(choice.summary.monthsOfUse * choice.summary.perfectInformation, 6);
  });

  it('grows with the batch, and takes the largest when what it teaches outweighs its cost', () => {
    const values = [1, 3, 10].map((slots) => explorationBatch(pool, base, draws, mean, { ...options, slots }).summary);
    expect(values.map((v) => v.customers)).toEqual([1, 3, 10]);
    expect(values[1].valueOfInformation).toBeGreaterThan(values[0].valueOfInformation);
    expect(values[2].valueOfInformation).toBeGreaterThan(values[1].valueOfInformation);
  });

  it('counts only what the batch teaches beyond the month\'s exploited contacts', () => {
    const alone = explorationBatch(pool, base, draws, mean, options).summary;
    const beside = explorationBatch(pool, base, draws, mean, { ...options, exploitedAcceptedExposure: 5 }).summary;
    expect(alone.customers).toBeGreaterThan(0);
    expect(beside.valueOfInformation).toBeLessThan(alone.valueOfInformation);
    expect(beside.valueOfInformation).toBeGreaterThanOrEqual(0);
  });

  it('explores nobody when no batch pays, when no month is left to use it, or with no slots', () => {
    const dear = pool.map((x, i) => explorable(x.customerId, 0.6, 1e4 + i, 0.5, 1));
    expect(explorationBatch(dear, base, draws, mean, options).chosen).toEqual([]);
    const late = explorationBatch(pool, base, draws, mean, { ...options, monthsLeft: 2 });
    expect(late.summary.monthsOfUse).toBe(0);
    expect(late.chosen).toEqual([]);
    expect(explorationBatch(pool, base, draws, mean, { ...options, slots: 0 }).chosen).toEqual([]);
  });

  it('takes the free first, then the least costly per unit of information', () => {
    // Worth a contact on the expected value (the guard left it): costs nothing in expectation.
    const free = explorable('z-free', 0.9, 0, 0.5, 1);
    const cheapInformative = explorable('a-cheap', 0.6, 0, 0.5, 1);
    const dearDull = explorable('b-dear', 0.6, 0, 0.05, 1);
    const choice = explorationBatch([dearDull, cheapInformative, free], base, draws, mean, { ...options, slots: 3 });
    expect(choice.chosen.map((c) => c.explorable.customerId)).toEqual(['z-free', 'a-cheap', 'b-dear'].slice(0, choice.chosen.length));
    expect(choice.chosen.length).toBeGreaterThanOrEqual(2);
  });

  it('passes over a candidate that would take the month\'s plan past the guard, and keeps the rest', () => {
    // One candidate drives away more than it keeps wherever the effect is weak (m_A > 0.8, about half the posterior).
    const risky: Explorable = { ...explorable('a-risky', 0.6, 0, 5, 1), kept: draws.map((d) => (d.acceptedMultiplier > 0.8 ? -50 : 5)) };
    const choice = explorationBatch([risky, ...pool.slice(0, 5)], base, draws, mean, { ...options, slots: 6 });
    expect(choice.chosen.map((c) => c.explorable.customerId)).not.toContain('a-risky');
    expect(choice.chosen.length).toBe(5);
    // With the guard off (risk 1) it is taken.
    expect(explorationBatch([risky, ...pool.slice(0, 5)], base, draws, mean, { ...options, slots: 6, risk: 1 }).chosen.map((c) => c.explorable.customerId)).toContain('a-risky');
    expect(() => explorationBatch(pool, base, draws, mean, { ...options, planKept: new Float64Array(3) })).toThrow(/one value per draw/);
  });
});
