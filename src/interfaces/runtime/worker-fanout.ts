import { ERROR_CODES, TwinloopError, type ErrorCode } from '../../domain/errors.js';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import { ownerOf, type PartitionOwner } from '../../store/partition-leases.js';
import type { PartitionKey } from '../../twin/partition-order.js';
import type { GuardedExecutor, GuardedResult } from '../../agents/governance/guarded-executor.js';

/**
 * Asking every partition worker at once and putting their answers together (decision 0012):
 * the gateway does it for the population's routes, and a worker does it for work that spans the
 * population (a churn-prevention run's scan and check, a campaign's audience; each action to its
 * customer's owner: docs/scale.md).
 */

/** How long a worker's answer is waited for before it counts as not answered (the worker may have just died). */
export const WORKER_TIMEOUT_MS = 10_000;

/** Where the workers are: the routing table of the partitions' owners. */
export interface PartitionRouting {
  /** Every partition's owner now, read afresh. */
  owners(): Promise<PartitionOwner[]>;
  /** Drops the routing table read last (an owner refused or could not be reached): the next request reads it again. */
  forgetOwners(): void;
}

/** The URL of every worker in the routing table now, read afresh. */
export async function workerUrls(gateway: PartitionRouting): Promise<string[]> {
  return [...new Set((await gateway.owners()).map((o) => o.url))];
}

