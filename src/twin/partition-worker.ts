import type { EventBus } from '../bus/event-bus.js';
import { TwinloopError } from '../domain/errors.js';
import { partitionOf } from '../domain/partitions.js';
import type { PartitionCheckpoints, PartitionCheckpointSave } from '../store/partition-checkpoints.js';
import type { PartitionLeases } from '../store/partition-leases.js';
import { startBusIntake, type BusIntakeHandle } from './bus-intake.js';
import type { NameMarks } from './name-book.js';
import { keepPartitions, type PartitionKeeper } from './partition-keeper.js';
import { verifyReplay, type ReplayVerification } from './replay-verify.js';
import { replayLog } from './twin-recovery.js';
import { RECORD_BYTES } from './twin-layout.js';
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

/** How often a worker checkpoints its live partitions by default: the single process's cadence (30 s). */
export const DEFAULT_PARTITION_CHECKPOINT_EVERY_MS = 30_000;

/** How a partition taken was rebuilt: from its checkpoint (snapshots restored) and the events after it. */
export interface PartitionRecovery {
  /** The checkpoint's log position; 0 when the partition had none (rebuilt from the whole log). */
  readonly checkpointSeq: number;
  readonly snapshots: number;
  /** The partition's events replayed after the checkpoint. */
  readonly events: number;
}

export interface PartitionWorkerOptions {
  /** The twins, opened `partitioned` (empty; each partition recovered when taken). */
  twins: TwinService;
  leases: PartitionLeases;
  /** The consumer of one partition's subject, taking it over at its first unacknowledged message. */
  openBus: (partition: number) => Promise<EventBus>;
  /** How often the keeper looks for free partitions and for more than its share. */
  keepEveryMs?: number;
  /** Where each partition's checkpoint is kept; without it a partition taken is rebuilt from the whole log. */
  checkpoints?: PartitionCheckpoints;
  /** How often the live partitions' changed twins are checkpointed (default DEFAULT_PARTITION_CHECKPOINT_EVERY_MS). */
  checkpointEveryMs?: number;
  /**
   * Told the twins of partitions just rebuilt (restored and replayed outside the intake, so no
   * intake listener saw them), before they go live: live scoring re-scores them.
   */
  onRecovered?: (customerIds: readonly string[]) => void;
  log?: (line: string) => void;
}

/** A worker's partitions: which it answers for, and how its twins compare with the log's replay. */
export interface PartitionWorker {
  readonly workerId: string;
  /** Held partitions and their state, ascending. */
  partitions(): { partition: number; state: PartitionState; recovery?: PartitionRecovery }[];
  /** Whether this worker answers for the customer now: its partition held and live (else answer 503: moving). */
  answersFor(customerId: string): boolean;
  /** Rebuilds the live partitions' twins from the log and compares them, byte for byte, with the engine's. */
  verify(): Promise<ReplayVerification & { partitions: number[] }>;
  /** One keeper round now (tests, start). */
  step(): Promise<void>;
  /** Checkpoints the live partitions' changed twins now (also done every `checkpointEveryMs`, and before a partition is given back). */
  checkpoint(): Promise<void>;
  /** Stops the keeper and every consumer (in-hand batches finished), then gives the leases back. */
  close(): Promise<void>;
}

/**
 * Runs a worker's share of the partitions (decision 0012): the keeper takes partitions up to the
 * fair share; each one taken is rebuilt from its last checkpoint (its twins' snapshots, the engine's
 * stale twins of it from an earlier stint forgotten first) and the log after the checkpoint's
 * position (its customers' events only), and only then fed by its own consumer, which resumes at
 * the partition's first unacknowledged message, so an event already stored comes again only as a
 * duplicate by id. The live partitions' changed twins are checkpointed every `checkpointEveryMs`
 * with each partition's position: the seq of the log's end when it was taken or of its last
 * event applied since, whichever is later (one writer per partition, so every event of the
 * partition at or below it is in the twins). A partition given back has its consumer stopped (the
 * batch in hand stored and acknowledged), is checkpointed, and has its twins forgotten before the
 * lease goes.
 */
