import type Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import { blockDictionary, decodeEventBlock, encodeEventBlock, type BlockDictionary } from './event-block.js';
import type { AppendOutcome, CustomerEventQuery, LoggedCopy, NewEvent, StoredEvent } from './event-store.js';

/**
 * The embedded event store's segment log for bulk history (decision 0013): a large checked batch
 * is written as one row of `event_segments` (its events' columns in one deflated block, seqs
 * `first_seq`..`last_seq` without gaps) plus one entry per event in the id index `event_ids`,
 * instead of a row per event with two indexes. Seqs come from the same counter as the rows of
 * `events` (SQLite's `sqlite_sequence`), so rows and segments interleave in one seq order.
 *
 * A customer's events are spread over every segment of the load, so reading one customer from
 * segments would inflate all of them. Sealing regroups them: the segments after the sealed mark
 * are decoded together (read back: the writer keeps no decoded events, decision 0022) and written
 * again as one chunk per customer (`event_chunks`, keyed by customer and first seq), recorded as
 * one run (`event_runs`: the run's seq range), and the run's segments are deleted, in one
 * transaction a run (the decoding and encoding done before it in steps, holding no lock, between
 * which the writer serves its other requests: decision 0027): a run's events are then read from its chunks alone, a customer's from its own
 * chunks, the log in seq order from every chunk of the run (merged by seq). Segments not sealed
 * yet are scanned. Sealing follows the load, not the checkpoints: it runs once `sealAt` events
 * wait, when the producer says the load has ended (`bulkLoadEnded`), and at a checkpoint only
 * if no bulk append came since the checkpoint before (the load ended without saying so), so the
 * per-customer index costs one regrouping per `sealAt` events and a customer's chunk of a run
 * holds its share of `sealAt` events, not of the 30 seconds between two checkpoints.
 */

/**
 * A segment's block as `writeAt` stores it (the fastest deflate: segments are sealed into chunks
 * later). Encoding is most of a segment write's CPU: done before the transaction, it does not hold
 * the write lock (a niced thread holding it through its encoding made the others wait past their
 * busy timeout at load: "database is locked").
 */
export function encodeSegment(events: readonly StoredEvent[]): Buffer {
  return encodeEventBlock(events, 1);
}

/** What makes a batch bulk, and when sealing runs. */
export interface SegmentLogOptions {
  /** Appends of at least this many events become a segment; smaller ones stay rows. */
  minBatch: number;
  /** Events waiting unsealed at which an append seals them (checkpoints seal whatever waits). */
  sealAt: number;
  /** Events a step of a seal decodes or encodes before the writer serves its next request (DEFAULT_SEAL_STEP_EVENTS). */
  sealStepEvents?: number;
}

/**
 * A batch below 1,000 events (a live producer's, an HTTP request's) stays rows: a segment pays off
 * when one block holds enough alike events to compress, and the backfill sends 5,000 at a time.
 */
export const DEFAULT_SEGMENT_MIN_BATCH = 1_000;
/**
 * 400,000 events (about 200 MB of decoded events kept on the writer until a seal) bound what a
 * customer's read has to scan before a seal, and make the default world's chunks about 20
 * events each (its 20,000 customers' share of a run): 66 bytes per event against 115 at 5 and
 * 49 at 100 (measured on its history, decision 0013).
 */
export const DEFAULT_SEAL_AT = 400_000;

/**
 * A seal's step (decision 0027): 20,000 events decoded or encoded, about 0.1 s of the writer
 * thread on an idle core (a run of 400,000 is 40 such steps and its commit), so a live append
 * waits at most about one step for a seal, not the seal.
 */
export const DEFAULT_SEAL_STEP_EVENTS = 20_000;

/** Decoded segments a reader keeps: a replay pages through the log 10,000 events at a time, two or three segments a page. */
const DECODED_CACHE = 8;
/**
 * A read of at most this many of a run's first events decodes only the chunks that can hold them.
 * Every customer of a run has a chunk starting near the run's start, so a larger read (a replay's
 * page) would decode nearly every chunk anyway: it decodes the run whole, kept for the next page.
 */
