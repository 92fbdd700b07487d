import { fnv1a32 } from '../domain/string-hash.js';
import type { NewEvent } from './event-store.js';

/** Accepted events per block hash of a seeded history (`EventStore.seededHistory`, decision 0021) (and per segment the history is written in: the backfill's batch). */
export const SEEDED_BLOCK_EVENTS = 5_000;

/** The block hash carried on over one more event: its id, customer, kind, time, receive stamp and body (FNV-1a chained). */
export function seededHashStep(hash: number, e: NewEvent): number {
  let h = fnv1a32(e.id, hash);
  h = fnv1a32(e.customerId, h);
  h = fnv1a32(e.kind, h);
  h = fnv1a32(`${e.time}/${e.receivedAt}`, h);
  return fnv1a32(e.body, h);
}
