import { fairShare } from '../domain/partitions.js';
import type { PartitionLeases } from '../store/partition-leases.js';

/** How often a worker looks for free partitions and for more than its share (decision 0012: "every few seconds"). */
export const DEFAULT_KEEP_EVERY_MS = 3_000;

export interface PartitionKeeperOptions {
  leases: PartitionLeases;
  /** Partitions just taken (one round's, so their recovery reads the log once): recover their twins and start their consumers before answering for them. */
  onTaken: (partitions: number[]) => Promise<void>;
  /** A partition about to be given back: checkpoint it and stop its consumer. */
  beforeRelease: (partition: number) => Promise<void>;
  /** Work that must not overlap a take or a give-back (the partitions' checkpoints), run at the end of every round. */
  afterRound?: () => Promise<void>;
  everyMs?: number;
  log?: (line: string) => void;
}

/** A running keeper: `step` runs one round at once (tests, start); `stop` ends the rounds, keeping the leases. */
export interface PartitionKeeper {
  step(): Promise<void>;
  stop(): void;
}

/**
 * Keeps this worker at its fair share of the partitions (decision 0012): each round it counts the
 * live workers, takes free partitions up to ceil(64 / workers), and gives back the partitions
 * beyond its share (each after `beforeRelease`), so a new worker gets its share at its next round
 * and a dead worker's are taken at the next round.
 */
export function keepPartitions(o: PartitionKeeperOptions): PartitionKeeper {
  const log = o.log ?? (() => undefined);
  let running: Promise<void> | undefined;
  const round = async () => {
    const share = fairShare(await o.leases.liveWorkers());
    const held = o.leases.held();
    if (held.length > share) {
      // All the excess at once: the worker that takes them recovers them in one read of the log.
      const excess = held.slice(share);
      for (const p of excess) await o.beforeRelease(p);
      await o.leases.release(excess);
      log(`partitions: gave back ${excess.join(', ')} (holding ${share}, share ${share})`);
      return;
    }
    const taken = await o.leases.acquire(share);
    if (taken.length === 0) return;
    await o.onTaken(taken);
    log(`partitions: took ${taken.join(', ')} (holding ${o.leases.held().length}, share ${share})`);
  };
  const step = () => (running ??= round().then(() => o.afterRound?.()).finally(() => (running = undefined)));
  const timer = setInterval(() => void step().catch((err: Error) => log(`partitions: ${err.message}`)), o.everyMs ?? DEFAULT_KEEP_EVERY_MS);
  timer.unref();
  return { step, stop: () => clearInterval(timer) };
}
