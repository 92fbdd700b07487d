import { FEATURE_INDEX as F, NEVER_DAYS } from '../../twin/twin-features.js';
import { clv, monthlyHazardFromWindow } from '../clv/customer-lifetime-value.js';
import { describeFeature } from './readable-reasons.js';

/**
 * The non-model parts of a twin's score card, each read from the twin's feature vector by a pure
 * function: lifetime value (from the churn probability), usage trend, complaint and payment
 * history, offer propensity. Every result carries its reason in words.
 */

/** CLV settings; documented in docs/models.md ("Live scores, registry and drift"). */
export interface ClvSettings {
  /** Months summed (36: a typical contract renewal cycle and a half). */
  readonly horizonMonths: number;
  /** 1 %/month ≈ 12.7 %/year, a common telco cost of capital. */
  readonly monthlyDiscountRate: number;
  /** Share of revenue kept; 1 reports revenue-based CLV when the operator has not set a margin. */
  readonly marginRate: number;
  /** Monthly revenue trend per unit of `data_trend`: usage growth turns weakly into revenue (overage, upsell). */
  readonly usageToRevenue: number;
  /** Cap on the monthly revenue trend either way: a trend is extrapolated for years, so it is kept small. */
  readonly maxMonthlyTrend: number;
}

export const DEFAULT_CLV_SETTINGS: ClvSettings = {
  horizonMonths: 36,
  monthlyDiscountRate: 0.01,
  marginRate: 1,
  usageToRevenue: 0.05,
  maxMonthlyTrend: 0.02,
};

