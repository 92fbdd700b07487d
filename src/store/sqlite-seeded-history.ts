import type Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import type { SeededHistoryRecord, StoredEvent, UnwrittenHistory } from './event-store.js';
import type { SqliteSegmentLog } from './sqlite-segment-log.js';

interface SeededRow {
  descriptor: string;
  first_seq: number;
  last_seq: number | null;
  received_at: number;
  dead_letters_before: number;
  skipped: string;
  block_hashes: string;
  written_through: number;
}

function prepare(db: Database.Database) {
  return {
    read: db.prepare<[], SeededRow>('SELECT descriptor, first_seq, last_seq, received_at, dead_letters_before, skipped, block_hashes, written_through FROM seeded_history WHERE id = 1'),
    insert: db.prepare<[string, number, number, number, number]>(
      `INSERT INTO seeded_history (id, descriptor, first_seq, last_seq, received_at, dead_letters_before, skipped, block_hashes, written_through)
       VALUES (1, ?, ?, NULL, ?, ?, '[]', '[]', ?)`,
    ),
    finish: db.prepare<[number, string, string]>('UPDATE seeded_history SET last_seq = ?, skipped = ?, block_hashes = ? WHERE id = 1'),
    written: db.prepare<[number]>('UPDATE seeded_history SET written_through = ? WHERE id = 1'),
    remove: db.prepare('DELETE FROM seeded_history WHERE id = 1'),
    counter: db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`),
    moveCounter: db.prepare<[number]>(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'`),
    startCounter: db.prepare<[number]>(`INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)`),
    lastRow: db.prepare<[], { seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events'),
    lastDeadLetter: db.prepare<[], { id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM dead_letters'),
    countSegmentEvents: db.prepare<[number], { n: number }>('SELECT COALESCE(SUM(count), 0) AS n FROM event_segments WHERE first_seq >= ?'),
    deleteSegments: db.prepare<[number]>('DELETE FROM event_segments WHERE first_seq >= ?'),
    deleteIds: db.prepare<[number]>('DELETE FROM event_ids WHERE seq >= ?'),
    deleteRows: db.prepare<[number]>('DELETE FROM events WHERE seq >= ?'),
    deleteDeadLetters: db.prepare<[number]>('DELETE FROM dead_letters WHERE id > ?'),
  };
}

/**
 * The embedded store's seeded history (decision 0021; the port is `SeededHistoryLog`): one row of
 * `seeded_history` and the history's events written into its reserved seqs through the segment
 * log. Synchronous; the adapter runs each method on its connection, the writes in a transaction.
 */
export class SqliteSeededHistory {
  private statements: ReturnType<typeof prepare> | undefined;

  constructor(
    private readonly db: () => Database.Database,
    private readonly segments: SqliteSegmentLog,
  ) {}

  private get sql() {
    this.statements ??= prepare(this.db());
    return this.statements;
  }

  /** Forgets compiled statements (after a migration changed the schema). */
  reset(): void {
    this.statements = undefined;
  }

  read(): SeededHistoryRecord | null {
    const row = this.sql.read.get();
    if (!row) return null;
    return {
      descriptor: row.descriptor,
      firstSeq: row.first_seq,
      lastSeq: row.last_seq,
      receivedAt: row.received_at,
      skipped: JSON.parse(row.skipped) as number[],
      blockHashes: JSON.parse(row.block_hashes) as number[],
      writtenThrough: row.written_through,
    };
  }

  /** Call inside a write transaction. */
  begin(descriptor: string, receivedAt: number): SeededHistoryRecord {
    const q = this.sql;
    if (q.read.get()) throw new TwinloopError('CONFLICT', 'this store already took a seeded history; a seeded history is for a first start only');
    const first = Math.max(q.counter.get()?.seq ?? 0, q.lastRow.get()!.seq, this.segments.lastSeq()) + 1;
    q.insert.run(descriptor, first, receivedAt, q.lastDeadLetter.get()!.id, first - 1);
    return this.read()!;
  }

  /** Call inside a write transaction. */
  finish(lastSeq: number, skipped: readonly number[], blockHashes: readonly number[]): void {
    const q = this.sql;
    const record = this.read();
    if (!record || record.lastSeq !== null) throw new TwinloopError('CONFLICT', 'no seeded history is going through the intake: nothing to finish');
    if (!Number.isSafeInteger(lastSeq) || lastSeq < record.firstSeq - 1) throw new TwinloopError('BAD_INPUT', `a seeded history starting at seq ${record.firstSeq} cannot end at ${lastSeq}`);
    q.finish.run(lastSeq, JSON.stringify(skipped), JSON.stringify(blockHashes));
    const counter = q.counter.get()?.seq;
    if (counter === undefined) q.startCounter.run(lastSeq);
    else if (counter < lastSeq) q.moveCounter.run(lastSeq);
  }

  /** Call inside a write transaction. */
  discardUnfinished(): { events: number } {
    const q = this.sql;
    const row = q.read.get();
    if (!row) return { events: 0 };
    if (row.last_seq !== null) throw new TwinloopError('CONFLICT', 'the seeded history finished going through the intake: it is written from its seed, never discarded');
    const first = row.first_seq;
    const events = q.countSegmentEvents.get(first)!.n;
    q.deleteSegments.run(first);
    q.deleteIds.run(first);
    q.deleteRows.run(first);
    q.deleteDeadLetters.run(row.dead_letters_before);
    if (q.counter.get()) q.moveCounter.run(first - 1);
    q.remove.run();
    this.segments.forget();
    return { events };
  }

  /** Call inside a write transaction; `block`: the events encoded before it (`encodeSegment`). */
  writeNext(events: readonly StoredEvent[], block?: Buffer): void {
    const record = this.read();
    if (!record || record.lastSeq === null) throw new TwinloopError('CONFLICT', 'no finished seeded history to write');
    if (events.length === 0) return;
    const first = events[0].seq;
    const last = events[events.length - 1].seq;
    if (first !== record.writtenThrough + 1 || last > record.lastSeq) {
      throw new TwinloopError('CONFLICT', `the seeded history is written through seq ${record.writtenThrough} of ${record.lastSeq}: seqs ${first}..${last} are not the next ones`);
    }
    this.segments.writeAt(events, block);
    this.sql.written.run(last);
  }

  /** Why the history cannot be written in this run, once its writer said so (`cannotBeWritten`). */
  private failure: string | undefined;

  /** The writer stopped for good in this run: reads that reach the unwritten part say so and why. */
  cannotBeWritten(reason: string): void {
    this.failure = reason;
  }

  /** The part reads must not pass: the whole reserved tail while the history goes through the intake, then what is left to write. */
  /** The seeded history's last seq once it has gone through the intake, else 0. */
  lastSeq(): number {
    return this.sql.read.get()?.last_seq ?? 0;
  }

  unwritten(): UnwrittenHistory | undefined {
    const row = this.sql.read.get();
    if (!row) return undefined;
    if (row.last_seq === null) return { fromSeq: row.first_seq, toSeq: Number.MAX_SAFE_INTEGER, written: 0 };
    if (row.written_through >= row.last_seq) return undefined;
    const total = row.last_seq - row.first_seq + 1;
    return { fromSeq: row.written_through + 1, toSeq: row.last_seq, written: (row.written_through - row.first_seq + 1) / total, ...(this.failure ? { failure: this.failure } : {}) };
  }
}

/**
 * The pace of a share going from 0 to 1 (a seeded history written, then sealed), from the first
 * time a refusal saw it to now: what a refusal says of when to ask again. Averaged over the whole
 * phase so far, not the last step: the seal moves in runs of 400,000 events, and a loaded
 * machine's pace swings from minute to minute.
 */
export class SharePace {
  private since: { readonly at: number; readonly share: number } | undefined;

  /** Seconds until the share reaches 1 at its pace so far, or undefined until it has been seen to move. */
  secondsLeft(share: number, now: number): number | undefined {
    if (!this.since || share < this.since.share) {
      this.since = { at: now, share };
      return undefined;
    }
    const seconds = (now - this.since.at) / 1000;
    const rate = seconds > 0 ? (share - this.since.share) / seconds : 0;
    return rate > 0 ? Math.max(0, (1 - share) / rate) : undefined;
  }
}

/** Retry-After before a pace is known, and its bounds once it is (a refusal is asked again at least this often, at most this seldom). */
const FIRST_RETRY_SECONDS = 5;
const MAX_RETRY_SECONDS = 900;

/** When to ask again, and how it is said: at the pace so far (always in seconds: once-per-cause logs match numbers as one). */
function whenToRetry(secondsLeft: number | undefined, what: string): { retryAfterSeconds: number; words: string } {
  if (secondsLeft === undefined) return { retryAfterSeconds: FIRST_RETRY_SECONDS, words: `ask again in ${FIRST_RETRY_SECONDS} s (its pace is not known yet)` };
  const retryAfterSeconds = Math.min(MAX_RETRY_SECONDS, Math.max(FIRST_RETRY_SECONDS, Math.ceil(secondsLeft)));
  return { retryAfterSeconds, words: `${what} in about ${Math.ceil(secondsLeft)} s at its pace so far: ask again in ${retryAfterSeconds} s` };
}

/**
 * The refusal of a read of a customer's events that reaches a seeded history written to the log
 * but not yet regrouped by customer (decision 0027): until then such a read decodes the whole
 * history. `sealed`: the share of the history sealed; `secondsLeft` the seal's time to go at its
 * pace (`SharePace`), which the refusal gives as Retry-After.
 */
export function historyNotSealedYet(what: string, sealed: number, secondsLeft: number | undefined): TwinloopError {
  const when = whenToRetry(secondsLeft, 'sealed');
  return new TwinloopError('UNAVAILABLE', `${what} reaches the first start's history, which is written to the log and being sealed (regrouped by customer; ${Math.floor(sealed * 100)} % of it is); ${when.words}`, {
    context: { retryAfterSeconds: when.retryAfterSeconds, historyWritten: 1, historySealed: sealed },
  });
}

/**
 * What to do when a seeded history cannot be written (decision 0021, stop 28), said by the refusals
 * and the server's log alike: the twins and everything after the history are whole; only reads of
 * the log's history (timelines, as-of reads, training from the log) lack it.
 */
export const HISTORY_WAY_OUT =
  "restart the server to try again (a passing cause, such as a full disk, is then gone); if it says the history regenerated from the seed differs, this data dir's log cannot get it back: start with a fresh data dir (its first start takes the history again in about a minute), or set TWINLOOP_SEEDED_HISTORY=off for a first start that writes each batch before applying it (docs/reliability.md, 'The first start's history from the seed')";

/**
 * The refusal of a read that would pass the unwritten part of a seeded history: never a silently
 * short answer. `secondsLeft`: the writing's time to go at its pace (`SharePace`), given as
 * Retry-After; the seal follows it.
 */
export function historyNotWrittenYet(what: string, hole: UnwrittenHistory, secondsLeft?: number): TwinloopError {
  if (hole.failure) {
    return new TwinloopError('UNAVAILABLE', `${what} reaches the first start's history from seq ${hole.fromSeq}, which could not be written to the log in this run (${hole.failure}); ${HISTORY_WAY_OUT}`, {
      context: { retryAfterSeconds: 3600, retryable: false, historyWritten: hole.written },
    });
  }
  if (hole.toSeq === Number.MAX_SAFE_INTEGER) {
    return new TwinloopError('UNAVAILABLE', `${what} reaches the first start's history, which is still going through the intake before it is written to the log from its seed; ask again in ${FIRST_RETRY_SECONDS} s`, {
      context: { retryAfterSeconds: FIRST_RETRY_SECONDS, historyWritten: 0 },
    });
  }
  const when = whenToRetry(secondsLeft, 'all written');
  return new TwinloopError('UNAVAILABLE', `${what} reaches the first start's history, which is still being written to the log from its seed (${Math.floor(hole.written * 100)} % of it is written; then it is sealed, regrouped by customer); ${when.words}`, {
    context: { retryAfterSeconds: when.retryAfterSeconds, historyWritten: hole.written },
  });
}
