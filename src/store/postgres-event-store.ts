import type pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import { partitionOf } from '../domain/partitions.js';
import { openPostgresConnection, type PostgresConnection, type PostgresOptions } from './postgres-connection.js';
import {
  checkPageSize,
  toStorableDeadLetter,
  refusedAfterFailedWrite,
  type AppendOptions,
  DEFAULT_DEAD_LETTER_PAGE_SIZE,
  DEFAULT_SNAPSHOT_PAGE_SIZE,
  type AppendOutcome,
  type Checkpoint,
  type HistorySnapshot,
  type LoggedCopy,
  type CustomerEventQuery,
  type DeadLetter,
  type EventStore,
  type NewDeadLetter,
  type NewEvent,
  type StoredEvent,
  type TwinSnapshot,
} from './event-store.js';
import { bigintArray, textArray } from './postgres-arrays.js';
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
  type SnapshotRow,
} from './event-rows.js';
import { StoreAdapter } from './store-adapter.js';

/** Connections per store: the one writer plus a few concurrent readers (HTTP, projections, checkpoints). */
const POOL_SIZE = 6;

/** Snapshots per upsert statement in `saveCheckpoint`: bounds one statement's parameters to a few MB. */
const SNAPSHOT_CHUNK = 1_000;

/** The engine keeps one checkpoint; the name column leaves room for more without a migration. */
const CHECKPOINT_NAME = 'engine';

/** Where the PostgreSQL store lives. */
export type PostgresEventStoreOptions = PostgresOptions;

// One history row per (customer, at); a repeat within one checkpoint keeps the last.
const UPSERT_HISTORY = `
  INSERT INTO twin_history (customer_id, at, seq, bytes)
  SELECT DISTINCT ON (customer_id, at) customer_id, at, seq, bytes
  FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[]) WITH ORDINALITY AS input(customer_id, at, seq, bytes, ord)
  ORDER BY customer_id, at, ord DESC
  ON CONFLICT (customer_id, at) DO UPDATE SET seq = excluded.seq, bytes = excluded.bytes`;

/** The columns a stored event is read from (`EventRow`), in the order of its mapper. */
export const EVENT_COLUMNS = 'seq, id, customer_id, kind, time, received_at, body';

// One statement per batch: arrays instead of 7 x 5,000 parameters. ORDER BY ord hands out the
// identity values in input order, so accepted seqs increase in the order the caller gave. The
// hash column (NOT NULL since the first migration) is written empty: the log keeps no hash
// (event-store.ts, StoredEvent.body).
const INSERT_EVENTS = `
  INSERT INTO events (id, customer_id, kind, time, received_at, body, hash, partition)
  SELECT id, customer_id, kind, time, received_at, body, '', partition
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::smallint[])
    WITH ORDINALITY AS input(id, customer_id, kind, time, received_at, body, partition, ord)
  ORDER BY ord
  ON CONFLICT (id) DO NOTHING
  RETURNING seq, id`;

const INSERT_DEAD_LETTERS = `
  INSERT INTO dead_letters (record, reason, at, source)
  SELECT record, reason, at, source
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY AS input(record, reason, at, source, ord)
  ORDER BY ord`;

const UPSERT_SNAPSHOTS = `
  INSERT INTO twin_snapshots (customer_id, bytes, seq)
  SELECT customer_id, bytes, seq FROM unnest($1::text[], $2::bytea[], $3::bigint[]) AS input(customer_id, bytes, seq)
  ON CONFLICT (customer_id) DO UPDATE SET bytes = excluded.bytes, seq = excluded.seq`;

// Commit order = seq order: every append takes this lock before its identity values are drawn and
// holds it until COMMIT, so no transaction can commit a lower seq after a higher one is visible.
const APPEND_LOCK = `SELECT pg_advisory_xact_lock(hashtext('twinloop.append.' || current_schema()))`;

/**
 * Seq visibility: PostgreSQL draws identity values before commit, so two writers committing
 * concurrently could expose seq 11 before seq 10, and a reader paging with `readLog(10, n)` would
 * skip 10 for good. This store rules that out twice: its own writes run one at a time (a promise
 * chain), and every append holds `APPEND_LOCK` (per schema) until it commits, so even a second
 * process writing to the same schema cannot interleave. Readers therefore never see a gap fill in.
 */
class PostgresEventStore extends StoreAdapter<PostgresConnection> implements EventStore {
  private writes: Promise<unknown> = Promise.resolve();
  /** The chain whose append failed last, and why (AppendOptions.chain); decided when its turn comes, so in order. */
  private broken: { chain: number; failure: unknown } | undefined;

