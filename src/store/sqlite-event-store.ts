import type Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import {
  checkPageSize,
  toStorableDeadLetter,
  DEFAULT_DEAD_LETTER_PAGE_SIZE,
  DEFAULT_SNAPSHOT_PAGE_SIZE,
  refusedAfterFailedWrite,
  type AppendOptions,
  type AppendOutcome,
  type Checkpoint,
  type SaveCheckpointOptions,
  type HistorySnapshot,
  type LoggedCopy,
  type CustomerEventQuery,
  type DeadLetter,
  type EventStore,
  type NewDeadLetter,
  type NewEvent,
  type SeededHistoryLog,
  type StoredEvent,
  type TwinSnapshot,
} from './event-store.js';
import {
  toBuffer,
  toCheckpoint,
  toDeadLetter,
  toHistorySnapshot,
  toSnapshot,
  toStoredEvent,
  type CheckpointRow,
  type HistoryRow,
  type DeadLetterRow,
  type EventRow,
  type SeqBodyRow,
  type SnapshotRow,
} from './event-rows.js';
import { openSqliteConnection, type SqliteConnection } from './sqlite-connection.js';
import { historyNotSealedYet, historyNotWrittenYet, SharePace, SqliteSeededHistory } from './sqlite-seeded-history.js';
import { encodeSegment, SqliteSegmentLog, type RunSeal, type SealedRun, type SegmentLogOptions } from './sqlite-segment-log.js';
import type { PackedEvents } from './packed-events.js';
import { StoreAdapter } from './store-adapter.js';

/** Page cache in KiB: holds the hot pages of both indexes for about a million events; the OS cache serves the rest. */
const CACHE_SIZE_KIB = 64 * 1024;

/**
 * WAL size (pages) that triggers a checkpoint. A 5,000-event batch dirties thousands of pages of the
 * (customer_id, seq) index; SQLite's default (1,000) would checkpoint after nearly every commit and
 * write those pages twice. 10,000 pages is about 40 MB of WAL.
 */
const WAL_CHECKPOINT_PAGES = 10_000;

/** The engine keeps one checkpoint; the name column leaves room for more without a migration. */
const CHECKPOINT_NAME = 'engine';

/** Where the embedded store lives. */
export interface SqliteEventStoreOptions {
  /** Directory holding `twinloop.db`; created when missing. */
  dataDir: string;
  /**
   * Where writes (appends, dead letters, checkpoints) run: on the calling thread (`inline`, the
   * default), or on a writer thread with its own connection (`thread`), so the caller keeps
   * working while a batch commits; reads stay on the calling thread's connection either way
   * (WAL lets them run beside the writer).
   */
  writes?: 'inline' | 'thread';
  /**
   * The segment log for bulk history (decision 0013): appends of at least `minBatch` events are
   * written as one compact segment; `false` (the default of this adapter, which tests and
   * benches choose against) keeps a row per event. What the commands open is decided in
   * `store-options.ts`: the segment log with the shipped thresholds unless TWINLOOP_SEGMENT_LOG=off.
   */
  segments?: SegmentLogOptions | false;
  /**
   * `in-commit` (the default): each write transaction waits for the disk before it commits
   * (synchronous FULL). `after-commit`: it commits without, and the WAL is synced after the
   * commit, before the write resolves: the same promise for what is answered, with the write
   * lock released before the fsync, so the other stores' connections never wait for this disk
   * wait (the writer thread's store; decision 0014).
   */
  syncs?: 'in-commit' | 'after-commit';
  /**
   * Starts the writer thread of `writes: 'thread'` (`startWriterThread` of `sqlite-writer-client.ts`,
   * which `openEventStore` passes). Handed in, not imported: the thread runs this module.
   */
  startWriter?: (dataDir: string, segments: SegmentLogOptions | false) => EventWriterThread;
}

