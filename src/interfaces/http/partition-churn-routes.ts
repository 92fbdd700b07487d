import { z } from 'zod';
import type { GuardedExecutor } from '../../agents/governance/guarded-executor.js';
import { TwinloopError } from '../../domain/errors.js';
import { TWIN_SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import { featureFilterSchema } from '../../twin/feature-filter.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import { CANDIDATES_PAGE } from '../runtime/churn-across-workers.js';
import type { ChurnWorkHere } from '../runtime/operator-flows.js';
import { isWorkerIdentity } from '../runtime/worker-identity.js';
import { errors, jsonObject } from './api-schemas.js';
import { guardedResult } from './governance-schemas.js';
import { liveHere, partitionKeySchema } from './partition-pages.js';
import type { RouteModule } from './route-module.js';

const candidatesRequest = z.strictObject({
  segment: z.array(featureFilterSchema(TWIN_SCORE_FIELDS)).max(100),
  offerIds: z.array(z.string().min(1)).max(10),
  after: partitionKeySchema.nullable().describe('The last candidate of the page before, in the partition order; null: from the start'),
  limit: z.number().int().min(1).max(CANDIDATES_PAGE),
});
const scannedCustomer = z.object({
  customerId: z.string(),
  churn: z.number(),
  value: z.number(),
  acceptance: z.number(),
  acceptanceByOffer: z.record(z.string(), z.number()).optional(),
  costByOffer: z.record(z.string(), z.number().finite().nonnegative()).optional().describe("Each offer's price for the customer, as their owner's guarded executor prices it"),
  contactHarm: z.number().optional(),
  features: z.record(z.string(), z.number()).optional(),
});
const candidatesAnswer = z.object({
  partitions: z.array(z.number().int()).describe('The live partitions whose customers were scanned'),
  items: z.array(scannedCustomer),
  next: partitionKeySchema.nullable(),
  model: z.string().describe('The churn model whose scores the page read: a scan whose pages read two is read again (churn-across-workers.ts)'),
});

const checkRequest = z.object({
  periodId: z.string(),
  offerId: z.string(),
  offers: z.array(z.object({ offerId: z.string(), customers: z.number().int(), customerIds: z.array(z.string()).optional(), acceptance: z.number().optional() })).optional(),
  customerIds: z.array(z.string()),
  expectedCost: z.number(),
  expectedNetValue: z.number(),
  horizonMs: z.number(),
});
const checkAnswer = z.object({
  perDraw: z.array(z.number()).describe("Each draw's net value summed over the plan's customers held here"),
  customers: z.array(z.object({ customerId: z.string(), mean: z.number(), low: z.number() })),
});

/**
 * A partition worker's part of a churn-prevention run that spans the workers (the run runs on
 * whichever worker claimed it, `runtime/churn-across-workers.ts`; docs/scale.md): its live
 * partitions' candidates, paged in the partition order; the simulation check of the plan's
 * customers it holds; and the actions on its customers, carried out by its guarded executor
 * (only for another worker's run: a person asks through POST /actions).
 */
export function partitionChurnRoutes(o: { worker: () => Pick<PartitionWorker, 'partitions' | 'answersFor'> | undefined; flows: ChurnWorkHere; guarded: () => Pick<GuardedExecutor, 'execute'> }): RouteModule {
  const running = () => ({ flows: o.flows, ...liveHere(o.worker()) });
  return (app) => {
    app.post('/partitions/churn/candidates', { schema: { body: candidatesRequest, response: { 200: candidatesAnswer, ...errors(400, 503) } } }, async (req) => {
      const { flows, live, here } = running();
      // A page read in the partition order from the cursor on, as a campaign's audience is: never all the worker's candidates for one page.
      return { partitions: live, ...flows.scanPage(req.body.segment, req.body.offerIds, req.body.after, req.body.limit, here) };
    });
    app.post('/partitions/churn/check', { schema: { body: checkRequest, response: { 200: checkAnswer, ...errors(400, 503) } } }, async (req) => {
      const { flows, here } = running();
      const part = flows.check(req.body, here);
      return { perDraw: [...part.perDraw], customers: [...part.customers] };
    });
    app.post('/partitions/actions', { schema: { body: jsonObject, response: { 200: guardedResult, ...errors(400, 403, 503) } } }, async (req) => {
      // The run's own actor rides in the request (the churn-prevention agent): only another
      // worker's sealed identity may send it; a person asks through POST /actions, as themselves.
      if (!req.identity || !isWorkerIdentity(req.identity)) throw new TwinloopError('FORBIDDEN', 'only a partition worker running a flow sends actions here; ask through POST /actions');
      const customerId = req.body.customerId;
      if (typeof customerId !== 'string' || !running().here(customerId)) throw new TwinloopError('UNAVAILABLE', `customer ${String(customerId)}'s partition is not live at this worker now; retry`, { context: { retryAfterSeconds: 1 } });
      return o.guarded().execute(req.body);
    });
  };
}
