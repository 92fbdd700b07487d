import { lowestSampleKeys } from './training-parts.js';

/**
 * Customers a churn model is trained on when none are named: a bound on what a training reads
 * and fits whatever the population (decision 0011), with every row of each sampled customer kept
 * (`DEFAULT_MAX_TRAINING_ROWS` is this at 12 cutoffs). A larger sample is a better model, not the
 * same rows read at more cost: on `npm start`'s default world (about 24,500 customers over its
 * year, 192,559 rows) every row ranked the next month's churners 0.015 and 0.004 AUC above a
 * 54,591-row sample of them, to within 0.005 of the feature oracle (BENCHMARKS.md). 25,000 takes
 * every customer of that world. The first start's first model keeps `FIRST_MODEL_CUSTOMERS`
 * (decision 0111): this sample is the full training's behind it, and every later training's.
 */
export const DEFAULT_TRAINING_CUSTOMERS = 25_000;

/**
 * Customers the first start's first model is fitted on (`TrainingRowCollector`), before the
 * server is ready: every customer of the default world there cost five to ten times the training
 * thread's CPU and minutes of the ready time (decision 0111), so the first model keeps this
 * sample and the full training behind it (`DEFAULT_TRAINING_CUSTOMERS`) replaces it when better.
 */
export const FIRST_MODEL_CUSTOMERS = 5_000;

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
