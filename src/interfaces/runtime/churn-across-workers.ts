import type { ChurnPlanSummary, ScannedCustomer } from '../../agents/flows/churn-prevention-flow.js';
import { TwinloopError } from '../../domain/errors.js';
import { type ChurnAcrossWorkers, type ChurnCheckPart, type ChurnScanPage } from './operator-flows.js';
import { askWorker, ownersExecutor, scanWithOneModel, whenSettled, workerUrls, type PartitionPage, type WorkerCalls } from './worker-fanout.js';

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
/** A worker's churn-scan candidates, a page at a time (partition-churn-routes.ts). */
const CANDIDATES_PATH = '/partitions/churn/candidates';

/** The customers a plan's check values, each once. */
function planCustomers(summary: ChurnPlanSummary): Set<string> {
  return new Set(summary.offers ? summary.offers.flatMap((g) => g.customerIds ?? summary.customerIds) : summary.customerIds);
}

/** The scan, check and executors of the population, over the workers in the routing table. */
export function churnAcrossWorkers(o: WorkerCalls): ChurnAcrossWorkers {
  const executor = ownersExecutor(o);
  return {
    // Every customer read with one churn model, as one process's scan (operator-flows.ts scanHere):
    // pages read with two are read again (`scanWithOneModel`, every second for two minutes, asking
    // each worker which model it serves before its every page again). Four reads at once, no wait,
    // gave up within the minute and the run ended "retries are used up; check the back end". A worker
    // with no model refuses its pages (UNAVAILABLE, saying how far it got), where its empty answer
    // dropped its customers from the run.
    scan: async (segment, offerIds) => (await scanWithOneModel<ChurnScanPage & PartitionPage<ScannedCustomer>>(o, CANDIDATES_PATH, { segment, offerIds }, CANDIDATES_PAGE, 'the churn scan over them')).flatMap((p) => p.items),
    check: (summary) =>
      whenSettled(async () => {
        const parts = await Promise.all((await workerUrls(o.routing)).map((url) => askWorker<ChurnCheckPart>(o, url, '/partitions/churn/check', summary)));
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
    guarded: () => executor,
  };
}
