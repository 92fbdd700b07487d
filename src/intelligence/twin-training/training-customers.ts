import { lowestSampleKeys } from './training-parts.js';

/**
 * Customers a churn model is trained on when none are named: at 12 monthly cutoffs, 5,000
 * customers give about the 60,000 rows the training set keeps (`DEFAULT_MAX_TRAINING_ROWS`), so a
 * larger population adds reading and replaying history but no rows.
 */
export const DEFAULT_TRAINING_CUSTOMERS = 5_000;

/**
 * A fixed sample of at most `max` customers: those whose ids hash lowest (FNV-1a), so the same
 * population gives the same sample whatever order its ids come in, and a grown population keeps
 * most of it. Undefined when the sample would be everyone (read the whole log instead).
 */
export function sampleTrainingCustomers(ids: Iterable<string>, max: number): string[] | undefined {
  const all = [...ids];
  if (!(max > 0) || all.length <= max) return undefined;
  return lowestSampleKeys(all, max).map((k) => k.id);
}