const RUN_HEAD_MAX = 64;

/** A run of segments encoded for sealing: its seq range (no gaps but rows'), event count and one chunk per customer. */
export interface SealedRun {
  firstSeq: number;
  lastSeq: number;
  count: number;
  chunks: { customerId: string; firstSeq: number; lastSeq: number; data: Buffer }[];
  /** The chunks' dictionary when this seal made it (the store's first seal): stored with them. */
  newDictionary?: BlockDictionary;
}

/** A segment's or a sealed run's seq range and event count. */
interface SegmentMeta {
  first_seq: number;
  last_seq: number;
  count: number;
}

/** A run being sealed a step at a time (`planRun`, `sealStep`): its segments, decoded and grouped, then encoded. */
export interface RunSeal {
  readonly segments: readonly SegmentMeta[];
  /** Segments decoded so far. */
  decoded: number;
  /** The decoded events by customer, in seq order, while segments are decoded. */
  readonly byCustomer: Map<string, StoredEvent[]>;
  /** The same once all are decoded, in the order their chunks are encoded. */
  customers: [string, StoredEvent[]][] | undefined;
  /** Customers whose chunk is encoded. */
  encoded: number;
  readonly chunks: SealedRun['chunks'];
  newDictionary?: BlockDictionary;
}

function prepare(db: Database.Database) {
  const meta = 'first_seq, last_seq, count';
  return {
    counter: db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`),
    moveCounter: db.prepare<[number]>(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'`),
    startCounter: db.prepare<[number]>(`INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)`),
    // A batch's ids go to SQLite as one JSON array: one call for the whole batch instead of one
    // per event (the calls, not the B-tree work, were most of an append's time on the writer).
    insertIds: db.prepare<[number, string]>('INSERT INTO event_ids (id, seq) SELECT value, ? + key FROM json_each(?)'),
    findIds: db.prepare<[string], { id: string; seq: number }>('SELECT i.id, i.seq FROM json_each(?) AS j JOIN event_ids AS i ON i.id = j.value'),
    findId: db.prepare<[string], { seq: number }>('SELECT seq FROM event_ids WHERE id = ?'),
    insertId: db.prepare<[string, number]>('INSERT INTO event_ids (id, seq) VALUES (?, ?)'),
    insertSegment: db.prepare<[number, number, number, Buffer]>('INSERT INTO event_segments (first_seq, last_seq, count, data) VALUES (?, ?, ?, ?)'),
    segmentAt: db.prepare<[number], SegmentMeta>(`SELECT ${meta} FROM event_segments WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1`),
    segmentsAfter: db.prepare<[number, number], SegmentMeta>(`SELECT ${meta} FROM event_segments WHERE first_seq > ? ORDER BY first_seq LIMIT ?`),
    segmentData: db.prepare<[number], { data: Buffer }>('SELECT data FROM event_segments WHERE first_seq = ?'),
    lastSegment: db.prepare<[], SegmentMeta>(`SELECT ${meta} FROM event_segments ORDER BY first_seq DESC LIMIT 1`),
    countAfter: db.prepare<[number], { n: number }>('SELECT COALESCE(SUM(count), 0) AS n FROM event_segments WHERE first_seq > ?'),
    deleteSegments: db.prepare<[number, number]>('DELETE FROM event_segments WHERE first_seq BETWEEN ? AND ?'),
    sealedThrough: db.prepare<[], { through_seq: number }>('SELECT through_seq FROM event_seal WHERE id = 1'),
    setSealed: db.prepare<[number]>('UPDATE event_seal SET through_seq = ? WHERE id = 1'),
    insertChunk: db.prepare<[string, number, number, Buffer]>('INSERT INTO event_chunks (customer_id, first_seq, last_seq, data) VALUES (?, ?, ?, ?)'),
    customerChunks: db.prepare<[string, number], { data: Buffer }>(
      'SELECT data FROM event_chunks WHERE customer_id = ? AND last_seq > ? ORDER BY first_seq',
    ),
    customerChunkAt: db.prepare<[string, number], { data: Buffer; last_seq: number }>(
      'SELECT data, last_seq FROM event_chunks WHERE customer_id = ? AND first_seq <= ? ORDER BY first_seq DESC LIMIT 1',
    ),
    insertRun: db.prepare<[number, number, number]>('INSERT INTO event_runs (first_seq, last_seq, count) VALUES (?, ?, ?)'),
    runAt: db.prepare<[number], SegmentMeta>(`SELECT ${meta} FROM event_runs WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1`),
    runAfter: db.prepare<[number], SegmentMeta>(`SELECT ${meta} FROM event_runs WHERE first_seq > ? ORDER BY first_seq LIMIT 1`),
    runChunks: db.prepare<[number, number], { data: Buffer }>('SELECT data FROM event_chunks WHERE first_seq BETWEEN ? AND ?'),
    lastRun: db.prepare<[], SegmentMeta>(`SELECT ${meta} FROM event_runs ORDER BY first_seq DESC LIMIT 1`),
    countRuns: db.prepare<[], { n: number }>('SELECT COALESCE(SUM(count), 0) AS n FROM event_runs'),
    dictionary: db.prepare<[number], { data: Buffer }>('SELECT data FROM event_dictionaries WHERE id = ?'),
    lastDictionary: db.prepare<[], { id: number; data: Buffer }>('SELECT id, data FROM event_dictionaries ORDER BY id DESC LIMIT 1'),
    insertDictionary: db.prepare<[number, Buffer]>('INSERT INTO event_dictionaries (id, data) VALUES (?, ?)'),
  };
}

