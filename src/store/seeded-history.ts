import type { TwinEvent } from '../domain/events.js';
import { hashNumber, hashValue } from '../domain/value-hash.js';

/** Accepted events per block hash of a seeded history (`EventStore.seededHistory`, decision 0021) (and per segment the history is written in: the backfill's batch). */
export const SEEDED_BLOCK_EVENTS = 5_000;

/**
 * Which `seededHashStep` a seeded history's block hashes were taken with, kept with what
 * regenerates the history: a record taken by another one (an older Twinloop, before a restart
 * that writes the rest) is refused saying so, not as a world that regenerated differently.
 * 2: the event's structure (`hashValue`); 1 (never written down): FNV-1a over its log entry's text.
 */
export const SEEDED_HASH_VERSION = 2;

/**
 * The block hash carried on over one more accepted event: its content (every field, walked as a
 * value: the intake's pass makes no JSON text of it), its time and its receive stamp. The log
 * entry's body is the event's JSON text, so equal content gives an equal entry. Carried as a
 * signed 32-bit integer (no allocation per event); a block's hash is kept as `blockHash(h)`.
 */
export function seededHashStep(hash: number, event: TwinEvent, time: number, receivedAt: number): number {
  return hashNumber(hashNumber(hashValue(hash, event), time), receivedAt);
}

/** The hash a block of a seeded history is recorded under: the carried hash's bits, unsigned. */
export function blockHash(carried: number): number {
  return carried >>> 0;
}
