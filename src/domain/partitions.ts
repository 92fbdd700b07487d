import { fnv1a32 } from './string-hash.js';

/**
 * Partitions of the customers (decision 0012): fixed for a deployment, since changing it re-hashes
 * every customer. 64 is enough for tens of workers and cheap to own per worker.
 */
export const PARTITION_COUNT = 64;

/** A customer's partition: FNV-1a of its id modulo the count, the same in every process. */
export function partitionOf(customerId: string, count = PARTITION_COUNT): number {
  return fnv1a32(customerId) % count;
}

/** The JetStream subject a partition's events are published on: `<base>.p07` under `twinloop.events`. */
export function partitionSubject(base: string, partition: number): string {
  return `${base}.p${String(partition).padStart(2, '0')}`;
}

/** How many partitions each of `workers` live workers should own: the fair share, rounded up. */
export function fairShare(workers: number, count = PARTITION_COUNT): number {
  return Math.ceil(count / Math.max(1, workers));
}

/**
 * The partition of an event record as it arrives (its JSON text): its customer's, or, for a
 * record without a readable `customerId` (not JSON, or no such string), the hash of the text
 * itself, so that some owner's intake still answers it and parks it as a dead letter.
 */
export function partitionOfRecord(text: string, count = PARTITION_COUNT): number {
  let customerId: unknown;
  try {
    customerId = (JSON.parse(text) as { customerId?: unknown } | null)?.customerId;
  } catch {
    customerId = undefined;
  }
  return typeof customerId === 'string' ? partitionOf(customerId, count) : fnv1a32(text) % count;
}

/** The subjects of every partition under `base`, as one JetStream stream's subject filter. */
export function partitionSubjects(base: string): string {
  return `${base}.*`;
}