/** The segment side of one connection of the SQLite event store; writes run inside the adapter's transactions. */
export class SqliteSegmentLog {
  private statements: ReturnType<typeof prepare> | undefined;
  private readonly decoded = new Map<number, StoredEvent[]>();
  /**
   * The customers each unsealed segment holds, by its first seq, learnt when it is first decoded
   * (segments never change once written): a customer's read decodes only the segments holding
   * them. It decoded every segment after the sealed mark, up to `sealAt` (400,000) events, for
   * each read: on the default world's live server the sweeps' reads after the first seal held the
   * event loop for 163 s (BENCHMARKS.md, "The default world's live server").
   */
  private readonly members = new Map<number, Set<string>>();
  /** The last sealed run read in seq order (a replay pages through one run at a time). */
  private decodedRun: { first: number; events: StoredEvent[] } | undefined;
  /** Preset dictionaries by id, as read (they never change once written). */
  private readonly dictionaries = new Map<number, Buffer>();
  /** The dictionary new chunks are deflated with: the store's latest, or made at its first seal. */
  private chunkDictionary: BlockDictionary | undefined;
  /** Reads a block's dictionary by id. */
  private readonly dictionaryOf = (id: number): Buffer | undefined => {
    let bytes = this.dictionaries.get(id);
    if (!bytes) {
      bytes = this.sql.dictionary.get(id)?.data;
      if (bytes) this.dictionaries.set(id, bytes);
    }
    return bytes;
  };
  /** Whether a bulk append committed since the last checkpoint: the load is still running. */
  private bulkSinceCheckpoint = false;
  /** Events of segments not sealed yet, as this (writing) connection last counted them. */
  private unsealed: number | undefined;
  /**
   * Events of the append in progress, counted once it commits. Only the count: keeping the
   * unsealed events themselves for the seal (up to `sealAt`, 400,000 objects and their text)
   * cost the writer thread and the collector's helper threads more than the seal's reading them
   * back (decision 0022).
   */
  private staged = 0;

  constructor(
    private readonly db: () => Database.Database,
    readonly options: SegmentLogOptions,
    /**
     * Whether sealing must wait: a seeded history (decision 0021) is still being written into its
     * reserved seqs, so segments after the mark are not one run yet, and another connection (the
     * history's writer) adds segments this one does not know of.
     */
    private readonly sealingBlocked: () => boolean = () => false,
  ) {}

