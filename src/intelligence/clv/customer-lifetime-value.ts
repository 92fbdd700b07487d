import { TwinloopError } from '../../domain/errors.js';

/** Inputs for one customer's lifetime value. */
export interface ClvInput {
  /** Current monthly revenue (e.g. the monthly charge). */
  readonly monthlyRevenue: number;
  /** Relative revenue change per month (0.01 = +1 %/month); revenue in month t is R·(1+trend)^(t−1). */
  readonly revenueTrend: number;
  /** Probability of churning in each month given active at its start (a constant, or one per month). */
  readonly monthlyChurnHazard: number | readonly number[];
  /** Plausible [low, high] range of a constant hazard (e.g. a confidence interval). */
  readonly hazardInterval?: readonly [number, number];
  readonly horizonMonths: number;
  readonly monthlyDiscountRate: number;
  /** Share of revenue kept as margin (0..1). */
  readonly marginRate: number;
}

/** Expected discounted margin, with the range implied by the hazard interval. */
export interface ClvResult {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/**
 * CLV = Σ_{t=1..H} m · R·(1+g)^(t−1) · S(t) / (1+d)^t with S(t) = Π_{k≤t} (1 − h_k): the margin of
 * month t counts only if the customer is still active at its end (a conservative, end-of-month
 * billing convention). A higher hazard gives the low bound, a lower hazard the high bound.
 */
export function clv(input: ClvInput): ClvResult {
  const { monthlyRevenue, revenueTrend, horizonMonths, monthlyDiscountRate, marginRate } = input;
  if (!(horizonMonths >= 0) || !Number.isFinite(monthlyRevenue) || !(monthlyDiscountRate > -1) || !(revenueTrend > -1)) {
    throw new TwinloopError('BAD_INPUT', 'clv needs a finite revenue, horizonMonths ≥ 0, discount rate > −1 and trend > −1');
  }
  const value = expectedMargin(monthlyRevenue, revenueTrend, input.monthlyChurnHazard, horizonMonths, monthlyDiscountRate, marginRate);
  if (!input.hazardInterval) return { value, low: value, high: value };
  const [hLow, hHigh] = input.hazardInterval;
  const a = expectedMargin(monthlyRevenue, revenueTrend, hHigh, horizonMonths, monthlyDiscountRate, marginRate);
  const b = expectedMargin(monthlyRevenue, revenueTrend, hLow, horizonMonths, monthlyDiscountRate, marginRate);
  return { value, low: Math.min(a, b, value), high: Math.max(a, b, value) };
}

function expectedMargin(revenue: number, trend: number, hazard: number | readonly number[], horizon: number, discount: number, margin: number): number {
  let survival = 1;
  let total = 0;
  for (let t = 1; t <= horizon; t++) {
    const h = typeof hazard === 'number' ? hazard : (hazard[Math.min(t - 1, hazard.length - 1)] ?? 0);
    if (!(h >= 0 && h <= 1)) throw new TwinloopError('BAD_INPUT', `monthly churn hazard must lie in [0, 1]; got ${h}`);
    survival *= 1 - h;
    total += (margin * revenue * (1 + trend) ** (t - 1) * survival) / (1 + discount) ** t;
  }
  return total;
}

/**
 * A monthly hazard from a churn probability measured over `windowMonths`: the constant hazard
 * that gives the same probability of churning within the window, 1 − (1 − p)^(1/w).
 */
export function monthlyHazardFromWindow(probability: number, windowMonths: number): number {
  const p = Math.min(Math.max(probability, 0), 1);
  return 1 - (1 - p) ** (1 / windowMonths);
}
