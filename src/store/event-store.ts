import { TwinloopError } from '../domain/errors.js';

/**
 * The event store port: the durable event log, the dead letters and the twin checkpoints.
 * One contract suite (`event-store.contract.ts`) is run by every adapter.
 *
 * Seq rule: seqs are strictly increasing in append order but not dense (PostgreSQL spends a seq
 * on a duplicate or a rolled-back batch), so readers page with `readLog(lastSeenSeq, n)` and never
 * assume `seq + 1` exists. A reader that has seen seq N will never later see a new event with a
 * seq at or below N: each adapter commits its appends one at a time, in seq order (the intake is
 * the one writer per store; the PostgreSQL adapter also locks out a second writing process).
 */

/** How an append relates to the ones before it. */
export interface AppendOptions {
  /**
   * Appends naming the same chain depend on each other (the intake checks each batch on top of
   * the ones it sent before): once one fails, every later append of that chain is refused,
   * UNAVAILABLE with `context.afterFailedWrite`, nothing of it written, even one sent before the
   * failure was answered; an append naming another chain is written again. Appends run in the
   * order they were asked for, so the store decides this without a round trip per batch.
   */
  chain?: number;
}

/** The refusal of work that depended on a write that failed: nothing of it was written; send it again. */
export function refusedAfterFailedWrite(failure: unknown): TwinloopError {
  if (failure instanceof TwinloopError && failure.context.afterFailedWrite === true) return failure;
  return new TwinloopError('UNAVAILABLE', `an earlier batch could not be written (${failure instanceof Error ? failure.message : String(failure)}); nothing of this one was written: send it again`, {
    cause: failure,
    context: { afterFailedWrite: true, retryAfterSeconds: 1 },
  });
}

/** One event as the log holds it. `seq` is assigned by the store, strictly increasing in append order (with gaps). */
export interface StoredEvent {
  seq: number;
  id: string;
  customerId: string;
  kind: string;
  /** Event time, milliseconds since the epoch. */
  time: number;
  /** When the intake accepted it, milliseconds since the epoch. */
  receivedAt: number;
  /**
   * The event's JSON text as validated (with `receivedAt` stamped). Whether a resent id is a true
   * duplicate or a reused id is told by the content of the bodies (the intake compares them
   * field by field, only when an id comes again), so the log keeps no hash of its own.
   */
  body: string;
}

/** An event handed to `append`: the store assigns its seq. */
export type NewEvent = Omit<StoredEvent, 'seq'>;

/** The copy of an id the log already holds: its seq and its body, to compare a resend's content with. */
export interface LoggedCopy {
  seq: number;
  body: string;
}

/** What `append` did with one event; a duplicate carries the seq and body already stored under its id. */
export type AppendOutcome =
  | { status: 'accepted'; seq: number }
  | ({ status: 'duplicate' } & LoggedCopy);

/** A record the intake could not accept, parked for a human to look at. */
export interface NewDeadLetter {
  /** The record as it arrived; the store keeps at most `DEAD_LETTER_RECORD_MAX_BYTES` of it (see `toStorableDeadLetter`). */
  record: string;
  reason: string;
  /** When it was parked, milliseconds since the epoch. */
  at: number;
  source: string;
}

/** A parked record as stored; `id` increases in the order they were parked. */
export interface DeadLetter extends NewDeadLetter {
  id: number;
}

/** One twin's serialized state; the store keeps the bytes opaque and exact. */
export interface TwinSnapshot {
  customerId: string;
  bytes: Uint8Array;
  /**
   * The log position the snapshot reflects (every event of its customer up to this seq), when
   * that is later than the checkpoint's: a slice of a checkpoint written after the log moved on
   * (`saveCheckpoint`'s `part`). Recovery skips the customer's events up to it. Absent: the
   * checkpoint's own seq, or earlier.
   */
  seq?: number;
}

/** Options of `saveCheckpoint`. */
export interface SaveCheckpointOptions {
  /**
   * One slice of a checkpoint being written in several short transactions: the snapshots (each
   * with its `seq`) and history are saved and the checkpoint's meta replaced, while `checkpoint.seq`
   * stays the one in force (the last slice moves it). The store's own work at a checkpoint (the
   * embedded segment log's seal once a bulk load has ended) waits for the checkpoint's last call.
   */
  readonly part?: boolean;
}

/** The log position the stored snapshots reflect, with engine-wide state. */
/**
 * A twin as it stood when the log reached `seq`, kept for reading the past: every event of the
 * customer with seq ≤ `seq` is in it, and all of them are dated at or before `at`. So the twin
 * as of any time T ≥ `at` is this plus the customer's events with seq > `seq` dated ≤ T.
 */
export interface HistorySnapshot {
  customerId: string;
  at: number;
  seq: number;
  bytes: Uint8Array;
}