  private get sql() {
    this.statements ??= prepare(this.db());
    return this.statements;
  }

  /** Forgets compiled statements (after a migration changed the schema). */
  reset(): void {
    this.statements = undefined;
    this.unsealed = undefined;
    this.chunkDictionary = undefined;
  }

  /** Whether an append of `n` events is written as a segment. */
  takes(n: number): boolean {
    return n >= this.options.minBatch;
  }

  /** The seq of a logged id held by a segment, or undefined. */
  findSeq(id: string): number | undefined {
    return this.sql.findId.get(id)?.seq;
  }

  /**
   * The stored event at `seq` of a segment or a sealed run (the one an id found by `findSeq`
   * points at). `customerId`, the customer the caller expects it to belong to, finds a sealed
   * event in that customer's chunk; without it, or when the event is another customer's (an id
   * reused for another customer: a conflict), the whole run is read.
   */
  eventAt(seq: number, customerId?: string): StoredEvent {
    const q = this.sql;
    const segment = q.segmentAt.get(seq);
    let event = segment && seq <= segment.last_seq ? this.events(segment)[seq - segment.first_seq] : undefined;
    if (!event && customerId !== undefined) {
      const chunk = q.customerChunkAt.get(customerId, seq);
      if (chunk && seq <= chunk.last_seq) event = decodeEventBlock(chunk.data, this.dictionaryOf).find((e) => e.seq === seq);
    }
    if (!event) {
      const run = q.runAt.get(seq);
      if (run && seq <= run.last_seq) event = this.runEvents(run).find((e) => e.seq === seq);
    }
    if (!event || event.seq !== seq) throw new TwinloopError('INTERNAL', `the segment log has no event at seq ${seq} although its id index names it; the store file is damaged`);
    return event;
  }

  /**
   * Appends a batch as one segment; call inside a write transaction. `inRows` finds which of the
   * batch's ids (as a JSON array, or as a list) are among the log's rows. Outcomes as the port's
   * `append` gives them.
   */
  append(events: readonly NewEvent[], inRows: (ids: string | readonly string[]) => Map<string, LoggedCopy>): AppendOutcome[] {
    const q = this.sql;
    for (const e of events) checkShape(e);
    const ids = events.map((e) => e.id);
    const idsJson = JSON.stringify(ids);
    // An escape in the array (a control character or a lone surrogate in an id) might not come
    // back from SQLite's JSON as the text bound on its own would: such a batch goes id by id.
    const asJson = !idsJson.includes('\\u');
    const rows = inRows(asJson ? idsJson : ids);
    const logged = new Map<string, number>();
    if (asJson) for (const r of q.findIds.all(idsJson)) logged.set(r.id, r.seq);
    else for (const id of ids) {
      const seq = q.findId.get(id)?.seq;
      if (seq !== undefined) logged.set(id, seq);
    }
    const counter = q.counter.get()?.seq;
    const first = (counter ?? 0) + 1;
    const accepted: StoredEvent[] = [];
    const outcomes: AppendOutcome[] = [];
    // Ids of this batch already accepted, by their index in `accepted`: a second copy is a duplicate of the first.
    const inBatch = new Map<string, number>();
    for (const e of events) {
      const row = rows.get(e.id);
      if (row) {
        outcomes.push({ status: 'duplicate', seq: row.seq, body: row.body });
        continue;
      }
      const seq = logged.get(e.id);
      if (seq !== undefined) {
        outcomes.push({ status: 'duplicate', seq, body: this.eventAt(seq, e.customerId).body });
        continue;
      }
      const earlier = inBatch.get(e.id);
      if (earlier !== undefined) {
        outcomes.push({ status: 'duplicate', seq: first + earlier, body: accepted[earlier].body });
        continue;
      }
      inBatch.set(e.id, accepted.length);
      accepted.push({ seq: first + accepted.length, id: e.id, customerId: e.customerId, kind: e.kind, time: e.time, receivedAt: e.receivedAt, body: e.body });
      outcomes.push({ status: 'accepted', seq: first + accepted.length - 1 });
    }
    if (accepted.length === 0) return outcomes;
    const last = first + accepted.length - 1;
    // Accepted ids get consecutive seqs in batch order: the array's index is the offset from `first`.
    if (!asJson) accepted.forEach((e, k) => q.insertId.run(e.id, first + k));
    else q.insertIds.run(first, accepted.length === events.length ? idsJson : JSON.stringify(accepted.map((e) => e.id)));
    q.insertSegment.run(first, last, accepted.length, encodeEventBlock(accepted, 1));
    if (counter === undefined) q.startCounter.run(last);
    else q.moveCounter.run(last);
    this.staged = accepted.length;
    return outcomes;
  }

