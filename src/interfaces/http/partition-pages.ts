import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { partitionOf } from '../../domain/partitions.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';

/**
 * A partition worker's side of population work fanned out over the workers (a churn-prevention
 * run's candidates, a campaign's audience: `runtime/worker-fanout.ts` `scanWithOneModel`):
 * which customers it answers for now, and its part of a scan paged in the partition order.
 */

/** A place in the partition order, as a page's `next` and the following request's `after` carry it. */
export const partitionKeySchema = z.object({ partition: z.number().int().min(0), customerId: z.string().min(1) });

/** The live partitions of this worker and whether it answers for a customer now; UNAVAILABLE (503) before it owns any. */
export function liveHere(worker: Pick<PartitionWorker, 'partitions' | 'answersFor'> | undefined): { live: number[]; here: (customerId: string) => boolean } {
  if (!worker) throw new TwinloopError('UNAVAILABLE', 'this worker has not started owning partitions yet; retry', { context: { retryAfterSeconds: 1 } });
  const live = worker.partitions().filter((p) => p.state === 'live').map((p) => p.partition);
  const liveSet = new Set(live);
  return { live, here: (id: string) => liveSet.has(partitionOf(id)) && worker.answersFor(id) };
}
