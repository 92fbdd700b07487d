import { seededRandom } from '../domain/seeded-random.js';
import { FEATURE_COUNT, FEATURE_INDEX, NEVER_DAYS } from '../twin/twin-features.js';
import { ACTION_CLASSES, type CatalogueDocument } from './offer-catalogue.js';

// Synthetic catalogues and customers for the tests and the decision benchmarks: varied rules,
// classes and prices, plausible feature vectors, all reproducible from a seed.

const RULES = [
  'churn >= 0.1',
  'churn >= 0.2 and arpu_3m > 30 and not is_business',
  'contract_months in [0, 1]',
  '(is_prepaid == 1 or tenure_days < 90) and days_since_offer_declined > 30',
  'months_over_allowance_3m >= 1 or data_mb_30d > 0.8 * data_allowance_mb',
  'clv >= 200 and payments_failed_90d == 0',
  'tenure_days >= 365 and complaints_90d <= 1',
  'marketing_consent and active_plans >= 1',
];

/** A synthetic catalogue of `n` offerings with varied rules, classes and prices (for benches and tests). */
export function syntheticCatalogueDocument(n: number, seed = 1): CatalogueDocument {
  const r = seededRandom(seed);
  return {
    id: `synthetic-${n}`,
    productOffering: Array.from({ length: n }, (_, i) => {
      const actionClass = ACTION_CLASSES[i % ACTION_CLASSES.length];
      const discount = actionClass === 'discount';
      return {
        id: `syn-${i}`,
        name: `Synthetic offering ${i}`,
        actionClass,
        productOfferingPrice: discount
          ? { priceType: 'discount' as const, percentage: 5 + Math.floor(r() * 20), recurringChargePeriodLength: 6 }
          : { priceType: 'oneTime' as const, cost: { value: Math.round(r() * 10), unit: 'EUR' }, costPaidOn: r() < 0.5 ? ('acceptance' as const) : ('presentation' as const) },
        treatments: [
          { id: 'a', name: 'A', message: `Offer ${i}, variant A` },
          { id: 'b', name: 'B', message: `Offer ${i}, variant B` },
        ],
        eligibility: RULES[i % RULES.length],
        applicability: i % 3 === 0 ? "channel in ['call', 'chat', 'store'] or direction == 'outbound'" : undefined,
        retentionEffect: Math.round(r() * 50) / 100,
        acceptancePrior: 0.05 + Math.round(r() * 30) / 100,
        contextWeights: { channel: { call: 1.2 }, reason: { cancel_request: 1.5 } },
      };
    }),
  };
}

/** Plausible feature vectors for synthetic customers (FEATURE_NAMES order). */
export function syntheticFeatures(random: () => number): Float64Array {
  const f = new Float64Array(FEATURE_COUNT);
  f[FEATURE_INDEX.tenure_days] = Math.floor(random() * 3000);
  f[FEATURE_INDEX.is_business] = random() < 0.2 ? 1 : 0;
  f[FEATURE_INDEX.is_prepaid] = random() < 0.3 ? 1 : 0;
  f[FEATURE_INDEX.contract_months] = [0, 1, 12, 24][Math.floor(random() * 4)];
  f[FEATURE_INDEX.marketing_consent] = random() < 0.85 ? 1 : 0;
  f[FEATURE_INDEX.active_plans] = 1;
  f[FEATURE_INDEX.monthly_price] = [19.9, 24.9, 42, 55, 75, 80, 103][Math.floor(random() * 7)];
  f[FEATURE_INDEX.data_allowance_mb] = 5120;
  f[FEATURE_INDEX.data_mb_30d] = random() * 8000;
  f[FEATURE_INDEX.arpu_3m] = f[FEATURE_INDEX.monthly_price] * (0.9 + random() * 0.3);
  f[FEATURE_INDEX.months_over_allowance_3m] = Math.floor(random() * 3);
  f[FEATURE_INDEX.complaints_90d] = random() < 0.2 ? 1 : 0;
  f[FEATURE_INDEX.days_since_offer_declined] = random() < 0.3 ? Math.floor(random() * 90) : NEVER_DAYS;
  f[FEATURE_INDEX.offers_presented_90d] = Math.floor(random() * 3);
  return f;
}
