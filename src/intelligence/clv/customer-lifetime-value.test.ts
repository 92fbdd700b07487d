import { describe, expect, it } from 'vitest';
import { clv, monthlyHazardFromWindow } from './customer-lifetime-value.js';

describe('clv', () => {
  const base = { monthlyRevenue: 50, revenueTrend: 0, horizonMonths: 24, monthlyDiscountRate: 0.01, marginRate: 0.6 };
  it('matches the geometric-series closed form for a constant hazard', () => {
    const h = 0.03;
    const q = (1 - h) / 1.01;
    const expected = 0.6 * 50 * q * (1 - q ** 24) / (1 - q);
    expect(clv({ ...base, monthlyChurnHazard: h }).value).toBeCloseTo(expected, 9);
  });
  it('is margin × revenue × horizon with no churn, discount or trend', () => {
    expect(clv({ ...base, monthlyDiscountRate: 0, monthlyChurnHazard: 0 }).value).toBeCloseTo(0.6 * 50 * 24, 9);
  });
  it('brackets the value with the hazard interval (higher hazard, lower value)', () => {
    const r = clv({ ...base, monthlyChurnHazard: 0.03, hazardInterval: [0.02, 0.05] });
    expect(r.low).toBeLessThan(r.value);
    expect(r.high).toBeGreaterThan(r.value);
  });
  it('accepts a per-month hazard curve and a revenue trend', () => {
    const rising = clv({ ...base, revenueTrend: 0.01, monthlyChurnHazard: [0.1, 0.05, 0.02] });
    const flat = clv({ ...base, monthlyChurnHazard: [0.1, 0.05, 0.02] });
    expect(rising.value).toBeGreaterThan(flat.value);
  });
  it('rejects a hazard outside [0, 1]', () => {
    expect(() => clv({ ...base, monthlyChurnHazard: 1.5 })).toThrow(/hazard/);
  });
  it('converts a window churn probability to a monthly hazard', () => {
    expect(monthlyHazardFromWindow(1 - 0.9 ** 3, 3)).toBeCloseTo(0.1, 12);
  });
});