  /**
   * After the transaction of `append` has committed (`ok`) or rolled back: counts what waits
   * unsealed and tells whether it is time to seal (`seal` in a transaction of its own).
   */
  settle(ok: boolean): boolean {
    const staged = this.staged;
    this.staged = 0;
    if (!ok || staged === 0) return false;
    if (this.sealingBlocked()) {
      // Counted again once the seeded history is written: its writer's segments are unsealed too.
      this.forget();
      this.bulkSinceCheckpoint = true;
      return false;
    }
    // Counted once (this append included), then kept up to date: while sealing is not blocked only this writer adds segments.
    this.unsealed = this.unsealed === undefined ? this.sql.countAfter.get(this.sql.sealedThrough.get()!.through_seq)!.n : this.unsealed + staged;
    this.bulkSinceCheckpoint = true;
    return this.unsealed >= this.options.sealAt;
  }

  /**
   * At a checkpoint: whether to seal what waits now. Only when no bulk append came since the
   * checkpoint before: the load has ended (a producer that did not say so, or a restart that
   * left segments unsealed). While a load runs, sealing at its checkpoints (every 30 s on a
   * server) would cut its runs into the few seconds between them: chunks of one or two events.
   */
  sealsAtCheckpoint(): boolean {
    const loadEnded = !this.bulkSinceCheckpoint;
    this.bulkSinceCheckpoint = false;
    return loadEnded && !this.sealingBlocked() && this.waiting();
  }

  /** The first seq of the first segment not sealed yet, or Infinity when every segment is sealed. */
  unsealedFrom(): number {
    return this.sql.segmentsAfter.get(this.sql.sealedThrough.get()!.through_seq, 1)?.first_seq ?? Number.POSITIVE_INFINITY;
  }

  /** Whether a seal may run now (see `sealingBlocked`). */
  maySeal(): boolean {
    return !this.sealingBlocked();
  }

  /** Forgets what this connection counted of the unsealed segments: they are counted again from the file. */
  forget(): void {
    this.unsealed = undefined;
  }

  /**
   * Writes events whose seqs the caller chose (a seeded history's, into the seqs it reserved,
   * decision 0021) as one segment with their ids; call inside a write transaction. The seqs must
   * be consecutive; the log's counter is moved past them when it stands below. The unsealed
   * segments are counted again from the file at the next seal: this connection did not stage them.
   * `block`: the events already encoded (`encodeSegment`), so that the transaction holds the write
   * lock only for the inserts.
   */
  writeAt(events: readonly StoredEvent[], block: Buffer = encodeSegment(events)): void {
    if (events.length === 0) return;
    const q = this.sql;
    const first = events[0].seq;
    events.forEach((e, k) => {
      checkShape(e);
      if (e.seq !== first + k) throw new TwinloopError('INTERNAL', `a segment's seqs must be consecutive: ${e.seq} follows ${first + k - 1}`);
    });
    const last = first + events.length - 1;
    const idsJson = JSON.stringify(events.map((e) => e.id));
    if (idsJson.includes('\\u')) events.forEach((e) => q.insertId.run(e.id, e.seq));
    else q.insertIds.run(first, idsJson);
    q.insertSegment.run(first, last, events.length, block);
    const counter = q.counter.get()?.seq;
    if (counter === undefined) q.startCounter.run(last);
    else if (counter < last) q.moveCounter.run(last);
    this.forget();
  }

