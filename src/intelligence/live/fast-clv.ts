import type { ClvSettings } from './twin-signals.js';

/**
 * The lifetime value of `clv()` for a constant hazard, in closed form (the hot path of live
 * re-scoring): Σ_{t=1..H} m·R·(1+g)^(t−1)·(1−h)^t/(1+d)^t = m·R/(1+g) · Σ_{t=1..H} q^t with
 * q = (1+g)(1−h)/(1+d), a geometric series: q(1 − q^H)/(1 − q), or H when q = 1.
 */
export function fastClv(revenue: number, trend: number, hazard: number, s: ClvSettings): number {
  const q = ((1 + trend) * (1 - hazard)) / (1 + s.monthlyDiscountRate);
  const H = s.horizonMonths;
  const sum = Math.abs(1 - q) < 1e-12 ? H : (q * (1 - Math.pow(q, H))) / (1 - q);
  return (s.marginRate * revenue * sum) / (1 + trend);
}
