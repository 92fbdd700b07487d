import type { StoredEvent, TwinSnapshot } from './event-store.js';

/**
 * A name behind a hashed id in twin bytes (`twin/name-book.ts`): twins hold hashes, so a twin's
 * snapshot reads the same in any worker once the names are known there too.
 */
export interface TwinName {
  readonly kind: 'subscription' | 'product' | 'cell' | 'cellSite';
  readonly hash: number;
  readonly name: string;
}

/** One partition's checkpoint being saved: every event of its customers with a seq at or below `seq` is in its snapshots. */
export interface PartitionCheckpointSave {
  readonly partition: number;
  readonly seq: number;
  /** The partition's twins changed since its last checkpoint (the others stay as stored). */
  readonly twins: readonly TwinSnapshot[];
}

/**
 * Per-partition checkpoints of partitioned twins (decision 0012; PostgreSQL only): each partition's
 * log position and its customers' snapshots, written by the worker owning it and read by the next
 * owner, which then replays only the partition's events after that position.
 */
export interface PartitionCheckpoints {
  /** Saves the partitions' positions, their changed twins and the names learnt since, in one transaction. */
  save(partitions: readonly PartitionCheckpointSave[], names: readonly TwinName[]): Promise<void>;
  /** The stored position of each of `partitions` that has a checkpoint. */
  positions(partitions: readonly number[]): Promise<Map<number, number>>;
  /** The partition's stored twins, in pages by customer id. */
  snapshots(partition: number, pageSize?: number): AsyncGenerator<TwinSnapshot[]>;
  /** Every name stored. */
  names(): Promise<TwinName[]>;
  /**
   * What a new owner replays after restoring the checkpoints: the events of the partitions in
   * `after`, each partition's with a seq above its own position there, in seq order, at most
   * `limit` (page on with every position raised to the last seq returned). Read by the log's
   * partition index: the other partitions' events are never read.
   */
  readLog(after: ReadonlyMap<number, number>, limit: number): Promise<StoredEvent[]>;
  close(): Promise<void>;
}
