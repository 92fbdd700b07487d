import type Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import { decodeEventBlock, encodeEventBlock } from './event-block.js';
import type { AppendOutcome, CustomerEventQuery, NewEvent, StoredEvent } from './event-store.js';

/**
 * The embedded event store's segment log for bulk history (decision 0013): a large checked batch
 * is written as one row of `event_segments` (its events' columns in one deflated block, seqs
 * `first_seq`..`last_seq` without gaps) plus one entry per event in the id index `event_ids`,
 * instead of a row per event with two indexes. Seqs come from the same counter as the rows of
 * `events` (SQLite's `sqlite_sequence`), so rows and segments interleave in one seq order.
 *
 * A customer's events are spread over every segment of the load, so reading one customer from
 * segments would inflate all of them. Sealing regroups them: the segments after the sealed mark
 * are decoded together and written again as one chunk per customer (`event_chunks`, keyed by
 * customer and first seq), and the mark moves past them, in one transaction. Segments stay for
 * reading the log in seq order; chunks serve a customer's reads; segments not sealed yet are
 * scanned. Sealing runs when a checkpoint is saved and whenever `sealAt` events wait, so the
 * per-customer index costs one regrouping per load, not a B-tree insert per event.
 */

/** What makes a batch bulk, and when sealing runs. */
export interface SegmentLogOptions {
  /** Appends of at least this many events become a segment; smaller ones stay rows. */
  minBatch: number;
  /** Events waiting unsealed at which an append seals them (checkpoints seal whatever waits). */
  sealAt: number;
}

/**
 * A batch below 1,000 events (a live producer's, an HTTP request's) stays rows: a segment pays off
 * when one block holds enough alike events to compress, and the backfill sends 5,000 at a time.
 */
export const DEFAULT_SEGMENT_MIN_BATCH = 1_000;
/**
 * 400,000 events (about 100 MB of decoded events while a seal runs) bound what a customer's read
 * has to scan before a seal; checkpoints (every 200,000 accepted events) usually seal first.
 */
export const DEFAULT_SEAL_AT = 400_000;

/** Decoded segments a reader keeps: a replay pages through the log 10,000 events at a time, two or three segments a page. */
const DECODED_CACHE = 8;

interface SegmentMeta {
  first_seq: number;
  last_seq: number;
  count: number;
}

function prepare(db: Database.Database) {
  const meta = 'first_seq, last_seq, count';
  return {
    counter: db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`),
    moveCounter: db.prepare<[number]>(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'`),
    startCounter: db.prepare<[number]>(`INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)`),
    insertId: db.prepare<[string, number]>('INSERT INTO event_ids (id, seq) VALUES (?, ?) ON CONFLICT(id) DO NOTHING'),
    findId: db.prepare<[string], { seq: number }>('SELECT seq FROM event_ids WHERE id = ?'),
    insertSegment: db.prepare<[number, number, number, Buffer]>('INSERT INTO event_segments (first_seq, last_seq, count, data) VALUES (?, ?, ?, ?)'),
    segmentAt: db.prepare<[number], SegmentMeta>(`SELECT ${meta} FROM event_segments WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1`),
    segmentsAfter: db.prepare<[number, number], SegmentMeta>(`SELECT ${meta} FROM event_segments WHERE first_seq > ? ORDER BY first_seq LIMIT ?`),
    segmentData: db.prepare<[number], { data: Buffer }>('SELECT data FROM event_segments WHERE first_seq = ?'),
    lastSegment: db.prepare<[], SegmentMeta>(`SELECT ${meta} FROM event_segments ORDER BY first_seq DESC LIMIT 1`),
    countAfter: db.prepare<[number], { n: number }>('SELECT COALESCE(SUM(count), 0) AS n FROM event_segments WHERE first_seq > ?'),
    sealedThrough: db.prepare<[], { through_seq: number }>('SELECT through_seq FROM event_seal WHERE id = 1'),
    setSealed: db.prepare<[number]>('UPDATE event_seal SET through_seq = ? WHERE id = 1'),
    insertChunk: db.prepare<[string, number, number, Buffer]>('INSERT INTO event_chunks (customer_id, first_seq, last_seq, data) VALUES (?, ?, ?, ?)'),
    customerChunks: db.prepare<[string, number], { data: Buffer }>(
      'SELECT data FROM event_chunks WHERE customer_id = ? AND last_seq > ? ORDER BY first_seq',
    ),
  };
}