/** Lifetime value with its interval and reason. */
export interface ClvScore {
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly monthlyRevenue: number;
  readonly monthlyTrend: number;
  readonly monthlyHazard: number;
  readonly reasons: readonly string[];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Monthly revenue: the billed ARPU when there are bills, else the plans' monthly price. */
export function monthlyRevenueOf(f: Float64Array): number {
  return f[F.arpu_3m] > 0 ? f[F.arpu_3m] : f[F.monthly_price];
}

/** Monthly revenue trend: `usageToRevenue` × data trend, capped at ±`maxMonthlyTrend`. */
export function revenueTrendOf(f: Float64Array, s: ClvSettings = DEFAULT_CLV_SETTINGS): number {
  return clamp(s.usageToRevenue * f[F.data_trend], -s.maxMonthlyTrend, s.maxMonthlyTrend);
}

/**
 * CLV = Σ_{t=1..H} m·R·(1+g)^(t−1)·S(t)/(1+d)^t, S(t) = (1−h)^t, where h is the monthly hazard
 * equivalent to the churn probability p over the model's horizon (h = 1 − (1−p)^(1/w), w in
 * months), R the monthly revenue and g the revenue trend. low/high use the hazards of the churn
 * interval's high/low ends.
 */
export function clvScore(f: Float64Array, probability: number, interval: readonly [number, number], windowMonths: number, s: ClvSettings = DEFAULT_CLV_SETTINGS): ClvScore {
  const R = monthlyRevenueOf(f);
  const g = revenueTrendOf(f, s);
  const h = monthlyHazardFromWindow(probability, windowMonths);
  const hazardInterval: [number, number] = [monthlyHazardFromWindow(interval[0], windowMonths), monthlyHazardFromWindow(interval[1], windowMonths)];
  const r = clv({ monthlyRevenue: R, revenueTrend: g, monthlyChurnHazard: h, hazardInterval, horizonMonths: s.horizonMonths, monthlyDiscountRate: s.monthlyDiscountRate, marginRate: s.marginRate });
  const expectedMonths = h > 0 ? Math.min(s.horizonMonths, 1 / h) : s.horizonMonths;
  return {
    value: round2(r.value),
    low: round2(r.low),
    high: round2(r.high),
    monthlyRevenue: round2(R),
    monthlyTrend: Math.round(g * 1e4) / 1e4,
    monthlyHazard: Math.round(h * 1e5) / 1e5,
    reasons: [
      `${f[F.arpu_3m] > 0 ? 'ARPU' : 'monthly price'} ${R.toFixed(2)}/month, trend ${(g * 100).toFixed(1)} %/month`,
      `churn hazard ${(h * 100).toFixed(1)} %/month (${(probability * 100).toFixed(1)} % over ${windowMonths.toFixed(1)} months): about ${expectedMonths.toFixed(0)} months expected within the ${s.horizonMonths}-month horizon`,
    ],
  };
}

/** Relative change that counts as a trend rather than noise. */
const TREND_THRESHOLD = 0.1;

/** Usage trend: data use of the last 30 days against the 60 before, with voice trend and overage months. */
export function usageTrendSignal(f: Float64Array) {
  const value = f[F.data_trend];
  const direction = value > TREND_THRESHOLD ? 'rising' : value < -TREND_THRESHOLD ? 'falling' : 'stable';
  return {
    value,
    direction,
    voiceTrend: f[F.voice_trend],
    dataMb30d: f[F.data_mb_30d],
    monthsOverAllowance3m: f[F.months_over_allowance_3m],
    reason: `${describeFeature('data_trend', value)}; ${describeFeature('data_mb_30d', f[F.data_mb_30d])}; ${describeFeature('months_over_allowance_3m', f[F.months_over_allowance_3m])}`,
  };
}

/** Complaint history: complaints in 90 days, open tickets, days since the last complaint. */
export function complaintSignal(f: Float64Array) {
  const count = f[F.complaints_90d];
  const days = f[F.days_since_complaint];
  return {
    complaints90d: count,
    openTickets: f[F.open_tickets],
    tickets30d: f[F.tickets_30d],
    daysSinceLast: days >= NEVER_DAYS ? null : days,
    level: count >= 2 || f[F.open_tickets] >= 2 ? 'high' : count === 1 || f[F.open_tickets] === 1 ? 'some' : 'none',
    reason: `${describeFeature('complaints_90d', count)}, ${describeFeature('open_tickets', f[F.open_tickets])}, ${describeFeature('days_since_complaint', days)}`,
  };
}

/** Payment history: late and failed payments (90 days and ever); status failing > late > good. */
export function paymentSignal(f: Float64Array) {
  const late = f[F.payments_late_90d];
  const failed = f[F.payments_failed_90d];
  return {
    late90d: late,
    daysLate90d: f[F.days_late_90d],
    failed90d: failed,
    lateTotal: f[F.payments_late_total],
    failedTotal: f[F.payments_failed_total],
    status: failed > 0 ? 'failing' : late > 0 ? 'late' : 'good',
    reason: `${describeFeature('payments_late_90d', late)} (${describeFeature('days_late_90d', f[F.days_late_90d])}), ${describeFeature('payments_failed_90d', failed)}`,
  };
}

/**
 * Weight of the population prior in pseudo-offers: with 5, a customer's own record outweighs the
 * prior after a handful of offers and a single "no" does not drop the estimate to zero.
 */
export const OFFER_PRIOR_WEIGHT = 5;
/** Prior acceptance rate when the population has no offer history yet. */
export const DEFAULT_OFFER_PRIOR = 0.1;

/** Offers presented in 90 days; a feed that only reports answers still counts each as presented. */
export function offersPresented(f: Float64Array): number {
  return Math.max(f[F.offers_presented_90d], f[F.offers_accepted_90d] + f[F.offers_declined_90d]);
}

/** Offer propensity = (accepted + w·prior) / (presented + w): a beta-binomial posterior mean. */
export function offerPropensitySignal(f: Float64Array, prior: number) {
  const presented = offersPresented(f);
  const accepted = f[F.offers_accepted_90d];
  const value = (accepted + OFFER_PRIOR_WEIGHT * prior) / (presented + OFFER_PRIOR_WEIGHT);
  return {
    value: Math.round(value * 1e4) / 1e4,
    accepted90d: accepted,
    presented90d: presented,
    declined90d: f[F.offers_declined_90d],
    prior: Math.round(prior * 1e4) / 1e4,
    reason: `accepted ${accepted} of ${presented} offers in 90 days, shrunk toward the population rate ${(prior * 100).toFixed(1)} % (weight ${OFFER_PRIOR_WEIGHT})`,
  };
}