/** One request of a fan-out: the same path to every worker, each with its own body when `body` is a function of its place. */
export interface WorkerRequest {
  readonly method: 'GET' | 'POST';
  readonly pathAndQuery: string;
  readonly headers: Record<string, string>;
  readonly body?: (index: number, url: string) => unknown;
  /** How long each worker may take (default `WORKER_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
}

/**
 * Asks every worker at `urls` (default: the routing table's) the same request, in parallel. A
 * worker's refusal of the request itself (a 4xx: bad filter, bad cursor, no permission) is the
 * answer's, relayed with its code and message; a worker that does not answer or answers 5xx
 * makes it 503 with Retry-After (it is dying, or a partition is moving).
 */
export async function askWorkers<T>(gateway: PartitionRouting, r: WorkerRequest, urls?: readonly string[]): Promise<T[]> {
  const targets = urls ?? (await workerUrls(gateway));
  const what = `${r.method} ${r.pathAndQuery.split('?')[0]}`;
  return Promise.all(
    targets.map(async (url, index) => {
      const body = r.body?.(index, url);
      const res = await fetch(new URL(r.pathAndQuery, url), {
        method: r.method,
        headers: body === undefined ? r.headers : { ...r.headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(r.timeoutMs ?? WORKER_TIMEOUT_MS),
      }).catch((err: Error) => {
        gateway.forgetOwners();
        throw new TwinloopError('UNAVAILABLE', `the worker at ${url} did not answer ${what} (${err.message}); its partitions move to another worker; retry`, { context: { retryAfterSeconds: 1 } });
      });
      if (res.ok) return (await res.json()) as T;
      const refused = ((await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null)?.error;
      if (res.status < 500 && refused?.message && (ERROR_CODES as readonly string[]).includes(refused.code ?? '')) throw new TwinloopError(refused.code as ErrorCode, refused.message);
      gateway.forgetOwners();
      throw new TwinloopError('UNAVAILABLE', `the worker at ${url} answered ${what} with ${res.status}${refused?.message ? ` (${refused.message})` : ''}; retry`, { context: { retryAfterSeconds: 1 } });
    }),
  );
}

/**
 * The partitions the workers' answers name, when every partition is named exactly once; else
 * 503 with Retry-After: a partition named by none (moving, or being rebuilt) or by two (the
 * routing table a second old) would make a sum or a list miss it or hold it twice.
 */
export function everyPartitionOnce(named: readonly (readonly number[])[]): number[] {
  const counted = named.flat();
  const once = new Set(counted);
  if (once.size !== PARTITION_COUNT || counted.length !== PARTITION_COUNT) {
    const missing = Array.from({ length: PARTITION_COUNT }, (_, p) => p).filter((p) => !once.has(p));
    throw new TwinloopError('UNAVAILABLE', `partitions are moving between workers (${missing.length} not live anywhere now${counted.length > once.size ? ', some counted twice' : ''}); retry`, { context: { retryAfterSeconds: 1 } });
  }
  return [...once].sort((a, b) => a - b);
}

/** How long population work waits for partitions that move (a worker died or joined) before it fails: a failover is seconds. */
const SETTLE_MS = 120_000;
/** Between tries while partitions move. */
const RETRY_MS = 1_000;

/** Runs `work` until it does not answer UNAVAILABLE (partitions moving), for up to two minutes; then its last error. */
export async function whenSettled<T>(work: () => Promise<T>): Promise<T> {
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

/** A page of a worker's part of a population scan, in the partition order (`POST /partitions/…` answers). */
export interface PartitionPage<T> {
  /** The live partitions whose customers the page was read from. */
  readonly partitions: readonly number[];
  readonly items: readonly T[];
  /** The last item's place in the partition order when more follow; null on the last page. */
  readonly next: PartitionKey | null;
}

/** How a process running population work (a flow on a worker) asks the others: where they are, and as whom. */
export interface WorkerCalls {
  readonly routing: PartitionRouting;
  /** The caller's headers: a worker's own identity, sealed (`worker-identity.ts`). */
  readonly headers: () => Record<string, string>;
}

/** POSTs `body` to the worker at `url` and reads its JSON answer (errors as `askWorkers` makes them). */
export function askWorker<T>(calls: WorkerCalls, url: string, path: string, body: unknown): Promise<T> {
  return askWorkers<T>(calls.routing, { method: 'POST', pathAndQuery: path, headers: calls.headers(), body: () => body }, [url]).then((a) => a[0]);
}

/**
 * One read of every page of a population scan over the workers (issue 16): each worker's pages of
 * its live partitions (`body` with `after` and `limit` added, page by page), taken only when every
 * partition is answered exactly once and no worker's partitions changed between its pages, else
 * UNAVAILABLE, for a caller that reads again under its own `whenSettled` (one wait, not one inside
 * another: `scanWithOneModel`, which a churn-prevention run's candidates and a campaign's audience
 * are read with). A worker's refusal of a page after others says how far it had got.
 */
export async function readEveryPartitionPages<P extends PartitionPage<unknown>>(calls: WorkerCalls, path: string, body: Record<string, unknown>, limit: number): Promise<P[]> {
  const pagesOf = async (url: string) => {
    const pages: P[] = [];
    let read = 0;
    let partitions: readonly number[] | undefined;
    let after: PartitionKey | null = null;
    do {
      const page: P = await askWorker<P>(calls, url, path, { ...body, after, limit }).catch((err: unknown) => {
        if (err instanceof TwinloopError && pages.length > 0) throw new TwinloopError(err.code, `${err.message} (after ${read} items of that worker, in ${pages.length} pages)`, { context: err.context });
        throw err;
      });
      if (partitions && partitions.join() !== page.partitions.join()) throw new TwinloopError('UNAVAILABLE', `the worker at ${url} took or gave back partitions while ${path} was read; reading again`);
      partitions = page.partitions;
      pages.push(page);
      read += page.items.length;
      after = page.next;
    } while (after !== null);
    return { partitions: partitions ?? [], pages };
  };
  const parts = await Promise.all((await workerUrls(calls.routing)).map(pagesOf));
  everyPartitionOnce(parts.map((p) => p.partitions));
  return parts.flatMap((p) => p.pages);
}

/**
 * Every page of a population scan over the workers read with one churn model: each page says the
 * model whose scores it read (`model`; null: none serves on that worker, left to the caller). A
 * worker serves a newly promoted model at its own model check (DEFAULT_CHECK_INTERVAL_MS, a minute),
 * so the workers disagree for up to that long: pages that read two models are read again, as while
 * partitions move (`whenSettled`: every second for two minutes, past the check interval), then
 * UNAVAILABLE naming the models (`what` read them: "the churn scan over them"; only then is it
 * said: whenSettled gives the last). While they disagree, each second asks every worker a page of
 * one item (which model it serves), not its every page again. The churn scan's and a campaign
 * audience's (one way for both).
 */
export async function scanWithOneModel<P extends PartitionPage<unknown> & { readonly model: string | null }>(calls: WorkerCalls, path: string, body: Record<string, unknown>, limit: number, what: string): Promise<P[]> {
  let reads = 0;
  const modelsOf = (pages: readonly P[]) => [...new Set(pages.flatMap((p) => (p.model === null ? [] : [p.model])))];
  const disagree = (models: readonly string[]) =>
    new TwinloopError('UNAVAILABLE', `the workers serve different churn models: ${what} read ${models.join(' and ')} still after ${reads} reads over two minutes (a promotion reaches each worker at its own model check, a minute apart); the step tries again`);
  return whenSettled(async () => {
    reads++;
    if (reads > 1) {
      const first = await Promise.all((await workerUrls(calls.routing)).map((url) => askWorker<P>(calls, url, path, { ...body, after: null, limit: 1 })));
      const models = modelsOf(first);
      if (models.length > 1) throw disagree(models);
    }
    const read = await readEveryPartitionPages<P>(calls, path, body, limit);
    const models = modelsOf(read);
    if (models.length > 1) throw disagree(models);
    return read;
  });
}

/**
 * The guarded executor of each customer's owner (`POST /partitions/actions`): consent, contact
 * rules, the customer's own price, budgets and approvals judged where the twin is, under the
 * request's id, so an action asked again (a run taken over after its worker died, a retry while
 * the partition moved) is answered from the first time, never carried out or queued twice.
 */
export function ownersExecutor(calls: WorkerCalls): Pick<GuardedExecutor, 'execute'> {
  return {
    execute: (input) =>
      whenSettled(async () => {
        const customerId = (input as { customerId?: unknown }).customerId;
        if (typeof customerId !== 'string') throw new TwinloopError('BAD_INPUT', 'an action of work over the workers must name its customerId (it goes to the customer\'s owner)');
        const owner = ownerOf(partitionOf(customerId), await calls.routing.owners());
        if (!owner) throw new TwinloopError('UNAVAILABLE', `customer ${customerId}'s partition has no worker now; retrying`);
        return askWorker<GuardedResult>(calls, owner.url, '/partitions/actions', input);
      }),
  };
}