/** The segment side of one connection of the SQLite event store; writes run inside the adapter's transactions. */
export class SqliteSegmentLog {
  private statements: ReturnType<typeof prepare> | undefined;
  private readonly decoded = new Map<number, StoredEvent[]>();
  /** Events of segments not sealed yet, as this (writing) connection last counted them. */
  private unsealed: number | undefined;
  /**
   * The unsealed events this connection wrote and committed, while they are all the unsealed
   * ones (undefined otherwise, e.g. after a restart): a seal then regroups them without reading
   * their segments back. `staged`: those of the append in progress, until it commits.
   */
  private written: StoredEvent[] | undefined;
  private staged: StoredEvent[] = [];

  constructor(
    private readonly db: () => Database.Database,
    readonly options: SegmentLogOptions,
  ) {}

  private get sql() {
    this.statements ??= prepare(this.db());
    return this.statements;
  }

  /** Forgets compiled statements (after a migration changed the schema). */
  reset(): void {
    this.statements = undefined;
    this.unsealed = undefined;
    this.written = undefined;
  }

  /** Whether an append of `n` events is written as a segment. */
  takes(n: number): boolean {
    return n >= this.options.minBatch;
  }

  /** The seq of a logged id held by a segment, or undefined. */
  findSeq(id: string): number | undefined {
    return this.sql.findId.get(id)?.seq;
  }

  /** The stored event at `seq` of a segment (the one an id found by `findSeq` points at). */
  eventAt(seq: number): StoredEvent {
    const segment = this.sql.segmentAt.get(seq);
    const event = segment && seq <= segment.last_seq ? this.events(segment)[seq - segment.first_seq] : undefined;
    if (!event || event.seq !== seq) throw new TwinloopError('INTERNAL', `the segment log has no event at seq ${seq} although its id index names it; the store file is damaged`);
    return event;
  }

  /**
   * Appends a batch as one segment; call inside a write transaction. `inRows` finds an id among the
   * log's rows. Outcomes as the port's `append` gives them.
   */
  append(events: readonly NewEvent[], inRows: (id: string) => { seq: number; hash: string } | undefined): AppendOutcome[] {
    const q = this.sql;
    const counter = q.counter.get()?.seq;
    let next = (counter ?? 0) + 1;
    const first = next;
    const accepted: StoredEvent[] = [];
    const outcomes: AppendOutcome[] = [];
    for (const e of events) {
      checkShape(e);
      const row = inRows(e.id);
      if (row) {
        outcomes.push({ status: 'duplicate', seq: row.seq, hash: row.hash });
        continue;
      }
      if (q.insertId.run(e.id, next).changes === 0) {
        const seq = q.findId.get(e.id)!.seq;
        // Earlier in this batch (not written yet) or in an earlier segment.
        const stored = seq >= first ? accepted[seq - first] : this.eventAt(seq);
        outcomes.push({ status: 'duplicate', seq, hash: stored.hash });
        continue;
      }
      accepted.push({ seq: next, id: e.id, customerId: e.customerId, kind: e.kind, time: e.time, receivedAt: e.receivedAt, body: e.body, hash: e.hash });
      outcomes.push({ status: 'accepted', seq: next });
      next++;
    }
    if (accepted.length === 0) return outcomes;
    const last = next - 1;
    q.insertSegment.run(first, last, accepted.length, encodeEventBlock(accepted, 1));
    if (counter === undefined) q.startCounter.run(last);
    else q.moveCounter.run(last);
    this.staged = accepted;
    return outcomes;
  }

  /**
   * After the transaction of `append` has committed (`ok`) or rolled back: counts what waits
   * unsealed and tells whether it is time to seal (`seal` in a transaction of its own).
   */
  settle(ok: boolean): boolean {
    const staged = this.staged;
    this.staged = [];
    if (!ok || staged.length === 0) return false;
    if (this.unsealed === undefined) {
      const waiting = this.sql.countAfter.get(this.sql.sealedThrough.get()!.through_seq)!.n;
      // Only what this append wrote waits: from here on this connection knows every unsealed event.
      this.written = waiting === staged.length ? [] : undefined;
      this.unsealed = waiting - staged.length;
    }
    this.unsealed += staged.length;
    if (this.written) for (const e of staged) this.written.push(e);
    return this.unsealed >= this.options.sealAt;
  }

  /** Whether any segment waits to be sealed (as this connection knows; a fresh one looks). */
  waiting(): boolean {
    this.unsealed ??= this.sql.countAfter.get(this.sql.sealedThrough.get()!.through_seq)!.n;
    return this.unsealed > 0;
  }

  /**
   * Regroups every segment after the sealed mark into one chunk per customer and moves the mark;
   * call inside a write transaction. At most `sealAt` events are decoded at once.
   */
  seal(): void {
    const q = this.sql;
    const written = this.written;
    if (written && written.length > 0 && written.length <= this.options.sealAt) {
      const last = q.lastSegment.get()!;
      this.writeChunks(written);
      q.setSealed.run(last.first_seq);
    }
    for (;;) {
      const through = q.sealedThrough.get()!.through_seq;
      const run: SegmentMeta[] = [];
      let size = 0;
      for (const s of q.segmentsAfter.all(through, 1_000)) {
        if (run.length > 0 && size + s.count > this.options.sealAt) break;
        run.push(s);
        size += s.count;
      }
      if (run.length === 0) break;
      this.writeChunks(run.flatMap((s) => this.events(s, false)));
      q.setSealed.run(run[run.length - 1].first_seq);
    }
  }

