import type { TwinEvent } from '../domain/events.js';
import type { EventStore } from '../store/event-store.js';
import type { TwinEngine } from './twin-engine.js';
import { RECORD_BYTES } from './twin-layout.js';
import { unpackTwinRecord } from './twin-record-bytes.js';

/** Log events read per round trip when replaying. */
const REPLAY_PAGE = 10_000;

export interface RecoveryReport {
  fromCheckpointSeq: number;
  snapshotsLoaded: number;
  eventsReplayed: number;
  lastSeq: number;
}

/**
 * Brings an empty engine to the state of the log: the last checkpoint's snapshots, then every
 * event after it, in log order. Returns the seq the engine now reflects.
 */
export async function recoverEngine(store: EventStore, engine: TwinEngine, onProgress?: (seq: number) => void): Promise<RecoveryReport> {
  let checkpoint = await store.loadCheckpoint();
  let snapshotsLoaded = 0;
  if (checkpoint) {
    engine.loadMeta(checkpoint.meta);
    pages: for await (const page of store.loadSnapshots()) {
      for (const snap of page) {
        // A checkpoint written by a build with another twin layout (docs/decisions/0001) cannot be
        // loaded; the log can always rebuild the state, so recovery replays it whole instead.
        const bytes = unpackTwinRecord(snap.bytes);
        if (!bytes) {
          if (snapshotsLoaded > 0) throw new Error(`checkpoint mixes twin layouts: snapshot of ${snap.customerId} is not a record of ${RECORD_BYTES} bytes`);
          checkpoint = null;
          break pages;
        }
        engine.restore(snap.customerId, bytes);
        snapshotsLoaded++;
      }
    }
    engine.takeDirty();
  }
  const from = checkpoint?.seq ?? 0;
  const replayed = await replayLog(store, engine, from, onProgress);
  return { fromCheckpointSeq: from, snapshotsLoaded, eventsReplayed: replayed.events, lastSeq: replayed.lastSeq };
}

/**
 * Applies every logged event with seq > afterSeq to the engine, in log order; with `only`, just
 * the events it keeps (a worker's partitions after each one's checkpoint, decision 0012). `store`
 * may be any reader of the log in seq order (a worker's: its partitions' events only).
 */
export async function replayLog(
  store: Pick<EventStore, 'readLog'>,
  engine: TwinEngine,
  afterSeq = 0,
  onProgress?: (seq: number) => void,
  only?: (customerId: string, seq: number) => boolean,
): Promise<{ events: number; lastSeq: number }> {
  let seq = afterSeq;
  let events = 0;
  for (;;) {
    const page = await store.readLog(seq, REPLAY_PAGE);
    if (page.length === 0) break;
    for (const e of page) {
      if (only && !only(e.customerId, e.seq)) continue;
      engine.apply(JSON.parse(e.body) as TwinEvent, e.time);
      events++;
    }
    seq = page[page.length - 1].seq;
    onProgress?.(seq);
  }
  return { events, lastSeq: seq };
}
