import { z } from 'zod';
import { CHANNELS } from '../../domain/events.js';
import { TWIN_SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import { featureFilterSchema } from '../../twin/feature-filter.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import { AUDIENCE_PAGE, CHURNED_ASK } from '../runtime/campaign-across-workers.js';
import type { CampaignDelivery } from '../runtime/campaign-delivery.js';
import { errors } from './api-schemas.js';
import { liveHere, partitionKeySchema } from './partition-pages.js';
import type { RouteModule } from './route-module.js';

const audienceRequest = z.strictObject({
  segment: z.array(featureFilterSchema(TWIN_SCORE_FIELDS)).max(100),
  after: partitionKeySchema.nullable().describe('The last candidate of the page before, in the partition order; null: from the start'),
  limit: z.number().int().min(1).max(AUDIENCE_PAGE),
  variants: z
    .array(z.object({ id: z.string(), offerId: z.string(), channel: z.enum(CHANNELS) }))
    .max(50)
    .default([])
    .describe("The campaign's variants: each candidate says which of them its offering may not go to (offer-eligibility, read where the twin is)"),
});
const audienceCandidate = z.object({
  customerId: z.string(),
  atStake: z.number(),
  profile: z.object({ sleepingDog: z.number(), acceptance: z.record(z.string(), z.number()) }).optional(),
  marketingConsent: z.literal(false).optional().describe('False: no marketing consent (contact-policy.ts marketingConsentRefusal), left out of a marketing campaign'),
  barredVariants: z.array(z.string()).readonly().optional().describe("The variants whose offering may not go to this customer now (its eligibility rule); absent: none"),
});
const audienceAnswer = z.object({
  partitions: z.array(z.number().int()).describe('The live partitions whose customers were read'),
  items: z.array(audienceCandidate),
  next: partitionKeySchema.nullable(),
  model: z.string().nullable().describe('The churn model whose scores valued the page; null: none serves on this worker yet, and then no candidates (the campaign waits for one, decision 0098)'),
});
const churnedRequest = z.strictObject({ customerIds: z.array(z.string().min(1)).max(CHURNED_ASK) });
const churnedAnswer = z.object({
  partitions: z.array(z.number().int()).describe('The live partitions answered for'),
  churned: z.array(z.string()).describe('The customers asked, held in those partitions, that churned'),
});

/**
 * A partition worker's part of a campaign that spans the workers (the campaign runs on whichever
 * worker claimed its workflow, `runtime/campaign-across-workers.ts`; docs/scale.md): its live
 * partitions' audience candidates, paged in the partition order, and which of the campaign's
 * customers it holds have churned. Its contacts go through POST /partitions/actions.
 */
export function partitionCampaignRoutes(o: { worker: () => Pick<PartitionWorker, 'partitions' | 'answersFor'> | undefined; campaigns: Pick<CampaignDelivery, 'candidatesPage' | 'churnedHere'> }): RouteModule {
  return (app) => {
    app.post('/partitions/campaigns/audience', { schema: { body: audienceRequest, response: { 200: audienceAnswer, ...errors(400, 503) } } }, async (req) => {
      const { live, here } = liveHere(o.worker());
      // A page read in the partition order from the cursor on: a worker's candidates are never all in one answer, nor all read for one page.
      return { partitions: live, ...o.campaigns.candidatesPage(req.body.segment, req.body.after, req.body.limit, here, req.body.variants) };
    });
    app.post('/partitions/campaigns/churned', { schema: { body: churnedRequest, response: { 200: churnedAnswer, ...errors(400, 503) } } }, async (req) => {
      const { live, here } = liveHere(o.worker());
      return { partitions: live, churned: o.campaigns.churnedHere(req.body.customerIds, here) };
    });
  };
}
