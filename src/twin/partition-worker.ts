import type { EventBus } from '../bus/event-bus.js';
import { TwinloopError } from '../domain/errors.js';
import { partitionOf } from '../domain/partitions.js';
import type { PartitionLeases } from '../store/partition-leases.js';
import { startBusIntake, type BusIntakeHandle } from './bus-intake.js';
import { keepPartitions, type PartitionKeeper } from './partition-keeper.js';
import { verifyReplay, type ReplayVerification } from './replay-verify.js';
import { replayLog } from './twin-recovery.js';
import type { TwinService } from './twin-service.js';

/**
 * How a partition's consumer is opened (decision 0012). The ack wait is long because a partition
 * taken over never waits for it: its new owner makes the consumer anew at its first unacknowledged
 * message. A short one (the single intake's 2 s) had the broker deliver again everything a busy
 * worker held: at load 35, one worker holding 64 partitions with 1,000 messages in hand each took
 * 2.2 million deliveries for 28,000 events and stored 7,000 of them in 10 minutes (`bench scale`,
 * 2026-12-03). The window bounds what a worker holds in hand across its partitions.
 */
export const PARTITION_CONSUMER = { ackWaitMs: 60_000, window: 200 } as const;

/** Where a partition stands in this worker: its twins being rebuilt from the log, or live (its consumer feeding the intake). */
export type PartitionState = 'recovering' | 'live';

export interface PartitionWorkerOptions {
  /** The twins, opened `partitioned` (empty; each partition recovered when taken). */
  twins: TwinService;
  leases: PartitionLeases;
  /** The consumer of one partition's subject, taking it over at its first unacknowledged message. */
  openBus: (partition: number) => Promise<EventBus>;
  /** How often the keeper looks for free partitions and for more than its share. */
  keepEveryMs?: number;
  log?: (line: string) => void;
}

/** A worker's partitions: which it answers for, and how its twins compare with the log's replay. */
export interface PartitionWorker {
  readonly workerId: string;
  /** Held partitions and their state, ascending. */
  partitions(): { partition: number; state: PartitionState }[];
  /** Whether this worker answers for the customer now: its partition held and live (else answer 503: moving). */
  answersFor(customerId: string): boolean;
  /** Rebuilds the live partitions' twins from the log and compares them, byte for byte, with the engine's. */
  verify(): Promise<ReplayVerification & { partitions: number[] }>;
  /** One keeper round now (tests, start). */
  step(): Promise<void>;
  /** Stops the keeper and every consumer (in-hand batches finished), then gives the leases back. */
  close(): Promise<void>;
}

/**
 * Runs a worker's share of the partitions (decision 0012): the keeper takes partitions up to the
 * fair share; each one taken is rebuilt from the log (its customers' events only; the engine's
 * stale twins of it, from an earlier stint, forgotten first) and only then fed by its own
 * consumer, which resumes at the partition's first unacknowledged message, so an event already
 * stored comes again only as a duplicate by id. A partition given back has its consumer stopped
 * (the batch in hand stored and acknowledged) and its twins forgotten before the lease goes.
 */
export function startPartitionWorker(o: PartitionWorkerOptions): PartitionWorker {
  const log = o.log ?? (() => undefined);
  const { engine, store, intake } = o.twins;
  const state = new Map<number, PartitionState>();
  const feeds = new Map<number, { bus: EventBus; intake: BusIntakeHandle }>();
  let closing = false;

  const twinsOf = (partitions: ReadonlySet<number>) => [...engine.customerIds()].filter((id) => partitions.has(partitionOf(id)));

  const stopFeed = async (p: number) => {
    const feed = feeds.get(p);
    feeds.delete(p);
    if (!feed) return;
    await feed.intake.stop();
    await intake.drained();
    await feed.bus.close();
  };

  const onTaken = async (taken: number[]) => {
    const set = new Set(taken);
    for (const p of taken) state.set(p, 'recovering');
    try {
      engine.forget(twinsOf(set));
      const replayed = await replayLog(store, engine, 0, undefined, (id) => set.has(partitionOf(id)));
      for (const p of taken) {
        if (closing) return;
        const bus = await o.openBus(p);
        feeds.set(p, { bus, intake: startBusIntake(bus, intake, { onError: (err) => log(`partition ${p}: ${(err as Error).message}`) }) });
        state.set(p, 'live');
      }
      log(`partitions: recovered ${taken.join(', ')} from the log (${replayed.events} events)`);
    } catch (err) {
      // Not answered for: give them back, so that this worker or another tries again from the log.
      for (const p of taken) {
        await stopFeed(p).catch(() => undefined);
        state.delete(p);
      }
      engine.forget(twinsOf(set));
      await o.leases.release(taken).catch(() => undefined);
      throw new TwinloopError('UNAVAILABLE', `recovering partitions ${taken.join(', ')} failed (${(err as Error).message}); given back`, { cause: err });
    }
  };

  const beforeRelease = async (p: number) => {
    state.delete(p);
    await stopFeed(p);
    engine.forget(twinsOf(new Set([p])));
  };

  const keeper: PartitionKeeper = keepPartitions({ leases: o.leases, onTaken, beforeRelease, everyMs: o.keepEveryMs, log });

  return {
    workerId: o.leases.workerId,
    // Every lease held, a partition just taken counting as recovering until its rebuild starts.
    partitions: () => o.leases.held().map((partition) => ({ partition, state: state.get(partition) ?? 'recovering' })),
    answersFor: (customerId) => state.get(partitionOf(customerId)) === 'live',
    async verify() {
      const live = new Set([...state].filter(([, s]) => s === 'live').map(([p]) => p));
      // Events in the intake's hands are stored before they are applied: compare once they are in.
      await intake.drained();
      const report = await verifyReplay(store, engine, undefined, (id) => live.has(partitionOf(id)));
      return { ...report, partitions: [...live].sort((a, b) => a - b) };
    },
    step: () => keeper.step(),
    async close() {
      closing = true;
      keeper.stop();
      for (const p of [...feeds.keys()]) await stopFeed(p);
      state.clear();
      await o.leases.close();
    },
  };
}
