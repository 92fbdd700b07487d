import type { TwinEvent } from '../domain/events.js';
import type { Checkpoint, EventStore } from '../store/event-store.js';
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

/** The log position a checkpoint's meta was taken at: its own seq unless it says a later one (a sliced checkpoint's). */
function metaAsOf(checkpoint: Checkpoint): number {
  const asOf = (JSON.parse(checkpoint.meta) as { asOfSeq?: unknown }).asOfSeq;
  return typeof asOf === 'number' && asOf > checkpoint.seq ? asOf : checkpoint.seq;
}

/**
 * Brings an empty engine to the state of the log: the last checkpoint's snapshots, then every
 * event after it, in log order. Returns the seq the engine now reflects.
 *
 * A checkpoint written in slices (twin-service.ts) that a crash interrupted leaves snapshots
 * newer than the checkpoint in force, each with its seq: its customer's events up to that seq are
 * in it and are not applied again. The meta (names, event clock) was written with the last slice,
 * at its seq: it is loaded first (names are only ever added) and again once the replay passes
 * that seq, so a name a skipped event changed (a cell's site) is as it was then, not as an
 * earlier event left it.
 */
export async function recoverEngine(store: EventStore, engine: TwinEngine, onProgress?: (seq: number) => void): Promise<RecoveryReport> {
  let checkpoint = await store.loadCheckpoint();
  let snapshotsLoaded = 0;
  const newer = new Map<string, number>();
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
        if (snap.seq !== undefined && snap.seq > checkpoint.seq) newer.set(snap.customerId, snap.seq);
        snapshotsLoaded++;
      }
    }
    engine.takeDirty();
  }
  const from = checkpoint?.seq ?? 0;
  let only: ((customerId: string, seq: number) => boolean) | undefined;
  if (checkpoint && newer.size > 0) {
    const { meta } = checkpoint;
    let asOf = metaAsOf(checkpoint);
    only = (customerId, seq) => {
      if (seq > asOf) {
        engine.loadMeta(meta);
        asOf = Infinity;
      }
      return seq > (newer.get(customerId) ?? 0);
    };
  }
  const replayed = await replayLog(store, engine, from, onProgress, only);
  // Replayed from the log's start (no checkpoint, or one of another twin layout whose meta may not
  // carry the interactions of the last day): every interaction went through the engine.
  if (!checkpoint) engine.completeInteractions([]);
  return { fromCheckpointSeq: from, snapshotsLoaded, eventsReplayed: replayed.events, lastSeq: replayed.lastSeq };
}

/**
 * Applies every logged event with seq > afterSeq to the engine, in log order; with `only`, just
 * the events it keeps (a worker's partitions after each one's checkpoint, decision 0012). `store`
 * may be any reader of the log in seq order (a worker's: its partitions' events only). `throughSeq`:
 * the last seq applied (default: the log's end as it is read).
 */
export async function replayLog(
  store: Pick<EventStore, 'readLog'>,
  engine: TwinEngine,
  afterSeq = 0,
  onProgress?: (seq: number) => void,
  only?: (customerId: string, seq: number) => boolean,
  throughSeq = Infinity,
): Promise<{ events: number; lastSeq: number }> {
  let seq = afterSeq;
  let events = 0;
  for (;;) {
    const page = await store.readLog(seq, REPLAY_PAGE);
    if (page.length === 0 || page[0].seq > throughSeq) break;
    for (const e of page) {
      if (e.seq > throughSeq) break;
      if (only && !only(e.customerId, e.seq)) continue;
      engine.apply(JSON.parse(e.body) as TwinEvent, e.time);
      events++;
    }
    seq = Math.min(page[page.length - 1].seq, throughSeq);
    onProgress?.(seq);
    if (seq === throughSeq) break;
  }
  return { events, lastSeq: seq };
}
