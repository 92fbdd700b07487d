import { DAYS_PER_MONTH } from '../domain/time.js';
import type { WorldConfig } from './world-config.js';

/**
 * The hidden churn model: a monthly hazard from a logistic score of the customer's drivers,
 * then multiplied by the effects of offers and contacts. Pure; the engine and the oracle share it.
 */

/** Everything the hazard depends on for one customer at one moment. */
export interface HazardDrivers {
  contractLogit: number;
  paymentLogit: number;
  tenureMonths: number;
  family: 'fibre' | 'dsl' | 'none';
  business: boolean;
  prepaid: boolean;
  /** Bills with overage among the last three. */
  overageMonths: number;
  /** Complaints, decayed with a 30-day time constant. */
  complaintScore: number;
  /** Network impact (severity-weighted), decayed with a 30-day time constant. */
  networkScore: number;
  /** Price increase in force (percent), zero once it has been absorbed. */
  priceIncreasePct: number;
  /** Sum of the intensities of competitor offers reaching the customer now. */
  competitorExposure: number;
  strain: number;
  frailty: number;
  typeShift: number;
  /** Product of offer (below 1) and contact (above 1) multipliers in force. */
  multiplier: number;
}

/** Score on the logit scale, without the intercept. */
export function driverLogit(coef: WorldConfig['churn']['coefficients'], x: HazardDrivers): number {
  return (
    x.contractLogit +
    x.paymentLogit +
    coef.tenureLog * Math.log1p(x.tenureMonths) +
    coef.family[x.family] +
    (x.business ? coef.business : 0) +
    (x.prepaid ? coef.prepaid : 0) +
    coef.overageMonths * x.overageMonths +
    coef.complaints * x.complaintScore +
    coef.networkImpact * x.networkScore +
    coef.priceIncreasePct * x.priceIncreasePct +
    coef.competitorOffer * x.competitorExposure +
    coef.financialStrain * x.strain +
    x.frailty +
    x.typeShift
  );
}

/** Largest monthly hazard, so multipliers never push a probability past certainty. */
export const MAX_MONTHLY_HAZARD = 0.95;

/** Monthly churn probability from intercept + driver score, then offer/contact multipliers. */
export function monthlyHazard(intercept: number, logit: number, multiplier: number): number {
  const p = 1 / (1 + Math.exp(-(intercept + logit)));
  return Math.min(MAX_MONTHLY_HAZARD, p * multiplier);
}

/** Daily probability giving the monthly hazard when compounded over a month. */
export function dailyFromMonthly(p: number): number {
  return 1 - Math.pow(1 - p, 1 / DAYS_PER_MONTH);
}

/** Horizon (months) over which the configured churn rate is meant: a year of backfill. */
export const CALIBRATION_HORIZON_MONTHS = 12;

/**
 * Solves the intercept so that the given customers, followed for a year with their hazards held
 * fixed, churn at `target` per customer-month (bisection: the rate is monotone in the intercept).
 * Counting per customer-month rather than averaging hazards matters: the riskiest customers
 * leave first, so a plain mean of hazards overstates the rate a year of history shows.
 */
export function solveIntercept(logits: ArrayLike<number>, target: number): number {
  const h = CALIBRATION_HORIZON_MONTHS;
  // sigmoid(b + l) = 1 / (1 + e^-b · e^-l): one exp per customer up front, one per bisection step.
  const expNeg = Float64Array.from({ length: logits.length }, (_, i) => Math.exp(-logits[i]));
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    const eb = Math.exp(-mid);
    let churned = 0;
    let exposure = 0;
    for (let i = 0; i < expNeg.length; i++) {
      const p = 1 / (1 + eb * expNeg[i]);
      let stay = 1;
      for (let m = 0; m < h; m++) stay *= 1 - p;
      const gone = 1 - stay;
      churned += gone;
      exposure += p > 1e-12 ? gone / p : h;
    }
    if (churned / Math.max(1e-12, exposure) > target) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}
