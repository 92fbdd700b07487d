import { NEVER_DAYS } from '../../twin/twin-features.js';
import type { FeatureContribution } from './churn-scorer.js';

/** A contribution with its sentence, e.g. "2 of the last 3 complete months over allowance: +0.42 log-odds". */
export interface Reason {
  readonly feature: string;
  readonly value: number;
  /** Signed, in the units the scorer reports (calibrated log-odds with Platt). */
  readonly contribution: number;
  readonly text: string;
}

/** Reasons shown per score: enough to act on, few enough to read during a call. */
export const DEFAULT_REASON_COUNT = 5;

/** Digits grouped, as the console writes them ('231,186 MB of data in 30 days', not '231186 MB'). */
const num = (v: number): string => {
  const digits = Number.isInteger(v) || Math.abs(v) >= 10 ? 0 : 2;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const plural = (v: number, one: string, many = `${one}s`): string => `${num(v)} ${v === 1 ? one : many}`;
const pct = (v: number): string => `${v >= 0 ? '+' : ''}${Math.round(v * 100)} %`;
const since = (v: number, what: string): string => (v >= NEVER_DAYS ? `never ${what}` : `${plural(v, 'day')} since ${what}`);

/**
 * Months over the allowance, of the complete months before this one: the month running is not
 * counted (its bill has not closed it), so a card showing this period at 113 % beside "0 months
 * over allowance" read as a contradiction; it says which months it counts.
 */
const overMonths = (v: number, of: number): string => `${num(v)} of the last ${of} complete months over allowance`;

/** How each twin feature reads in a sentence; features not listed read `name = value`. */
const PHRASES: Readonly<Record<string, (v: number) => string>> = {
  tenure_days: (v) => `customer for ${plural(v, 'day')}`,
  is_business: (v) => (v ? 'business customer' : 'consumer customer'),
  is_prepaid: (v) => (v ? 'prepaid' : 'postpaid'),
  contract_months: (v) => (v === 0 ? 'month-to-month contract' : `${v}-month contract`),
  payment_autopay: (v) => (v ? 'pays automatically' : 'does not pay automatically'),
  payment_electronic_check: (v) => (v ? 'pays by electronic check' : 'does not pay by electronic check'),
  payment_mailed_check: (v) => (v ? 'pays by mailed check' : 'does not pay by mailed check'),
  marketing_consent: (v) => (v ? 'consents to marketing' : 'no marketing consent'),
  active_plans: (v) => plural(v, 'active plan'),
  active_addons: (v) => plural(v, 'active add-on'),
  suspended_products: (v) => plural(v, 'suspended product'),
  monthly_price: (v) => `monthly price ${num(v)}`,
  data_allowance_mb: (v) => `data allowance ${num(v)} MB`,
  data_mb_30d: (v) => `${num(v)} MB of data in 30 days`,
  data_mb_90d: (v) => `${num(v)} MB of data in 90 days`,
  data_mb_7d: (v) => `${num(v)} MB of data in 7 days`,
  voice_min_7d: (v) => `${num(v)} voice minutes in 7 days`,
  voice_min_30d: (v) => `${num(v)} voice minutes in 30 days`,
  voice_min_90d: (v) => `${num(v)} voice minutes in 90 days`,
  voice_allowance_min: (v) => `voice allowance ${num(v)} minutes`,
  sms_30d: (v) => `${plural(v, 'SMS', 'SMS')} in 30 days`,
  roaming_days_30d: (v) => `${plural(v, 'day')} roaming in 30 days`,
  data_trend: (v) => `data use ${pct(v)} vs the 60 days before`,
  voice_trend: (v) => `voice use ${pct(v)} vs the 60 days before`,
  months_over_allowance_3m: (v) => overMonths(v, 3),
  bill_last: (v) => `last bill ${num(v)}`,
  bill_avg_3m: (v) => `average bill ${num(v)} (3 months)`,
  arpu_3m: (v) => `average revenue ${num(v)} a month (3 months)`,
  overage_3m: (v) => `overage charges ${num(v)} (3 months)`,
  payments_late_90d: (v) => `${plural(v, 'late payment')} in 90 days`,
  days_late_90d: (v) => `${plural(v, 'day')} late paying in 90 days`,
  payments_failed_90d: (v) => `${plural(v, 'failed payment')} in 90 days`,
  payments_late_total: (v) => `${plural(v, 'late payment')} ever`,
  payments_failed_total: (v) => `${plural(v, 'failed payment')} ever`,
  open_tickets: (v) => plural(v, 'open ticket'),
  tickets_30d: (v) => `${plural(v, 'ticket')} in 30 days`,
  complaints_90d: (v) => `${plural(v, 'complaint')} in 90 days`,
  days_since_complaint: (v) => since(v, 'a complaint'),
  network_minutes_30d: (v) => `${plural(v, 'minute')} of network trouble in 30 days`,
  network_incidents_30d: (v) => `${plural(v, 'network incident')} in 30 days`,
  interactions_30d: (v) => `${plural(v, 'contact')} in 30 days`,
  offers_presented_90d: (v) => `${plural(v, 'offer')} presented in 90 days`,
  offers_accepted_90d: (v) => `${plural(v, 'offer')} accepted in 90 days`,
  offers_declined_90d: (v) => `${plural(v, 'offer')} declined in 90 days`,
  days_since_offer_declined: (v) => since(v, 'declining an offer'),
  days_since_offer_accepted: (v) => since(v, 'accepting an offer'),
  history_days: (v) => `${plural(v, 'day')} of history`,
  bills_total: (v) => `${plural(v, 'bill')} so far`,
  payments_late_share: (v) => `${Math.round(v * 100)} % of bills paid late`,
  complaints_total: (v) => `${plural(v, 'complaint')} ever`,
  complaints_30d: (v) => `${plural(v, 'complaint')} in 30 days`,
  network_minutes_90d: (v) => `${plural(v, 'minute')} of network trouble in 90 days`,
  network_incidents_90d: (v) => `${plural(v, 'network incident')} in 90 days`,
  months_over_allowance_12m: (v) => overMonths(v, 12),
  data_use_to_allowance: (v) => `${Math.round(v * 100)} % of the data allowance used in 30 days`,
  // Live scores judged with the features (an approval's facts, AUDITED_FACTS).
  churn: (v) => `churn risk ${Math.round(v * 1000) / 10} %`,
  churned: (v) => (v ? 'has left (churned)' : 'still a customer'),
  clv: (v) => `lifetime value ${num(v)}`,
  contract_days_left: (v) => (v >= NEVER_DAYS ? 'no contract end' : v === 0 ? 'contract ends today' : `contract ends in ${plural(v, 'day')}`),
};

/** The phrase for one feature value ("2 of the last 3 complete months over allowance", "never contacted by call"). */
export function describeFeature(feature: string, value: number): string {
  const phrase = PHRASES[feature];
  if (phrase) return phrase(value);
  if (feature.startsWith('days_since_')) return since(value, `a ${feature.slice('days_since_'.length).replace(/_/g, ' ')} contact`);
  return `${feature} = ${Number.isNaN(value) ? 'missing' : num(value)}`;
}

/** A signed figure as reasons print it: "+0.42", "−0.17". */
export function signed(x: number, digits = 2): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

/** The largest contributions by absolute size, as sentences with their signed log-odds. */
export function topReasons(contributions: readonly FeatureContribution[], count = DEFAULT_REASON_COUNT, units = 'log-odds'): Reason[] {
  return [...contributions]
    .filter((c) => Math.abs(c.contribution) >= 0.005)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, count)
    .map((c) => ({
      feature: c.feature,
      value: c.value,
      contribution: Math.round(c.contribution * 1e4) / 1e4,
      text: `${describeFeature(c.feature, c.value)}: ${signed(c.contribution)} ${units}`,
    }));
}
