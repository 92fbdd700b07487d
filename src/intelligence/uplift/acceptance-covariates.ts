import { DAYS_PER_YEAR } from '../../domain/time.js';
import { FEATURE_INDEX, type FeatureName } from '../../twin/twin-features.js';
import { profileTraits } from '../profile/profile-evidence.js';

// Who accepts an offer is fitted in two places (the single-decision agent on its pilot, the
// simulation lab on a pilot or the twins' answers) on these covariates, so both read a customer alike.

/** The names of the acceptance model's covariates, in `acceptanceCovariates` order. */
export const ACCEPTANCE_COVARIATES = ['churn log-odds', 'month-to-month', 'tenure years', 'months over allowance (3)', 'late or failed payments (90 days)'] as const;

/**
 * A twin's covariates for the acceptance model: its churn log-odds and the traits of its profile
 * cell, as measures rather than the cell's yes/no (tenure in years, months over the allowance of
 * the last 3, late or failed payments of the last 90 days): a campaign that picks the extremes
 * (the riskiest, those with most to gain) reaches customers beyond a yes/no's average, and a
 * model on yes/no traits predicted an uplift-ranked campaign's acceptances 30 % low.
 */
export function acceptanceCovariates(features: Float64Array, churn: number): number[] {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, churn));
  const [monthToMonth] = profileTraits(features);
  const f = (name: FeatureName) => features[FEATURE_INDEX[name]];
  return [Math.log(q / (1 - q)), monthToMonth, f('tenure_days') / DAYS_PER_YEAR, f('months_over_allowance_3m'), f('payments_late_90d') + f('payments_failed_90d')];
}

/** The slopes' normal prior, as a ridge: sd 1 on the log-odds per unit of a covariate, weak beside hundreds of answers. */
export const ACCEPTANCE_RIDGE = 1;
