/** Where a partition's owner answers (a `partition_owners` row whose lease is held now). */
export interface PartitionOwner {
  readonly partition: number;
  readonly workerId: string;
  readonly url: string;
  /** When it took the partition (ms since the epoch). */
  readonly since: number;
}

/**
 * One worker's leases on partitions of the customers (decision 0012): a partition is its while
 * it holds the lease, which ends with the worker's session (a killed process, a lost
 * connection) as well as by `release`.
 */
export interface PartitionLeases {
  readonly workerId: string;
  /** The partitions held now, ascending. */
  held(): number[];
  /** Takes free partitions until `want` are held (or none is free); returns those newly taken. */
  acquire(want: number): Promise<number[]>;
  /** Gives partitions back (the caller has checkpointed them); unknown ones are ignored. */
  release(partitions: readonly number[]): Promise<void>;
  /** Every partition whose lease is held now, by anyone, with where its owner answers. */
  owners(): Promise<PartitionOwner[]>;
  /** Workers alive now (holding partitions or not), this one included. */
  liveWorkers(): Promise<number>;
  /** Gives every lease back and closes the connection. */
  close(): Promise<void>;
}

/** Where a customer's partition is answered now, or undefined while it has no owner (answer 503, never a stale twin). */
export function ownerOf(partition: number, owners: readonly PartitionOwner[]): PartitionOwner | undefined {
  return owners.find((o) => o.partition === partition);
}
