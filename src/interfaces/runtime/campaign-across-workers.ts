import type { AudienceCandidate } from '../../agents/flows/campaign-audience.js';
import { TwinloopError } from '../../domain/errors.js';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import { ownerOf } from '../../store/partition-leases.js';
import type { AudiencePage, CampaignAcrossWorkers } from './campaign-delivery.js';
import { askWorker, ownersExecutor, scanWithOneModel, whenSettled, type PartitionPage, type WorkerCalls } from './worker-fanout.js';

/**
 * A managed campaign run on a partition worker reaches the whole population through the other
 * workers (issue 16, docs/scale.md "Campaigns over the workers"), as a churn-prevention run does:
 * its audience is drawn once, by the run, from every partition's candidates (paged in the
 * partition order, each partition answered exactly once), so one budget and one control group
 * span the population; each contact goes to its customer's owner's guarded executor under the
 * campaign's decision id for that customer (asked again after a worker died, answered from the
 * first time); and the churn its stats read is asked of each customer's owner, of it alone.
 */

/** Audience candidates per page of a worker's answer (about 150 bytes each in JSON). */
export const AUDIENCE_PAGE = 5_000;
/** Customers asked about per request when their churn is read (ids of about 10–40 bytes). */
export const CHURNED_ASK = 20_000;

/** A worker's answer to which of some customers churned (POST /partitions/campaigns/churned). */
interface ChurnedPart {
  /** The live partitions it answered for. */
  readonly partitions: readonly number[];
  /** Those of the customers asked, in its live partitions, that churned. */
  readonly churned: readonly string[];
}

/**
 * Each of `customerIds` under the URL of its partition's owner in the routing table now;
 * UNAVAILABLE while a partition of theirs has no owner (one is moving).
 */
async function customersByOwner(calls: WorkerCalls, customerIds: readonly string[]): Promise<Map<string, string[]>> {
  const owners = await calls.routing.owners();
  const urlOf = new Map<number, string | undefined>();
  const out = new Map<string, string[]>();
  for (const id of customerIds) {
    const p = partitionOf(id);
    if (!urlOf.has(p)) urlOf.set(p, ownerOf(p, owners)?.url);
    const url = urlOf.get(p);
    if (url === undefined) throw new TwinloopError('UNAVAILABLE', `customer ${id}'s partition ${p} has no worker now (partitions moving); asking again`);
    const ids = out.get(url);
    if (ids) ids.push(id);
    else out.set(url, [id]);
  }
  return out;
}

/** The audience, churn and executors of the population for a campaign, over the workers in the routing table. */
export function campaignAcrossWorkers(calls: WorkerCalls): CampaignAcrossWorkers {
  const executor = ownersExecutor(calls);
  return {
    // Every customer valued with one churn model, as the churn scan over the workers reads them
    // (`scanWithOneModel`: pages read with two models are read again whole). A worker serving none
    // yet (a first start's model not loaded there, a restart loading its history) answers no
    // candidates, saying so: the campaign waits for it as for a model here (`noChurnModelYet`,
    // decision 0098). Its 503 on a segment on the scores failed the open step the old way, at every
    // try, while this process served one; without such a segment its customers were valued on a proxy.
    audience: async (segment, variants) => {
      const pages = await scanWithOneModel<AudiencePage & PartitionPage<AudienceCandidate>>(calls, '/partitions/campaigns/audience', { segment, variants }, AUDIENCE_PAGE, "the campaign's audience");
      const unserved = pages.filter((p) => p.model === null).reduce((n, p) => n + p.partitions.length, 0);
      if (unserved > 0) {
        const served = pages.find((p) => p.model !== null)?.model;
        throw new TwinloopError('UNAVAILABLE', `none serves yet on the workers holding ${unserved} of the ${PARTITION_COUNT} partitions${served ? ` (the others serve ${served})` : ''}`, { context: { noChurnModel: true, retryAfterSeconds: 30 } });
      }
      return pages.flatMap((p) => p.items);
    },
    // Read at every tick of a running campaign, over its treated and control customers: each owner
    // is asked about its own customers only (every id to every worker sent each id as many times
    // as there are workers), and answers for them only while their partitions are live there. An
    // answer kept is not asked again: while partitions move, only the customers not yet answered for are.
    churnedAmong: (customerIds) => {
      const churned = new Set<string>();
      let pending: readonly string[] = customerIds;
      return whenSettled(async () => {
        const left: string[] = [];
        let failed: unknown;
        const asked = [...(await customersByOwner(calls, pending))].map(async ([url, ids]) => {
          for (let i = 0; i < ids.length; i += CHURNED_ASK) {
            const chunk = ids.slice(i, i + CHURNED_ASK);
            // A worker that does not answer leaves its customers to be asked again, as a moved partition does.
            const part = await askWorker<ChurnedPart>(calls, url, '/partitions/campaigns/churned', { customerIds: chunk }).catch((err: unknown) => {
              failed ??= err;
              left.push(...ids.slice(i));
              return undefined;
            });
            if (!part) return;
            // A partition that moved since the routing table was read is not answered for: asked again of its new owner.
            const live = new Set(part.partitions);
            for (const id of chunk) if (!live.has(partitionOf(id))) left.push(id);
            for (const id of part.churned) churned.add(id);
          }
        });
        await Promise.all(asked);
        pending = left;
        if (failed !== undefined) throw failed;
        if (left.length > 0) throw new TwinloopError('UNAVAILABLE', `${left.length} customers' partitions moved while their churn was read (customer ${left[0]}'s first); asking again`);
        return churned;
      });
    },
    guarded: () => executor,
  };
}