  /** Whether any segment waits to be sealed (as this connection knows; a fresh one looks). */
  waiting(): boolean {
    // While a seeded history is written by another connection, a count taken now would be stale by its end.
    if (this.sealingBlocked()) {
      this.forget();
      return false;
    }
    this.unsealed ??= this.sql.countAfter.get(this.sql.sealedThrough.get()!.through_seq)!.n;
    return this.unsealed > 0;
  }

  /**
   * The next run to seal (decision 0027), or undefined when none is due: a run closes once it
   * holds `sealAt` events, so a seal an append asks for (at `sealAt` waiting) is one run of
   * everything that waits, and many waiting segments (a first start's history, a restart) are
   * sealed in runs of about `sealAt`. Fewer than `sealAt` waiting make a run only when `all` (the
   * load has ended): while a load runs they wait for more, so a run's chunks stay as large as a
   * seal at `sealAt` makes them. Counts what waits again from the file (appends may have come
   * between a seal's steps). Call outside any transaction; `sealStep` then encodes the run a
   * step at a time, holding no lock, and `commitSeal` writes it in a short transaction. Only
   * this writer adds segments, and always after the run: nothing of it changes meanwhile.
   */
  planRun(all: boolean): RunSeal | undefined {
    if (this.sealingBlocked()) {
      this.forget();
      return undefined;
    }
    const q = this.sql;
    const through = q.sealedThrough.get()!.through_seq;
    this.unsealed = q.countAfter.get(through)!.n;
    if (this.unsealed === 0 || (!all && this.unsealed < this.options.sealAt)) return undefined;
    const segments: SegmentMeta[] = [];
    let size = 0;
    for (const s of q.segmentsAfter.all(through, 1_000)) {
      if (size >= this.options.sealAt) break;
      segments.push(s);
      size += s.count;
    }
    return { segments, decoded: 0, byCustomer: new Map(), customers: undefined, encoded: 0, chunks: [] };
  }

  /**
   * One step of a run's seal: decodes the run's next segments, or encodes its next customers'
   * chunks, about `sealStepEvents` events either way (at least one segment or chunk); gives the
   * run encoded once its last step is done, undefined before. Between two steps the writer's
   * other requests (the live world's appends) are served: a seal of a first start's 8 million
   * events, done at once, held them for 7 minutes at load 20.
   */
  sealStep(run: RunSeal): SealedRun | undefined {
    const budget = this.options.sealStepEvents ?? DEFAULT_SEAL_STEP_EVENTS;
    let done = 0;
    if (run.decoded < run.segments.length) {
      while (run.decoded < run.segments.length && done < budget) {
        const s = run.segments[run.decoded++];
        // Segments are in seq order: each customer's list stays in seq order.
        for (const e of this.events(s, false)) {
          const list = run.byCustomer.get(e.customerId);
          if (list) list.push(e);
          else run.byCustomer.set(e.customerId, [e]);
        }
        done += s.count;
      }
      return undefined;
    }
    if (!run.customers) {
      run.customers = [...run.byCustomer];
      run.byCustomer.clear();
      if (!this.chunkDictionary) {
        const stored = this.sql.lastDictionary.get();
        // The store's first seal: its first customers' chunks are what later chunks look like.
        this.chunkDictionary = stored ? { id: stored.id, bytes: stored.data } : (run.newDictionary = blockDictionary(1, run.customers.map(([, list]) => list)));
      }
    }
    const dictionary = this.chunkDictionary;
    while (run.encoded < run.customers.length && done < budget) {
      const [customerId, list] = run.customers[run.encoded];
      // The decoded events go as soon as their chunk is made: the run's memory shrinks as it is encoded.
      run.customers[run.encoded++] = [customerId, []];
      run.chunks.push({ customerId, firstSeq: list[0].seq, lastSeq: list[list.length - 1].seq, data: encodeEventBlock(list, 1, dictionary) });
      done += list.length;
    }
    if (run.encoded < run.customers.length) return undefined;
    const first = run.segments[0];
    const last = run.segments[run.segments.length - 1];
    return {
      firstSeq: first.first_seq,
      lastSeq: last.last_seq,
      count: run.segments.reduce((n, s) => n + s.count, 0),
      chunks: run.chunks,
      ...(run.newDictionary && { newDictionary: run.newDictionary }),
    };
  }

