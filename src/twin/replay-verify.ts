import type { EventStore } from '../store/event-store.js';
import { TwinEngine } from './twin-engine.js';
import { replayLog } from './twin-recovery.js';

export interface ReplayVerification {
  twins: number;
  identical: number;
  different: string[];
  missing: string[];
  events: number;
}

/**
 * Rebuilds every twin from the whole log into a fresh engine and compares each record, byte
 * for byte, with the given engine's (normally the one recovered from checkpoints). With `only`,
 * just the twins it keeps (a worker's partitions): their events replayed, and the engine's other
 * twins left out of the comparison. `throughSeq`: the log's seq `current` was recovered through
 * (the events after it are not replayed).
 */
export async function verifyReplay(
  store: EventStore,
  current: TwinEngine,
  onProgress?: (seq: number) => void,
  only?: (customerId: string) => boolean,
  throughSeq?: number,
): Promise<ReplayVerification> {
  const rebuilt = new TwinEngine({ latenessMs: current.latenessMs });
  // Only what `current` had applied: a server still writing the log would otherwise make every twin it moved since read as different.
  const { events } = await replayLog(store, rebuilt, 0, onProgress, only, throughSeq);
  const different: string[] = [];
  const missing: string[] = [];
  let identical = 0;
  let compared = 0;
  for (const id of current.customerIds()) {
    // A twin a worker forgot (its partition moved on) is zeroed: not one of the twins it answers for.
    if (only && !(only(id) && current.has(id))) continue;
    compared++;
    const a = current.snapshot(id)!;
    const b = rebuilt.snapshot(id);
    if (!b) missing.push(id);
    else if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0) identical++;
    else different.push(id);
  }
  for (const id of rebuilt.customerIds()) if (!current.has(id) && (only || current.snapshot(id) === undefined)) missing.push(id);
  return { twins: Math.max(compared, rebuilt.size), identical, different, missing, events };
}
