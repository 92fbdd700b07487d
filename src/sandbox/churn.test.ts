import { describe, expect, it } from 'vitest';
import { worldProfile } from './calibration/world-profile.js';
import { dailyFromMonthly, solveIntercept } from './churn-hazard.js';
import { loadWorldDocument, namedWorld } from './world-catalog.js';

describe('churn', () => {
  const small = namedWorld('small');
  const profile = worldProfile(loadWorldDocument({ extends: 'small', population: { customers: 3000 } }), 2, 12);

  it('keeps the monthly churn rate of a small population within its configured band', () => {
    const { min, max } = small.churn.monthlyRate;
    expect(profile.churn.overall).toBeGreaterThanOrEqual(min);
    expect(profile.churn.overall).toBeLessThanOrEqual(max);
  });

  it('reproduces the directions of the churn drivers', () => {
    const c = profile.churn;
    expect(c['contract month-to-month']).toBeGreaterThan(2 * c['contract two year']);
    expect(c['contract month-to-month']).toBeGreaterThan(c['contract one year']);
    expect(c['tenure 0-5']).toBeGreaterThan(c['tenure 48+']);
    expect(c['internet fibre']).toBeGreaterThan(c['internet dsl']);
    expect(c['payment electronic_check']).toBeGreaterThan(c['payment card']);
  });

  it('solves the intercept for the target rate per customer-month, and compounds daily hazards back to monthly', () => {
    const logits = Array.from({ length: 1000 }, (_, i) => (i % 10) / 5 - 1);
    const b = solveIntercept(logits, 0.02);
    const p = logits.map((l) => 1 / (1 + Math.exp(-(b + l))));
    const churned = p.reduce((s, q) => s + 1 - Math.pow(1 - q, 12), 0);
    const exposure = p.reduce((s, q) => s + (1 - Math.pow(1 - q, 12)) / q, 0);
    expect(churned / exposure).toBeCloseTo(0.02, 4);
    expect(1 - Math.pow(1 - dailyFromMonthly(0.1), 30.4375)).toBeCloseTo(0.1, 10);
  });
});