/** A write sent to the writer thread (`sqlite-append-worker.ts`). */
export type WriterRequest =
  // The events packed (`packed-events.ts`), or as objects when they are not of the shape the store takes (it refuses them).
  | { op: 'append'; events: PackedEvents | NewEvent[]; letters: NewDeadLetter[]; chain?: number }
  | { op: 'deadLetters'; letters: NewDeadLetter[] }
  | { op: 'checkpoint'; checkpoint: Checkpoint; twins: TwinSnapshot[]; history: HistorySnapshot[]; part: boolean }
  | { op: 'bulkLoadEnded' };

/** The store's writer thread, as the store uses it (`SqliteWriterClient`). */
export interface EventWriterThread {
  append(events: readonly NewEvent[], letters: readonly NewDeadLetter[], chain: number | undefined): Promise<AppendOutcome[]>;
  /** `outOfTurn`: answered once done, after the requests sent after it (the seal of `bulkLoadEnded`, decision 0027). */
  request<T>(request: WriterRequest, options?: { outOfTurn?: boolean }): Promise<T>;
  close(): Promise<void>;
}

const EVENT_COLUMNS = 'seq, id, customer_id, kind, time, received_at, body';

/** Compiled once per connection: preparing per call would cost more than the inserts themselves. */
function prepareStatements(db: Database.Database) {
  return {
    // The hash column (NOT NULL since migration 1) is written empty: the log keeps no hash (event-store.ts, StoredEvent.body).
    insertEvent: db.prepare<[string, string, string, number, number, string]>(
      `INSERT INTO events (id, customer_id, kind, time, received_at, body, hash) VALUES (?, ?, ?, ?, ?, ?, '')
       ON CONFLICT(id) DO NOTHING`,
    ),
    findEvent: db.prepare<[string], SeqBodyRow>('SELECT seq, body FROM events WHERE id = ?'),
    findEvents: db.prepare<[string], SeqBodyRow & { id: string }>('SELECT e.id, e.seq, e.body FROM json_each(?) AS j JOIN events AS e ON e.id = j.value'),
    readLog: db.prepare<[number, number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`),
    readCustomer: db.prepare<[string, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE customer_id = ? AND seq > ? AND time <= ? ORDER BY seq LIMIT ?`,
    ),
    lastSeq: db.prepare<[], { seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events'),
    countEvents: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events'),
    insertDeadLetter: db.prepare<[string, string, number, string]>(
      'INSERT INTO dead_letters (record, reason, at, source) VALUES (?, ?, ?, ?)',
    ),
    listDeadLetters: db.prepare<[number, number], DeadLetterRow>(
      'SELECT id, record, reason, at, source FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?',
    ),
    countDeadLetters: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters'),
    upsertSnapshot: db.prepare<[string, Buffer, number | null]>(
      `INSERT INTO twin_snapshots (customer_id, bytes, seq) VALUES (?, ?, ?)
       ON CONFLICT(customer_id) DO UPDATE SET bytes = excluded.bytes, seq = excluded.seq`,
    ),
    upsertCheckpoint: db.prepare<[string, number, string]>(
      `INSERT INTO checkpoints (name, seq, meta) VALUES (?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, meta = excluded.meta`,
    ),
    loadCheckpoint: db.prepare<[string], CheckpointRow>('SELECT seq, meta FROM checkpoints WHERE name = ?'),
    firstSnapshots: db.prepare<[number], SnapshotRow>(
      'SELECT customer_id, bytes, seq FROM twin_snapshots ORDER BY customer_id LIMIT ?',
    ),
    nextSnapshots: db.prepare<[string, number], SnapshotRow>(
      'SELECT customer_id, bytes, seq FROM twin_snapshots WHERE customer_id > ? ORDER BY customer_id LIMIT ?',
    ),
    loadSnapshot: db.prepare<[string], SnapshotRow>('SELECT customer_id, bytes, seq FROM twin_snapshots WHERE customer_id = ?'),
    upsertHistory: db.prepare<[string, number, number, Buffer]>(
      `INSERT INTO twin_history (customer_id, at, seq, bytes) VALUES (?, ?, ?, ?)
       ON CONFLICT(customer_id, at) DO UPDATE SET seq = excluded.seq, bytes = excluded.bytes`,
    ),
    loadHistory: db.prepare<[string, number], HistoryRow>(
      'SELECT customer_id, at, seq, bytes FROM twin_history WHERE customer_id = ? AND at <= ? ORDER BY at DESC LIMIT 1',
    ),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

/** A seal in progress (`seal`): whether it seals everything waiting, the run it is encoding, and its end. */
interface Sealing {
  all: boolean;
  run: RunSeal | undefined;
  readonly done: Promise<void>;
  readonly finish: () => void;
}

/** better-sqlite3 is synchronous: the async methods do their work before returning a settled promise. */
class SqliteEventStore extends StoreAdapter<SqliteConnection<Statements>> implements EventStore {
  private readonly appendBatch: (events: readonly NewEvent[], letters: readonly NewDeadLetter[]) => AppendOutcome[];
  private readonly insertDeadLetters: (letters: readonly NewDeadLetter[]) => void;
  private readonly sealSegments: (runs: readonly SealedRun[]) => void;
  private readonly writeCheckpoint: (checkpoint: Checkpoint, twins: readonly TwinSnapshot[], history: readonly HistorySnapshot[]) => void;

  private writer: EventWriterThread | undefined;
  /** The chain whose append failed last, and why (AppendOptions.chain); written inline, so in order. */
  private broken: { chain: number; failure: unknown } | undefined;
  /** Reads and writes the segments; present whatever the options say, since a store written with them may be reopened without. */
  private readonly segments: SqliteSegmentLog;
  /** The first start's history taken from its seed and written behind (decision 0021). */
  private readonly seeded: SqliteSeededHistory;
  readonly seededHistory: SeededHistoryLog;
  /** How fast the seeded history is written, then sealed, as the refusals of reads saw it: their Retry-After. */
  private readonly writtenPace = new SharePace();
  private readonly sealedPace = new SharePace();
  private readonly readTransaction: <T>(work: () => T) => T;

  constructor(
    db: SqliteConnection<Statements>,
    private readonly writes: 'inline' | 'thread',
    private readonly segmentOptions: SegmentLogOptions | false,
    /** The WAL is synced after each write here (`syncs: 'after-commit'`), not inside its commit. */
    private readonly syncAfterCommit: boolean,
    private readonly startWriter: ((dataDir: string, segments: SegmentLogOptions | false) => EventWriterThread) | undefined,
  ) {
    super(db);
    this.segments = new SqliteSegmentLog(() => db.db, segmentOptions || { minBatch: Number.POSITIVE_INFINITY, sealAt: Number.POSITIVE_INFINITY }, () => this.seeded.unwritten() !== undefined);
    this.seeded = new SqliteSeededHistory(() => db.db, this.segments);
    const seeded = this.seeded;
    const inWrite = <A extends unknown[], T>(name: string, work: (...args: A) => T) => {
      const tx = db.compileTransaction(work);
      return (...args: A): Promise<T> => db.run(name, () => {
        const value = tx(...args);
        this.synced(name);
        return value;
      });
    };
    const writeNext = inWrite('seededHistory.writeNext', (events: readonly StoredEvent[], block: Buffer | undefined) => seeded.writeNext(events, block));
    const finish = inWrite('seededHistory.finish', (end: { lastSeq: number; skipped: readonly number[]; blockHashes: readonly number[] }) => seeded.finish(end.lastSeq, end.skipped, end.blockHashes));
    this.seededHistory = {
      read: () => db.run('seededHistory.read', () => seeded.read()),
      begin: inWrite('seededHistory.begin', (descriptor: string, receivedAt: number) => seeded.begin(descriptor, receivedAt)),
      finish,
      discardUnfinished: inWrite('seededHistory.discardUnfinished', () => seeded.discardUnfinished()),
      // Encoded before the transaction: the writer thread that calls this is niced (decision 0021),
      // and at load it held the lock through its encoding past the other connections' busy timeout.
      writeNext: (events: readonly StoredEvent[]) => writeNext(events, events.length > 0 ? encodeSegment(events) : undefined),
      unwritten: () => db.run('seededHistory.unwritten', () => seeded.unwritten()),
      cannotBeWritten: (reason: string) => seeded.cannotBeWritten(reason),
    };
    // A deferred transaction: the reads of rows and segments see one snapshot of the log.
    this.readTransaction = <T>(work: () => T): T => db.db.transaction(work).deferred();
    const inRows = (ids: string | readonly string[]): Map<string, LoggedCopy> => {
      if (typeof ids === 'string') return new Map(db.sql.findEvents.all(ids).map((r) => [r.id, { seq: r.seq, body: r.body }]));
      const found = new Map<string, LoggedCopy>();
      for (const id of ids) {
        const row = db.sql.findEvent.get(id);
        if (row) found.set(id, row);
      }
      return found;
    };
    this.appendBatch = db.compileTransaction((events: readonly NewEvent[], letters: readonly NewDeadLetter[]) => {
      const q = db.sql;
      const outcomes: AppendOutcome[] = [];
      if (this.segments.takes(events.length)) outcomes.push(...this.segments.append(events, inRows));
      else for (const e of events) {
        // An id held by a segment is logged too: the row would be a second copy.
        const inSegment = this.segments.findSeq(e.id);
        if (inSegment !== undefined) {
          outcomes.push({ status: 'duplicate', seq: inSegment, body: this.segments.eventAt(inSegment, e.customerId).body });
          continue;
        }
        const result = q.insertEvent.run(e.id, e.customerId, e.kind, e.time, e.receivedAt, e.body);
        if (result.changes === 1) {
          outcomes.push({ status: 'accepted', seq: Number(result.lastInsertRowid) });
          continue;
        }
        // The conflicting row is either older or an earlier copy in this same batch; both are visible here.
        const stored = q.findEvent.get(e.id);
        if (!stored) throw new TwinloopError('INTERNAL', `Event ${e.id} conflicted but cannot be found`);
        outcomes.push({ status: 'duplicate', seq: stored.seq, body: stored.body });
      }
      for (const l of letters.map(toStorableDeadLetter)) q.insertDeadLetter.run(l.record, l.reason, l.at, l.source);
      return outcomes;
    });
    this.sealSegments = db.compileTransaction((runs: readonly SealedRun[]) => this.segments.commitSeal(runs));
    this.insertDeadLetters = db.compileTransaction((letters: readonly NewDeadLetter[]) => {
      const q = db.sql;
      for (const l of letters.map(toStorableDeadLetter)) q.insertDeadLetter.run(l.record, l.reason, l.at, l.source);
    });
    this.writeCheckpoint = db.compileTransaction((checkpoint: Checkpoint, twins: readonly TwinSnapshot[], history: readonly HistorySnapshot[]) => {
      const q = db.sql;
      for (const t of twins) q.upsertSnapshot.run(t.customerId, toBuffer(t.bytes), t.seq ?? null);
      for (const h of history) q.upsertHistory.run(h.customerId, h.at, h.seq, toBuffer(h.bytes));
      q.upsertCheckpoint.run(CHECKPOINT_NAME, checkpoint.seq, checkpoint.meta);
    });
  }

  findExisting(ids: readonly string[], customerIds?: readonly string[]): Promise<Map<string, LoggedCopy>> {
    return this.db.run('findExisting', () => {
      const found = new Map<string, LoggedCopy>();
      ids.forEach((id, i) => {
        if (found.has(id)) return;
        const row = this.db.sql.findEvent.get(id);
        if (row) found.set(id, { seq: row.seq, body: row.body });
        const inSegment = row ? undefined : this.segments.findSeq(id);
        if (inSegment !== undefined) found.set(id, { seq: inSegment, body: this.segments.eventAt(inSegment, customerIds?.[i]).body });
      });
      return found;
    });
  }

  append(events: readonly NewEvent[], deadLetters: readonly NewDeadLetter[] = [], options: AppendOptions = {}): Promise<AppendOutcome[]> {
    const writer = this.writerThread();
    // The writer thread's own store keeps the chains: it takes the appends in order.
    if (writer && events.length + deadLetters.length > 0) return writer.append(events, deadLetters, options.chain);
    const chain = options.chain;
    if (chain !== undefined && this.broken?.chain === chain) return Promise.reject(refusedAfterFailedWrite(this.broken.failure));
    if (events.length + deadLetters.length === 0) return this.db.run('append', () => []);
    return this.db.run('append', () => {
      let outcomes: AppendOutcome[] | undefined;
      try {
        outcomes = this.appendBatch(events, deadLetters);
      } catch (failure) {
        // Known before the next append is asked for: this one runs to its end now.
        if (chain !== undefined) this.broken = { chain, failure };
        throw failure;
      } finally {
        if (this.segments.settle(outcomes !== undefined)) void this.seal(false);
      }
      this.synced('append');
      return outcomes;
    });
  }

  /** After a write's commit on a store that syncs after commit: its frames on the disk before it is answered. */
  private synced(operation: string): void {
    if (this.syncAfterCommit) this.db.syncWal(operation);
  }

  /** The writer thread, started at the first write (after `migrate()`), or none for inline writes. */
  private writerThread(): EventWriterThread | undefined {
    if (this.writes === 'inline' || this.db.closed) return undefined;
    this.writer ??= this.startWriter!(this.db.dataDir, this.segmentOptions);
    return this.writer;
  }

  readLog(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return this.db.run('readLog', () => this.readTransaction(() => {
      const events = mergeBySeq(this.db.sql.readLog.all(afterSeq, limit).map(toStoredEvent), this.segments.readLog(afterSeq, limit), limit);
      // A page that reaches the seeded history's unwritten seqs, or ends short of them, would skip them.
      const hole = afterSeq < Number.MAX_SAFE_INTEGER ? this.seeded.unwritten() : undefined;
      if (hole && afterSeq < hole.toSeq && (events.length < limit || events[events.length - 1].seq >= hole.fromSeq)) throw historyNotWrittenYet(`reading the log after seq ${afterSeq}`, hole, this.writtenPace.secondsLeft(hole.written, Date.now()));
      return events;
    }));
  }

  readCustomer(customerId: string, query: CustomerEventQuery = {}): Promise<StoredEvent[]> {
    return this.db.run('readCustomer', () => this.readTransaction(() => {
      // Any customer may have events among the unwritten seqs: a read after them is the only one answered.
      const hole = this.seeded.unwritten();
      if (hole && (query.afterSeq ?? 0) < hole.toSeq) throw historyNotWrittenYet(`reading the events of customer ${customerId}`, hole, this.writtenPace.secondsLeft(hole.written, Date.now()));
      // Written but not sealed yet (decision 0027): a customer's read would decode every segment of
      // the history (8 million events on the default world) on the caller's thread, the server's
      // event loop: 248 s at load 30. It is answered once the seal has regrouped it by customer.
      const unsealedFrom = this.segmentOptions ? this.segments.unsealedFrom() : Number.POSITIVE_INFINITY;
      const last = this.seeded.lastSeq();
      if ((query.afterSeq ?? 0) < last && unsealedFrom <= last) {
        const first = this.seeded.read()?.firstSeq ?? 1;
        const sealed = Math.min(1, Math.max(0, (unsealedFrom - first) / (last - first + 1)));
        throw historyNotSealedYet(`reading the events of customer ${customerId}`, sealed, this.sealedPace.secondsLeft(sealed, Date.now()));
      }
      const rows = this.db.sql.readCustomer
        // A negative LIMIT means "no limit" to SQLite.
        .all(customerId, query.afterSeq ?? 0, query.untilTime ?? Number.MAX_SAFE_INTEGER, query.limit ?? -1)
        .map(toStoredEvent);
      return mergeBySeq(rows, this.segments.readCustomer(customerId, query), query.limit ?? Number.POSITIVE_INFINITY);
    }));
  }

  lastSeq(): Promise<number> {
    return this.db.run('lastSeq', () => this.readTransaction(() => Math.max(this.db.sql.lastSeq.get()?.seq ?? 0, this.segments.lastSeq(), this.seeded.read()?.lastSeq ?? 0)));
  }

  countEvents(): Promise<number> {
    return this.db.run('countEvents', () => this.readTransaction(() => (this.db.sql.countEvents.get()?.n ?? 0) + this.segments.count()));
  }

  addDeadLetters(letters: readonly NewDeadLetter[]): Promise<void> {
    const writer = letters.length > 0 ? this.writerThread() : undefined;
    if (writer) return writer.request({ op: 'deadLetters', letters: [...letters] });
    return this.db.run('addDeadLetters', () => {
      if (letters.length > 0) this.insertDeadLetters(letters);
      this.synced('addDeadLetters');
    });
  }

  listDeadLetters(query: { afterId?: number; limit?: number } = {}): Promise<DeadLetter[]> {
    return this.db.run('listDeadLetters', () =>
      this.db.sql.listDeadLetters.all(query.afterId ?? 0, query.limit ?? DEFAULT_DEAD_LETTER_PAGE_SIZE).map(toDeadLetter),
    );
  }

  countDeadLetters(): Promise<number> {
    return this.db.run('countDeadLetters', () => this.db.sql.countDeadLetters.get()?.n ?? 0);
  }

  saveCheckpoint(checkpoint: Checkpoint, twins: readonly TwinSnapshot[], history: readonly HistorySnapshot[] = [], options: SaveCheckpointOptions = {}): Promise<void> {
    const writer = this.writerThread();
    if (writer) return writer.request({ op: 'checkpoint', checkpoint, twins: [...twins], history: [...history], part: options.part === true });
    return this.db.run('saveCheckpoint', () => {
      this.writeCheckpoint(checkpoint, twins, history);
      // Only a whole checkpoint after the load has ended seals (see sealsAtCheckpoint): a slice is not one.
      if (!options.part && this.segmentOptions && this.segments.sealsAtCheckpoint()) void this.seal(true);
      this.synced('saveCheckpoint');
    });
  }

  /**
   * Seals what waits, a step at a time between the writer's other requests (decision 0027), and
   * resolves once it is sealed (or the seal failed, kept in `sealFailure`, or the store closed
   * first: the rest is sealed at a later start's checkpoint). On the writer thread it is answered
   * out of turn: the requests after it are served while it seals.
   */
  bulkLoadEnded(): Promise<void> {
    const writer = this.writerThread();
    if (writer) return writer.request({ op: 'bulkLoadEnded' }, { outOfTurn: true });
    return this.db.run('bulkLoadEnded', () => (this.segmentOptions && this.segments.waiting() ? this.seal(true) : undefined)).then(() => undefined);
  }

  loadHistorySnapshot(customerId: string, atOrBefore: number): Promise<HistorySnapshot | null> {
    return this.db.run('loadHistorySnapshot', () => {
      const row = this.db.sql.loadHistory.get(customerId, atOrBefore);
      return row ? toHistorySnapshot(row) : null;
    });
  }

  loadCheckpoint(): Promise<Checkpoint | null> {
    return this.db.run('loadCheckpoint', () => {
      const row = this.db.sql.loadCheckpoint.get(CHECKPOINT_NAME);
      return row ? toCheckpoint(row) : null;
    });
  }

  async *loadSnapshots(pageSize: number = DEFAULT_SNAPSHOT_PAGE_SIZE): AsyncGenerator<TwinSnapshot[]> {
    checkPageSize(pageSize);
    // Keyset paging: each page starts after the last id seen, so writes between pages cannot shift it.
    let page = await this.db.run('loadSnapshots', () => this.db.sql.firstSnapshots.all(pageSize).map(toSnapshot));
    while (page.length > 0) {
      yield page;
      if (page.length < pageSize) return;
      const after = page[page.length - 1].customerId;
      page = await this.db.run('loadSnapshots', () => this.db.sql.nextSnapshots.all(after, pageSize).map(toSnapshot));
    }
  }

  loadSnapshot(customerId: string): Promise<TwinSnapshot | null> {
    return this.db.run('loadSnapshot', () => {
      const row = this.db.sql.loadSnapshot.get(customerId);
      return row ? toSnapshot(row) : null;
    });
  }

  /**
   * Regroups the waiting segments per customer (decision 0027): a run at a time, each encoded in
   * steps (`sealStep`) that yield to the event loop between them, so the writer serves its other
   * requests (the live appends) while a large history is sealed, then written in a transaction of
   * its own (a crash loses at most the run in progress: its segments are still read, and sealed
   * by the next seal). Asked for after the write that needs it committed; one seal at a time:
   * a second ask joins the one running (`all`: every waiting segment, not only whole runs).
   * Resolves once nothing more is due; a failed seal changes nothing, is kept in `sealFailure`,
   * and is tried again at the next write that asks for one, so it fails no write.
   */
  private seal(all: boolean): Promise<void> {
    // While a seeded history is written behind, its seqs are not one run yet (see SqliteSegmentLog's sealingBlocked).
    if (!this.segments.maySeal()) {
      this.segments.forget();
      return Promise.resolve();
    }
    if (this.sealing) {
      this.sealing.all ||= all;
      return this.sealing.done;
    }
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const sealing: Sealing = { all, run: undefined, done, finish };
    this.sealing = sealing;
    setImmediate(() => this.sealSteps(sealing));
    return done;
  }

  /** Runs one step of the seal in progress (`sealStep`, or the commit of a run), then yields to the event loop for the next. */
  private sealSteps(sealing: Sealing): void {
    const end = () => {
      this.sealing = undefined;
      sealing.finish();
    };
    // Closed meanwhile: what is not sealed stays in its segments, read as such.
    if (this.db.closed) return end();
    try {
      sealing.run ??= this.segments.planRun(sealing.all);
      if (!sealing.run) return end();
      const encoded = this.segments.sealStep(sealing.run);
      if (encoded) {
        sealing.run = undefined;
        this.sealSegments([encoded]);
        this.synced('seal');
      }
    } catch (err) {
      this.sealFailure = err;
      this.segments.sealFailed();
      return end();
    }
    setImmediate(() => this.sealSteps(sealing));
  }

  /** The seal in progress, if one is. */
  private sealing: Sealing | undefined;

  /** The last seal's failure, kept for diagnosis (the data stays readable from the segments). */
  sealFailure: unknown;

  override migrate(): Promise<void> {
    return super.migrate().then(() => {
      this.segments.reset();
      this.seeded.reset();
    });
  }

  override close(): Promise<void> {
    // A seal in progress ends with the connection (`sealSteps`): what it has not written stays in segments.
    this.sealing?.finish();
    const writer = this.writer;
    // Writes already sent finish before the connection goes.
    return this.db.close(writer ? () => writer.close() : undefined);
  }
}

/**
 * The embedded event store: one SQLite file in `dataDir` (created when missing), WAL mode with a
 * synced commit per batch. Call `migrate()` before use (or use `openEventStore`, which does).
 */
export function createSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  if (options.writes === 'thread' && !options.startWriter) throw new TwinloopError('BAD_INPUT', "writes: 'thread' needs startWriter (startWriterThread from sqlite-writer-client.ts); openEventStore passes it");
  const afterCommit = options.syncs === 'after-commit';
  // It blocks on the lock: its writes run on the writer thread (or alone, in a CLI command), and its reads never wait for the lock.
  const db = openSqliteConnection('event store', options.dataDir, prepareStatements, { cacheSizeKib: CACHE_SIZE_KIB, walCheckpointPages: WAL_CHECKPOINT_PAGES, durability: afterCommit ? 'synced-after-commit' : 'full', lockWaits: 'block' });
  return new SqliteEventStore(db, options.writes ?? 'inline', options.segments ?? false, afterCommit, options.startWriter);
}

/** Two seq-ordered lists as one, at most `limit` long (rows and segments interleave in seq order). */
function mergeBySeq(a: StoredEvent[], b: StoredEvent[], limit: number): StoredEvent[] {
  if (b.length === 0) return a.length > limit ? a.slice(0, limit) : a;
  if (a.length === 0) return b.length > limit ? b.slice(0, limit) : b;
  const out: StoredEvent[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    out.push(j >= b.length || (i < a.length && a[i].seq < b[j].seq) ? a[i++] : b[j++]);
  }
  return out;
}
