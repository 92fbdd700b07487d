import { ERROR_CODES, TwinloopError, type ErrorCode } from '../../domain/errors.js';
import { PARTITION_COUNT } from '../../domain/partitions.js';
import type { PartitionOwner } from '../../store/partition-leases.js';

/**
 * Asking every partition worker at once and putting their answers together (decision 0012):
 * the gateway does it for the population's routes, and a worker does it for work that spans the
 * population (a churn-prevention run's scan and check, docs/scale.md).
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
