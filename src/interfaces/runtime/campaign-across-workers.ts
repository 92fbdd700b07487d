import type { AudienceCandidate } from '../../agents/flows/campaign-audience.js';
import type { CampaignAcrossWorkers } from './campaign-delivery.js';
import { askWorker, everyPartitionOnce, ownersExecutor, scanEveryPartition, whenSettled, workerUrls, type WorkerCalls } from './worker-fanout.js';

/**
 * A managed campaign run on a partition worker reaches the whole population through the other
 * workers (issue 16, docs/scale.md "Campaigns over the workers"), as a churn-prevention run does:
 * its audience is drawn once, by the run, from every partition's candidates (paged in the
 * partition order, each partition answered exactly once), so one budget and one control group
 * span the population; each contact goes to its customer's owner's guarded executor under the
 * campaign's decision id for that customer (asked again after a worker died, answered from the
 * first time); and the churn its stats read is asked of each customer's owner.
 */

/** Audience candidates per page of a worker's answer (about 150 bytes each in JSON). */
export const AUDIENCE_PAGE = 5_000;
/** Customers asked about per request when their churn is read (ids of about 10–40 bytes). */
export const CHURNED_ASK = 20_000;

/** A worker's answer to which of some customers churned (POST /partitions/campaigns/churned). */
export interface ChurnedPart {
  /** The live partitions it answered for. */
  readonly partitions: readonly number[];
  /** Those of the customers asked, in its live partitions, that churned. */
  readonly churned: readonly string[];
}

/** The audience, churn and executors of the population for a campaign, over the workers in the routing table. */
export function campaignAcrossWorkers(calls: WorkerCalls): CampaignAcrossWorkers {
  const executor = ownersExecutor(calls);
  return {
    audience: (segment) => scanEveryPartition<AudienceCandidate>(calls, '/partitions/campaigns/audience', { segment }, AUDIENCE_PAGE),
    churnedAmong: async (customerIds) => {
      const churned = new Set<string>();
      for (let i = 0; i < customerIds.length; i += CHURNED_ASK) {
        const ids = customerIds.slice(i, i + CHURNED_ASK);
        const parts = await whenSettled(async () => {
          const answers = await Promise.all((await workerUrls(calls.routing)).map((url) => askWorker<ChurnedPart>(calls, url, '/partitions/campaigns/churned', { customerIds: ids })));
          // Each customer answered by its partition's one owner: a partition moving meanwhile would leave some unasked.
          everyPartitionOnce(answers.map((a) => a.partitions));
          return answers;
        });
        for (const p of parts) for (const id of p.churned) churned.add(id);
      }
      return churned;
    },
    guarded: () => executor,
  };
}
