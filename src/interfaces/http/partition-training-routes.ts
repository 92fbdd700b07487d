import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { partitionOf } from '../../domain/partitions.js';
import { MAX_CUTOFFS, MAX_HORIZON_DAYS } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { compareSampleKeys, inSample, lowestSampleKeys, sampleKey, type TrainingPart } from '../../intelligence/twin-training/training-parts.js';
import type { TwinTrainingSetOptions } from '../../intelligence/twin-training/twin-training-set.js';
import { DAY_MS } from '../../domain/time.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { RouteModule } from './route-module.js';

/** Most customers a plan may ask each worker's lowest sample keys for (the default sample is 5,000). */
const MAX_PLAN_CUSTOMERS = 1_000_000;

const sampleKeySchema = z.object({ h: z.number().int().min(0), id: z.string().min(1) });

export const trainingPlanRequest = z.strictObject({ maxCustomers: z.number().int().min(0).max(MAX_PLAN_CUSTOMERS) });
export const trainingPlanAnswer = z.object({
  partitions: z.array(z.number().int()).describe('The live partitions whose customers this worker trains on'),
  eventClock: z.number().describe('The latest event time of its twins (ms)'),
  latenessMs: z.number(),
  firstEventTime: z.number().nullable().describe("The shared log's first event time (ms), null while it is empty"),
  customers: z.number().int().describe('Its customers'),
  sample: z.array(sampleKeySchema).describe('Its customers with the lowest sample keys, ascending, at most maxCustomers'),
});

export const trainingRowsRequest = z.strictObject({
  partitions: z.array(z.number().int().min(0)).describe('The partitions the plan named: refused (503) unless each is still live here'),
  cutoffs: z.array(z.number()).min(1).max(MAX_CUTOFFS),
  horizonDays: z.number().int().min(1).max(MAX_HORIZON_DAYS),
  maxRows: z.number().int().min(1),
  seed: z.number().int(),
  cut: sampleKeySchema.nullable().describe('The last sample key of the population\'s sample; null: every customer'),
});
export const trainingPartAnswer = z.object({
  featureNames: z.array(z.string()),
  cutoffs: z.array(z.number()),
  rows: z.number().int(),
  data: z.string().describe('The rows\' features, float64 little-endian, base64'),
  labels: z.string(),
  cutoffIndex: z.string(),
  customerIds: z.array(z.string()),
  eligibleRows: z.number().int(),
  eventsRead: z.number().int(),
});

/**
 * A partition worker's part of a churn model trained over the workers (POST /models/train at the
 * gateway, docs/scale.md): its plan (its live partitions, event clock, and the lowest sample keys
 * of its customers, from which the gateway finds the population's sample), then the training rows
 * of its sampled customers, built from the shared log at the cutoffs the gateway set by
 * `buildRows` (the operator's: in a thread with its own store connection).
 */
export function partitionTrainingRoutes(twins: TwinService, worker: () => Pick<PartitionWorker, 'partitions' | 'answersFor'> | undefined, buildRows: (rows: Omit<TwinTrainingSetOptions, 'onProgress' | 'signal'>) => Promise<TrainingPart>): RouteModule {
  const running = () => {
    const w = worker();
    if (!w) throw new TwinloopError('UNAVAILABLE', 'this worker has not started owning partitions yet; retry', { context: { retryAfterSeconds: 1 } });
    return w;
  };
  const customersOf = (w: Pick<PartitionWorker, 'answersFor'>, partitions: ReadonlySet<number>): string[] => {
    const ids: string[] = [];
    for (const id of twins.engine.customerIds()) if (twins.engine.has(id) && w.answersFor(id) && partitions.has(partitionOf(id))) ids.push(id);
    return ids;
  };
  return (app) => {
    app.post('/partitions/training/plan', { schema: { body: trainingPlanRequest, response: { 200: trainingPlanAnswer } } }, async (req) => {
      const w = running();
      const partitions = w.partitions().filter((p) => p.state === 'live').map((p) => p.partition);
      const ids = customersOf(w, new Set(partitions));
      const first = (await twins.store.readLog(0, 1))[0];
      return { partitions, eventClock: twins.engine.eventClock, latenessMs: twins.engine.latenessMs, firstEventTime: first?.time ?? null, customers: ids.length, sample: lowestSampleKeys(ids, req.body.maxCustomers) };
    });
    app.post('/partitions/training/rows', { schema: { body: trainingRowsRequest, response: { 200: trainingPartAnswer } } }, async (req) => {
      const w = running();
      const live = new Set(w.partitions().filter((p) => p.state === 'live').map((p) => p.partition));
      const gone = req.body.partitions.filter((p) => !live.has(p));
      if (gone.length > 0) throw new TwinloopError('UNAVAILABLE', `partitions ${gone.join(', ')} moved away from this worker since the plan; train again`, { context: { retryAfterSeconds: 1 } });
      const { cut } = req.body;
      // In the sample's order, as a single process reads its sample.
      const customers = customersOf(w, new Set(req.body.partitions))
        .filter((id) => inSample(id, cut))
        .sort((a, b) => compareSampleKeys(sampleKey(a), sampleKey(b)));
      // Off the event loop: replaying the sample's history as of every cutoff takes minutes on a large population.
      const part = await buildRows({ cutoffs: req.body.cutoffs, horizonMs: req.body.horizonDays * DAY_MS, latenessMs: twins.engine.latenessMs, maxRows: req.body.maxRows, seed: req.body.seed, customers });
      return { ...part, featureNames: [...part.featureNames], cutoffs: [...part.cutoffs], customerIds: [...part.customerIds] };
    });
  };
}