export function startPartitionWorker(o: PartitionWorkerOptions): PartitionWorker {
  const log = o.log ?? (() => undefined);
  const { engine, store, intake } = o.twins;
  const state = new Map<number, PartitionState>();
  const recoveries = new Map<number, PartitionRecovery>();
  const feeds = new Map<number, { bus: EventBus; intake: BusIntakeHandle }>();
  // Each held partition's position: every event of it at or below this seq is in the twins.
  const position = new Map<number, number>();
  let closing = false;
  let names: NameMarks | undefined;
  let saving: Promise<void> = Promise.resolve();
  let lastCheckpoint = Date.now();

  intake.onApplied((events) => {
    for (const e of events) {
      const p = partitionOf(e.event.customerId);
      if (position.has(p) && e.seq > position.get(p)!) position.set(p, e.seq);
    }
  });

  /**
   * Saves the changed twins of the live partitions with their positions. Taken synchronously (the
   * dirty twins, their bytes, the positions), so they agree; if the save fails the partitions'
   * next checkpoint writes all their twins, since the changed ones were taken.
   */
  const failed = new Set<number>();
  const checkpoint = (): Promise<void> => {
    const store = o.checkpoints;
    if (!store) return Promise.resolve();
    const live = new Set([...state].filter(([, s]) => s === 'live').map(([p]) => p));
    const byPartition = new Map<number, string[]>();
    for (const id of engine.takeDirty()) {
      const p = partitionOf(id);
      if (live.has(p)) byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    }
    for (const p of failed) if (live.has(p)) byPartition.set(p, twinsOf(new Set([p])).filter((id) => engine.has(id)));
    const saves: PartitionCheckpointSave[] = [...byPartition].map(([partition, ids]) => ({
      partition,
      seq: position.get(partition) ?? 0,
      twins: ids.map((customerId) => ({ customerId, bytes: engine.snapshot(customerId)! })),
    }));
    const learnt = engine.names.namesSince(names);
    lastCheckpoint = Date.now();
    saving = saving.then(async () => {
      if (saves.length === 0 && learnt.names.length === 0) return;
      try {
        await store.save(saves, learnt.names);
        names = learnt.marks;
        for (const s of saves) failed.delete(s.partition);
      } catch (err) {
        for (const s of saves) failed.add(s.partition);
        throw err;
      }
    });
    return saving;
  };

  /** Restores the partitions' checkpoints into the engine; returns each one's position and snapshot count. */
  const restore = async (taken: readonly number[]): Promise<Map<number, { seq: number; snapshots: number }>> => {
    const out = new Map<number, { seq: number; snapshots: number }>();
    if (!o.checkpoints) return out;
    const positions = await o.checkpoints.positions(taken);
    if (positions.size > 0) engine.names.add(await o.checkpoints.names());
    for (const [p, seq] of positions) {
      const snaps: { customerId: string; bytes: Uint8Array }[] = [];
      for await (const page of o.checkpoints.snapshots(p)) snaps.push(...page);
      // Snapshots of another twin layout (a build before this one, decision 0001) cannot be read: the log rebuilds the partition.
      if (snaps.some((s) => s.bytes.length !== RECORD_BYTES)) continue;
      for (const s of snaps) engine.restore(s.customerId, s.bytes);
      out.set(p, { seq, snapshots: snaps.length });
    }
    return out;
  };

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
      const restored = await restore(taken);
      const from = (p: number) => restored.get(p)?.seq ?? 0;
      const counts = new Map<number, number>();
      // By the log's partition index, each partition after its own checkpoint; without checkpoints, the whole log kept by partition.
      const checkpoints = o.checkpoints;
      const source = checkpoints ? { readLog: (after: number, limit: number) => checkpoints.readLog(new Map(taken.map((p) => [p, Math.max(from(p), after)])), limit) } : store;
      const replayed = await replayLog(source, engine, Math.min(...taken.map(from)), undefined, (id, seq) => {
        const p = partitionOf(id);
        if (!set.has(p) || seq <= from(p)) return false;
        counts.set(p, (counts.get(p) ?? 0) + 1);
        return true;
      });
      for (const p of taken) {
        // Every event of p up to here is in its twins: the last one read, or its checkpoint's when none came after it.
        position.set(p, Math.max(from(p), replayed.lastSeq));
        recoveries.set(p, { checkpointSeq: from(p), snapshots: restored.get(p)?.snapshots ?? 0, events: counts.get(p) ?? 0 });
      }
      o.onRecovered?.(twinsOf(set));
      for (const p of taken) {
        if (closing) return;
        const bus = await o.openBus(p);
        feeds.set(p, { bus, intake: startBusIntake(bus, intake, { onError: (err) => log(`partition ${p}: ${(err as Error).message}`) }) });
        state.set(p, 'live');
      }
      log(`partitions: recovered ${taken.join(', ')} (${restored.size} from their checkpoints, ${[...restored.values()].reduce((n, r) => n + r.snapshots, 0)} twins restored), then ${replayed.events} events of the log`);
    } catch (err) {
      // Not answered for: give them back, so that this worker or another tries again from the log.
      for (const p of taken) {
        await stopFeed(p).catch(() => undefined);
        state.delete(p);
        position.delete(p);
        recoveries.delete(p);
      }
      engine.forget(twinsOf(set));
      await o.leases.release(taken).catch(() => undefined);
      throw new TwinloopError('UNAVAILABLE', `recovering partitions ${taken.join(', ')} failed (${(err as Error).message}); given back`, { cause: err });
    }
  };

  const beforeRelease = async (p: number) => {
    await stopFeed(p);
    // Its last events are applied (the feed stopped, the intake drained): the next owner starts from here.
    await checkpoint().catch((err: Error) => log(`partition ${p}: its checkpoint before giving it back failed (${err.message}); the next owner replays more of the log`));
    state.delete(p);
    position.delete(p);
    recoveries.delete(p);
    engine.forget(twinsOf(new Set([p])));
  };

  const every = o.checkpointEveryMs ?? DEFAULT_PARTITION_CHECKPOINT_EVERY_MS;
  // Inside the keeper's rounds, so that a checkpoint never sees a partition half rebuilt.
  const afterRound = async () => {
    if (Date.now() - lastCheckpoint >= every) await checkpoint();
  };
  const keeper: PartitionKeeper = keepPartitions({ leases: o.leases, onTaken, beforeRelease, afterRound, everyMs: o.keepEveryMs, log });

  return {
    workerId: o.leases.workerId,
    // Every lease held, a partition just taken counting as recovering until its rebuild starts.
    partitions: () => o.leases.held().map((partition) => ({ partition, state: state.get(partition) ?? 'recovering', ...(recoveries.has(partition) ? { recovery: recoveries.get(partition)! } : {}) })),
    answersFor: (customerId) => state.get(partitionOf(customerId)) === 'live',
    async verify() {
      const live = new Set([...state].filter(([, s]) => s === 'live').map(([p]) => p));
      // Events in the intake's hands are stored before they are applied: compare once they are in.
      await intake.drained();
      const report = await verifyReplay(store, engine, undefined, (id) => live.has(partitionOf(id)));
      return { ...report, partitions: [...live].sort((a, b) => a - b) };
    },
    step: () => keeper.step(),
    checkpoint,
    async close() {
      closing = true;
      keeper.stop();
      for (const p of [...feeds.keys()]) await stopFeed(p);
      await checkpoint().catch((err: Error) => log(`partitions: the last checkpoint failed (${err.message}); the next owners replay more of the log`));
      state.clear();
      await o.leases.close();
      await o.checkpoints?.close();
    },
  };
}
