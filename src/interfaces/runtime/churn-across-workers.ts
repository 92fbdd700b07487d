import type { ChurnPlanSummary, ScannedCustomer } from '../../agents/flows/churn-prevention-flow.js';
import type { GuardedResult } from '../../agents/governance/guarded-executor.js';
import { TwinloopError } from '../../domain/errors.js';
import { partitionOf } from '../../domain/partitions.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import { ownerOf } from '../../store/partition-leases.js';
import type { PartitionKey } from '../../twin/partition-order.js';
import type { ChurnAcrossWorkers, ChurnCheckPart } from './operator-flows.js';
import { askWorkers, everyPartitionOnce, workerUrls, type PartitionRouting } from './worker-fanout.js';

/**
 * A churn-prevention run on a partition worker reaches the whole population through the other
 * workers (issue 16, docs/scale.md "Churn prevention over the workers"): the scan asks every
 * owner for its live partitions' candidates, paged, and takes them only when every partition is
 * answered once; the simulation check asks each owner to value its own customers of the plan and
 * adds the draws up; each action goes to the guarded executor of its customer's owner, where the
 * twin is (consent, contact rules, price), under the step's request id, so an action asked again
 * (the run taken over after its worker died) is answered from the first time, never done twice.
 * The plan itself (floors, the one budget, the control group) is made once, by the run.
 */

/** Candidates per page of a worker's answer: a page of ScannedCustomers is about 1.5 MB of JSON. */
export const CANDIDATES_PAGE = 5_000;
/** How long a run waits for partitions that move (a worker died or joined) before its step fails: a failover is seconds. */
const SETTLE_MS = 120_000;
/** Between tries while partitions move. */
const RETRY_MS = 1_000;

/** A page of a worker's candidates (POST /partitions/churn/candidates). */
export interface CandidatesPage {
  readonly partitions: readonly number[];
  readonly items: readonly ScannedCustomer[];
  /** The last candidate's place in the partition order when more follow; null on the last page. */
  readonly next: PartitionKey | null;
}

/** A worker's valuation of its customers of a plan (POST /partitions/churn/check). */
export type CheckAnswer = ChurnCheckPart;

/** What the run's requests to the workers go with: the worker's own identity, sealed. */
export interface ChurnAcrossOptions {
  readonly routing: PartitionRouting;
  readonly headers: () => Record<string, string>;
}

/** Runs `work` until it does not answer UNAVAILABLE (partitions moving), for up to SETTLE_MS. */
async function whenSettled<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof TwinloopError) || err.code !== 'UNAVAILABLE' || Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/** The customers a plan's check values, each once. */
function planCustomers(summary: ChurnPlanSummary): Set<string> {
  return new Set(summary.offers ? summary.offers.flatMap((g) => g.customerIds ?? summary.customerIds) : summary.customerIds);
}

/** The scan, check and executors of the population, over the workers in the routing table. */
export function churnAcrossWorkers(o: ChurnAcrossOptions): ChurnAcrossWorkers {
  const ask = <T>(url: string, path: string, body: unknown) => askWorkers<T>(o.routing, { method: 'POST', pathAndQuery: path, headers: o.headers(), body: () => body }, [url]).then((a) => a[0]);
  /** Every page of one worker's candidates; UNAVAILABLE when its partitions changed between pages. */
  const candidatesOf = async (url: string, segment: readonly FeatureFilter[], offerIds: readonly string[]) => {
    const items: ScannedCustomer[] = [];
    let partitions: readonly number[] | undefined;
    let after: PartitionKey | null = null;
    do {
      const page: CandidatesPage = await ask<CandidatesPage>(url, '/partitions/churn/candidates', { segment, offerIds, after, limit: CANDIDATES_PAGE });
      if (partitions && partitions.join() !== page.partitions.join()) throw new TwinloopError('UNAVAILABLE', `the worker at ${url} took or gave back partitions while its candidates were read; reading again`);
      partitions = page.partitions;
      items.push(...page.items);
      after = page.next;
    } while (after !== null);
    return { partitions: partitions ?? [], items };
  };
  return {
    scan: (segment, offerIds) =>
      whenSettled(async () => {
        const parts = await Promise.all((await workerUrls(o.routing)).map((url) => candidatesOf(url, segment, offerIds)));
        everyPartitionOnce(parts.map((p) => p.partitions));
        return parts.flatMap((p) => p.items);
      }),
    check: (summary) =>
      whenSettled(async () => {
        const parts = await Promise.all((await workerUrls(o.routing)).map((url) => ask<CheckAnswer>(url, '/partitions/churn/check', summary)));
        const wanted = planCustomers(summary);
        const valued = parts.flatMap((p) => p.customers);
        // Each of the plan's customers valued by exactly one worker: a partition moving meanwhile would drop or double one.
        const once = new Set(valued.map((v) => v.customerId));
        if (valued.length !== wanted.size || once.size !== wanted.size || [...wanted].some((id) => !once.has(id))) {
          throw new TwinloopError('UNAVAILABLE', `the plan's ${wanted.size} customers were valued ${valued.length} times over the workers (partitions moving); checking again`);
        }
        const perDraw = parts.reduce((sum, p) => (p.perDraw.forEach((x, d) => (sum[d] = (sum[d] ?? 0) + x)), sum), [] as number[]);
        return { perDraw, customers: valued };
      }),
    guarded: () => ({
      execute: (input) =>
        whenSettled(async () => {
          const customerId = (input as { customerId?: unknown }).customerId;
          if (typeof customerId !== 'string') throw new TwinloopError('BAD_INPUT', 'an action of a run over the workers must name its customerId (it goes to the customer\'s owner)');
          const owner = ownerOf(partitionOf(customerId), await o.routing.owners());
          if (!owner) throw new TwinloopError('UNAVAILABLE', `customer ${customerId}'s partition has no worker now; retrying`);
          return ask<GuardedResult>(owner.url, '/partitions/actions', input);
        }),
    }),
  };
}