  /** Runs write transactions one after another, whatever the callers' concurrency. */
  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => undefined);
    return next;
  }

  findExisting(ids: readonly string[]): Promise<Map<string, LoggedCopy>> {
    return this.db.run('findExisting', () => this.selectExisting(this.db.pool, ids));
  }

  private async selectExisting(
    db: pg.Pool | pg.PoolClient,
    ids: readonly string[],
  ): Promise<Map<string, LoggedCopy>> {
    const found = new Map<string, LoggedCopy>();
    if (ids.length === 0) return found;
    const { rows } = await db.query<{ id: string; seq: number; body: string }>(
      'SELECT id, seq, body FROM events WHERE id = ANY($1::text[])',
      [textArray(ids)],
    );
    for (const row of rows) found.set(row.id, { seq: row.seq, body: row.body });
    return found;
  }

  append(events: readonly NewEvent[], deadLetters: readonly NewDeadLetter[] = [], options: AppendOptions = {}): Promise<AppendOutcome[]> {
    const chain = options.chain;
    if (chain === undefined && events.length + deadLetters.length === 0) return this.db.run('append', async () => []);
    return this.db.run('append', () =>
      this.serialize(async () => {
        if (chain !== undefined && this.broken?.chain === chain) throw refusedAfterFailedWrite(this.broken.failure);
        if (events.length + deadLetters.length === 0) return [];
        try {
          return await this.db.transaction((client) => this.appendIn(client, events, deadLetters));
        } catch (failure) {
          if (chain !== undefined) this.broken = { chain, failure };
          throw failure;
        }
      }),
    );
  }

  private async appendIn(
    client: pg.PoolClient,
    events: readonly NewEvent[],
    deadLetters: readonly NewDeadLetter[],
  ): Promise<AppendOutcome[]> {
    await client.query(APPEND_LOCK);
    // Only the first copy of an id goes to the database; later copies are answered from it.
    const first = new Map<string, NewEvent>();
    for (const e of events) if (!first.has(e.id)) first.set(e.id, e);
    const unique = [...first.values()];
    const accepted = new Map<string, number>();
    if (unique.length > 0) {
      const { rows } = await client.query<{ seq: number; id: string }>(INSERT_EVENTS, [
        textArray(unique.map((e) => e.id)),
        textArray(unique.map((e) => e.customerId)),
        textArray(unique.map((e) => e.kind)),
        bigintArray(unique.map((e) => e.time)),
        bigintArray(unique.map((e) => e.receivedAt)),
        textArray(unique.map((e) => e.body)),
        // What a partition's next owner reads the log by (migration 16, decision 0012).
        bigintArray(unique.map((e) => partitionOf(e.customerId))),
      ]);
      for (const row of rows) accepted.set(row.id, row.seq);
    }
    const conflicted = unique.filter((e) => !accepted.has(e.id)).map((e) => e.id);
    // A fresh statement sees rows another writer committed while ours waited on the conflict.
    const stored = await this.selectExisting(client, conflicted);
    if (deadLetters.length > 0) await this.insertDeadLetters(client, deadLetters);

    const answered = new Set<string>();
    return events.map((e): AppendOutcome => {
      const seq = accepted.get(e.id);
      if (seq !== undefined) {
        if (!answered.has(e.id)) {
          answered.add(e.id);
          return { status: 'accepted', seq };
        }
        return { status: 'duplicate', seq, body: first.get(e.id)?.body ?? e.body };
      }
      const existing = stored.get(e.id);
      if (!existing) throw new TwinloopError('INTERNAL', `Event ${e.id} conflicted but cannot be found`);
      return { status: 'duplicate', seq: existing.seq, body: existing.body };
    });
  }

  private async insertDeadLetters(client: pg.PoolClient, given: readonly NewDeadLetter[]): Promise<void> {
    const letters = given.map(toStorableDeadLetter);
    await client.query(INSERT_DEAD_LETTERS, [
      textArray(letters.map((l) => l.record)),
      textArray(letters.map((l) => l.reason)),
      bigintArray(letters.map((l) => l.at)),
      textArray(letters.map((l) => l.source)),
    ]);
  }

  readLog(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return this.db.run('readLog', async () => {
      const { rows } = await this.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [afterSeq, limit],
      );
      return rows.map(toStoredEvent);
    });
  }

  readCustomer(customerId: string, query: CustomerEventQuery = {}): Promise<StoredEvent[]> {
    return this.db.run('readCustomer', async () => {
      // LIMIT NULL means no limit.
      const { rows } = await this.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE customer_id = $1 AND seq > $2 AND time <= $3 ORDER BY seq LIMIT $4`,
        [customerId, query.afterSeq ?? 0, query.untilTime ?? Number.MAX_SAFE_INTEGER, query.limit ?? null],
      );
      return rows.map(toStoredEvent);
    });
  }

  lastSeq(): Promise<number> {
    return this.db.run('lastSeq', async () => {
      const { rows } = await this.db.query<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events');
      return rows[0].seq;
    });
  }

  countEvents(): Promise<number> {
    return this.db.run('countEvents', async () => {
      const { rows } = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM events');
      return rows[0].n;
    });
  }

  addDeadLetters(letters: readonly NewDeadLetter[]): Promise<void> {
    if (letters.length === 0) return this.db.run('addDeadLetters', async () => undefined);
    return this.db.run('addDeadLetters', () => this.serialize(() => this.db.transaction((c) => this.insertDeadLetters(c, letters))));
  }

  listDeadLetters(query: { afterId?: number; limit?: number } = {}): Promise<DeadLetter[]> {
    return this.db.run('listDeadLetters', async () => {
      const { rows } = await this.db.query<DeadLetterRow>(
        'SELECT id, record, reason, at, source FROM dead_letters WHERE id > $1 ORDER BY id LIMIT $2',
        [query.afterId ?? 0, query.limit ?? DEFAULT_DEAD_LETTER_PAGE_SIZE],
      );
      return rows.map(toDeadLetter);
    });
  }

  countDeadLetters(): Promise<number> {
    return this.db.run('countDeadLetters', async () => {
      const { rows } = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM dead_letters');
      return rows[0].n;
    });
  }

  // A slice (`part`) is written as a whole checkpoint is: nothing here waits for the last one.
  saveCheckpoint(checkpoint: Checkpoint, twins: readonly TwinSnapshot[], history: readonly HistorySnapshot[] = []): Promise<void> {
    return this.db.run('saveCheckpoint', () =>
      this.db.transaction(async (client) => {
        for (let i = 0; i < history.length; i += SNAPSHOT_CHUNK) {
          const chunk = history.slice(i, i + SNAPSHOT_CHUNK);
          await client.query(UPSERT_HISTORY, [
            textArray(chunk.map((h) => h.customerId)),
            bigintArray(chunk.map((h) => h.at)),
            bigintArray(chunk.map((h) => h.seq)),
            chunk.map((h) => toBuffer(h.bytes)),
          ]);
        }
        // One upsert statement may not touch a row twice, so a repeated customer keeps its last snapshot.
        const latest = new Map<string, TwinSnapshot>();
        for (const t of twins) latest.set(t.customerId, t);
        const all = [...latest.values()];
        for (let i = 0; i < all.length; i += SNAPSHOT_CHUNK) {
          const chunk = all.slice(i, i + SNAPSHOT_CHUNK);
          await client.query(UPSERT_SNAPSHOTS, [
            textArray(chunk.map((t) => t.customerId)),
            chunk.map((t) => toBuffer(t.bytes)),
            `{${chunk.map((t) => t.seq ?? 'NULL').join(',')}}`,
          ]);
        }
        await client.query(
          `INSERT INTO checkpoints (name, seq, meta) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, meta = excluded.meta`,
          [CHECKPOINT_NAME, checkpoint.seq, checkpoint.meta],
        );
      }),
    );
  }

  /** Every event is a row indexed as it is written: nothing to organise after a load. */
  bulkLoadEnded(): Promise<void> {
    return Promise.resolve();
  }

  loadHistorySnapshot(customerId: string, atOrBefore: number): Promise<HistorySnapshot | null> {
    return this.db.run('loadHistorySnapshot', async () => {
      const { rows } = await this.db.query<HistoryRow>(
        'SELECT customer_id, at, seq, bytes FROM twin_history WHERE customer_id = $1 AND at <= $2 ORDER BY at DESC LIMIT 1',
        [customerId, atOrBefore],
      );
      return rows.length > 0 ? toHistorySnapshot(rows[0]) : null;
    });
  }

  loadCheckpoint(): Promise<Checkpoint | null> {
    return this.db.run('loadCheckpoint', async () => {
      const { rows } = await this.db.query<CheckpointRow>('SELECT seq, meta FROM checkpoints WHERE name = $1', [CHECKPOINT_NAME]);
      return rows.length > 0 ? toCheckpoint(rows[0]) : null;
    });
  }

  async *loadSnapshots(pageSize: number = DEFAULT_SNAPSHOT_PAGE_SIZE): AsyncGenerator<TwinSnapshot[]> {
    checkPageSize(pageSize);
    // Keyset paging: each page starts after the last id seen, so writes between pages cannot shift it.
    let after: string | null = null;
    while (true) {
      const { rows } = await this.db.run('loadSnapshots', () =>
        this.db.query<SnapshotRow>(
          `SELECT customer_id, bytes, seq FROM twin_snapshots WHERE $1::text IS NULL OR customer_id > $1
           ORDER BY customer_id LIMIT $2`,
          [after, pageSize],
        ),
      );
      if (rows.length === 0) return;
      yield rows.map(toSnapshot);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1].customer_id;
    }
  }

  loadSnapshot(customerId: string): Promise<TwinSnapshot | null> {
    return this.db.run('loadSnapshot', async () => {
      const { rows } = await this.db.query<SnapshotRow>(
        'SELECT customer_id, bytes, seq FROM twin_snapshots WHERE customer_id = $1',
        [customerId],
      );
      return rows.length > 0 ? toSnapshot(rows[0]) : null;
    });
  }

  override close(): Promise<void> {
    // Writes already queued finish before the connections go.
    return this.db.close(() => this.writes);
  }
}

/**
 * The PostgreSQL event store, connecting lazily from `url`. With `schema`, every pooled connection
 * works in that schema (created by `migrate()`), which lets tests and tenants isolate themselves.
 * Call `migrate()` before use (or use `openEventStore`, which does).
 */
export function createPostgresEventStore(options: PostgresEventStoreOptions): EventStore {
  return new PostgresEventStore(openPostgresConnection('event store', options, POOL_SIZE));
}
