import type { Clock } from '../domain/clock.js';
import type { EventStore, HistorySnapshot, TwinSnapshot } from '../store/event-store.js';
import { Intake, type IntakeOptions } from './intake.js';
import { TwinEngine } from './twin-engine.js';
import { TwinHistory } from './twin-history.js';
import { recoverEngine, type RecoveryReport } from './twin-recovery.js';

export interface TwinServiceOptions {
  store: EventStore;
  clock: Clock;
  latenessMs?: number;
  /**
   * Write a checkpoint after this many accepted events (bounds the replay after a crash), or
   * after `perTwin` events a twin and at least `atLeast`; by default `DEFAULT_CHECKPOINT_EVERY`
   * and `CHECKPOINT_EVENTS_PER_TWIN`.
   */
  checkpointEvery?: number | { atLeast: number; perTwin: number };
  intake?: Omit<IntakeOptions, 'store' | 'engine' | 'clock'>;
  onRecoveryProgress?: (seq: number) => void;
  /** Twins a checkpoint packs and writes in one slice (default `CHECKPOINT_SLICE_TWINS`). */
  checkpointSlice?: number;
  /**
   * A worker owning some partitions of a shared log (decision 0012): the engine opens empty and
   * each partition is recovered when taken (`partition-worker.ts`); the store's one engine-wide
   * checkpoint is neither read nor written, since it describes one process's twins and the log is
   * written by several.
   */
  partitioned?: boolean;
}

/** A checkpoint every 200k events keeps a restart's replay to a second or two. */
export const DEFAULT_CHECKPOINT_EVERY = 200_000;
/**
 * Events a twin between checkpoints, when that is more than `DEFAULT_CHECKPOINT_EVERY`. A
 * checkpoint snapshots every twin changed since the one before, and a bulk history touches them
 * all within a simulated day: at 200,000 events the default world's 20,000 twins were snapshotted
 * 40 times in its first start, about 1 CPU-s each (BENCHMARKS.md, "First start"). Counted per twin, a
 * checkpoint's cost per event stays the same whatever the population, and a restart replays at
 * most about this many events a twin (the default world: 1,000,000 events, a few seconds).
 */
export const CHECKPOINT_EVENTS_PER_TWIN = 50;
/**
 * A twin's events between its history snapshots: an as-of read replays at most about this many
 * of the customer's events, plus those since the last checkpoint (`CHECKPOINT_EVENTS_PER_TWIN`),
 * well under a millisecond. Counted in events, not days, since the replay's cost is the events:
 * one every 30 days kept about 13 a year of every twin whatever it did, 388 MB of the default
 * world's 1.35 GB store (BENCHMARKS.md, "First start"); a default-world customer has about 340
 * events a year, so this keeps three or four.
 */
export const HISTORY_EVERY_EVENTS = 100;
/**
 * Twins a checkpoint packs (deflates) and writes at once. A checkpoint of the default world's
 * 24,000 twins packed every one in one turn of the event loop and wrote them in one transaction
 * of the writer thread: the loop held 1-3 s at load 25 on 2,000-10,000 customers (a live world
 * touches every twin within a simulated day, so every 30 s), and every append and derived write
 * waited behind the transaction. A slice of 1,000 is a few tens of ms of deflate and a
 * transaction of about 1 MB.
 */
export const CHECKPOINT_SLICE_TWINS = 1_000;

/** The twin layer assembled: engine recovered from the store, intake, history and checkpoints. */
export interface TwinService {
  store: EventStore;
  engine: TwinEngine;
  intake: Intake;
  history: TwinHistory;
  recovery: RecoveryReport;
  /** Highest log seq reflected in the engine. */
  appliedSeq(): number;
  /**
   * Saves snapshots of every twin changed since the last checkpoint. `loadEnded`: a bulk load
   * (the first start's history) is in, so the store also organises it for reading
   * (`EventStore.bulkLoadEnded`) before this resolves.
   */
  checkpoint(options?: { loadEnded?: boolean }): Promise<void>;
  /**
   * Holds checkpoints until the returned function is called: while a seeded history goes through
   * the intake (decision 0021) its events are neither durable nor regenerable yet, so no
   * checkpoint may claim their position. Calls meanwhile resolve at once, writing nothing.
   */
  holdCheckpoints(): () => void;
  /**
   * Drains the intake, checkpoints (unless `checkpoint: false`: a reader beside the process that
   * writes this store must not), closes the store.
   */
  close(options?: { checkpoint?: boolean }): Promise<void>;
}