  /**
   * Writes prepared runs (call inside a write transaction): each run's chunks, its row in
   * `event_runs`, its segments deleted (the chunks hold every event they held), the mark past them.
   */
  commitSeal(runs: readonly SealedRun[]): void {
    const q = this.sql;
    for (const run of runs) {
      if (run.newDictionary) q.insertDictionary.run(run.newDictionary.id, run.newDictionary.bytes);
      for (const c of run.chunks) q.insertChunk.run(c.customerId, c.firstSeq, c.lastSeq, c.data);
      q.insertRun.run(run.firstSeq, run.lastSeq, run.count);
      q.deleteSegments.run(run.firstSeq, run.lastSeq);
      q.setSealed.run(run.lastSeq);
      for (const key of [...this.decoded.keys()]) if (key >= run.firstSeq && key <= run.lastSeq) this.decoded.delete(key);
      if (this.unsealed !== undefined) this.unsealed = Math.max(0, this.unsealed - run.count);
    }
  }

  /** After a seal failed (its run's transaction rolled back, or a step threw): counted again, the dictionary looked for again. */
  sealFailed(): void {
    this.unsealed = undefined;
    // A dictionary made for the failed seal was not stored: the next seal looks again.
    this.chunkDictionary = undefined;
  }

  /**
   * Events of segments and sealed runs with seq > afterSeq in seq order, at most `limit`; call
   * inside a read transaction. Segments and runs hold disjoint seq ranges (rows of `events` may
   * fall between them and inside a run's range), so the next block is whichever starts first.
   */
  readLog(afterSeq: number, limit: number): StoredEvent[] {
    const q = this.sql;
    const out: StoredEvent[] = [];
    let cursor = afterSeq;
    while (out.length < limit) {
      const segment = next(q.segmentAt, (c) => q.segmentsAfter.get(c, 1), cursor);
      const run = next(q.runAt, (c) => q.runAfter.get(c), cursor);
      const block = !run || (segment && segment.first_seq < run.first_seq) ? segment : run;
      if (!block) break;
      const events = block === segment ? this.events(block) : (this.runHead(block, cursor, limit - out.length) ?? this.runEvents(block));
      // A segment's seqs have no gaps; a run's skip the rows between its segments.
      let i = block === segment ? Math.max(0, cursor - block.first_seq + 1) : firstAfter(events, cursor);
      while (i < events.length && out.length < limit) out.push(events[i++]);
      cursor = block.last_seq;
    }
    return out;
  }

  /**
   * The first `want` or more events of a sealed run in seq order, from the few chunks that can
   * hold them, for a read of a few events starting at the run (`RUN_HEAD_MAX`): a seq s of the run
   * lies in a chunk whose first seq is between the run's first seq and s, so the chunks starting
   * in [first, first + width) hold every event of the run below first + width (rows written
   * between its segments leave holes: the width grows until enough are found). Reading the log's
   * first event (where a churn model's training window starts) decoded the whole history's run:
   * 2.8 s of the model phase on a 9,600-twin store at load 25. Undefined: read the run whole.
   */
  private runHead(run: SegmentMeta, cursor: number, want: number): StoredEvent[] | undefined {
    if (this.decodedRun?.first === run.first_seq || cursor >= run.first_seq || want > RUN_HEAD_MAX) return undefined;
    for (let width = want; width <= RUN_HEAD_MAX * 64 && width < run.count; width *= 4) {
      const below = run.first_seq + width;
      const events: StoredEvent[] = [];
      for (const chunk of this.sql.runChunks.iterate(run.first_seq, below - 1)) {
        for (const e of decodeEventBlock(chunk.data, this.dictionaryOf)) if (e.seq < below) events.push(e);
      }
      if (events.length >= want) return events.sort((a, b) => a.seq - b.seq);
    }
    return undefined;
  }