  /** After the transaction of `seal` has committed (`ok`) or rolled back. */
  sealed(ok: boolean): void {
    if (ok) {
      this.unsealed = 0;
      this.written = [];
    } else {
      this.unsealed = undefined;
      this.written = undefined;
    }
  }

  /** One chunk per customer of `events` (in seq order). */
  private writeChunks(events: readonly StoredEvent[]): void {
    const byCustomer = new Map<string, StoredEvent[]>();
    for (const e of events) {
      const list = byCustomer.get(e.customerId);
      if (list) list.push(e);
      else byCustomer.set(e.customerId, [e]);
    }
    for (const [customer, list] of byCustomer) this.sql.insertChunk.run(customer, list[0].seq, list[list.length - 1].seq, encodeEventBlock(list, 1));
  }

  /** Segment events with seq > afterSeq in seq order, at most `limit`; call inside a read transaction. */
  readLog(afterSeq: number, limit: number): StoredEvent[] {
    const q = this.sql;
    const out: StoredEvent[] = [];
    const holding = q.segmentAt.get(afterSeq);
    const segments = holding && holding.last_seq > afterSeq ? [holding] : [];
    let from = holding?.first_seq ?? 0;
    while (out.length < limit) {
      if (segments.length === 0) {
        segments.push(...q.segmentsAfter.all(from, 4));
        if (segments.length === 0) break;
      }
      const s = segments.shift()!;
      from = s.first_seq;
      const events = this.events(s);
      for (let i = Math.max(0, afterSeq - s.first_seq + 1); i < events.length && out.length < limit; i++) out.push(events[i]);
    }
    return out;
  }

  /** One customer's segment events (sealed chunks, then the segments after the mark) matching the query, in seq order. */
  readCustomer(customerId: string, query: CustomerEventQuery): StoredEvent[] {
    const q = this.sql;
    const after = query.afterSeq ?? 0;
    const until = query.untilTime ?? Number.MAX_SAFE_INTEGER;
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: StoredEvent[] = [];
    const keep = (e: StoredEvent) => e.customerId === customerId && e.seq > after && e.time <= until;
    for (const chunk of q.customerChunks.iterate(customerId, after)) {
      for (const e of decodeEventBlock(chunk.data)) if (keep(e)) out.push(e);
      if (out.length >= limit) return out.slice(0, limit);
    }
    // Segments up to the sealed mark are in the chunks above; those after it are scanned.
    let from = q.sealedThrough.get()?.through_seq ?? 0;
    for (;;) {
      const batch = q.segmentsAfter.all(from, 16);
      if (batch.length === 0) break;
      for (const s of batch) {
        from = s.first_seq;
        if (s.last_seq <= after) continue;
        for (const e of this.events(s)) if (keep(e)) out.push(e);
        if (out.length >= limit) return out.slice(0, limit);
      }
    }
    return out;
  }

  /** Highest seq of any segment, 0 when there is none. */
  lastSeq(): number {
    return this.sql.lastSegment.get()?.last_seq ?? 0;
  }

  /** Events held in segments. */
  count(): number {
    return this.sql.countAfter.get(0)!.n;
  }

  /** A segment's events, decoded once and kept for the next reads when `keep` (segments never change once written). */
  private events(s: SegmentMeta, keep = true): StoredEvent[] {
    const cached = this.decoded.get(s.first_seq);
    if (cached) return cached;
    const events = decodeEventBlock(this.sql.segmentData.get(s.first_seq)!.data);
    if (keep) {
      if (this.decoded.size >= DECODED_CACHE) this.decoded.delete(this.decoded.keys().next().value!);
      this.decoded.set(s.first_seq, events);
    }
    return events;
  }
}

/** A segment holds no NOT NULL columns for SQLite to check: the same shape is checked here, so a bad batch fails whole as a row batch does. */
function checkShape(e: NewEvent): void {
  const ok = typeof e.id === 'string' && typeof e.customerId === 'string' && typeof e.kind === 'string' && typeof e.body === 'string'
    && typeof e.hash === 'string' && Number.isFinite(e.time) && Number.isFinite(e.receivedAt);
  if (!ok) throw new TwinloopError('BAD_INPUT', `event ${String(e.id)}: id, customerId, kind, body and hash must be text and time and receivedAt numbers`);
}
