import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import { verifyReplay } from '../../twin/replay-verify.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import { customerRoute } from '../auth/access-table.js';
import type { HttpApp, RouteModule } from './route-module.js';

const partitionsAnswer = z.object({
  workerId: z.string(),
  partitions: z.array(
    z.object({
      partition: z.number().int(),
      state: z.enum(['recovering', 'live']),
      recovery: z
        .object({
          checkpointSeq: z.number().int().describe('The log position of the checkpoint the partition was rebuilt from; 0 when it had none (the whole log was read)'),
          snapshots: z.number().int().describe('Twins restored from that checkpoint'),
          events: z.number().int().describe('The partition\'s events replayed from the log after it'),
        })
        .optional()
        .describe('How this worker rebuilt the partition when it took it (absent while it is being rebuilt, and in a single process)'),
    }),
  ),
});

const verifyAnswer = z.object({
  partitions: z.array(z.number().int()),
  twins: z.number().int(),
  identical: z.number().int(),
  different: z.array(z.string()),
  missing: z.array(z.string()),
  events: z.number().int(),
});

/** What the partition routes read: a worker's partitions, or a single process's (every partition, live). */
export type PartitionView = Pick<PartitionWorker, 'workerId' | 'partitions' | 'verify'>;

/** A single process (`--role all`) as a view of the partitions: it holds every one, live. */
export function wholeProcessPartitions(twins: TwinService): PartitionView {
  const all = Array.from({ length: PARTITION_COUNT }, (_, p) => p);
  return {
    workerId: 'all',
    partitions: () => all.map((partition) => ({ partition, state: 'live' as const })),
    async verify() {
      await twins.intake.drained();
      return { ...(await verifyReplay(twins.store, twins.engine)), partitions: all };
    },
  };
}

/**
 * The partitions this process answers for (decision 0012): which it holds and in what state, and
 * their twins checked against the replay of their events in the log (`twinloop replay --verify`
 * over HTTP). A single process holds every partition.
 */
export function partitionRoutes(worker: () => PartitionView | undefined): RouteModule {
  const running = (): PartitionView => {
    const w = worker();
    if (!w) throw new TwinloopError('UNAVAILABLE', 'this worker has not started owning partitions yet; retry', { context: { retryAfterSeconds: 1 } });
    return w;
  };
  return (app) => {
    app.get('/partitions', { schema: { response: { 200: partitionsAnswer } } }, async () => {
      const w = running();
      return { workerId: w.workerId, partitions: w.partitions() };
    });
    app.post('/partitions/verify', { schema: { response: { 200: verifyAnswer } } }, async () => running().verify());
  };
}

/**
 * On a worker, a route about one customer (CUSTOMER_ROUTES: the customer in its params or body)
 * is answered only while the customer's partition is held here and live: while it moves or is
 * being recovered, 503 with Retry-After, never a stale or half-rebuilt twin. Events go through
 * the gateway, which publishes each on its partition: POST /events here is refused, and so is
 * POST /models/train (the gateway trains over every worker).
 */
export function guardPartitions(app: HttpApp, answersFor: (customerId: string) => boolean): void {
  app.addHook('preHandler', async (req) => {
    const url = req.routeOptions.url;
    if (url === undefined) return;
    if (req.method === 'POST' && url === '/events') {
      throw new TwinloopError('CONFLICT', 'this is a partition worker: send events to the gateway (POST /events there), which publishes each on its partition');
    }
    if (req.method === 'POST' && url === '/models/train') {
      // A worker holds some partitions' customers: a model trained here would learn from them alone.
      throw new TwinloopError('CONFLICT', 'this is a partition worker: train through the gateway (POST /models/train there), which trains on every worker\'s customers');
    }
    const how = customerRoute(req.method, url);
    if (how === undefined || typeof how === 'string' || 'query' in how) return;
    const id = 'params' in how ? (req.params as Record<string, unknown>)[how.params] : (req.body as Record<string, unknown> | undefined)?.[how.body];
    if (typeof id !== 'string' || answersFor(id)) return;
    throw new TwinloopError('UNAVAILABLE', `customer ${id} is in partition ${partitionOf(id)}, which this worker does not answer for now (moving to or from it); ask the gateway again`, { context: { retryAfterSeconds: 1 } });
  });
}