export async function openTwinService(options: TwinServiceOptions): Promise<TwinService> {
  const { store, clock } = options;
  const engine = new TwinEngine({ latenessMs: options.latenessMs, partitioned: options.partitioned });
  const recovery: RecoveryReport = options.partitioned
    ? { fromCheckpointSeq: 0, snapshotsLoaded: 0, eventsReplayed: 0, lastSeq: 0 }
    : await recoverEngine(store, engine, options.onRecoveryProgress);
  const intake = new Intake({ store, engine, clock, ...options.intake });
  const cadence = options.checkpointEvery ?? { atLeast: DEFAULT_CHECKPOINT_EVERY, perTwin: CHECKPOINT_EVENTS_PER_TWIN };
  const every = () => (typeof cadence === 'number' ? cadence : Math.max(cadence.atLeast, cadence.perTwin * engine.size));
  let applied = recovery.lastSeq;
  let sinceCheckpoint = recovery.eventsReplayed;
  let saving: Promise<void> = Promise.resolve();
  /** The checkpoint waiting its turn behind the one being written, if any. */
  let waiting: Promise<void> | null = null;

  // Each twin's history snapshots are one per HISTORY_EVERY_EVENTS of its events: one is kept when
  // its count enters a new multiple. The twins a restart recovered count from where they stand,
  // so a restart does not add one of every twin.
  const historyStep = (customerId: string) => Math.floor(engine.eventCountOf(customerId) / HISTORY_EVERY_EVENTS);
  const lastHistory = new Map<string, number>();
  for (const customerId of engine.customerIds()) lastHistory.set(customerId, historyStep(customerId));
  const partitioned = options.partitioned === true;
  const sliceTwins = options.checkpointSlice ?? CHECKPOINT_SLICE_TWINS;
  // The seq of the checkpoint in force: slices of the next one are written under it.
  let inForce = recovery.fromCheckpointSeq;
  /** These twins' records as they are now, packed, with the history snapshots they are due (each at the log's position now). */
  const pack = (ids: readonly string[], seq?: number): { twins: TwinSnapshot[]; history: HistorySnapshot[] } => {
    const twins = ids.map((customerId): TwinSnapshot => ({ customerId, bytes: engine.packedSnapshot(customerId)!, ...(seq === undefined ? {} : { seq }) }));
    const history: HistorySnapshot[] = [];
    for (const t of twins) {
      const step = historyStep(t.customerId);
      if (step <= (lastHistory.get(t.customerId) ?? 0)) continue;
      lastHistory.set(t.customerId, step);
      history.push({ customerId: t.customerId, at: engine.watermarkOf(t.customerId), seq: applied, bytes: t.bytes });
    }
    return { twins, history };
  };
  /**
   * Snapshots every twin changed since the last checkpoint. Up to `sliceTwins` twins: packed and
   * written at once, at the log's position now, as always. More: the first slice now, each next
   * one a turn of the event loop later and in its own transaction, taken at the log's position
   * of its moment (its seq kept with each snapshot); the last call moves the checkpoint to the
   * position of the first slice. A crash between slices leaves the checkpoint in force, beside
   * snapshots newer than it: recovery skips each one's events up to its seq (twin-recovery.ts).
   * The meta (names, event clock) is written with every slice, marked with its seq.
   */
  const write = async (): Promise<void> => {
    const ids = engine.takeDirty();
    const seq = applied;
    // The twins not saved yet, and their history marks before this checkpoint: a failed save gives
    // them back, so the next checkpoint (which a failure does not stop) writes them before it moves
    // the position past their events; otherwise a restart would skip those events for good.
    let unsaved = 0;
    const historyBefore = new Map(ids.map((id) => [id, lastHistory.get(id)]));
    try {
      if (ids.length <= sliceTwins) {
        // Packed and written together, synchronously, so the bytes and the seq agree.
        const { twins, history } = pack(ids);
        await store.saveCheckpoint({ seq, meta: engine.metaJSON(seq) }, twins, history);
      } else {
        for (; unsaved < ids.length; unsaved += sliceTwins) {
          if (unsaved > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          const { twins, history } = pack(ids.slice(unsaved, unsaved + sliceTwins), applied);
          await store.saveCheckpoint({ seq: inForce, meta: engine.metaJSON(applied) }, twins, history, { part: true });
        }
        await store.saveCheckpoint({ seq, meta: engine.metaJSON(applied) }, []);
      }
    } catch (err) {
      const back = ids.slice(unsaved);
      engine.markDirty(back);
      for (const id of back) {
        const before = historyBefore.get(id);
        if (before === undefined) lastHistory.delete(id);
        else lastHistory.set(id, before);
      }
      throw err;
    }
    inForce = seq;
  };
  let held = 0;
  const checkpoint = (options: { loadEnded?: boolean } = {}): Promise<void> => {
    if (partitioned || held > 0) return Promise.resolve();
    sinceCheckpoint = 0;
    // One checkpoint at a time, each taking its twins when its turn comes; a failed one does not stop the next.
    // A call while one is already waiting its turn joins it: that one takes every twin changed until
    // it starts, so a store slower than the timer never lets checkpoints pile up.
    if (waiting && !options.loadEnded) return waiting;
    const next: Promise<void> = saving.catch(() => undefined).then(() => {
      if (waiting === next) waiting = null;
      return write();
    });
    waiting = next;
    saving = options.loadEnded ? next.then(() => store.bulkLoadEnded()) : next;
    return saving;
  };

  intake.onApplied((events) => {
    applied = events[events.length - 1].seq;
    sinceCheckpoint += events.length;
    if (sinceCheckpoint >= every()) void checkpoint().catch(() => {});
  });

  return {
    store,
    engine,
    intake,
    history: new TwinHistory(store, engine),
    recovery,
    appliedSeq: () => applied,
    checkpoint,
    holdCheckpoints() {
      held++;
      let released = false;
      return () => {
        if (!released) held--;
        released = true;
      };
    },
    async close(options = {}) {
      await intake.drained();
      if (options.checkpoint !== false) await checkpoint();
      await store.close();
    },
  };
}
