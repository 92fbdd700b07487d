import type { z } from 'zod';
import { registerChurnModel, type RegisteredModel } from '../../intelligence/live/churn-model-service.js';
import { fitChurnPartsInThread } from '../../intelligence/twin-training/churn-training-thread.js';
import { churnCutoffs, DEFAULT_HORIZON_DAYS } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { DEFAULT_TRAINING_CUSTOMERS } from '../../intelligence/twin-training/training-customers.js';
import { inSample, sampleCut, type TrainingPart } from '../../intelligence/twin-training/training-parts.js';
import { DEFAULT_MAX_TRAINING_ROWS } from '../../intelligence/twin-training/twin-training-set.js';
import type { Gateway } from '../runtime/gateway.js';
import { askWorkers, everyPartitionOnce, workerUrls } from '../runtime/worker-fanout.js';
import type { trainingPlanAnswer, trainingRowsRequest } from './partition-training-routes.js';

/** How long a worker may take to build its rows: replaying its share of a 5,000-customer sample's year at load 30 takes minutes. */
const ROWS_TIMEOUT_MS = 15 * 60_000;
/** The seed of the rows' reservoir and of the fit, as a single process's training uses by default. */
const SEED = 1;

type Plan = z.infer<typeof trainingPlanAnswer>;
type RowsRequest = z.infer<typeof trainingRowsRequest>;

/**
 * Trains a churn model over the partition workers and registers it (issue 16; docs/scale.md,
 * "Training fanned out"): each worker names its live partitions, its event clock and the lowest
 * sample keys of its customers; the gateway takes the population's sample from those (the very
 * customers a single process would sample), sets the cutoffs from the log's first event to the
 * latest event clock, and asks each worker for the training rows of its sampled customers
 * (replayed from the shared log as of each cutoff), its share of the rows kept in proportion to
 * its share of the sample. It fits once, in a thread (the gateway keeps routing), and registers
 * the model as a single process's `POST /models/train` does: champion when there is none, else
 * challenger. Workers serve the registry's champion, re-read every `--model-check-every`.
 * 503 with Retry-After when the partitions are not each held once, or one moved in between.
 */
export async function trainOverWorkers(gateway: Gateway, headers: Record<string, string>, request: { horizonDays?: number; cutoffs?: number }): Promise<RegisteredModel> {
  const urls = await workerUrls(gateway);
  const plans = await askWorkers<Plan>(gateway, { method: 'POST', pathAndQuery: '/partitions/training/plan', headers, body: () => ({ maxCustomers: DEFAULT_TRAINING_CUSTOMERS }) }, urls);
  everyPartitionOnce(plans.map((p) => p.partitions));
  const cut = sampleCut(plans.map((p) => p.sample), DEFAULT_TRAINING_CUSTOMERS);
  const horizonDays = request.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const firsts = plans.map((p) => p.firstEventTime).filter((t): t is number => t !== null);
  const cutoffs = churnCutoffs({ from: firsts.length ? Math.min(...firsts) : undefined, to: Math.max(...plans.map((p) => p.eventClock)), horizonDays, cutoffs: request.cutoffs });
  const sampled = plans.map((p) => (cut === null ? p.customers : p.sample.filter((k) => inSample(k.id, cut)).length));
  const total = sampled.reduce((a, b) => a + b, 0);
  const parts = await askWorkers<TrainingPart>(
    gateway,
    {
      method: 'POST',
      pathAndQuery: '/partitions/training/rows',
      headers,
      timeoutMs: ROWS_TIMEOUT_MS,
      body: (i): RowsRequest => ({ partitions: plans[i].partitions, cutoffs, horizonDays, maxRows: Math.max(1, Math.ceil((DEFAULT_MAX_TRAINING_ROWS * sampled[i]) / Math.max(1, total))), seed: SEED, cut }),
    },
    urls,
  );
  const customers = cut === null ? undefined : plans.flatMap((p) => p.sample.filter((k) => inSample(k.id, cut)).map((k) => k.id));
  const trained = await fitChurnPartsInThread(parts, { cutoffs, horizonDays, fit: { seed: SEED, customers } });
  return registerChurnModel(gateway.registry, trained, 'champion-if-none');
}