export interface Checkpoint {
  /** Every event with a seq at or below this is reflected in the snapshots. */
  seq: number;
  /** Engine-wide state that is not per twin (JSON text). */
  meta: string;
}

/** Filters of `readCustomer`; all optional and combined with AND. */
export interface CustomerEventQuery {
  /** Only events whose event time is at or before this (ms). */
  untilTime?: number;
  /** Only events whose seq is after this (paging). */
  afterSeq?: number;
  /** At most this many events; all of them when absent. */
  limit?: number;
}

/** The durable side of the twins: the event log, the dead letters and the checkpoint. */
export interface EventStore {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  /**
   * The stored seq and body of each id already in the log; ids not in the log are absent from the
   * map. `customerIds[i]`, when given, is the customer the caller's event with `ids[i]` names: a
   * store that files sealed history by customer (the embedded segment log) looks there first.
   */
  findExisting(ids: readonly string[], customerIds?: readonly string[]): Promise<Map<string, LoggedCopy>>;
  /**
   * Appends events and dead letters in one transaction (group commit). Resolves only when the
   * batch is durable; outcomes are in input order and accepted seqs increase in input order.
   * An id already in the log, or repeated later in the same batch, comes back as `duplicate`
   * with the stored seq and body and is not written again. Either everything lands or nothing.
   * `options.chain`: see AppendOptions.
   */
  append(events: readonly NewEvent[], deadLetters?: readonly NewDeadLetter[], options?: AppendOptions): Promise<AppendOutcome[]>;
  /** Log events with seq > afterSeq in seq order, at most `limit`. */
  readLog(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** One customer's events in seq order. */
  readCustomer(customerId: string, query?: CustomerEventQuery): Promise<StoredEvent[]>;
  /** Highest seq in the log, 0 when empty. */
  lastSeq(): Promise<number>;
  /** Number of events in the log (a full count: meant for status pages and tests, not hot paths). */
  countEvents(): Promise<number>;
  /** Parks records that could not be accepted, in one transaction. */
  addDeadLetters(letters: readonly NewDeadLetter[]): Promise<void>;
  /** Dead letters with id > afterId (default 0) in id order, at most `limit` (default 100). */
  listDeadLetters(query?: { afterId?: number; limit?: number }): Promise<DeadLetter[]>;
  countDeadLetters(): Promise<number>;
  /**
   * Upserts the given twin snapshots (other stored snapshots stay) and history snapshots, and
   * replaces the single checkpoint, in one transaction: a crash leaves either the old state or the new one.
   */
  saveCheckpoint(checkpoint: Checkpoint, twins: readonly TwinSnapshot[], history?: readonly HistorySnapshot[], options?: SaveCheckpointOptions): Promise<void>;
  /**
   * A bulk load (a backfill) has ended: the store organises what it wrote for reading now rather
   * than later (the embedded segment log seals it into per-customer chunks, decision 0013); a
   * no-op where every event is indexed as it is written. Resolves when done.
   */
  bulkLoadEnded(): Promise<void>;
  /** The latest history snapshot of a customer with `at` ≤ `atOrBefore`, or null. */
  loadHistorySnapshot(customerId: string, atOrBefore: number): Promise<HistorySnapshot | null>;
  /** The last saved checkpoint, null before the first save. */
  loadCheckpoint(): Promise<Checkpoint | null>;
  /** Every stored twin snapshot, in pages of at most `pageSize` (default 500) ordered by customer id. */
  loadSnapshots(pageSize?: number): AsyncIterable<TwinSnapshot[]>;
  loadSnapshot(customerId: string): Promise<TwinSnapshot | null>;
  /** Releases the database; safe to call twice. The store is unusable afterwards. */
  close(): Promise<void>;
  /**
   * A history taken from its seed before it is written (decision 0021): only the embedded store
   * keeps one (`npm start`'s first start); absent elsewhere, where the history takes the durable path.
   */
  readonly seededHistory?: SeededHistoryLog;
}

/**
 * A history the log takes from a deterministic source (the sandbox's seed) before its events are
 * written (decision 0021): its seqs are reserved from `firstSeq`, the twins take it from memory,
 * and its events are written behind into those seqs, regenerated from the source the record
 * describes. Only the embedded store keeps one; the store holds the source's description as opaque
 * text and never generates anything itself (the composition root hands the regenerator in).
 */
export interface SeededHistoryRecord {
  /** What regenerates the history (JSON text the store does not read: the sandbox world's identity and days). */
  descriptor: string;
  /** The history's first seq: its accepted events take `firstSeq`, `firstSeq + 1`, … without gaps. */
  firstSeq: number;
  /** Its last seq once the whole history has gone through the intake; null while it is still going through (not regenerable yet). */
  lastSeq: number | null;
  /** The receive stamp every event of the history carries (the moment it began). */
  receivedAt: number;
  /** The ordinals (0-based, in the source's order) of the records the intake did not accept; the others are the accepted events in seq order. */
  skipped: number[];
  /**
   * Content hash of each block of `SEEDED_BLOCK_EVENTS` accepted events in seq order (the last
   * block may be short): a regeneration that would write other events is refused before it writes.
   */
  blockHashes: number[];
  /** The events with seqs up to this are written (`firstSeq - 1`: none yet). */
  writtenThrough: number;
}

/** The part of the log a seeded history has not written yet, while reads must not pass it. */
export interface UnwrittenHistory {
  fromSeq: number;
  toSeq: number;
  /** Share of the history's events written, 0-1. */
  written: number;
  /** Why it cannot be written in this run (`SeededHistoryLog.cannotBeWritten`); absent while it is being written. */
  failure?: string;
}

/** The embedded event store's side of a seeded history (`EventStore.seededHistory`). */
export interface SeededHistoryLog {
  /** The record, or null when the store never took a seeded history. */
  read(): Promise<SeededHistoryRecord | null>;
  /**
   * Reserves the log's next seqs for a seeded history and records it, durably, before any of it
   * is applied. CONFLICT when the log is not empty or a seeded history is already recorded: the
   * fast path is for a first start only.
   */
  begin(descriptor: string, receivedAt: number): Promise<SeededHistoryRecord>;
  /**
   * The history has gone through the intake: records its last seq, the skipped ordinals and the
   * block hashes, and moves the log's seq counter past it (later appends take seqs after it).
   */
  finish(end: { lastSeq: number; skipped: readonly number[]; blockHashes: readonly number[] }): Promise<void>;
  /**
   * Removes a history that never finished going through the intake (a crash during it): its
   * record, any of its events already written and the dead letters parked since it began. Returns
   * how many events it removed. CONFLICT for a finished one.
   */
  discardUnfinished(): Promise<{ events: number }>;
  /**
   * Writes the next events of a finished history: consecutive seqs starting right after
   * `writtenThrough`, as one segment, and moves `writtenThrough`, in one transaction.
   */
  writeNext(events: readonly StoredEvent[]): Promise<void>;
  /** The unwritten part of a finished history, or undefined when there is none. */
  unwritten(): Promise<UnwrittenHistory | undefined>;
  /**
   * Said when the history's writer stopped for good in this run (its regeneration differs from
   * what the twins took, the disk is full…): reads that reach the unwritten part are then refused
   * with `reason` and the way out instead of "ask again in a few seconds". Kept in memory only: the
   * next start tries to write the rest again (a cause that passed, such as a full disk, is gone).
   */
  cannotBeWritten(reason: string): void;
}

/** Most of a dead letter's record a store keeps: enough to diagnose, small enough that a flood of junk cannot fill the disk. */
export const DEAD_LETTER_RECORD_MAX_BYTES = 64 * 1024;

/** Dead letters per `listDeadLetters` page when the caller names no limit: one screenful of a status page. */
export const DEFAULT_DEAD_LETTER_PAGE_SIZE = 100;

/** Snapshots per `loadSnapshots` page when the caller names none: a few MB of twins at a time. */
export const DEFAULT_SNAPSHOT_PAGE_SIZE = 500;

/** Checks the page size given to `loadSnapshots`: BAD_INPUT unless a positive integer. */
export function checkPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new TwinloopError('BAD_INPUT', `pageSize must be a positive integer, got ${pageSize}`);
  }
}

/** A record cut to `DEAD_LETTER_RECORD_MAX_BYTES` of UTF-8 at a character boundary, NULs replaced. */
function cutDeadLetterRecord(record: string): string {
  const clean = withoutNul(record);
  // A UTF-16 unit never takes more than 3 UTF-8 bytes, so short records skip the encoding.
  if (clean.length <= DEAD_LETTER_RECORD_MAX_BYTES / 3) return clean;
  const bytes = Buffer.from(clean, 'utf8');
  if (bytes.length <= DEAD_LETTER_RECORD_MAX_BYTES) return clean;
  let end = DEAD_LETTER_RECORD_MAX_BYTES;
  // Step back over UTF-8 continuation bytes so the cut never splits a character.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * A dead letter as every adapter stores it: record cut, and NUL characters replaced by U+FFFD in
 * every text field, because PostgreSQL text cannot hold them and junk must never make the batch
 * it arrived with fail.
 */
export function toStorableDeadLetter(letter: NewDeadLetter): NewDeadLetter {
  return {
    record: cutDeadLetterRecord(letter.record),
    reason: withoutNul(letter.reason),
    at: letter.at,
    source: withoutNul(letter.source),
  };
}

function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