  /** A sealed run's events in seq order, from every chunk of the run (the last run read is kept). */
  private runEvents(run: SegmentMeta): StoredEvent[] {
    if (this.decodedRun?.first === run.first_seq) return this.decodedRun.events;
    const slots: StoredEvent[] = new Array<StoredEvent>(run.last_seq - run.first_seq + 1);
    for (const chunk of this.sql.runChunks.iterate(run.first_seq, run.last_seq)) {
      for (const e of decodeEventBlock(chunk.data, this.dictionaryOf)) slots[e.seq - run.first_seq] = e;
    }
    // Holes are the seqs of rows written between the run's segments.
    const events = slots.filter((e) => e !== undefined);
    if (events.length !== run.count) throw new TwinloopError('INTERNAL', `the sealed run of seqs ${run.first_seq}..${run.last_seq} holds ${events.length} events in its chunks, not ${run.count}; the store file is damaged`);
    this.decodedRun = { first: run.first_seq, events };
    return events;
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
      for (const e of decodeEventBlock(chunk.data, this.dictionaryOf)) if (keep(e)) out.push(e);
      if (out.length >= limit) return out.slice(0, limit);
    }
    // Segments up to the sealed mark are in the chunks above; those after it are scanned.
    let from = q.sealedThrough.get()?.through_seq ?? 0;
    // Sealed since: their customers are in the chunks now.
    for (const first of this.members.keys()) if (first <= from) this.members.delete(first);
    for (;;) {
      const batch = q.segmentsAfter.all(from, 16);
      if (batch.length === 0) break;
      for (const s of batch) {
        from = s.first_seq;
        if (s.last_seq <= after) continue;
        if (this.members.get(s.first_seq)?.has(customerId) === false) continue;
        for (const e of this.events(s)) if (keep(e)) out.push(e);
        if (out.length >= limit) return out.slice(0, limit);
      }
    }
    return out;
  }

  /** Segments this connection decoded so far (for tests: what a read costs). */
  segmentsDecoded = 0;

  /** Highest seq of any segment or sealed run, 0 when there is none. */
  lastSeq(): number {
    return Math.max(this.sql.lastSegment.get()?.last_seq ?? 0, this.sql.lastRun.get()?.last_seq ?? 0);
  }

  /** Events held in segments and sealed runs. */
  count(): number {
    return this.sql.countAfter.get(0)!.n + this.sql.countRuns.get()!.n;
  }

  /** A segment's events, decoded once and kept for the next reads when `keep` (segments never change once written). */
  private events(s: SegmentMeta, keep = true): StoredEvent[] {
    const cached = this.decoded.get(s.first_seq);
    if (cached) return cached;
    const events = decodeEventBlock(this.sql.segmentData.get(s.first_seq)!.data, this.dictionaryOf);
    this.segmentsDecoded++;
    if (!this.members.has(s.first_seq)) this.members.set(s.first_seq, new Set(events.map((e) => e.customerId)));
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
    && Number.isFinite(e.time) && Number.isFinite(e.receivedAt);
  if (!ok) throw new TwinloopError('BAD_INPUT', `event ${String(e.id)}: id, customerId, kind and body must be text and time and receivedAt numbers`);
}

/**
 * The first block (segment or run) holding a seq after `cursor`: the one holding `cursor` itself
 * when it goes past it, else the first that starts after it.
 */
function next(at: Database.Statement<[number], SegmentMeta>, after: (cursor: number) => SegmentMeta | undefined, cursor: number): SegmentMeta | undefined {
  const holding = at.get(cursor);
  if (holding && holding.last_seq > cursor) return holding;
  return after(cursor);
}

/** Index of the first event with seq > `seq` in seq-ordered `events`. */
function firstAfter(events: readonly StoredEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].seq > seq) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
