import { TwinloopError } from '../domain/errors.js';
import { PARTITION_COUNT } from '../domain/partitions.js';

/**
 * The store's schema, one ordered list of versions for both databases, and the part of applying
 * it that does not depend on the database. A table is written once, with the few words where
 * SQLite and PostgreSQL differ taken from a `SqlDialect`. Append new versions at the end and never
 * edit a released one: each applied version is recorded in `schema_migrations` by its number,
 * and databases migrated by earlier releases are recognised by those numbers.
 */

/** The SQL words in which SQLite and PostgreSQL differ; everything else in a migration is written once. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** A primary key numbered by the database that never hands out a value twice, even after deletes. */
  readonly serialKey: string;
  /** A 64-bit integer: seqs and millisecond times. */
  readonly int64: string;
  /** A text key (ids, names) that compares and orders as bytes, whatever the database's locale. */
  readonly key: string;
  /** Binary data (twin snapshots). */
  readonly bytes: string;
  /** A double (scores, amounts), kept to the bit. */
  readonly double: string;
  /** A true/false column. */
  readonly boolean: string;
  /** What follows the closing parenthesis of a table that is only ever reached through its primary key. */
  readonly keyedTable: string;
}

/** SQLite's words: its INTEGER is 64-bit, TEXT compares as bytes by default, and it has no boolean. */
export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  // AUTOINCREMENT so a number is never handed out twice, even if the newest rows are ever deleted.
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  int64: 'INTEGER',
  key: 'TEXT',
  bytes: 'BLOB',
  double: 'REAL',
  boolean: 'INTEGER',
  // The rows live in the primary key's B-tree instead of beside a hidden rowid.
  keyedTable: ' WITHOUT ROWID',
};

/** PostgreSQL's words. Statements are unqualified: they land in the schema the connection's `search_path` names. */
export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  serialKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  int64: 'BIGINT',
  // COLLATE "C": keys compare as bytes, which is faster for the unique indexes and orders them the
  // same way SQLite does, whatever the database's locale.
  key: 'TEXT COLLATE "C"',
  bytes: 'BYTEA',
  double: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  keyedTable: '',
};

/** One schema version: its statements run in one transaction together with its bookkeeping row. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly steps: (d: SqlDialect) => readonly string[];
}

/** Bookkeeping table, created before anything else so the applied versions can be read. */
export function migrationsTable(d: SqlDialect): string {
  return `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at ${d.int64} NOT NULL
)`;
}

/** Every schema version in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'event log, dead letters, twin checkpoints',
    steps: (d) => [
      `CREATE TABLE events (
        seq ${d.serialKey},
        id ${d.key} NOT NULL UNIQUE,
        customer_id ${d.key} NOT NULL,
        kind TEXT NOT NULL,
        time ${d.int64} NOT NULL,
        received_at ${d.int64} NOT NULL,
        body TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX events_customer_seq ON events (customer_id, seq)`,
      `CREATE TABLE dead_letters (
        id ${d.serialKey},
        record TEXT NOT NULL,
        reason TEXT NOT NULL,
        at ${d.int64} NOT NULL,
        source TEXT NOT NULL
      )`,
      // NOT NULL spelled out on text primary keys: SQLite lets a non-integer PRIMARY KEY hold NULL otherwise.
      `CREATE TABLE twin_snapshots (
        customer_id ${d.key} NOT NULL PRIMARY KEY,
        bytes ${d.bytes} NOT NULL
      )`,
      `CREATE TABLE checkpoints (
        name TEXT NOT NULL PRIMARY KEY,
        seq ${d.int64} NOT NULL,
        meta TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'twin history snapshots',
    steps: (d) => [
      `CREATE TABLE twin_history (
        customer_id ${d.key} NOT NULL,
        at ${d.int64} NOT NULL,
        seq ${d.int64} NOT NULL,
        bytes ${d.bytes} NOT NULL,
        PRIMARY KEY (customer_id, at)
      )${d.keyedTable}`,
    ],
  },
  {
    version: 3,
    name: 'model registry and drift alerts',
    steps: (d) => [
      `CREATE TABLE model_versions (
        id ${d.key} NOT NULL PRIMARY KEY,
        name ${d.key} NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('champion', 'challenger', 'retired')),
        created_at ${d.int64} NOT NULL,
        metadata TEXT NOT NULL,
        document TEXT NOT NULL,
        UNIQUE (name, version)
      )`,
      // The database itself guarantees at most one champion per model name.
      `CREATE UNIQUE INDEX model_versions_one_champion ON model_versions (name) WHERE status = 'champion'`,
      `CREATE TABLE model_drift_alerts (
        id ${d.serialKey},
        model_id ${d.key} NOT NULL,
        at ${d.int64} NOT NULL,
        subject TEXT NOT NULL,
        psi ${d.double} NOT NULL,
        threshold ${d.double} NOT NULL,
        message TEXT NOT NULL
      )`,
      `CREATE INDEX model_drift_alerts_model ON model_drift_alerts (model_id, id)`,
    ],
  },
  {
    version: 4,
    name: 'record store and decision log',
    steps: (d) => [
      // Documents by collection and id (offers, simulation runs, intents…); body is JSON text
      // (not JSONB, which reorders keys), so it comes back exactly as written.
      `CREATE TABLE records (
        collection ${d.key} NOT NULL,
        id ${d.key} NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at ${d.int64} NOT NULL,
        updated_at ${d.int64} NOT NULL,
        PRIMARY KEY (collection, id)
      )${d.keyedTable}`,
      // Append-only next-best-action log; the outcome columns are filled once, later.
      `CREATE TABLE decision_log (
        decision_id ${d.key} NOT NULL PRIMARY KEY,
        customer_id ${d.key} NOT NULL,
        at ${d.int64} NOT NULL,
        channel TEXT NOT NULL,
        reason TEXT,
        context_key TEXT NOT NULL,
        candidates TEXT NOT NULL,
        chosen TEXT NOT NULL,
        propensity ${d.double} NOT NULL,
        outcome_accepted ${d.boolean},
        outcome_reward ${d.double},
        outcome_at ${d.int64}
      )`,
      `CREATE INDEX decision_log_at ON decision_log (at, decision_id)`,
      `CREATE INDEX decision_log_customer_at ON decision_log (customer_id, at, decision_id)`,
    ],
  },
  {
    version: 5,
    name: 'governance: audit trail, approvals, budget spending',
    steps: (d) => [
      // seq is assigned by the appender from audit_head (not numbered by the database) so it stays
      // gap-free; entry is JSON text kept exact, since the hash covers it.
      `CREATE TABLE audit_log (
        seq ${d.int64} NOT NULL PRIMARY KEY,
        at ${d.int64} NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        entry TEXT NOT NULL
      )`,
      // One row: the newest seq and hash. Appenders lock it, and verify compares the log's tail with it.
      `CREATE TABLE audit_head (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        seq ${d.int64} NOT NULL,
        hash TEXT NOT NULL
      )`,
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')`,
      `CREATE TABLE approvals (
        id ${d.key} NOT NULL PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        created_at ${d.int64} NOT NULL,
        expires_at ${d.int64} NOT NULL,
        decided_by TEXT,
        decided_at ${d.int64},
        reason TEXT,
        payload TEXT NOT NULL
      )`,
      `CREATE INDEX approvals_status ON approvals (status, created_at, id)`,
      `CREATE TABLE budget_spend (
        period_key ${d.key} NOT NULL,
        scope ${d.key} NOT NULL,
        reserved ${d.double} NOT NULL,
        committed ${d.double} NOT NULL,
        PRIMARY KEY (period_key, scope)
      )${d.keyedTable}`,
    ],
  },
  {
    version: 6,
    name: 'workflow journal: runs, steps, signals',
    steps: (d) => [
      // wake_at is NULL once a run is finished, so the runnable index holds only live runs.
      `CREATE TABLE workflow_runs (
        id ${d.key} NOT NULL PRIMARY KEY,
        definition_id ${d.key} NOT NULL,
        definition_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'waiting', 'compensating', 'succeeded', 'failed')),
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        parent_id ${d.key},
        wake_at ${d.int64},
        lease_owner TEXT,
        lease_until ${d.int64},
        -- 1 when a signal or a finished child arrived while the run was leased: its suspension then wakes at once.
        nudged INTEGER NOT NULL DEFAULT 0,
        created_at ${d.int64} NOT NULL,
        updated_at ${d.int64} NOT NULL
      )`,
      `CREATE INDEX workflow_runs_runnable ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL`,
      `CREATE INDEX workflow_runs_parent ON workflow_runs (parent_id) WHERE parent_id IS NOT NULL`,
      `CREATE INDEX workflow_runs_definition ON workflow_runs (definition_id, created_at)`,
      `CREATE TABLE workflow_steps (
        run_id ${d.key} NOT NULL,
        step_key ${d.key} NOT NULL,
        step_id TEXT NOT NULL,
        step_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('started', 'retrying', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL,
        output TEXT,
        error TEXT,
        due_at ${d.int64},
        updated_at ${d.int64} NOT NULL,
        PRIMARY KEY (run_id, step_key)
      )${d.keyedTable}`,
      `CREATE TABLE workflow_signals (
        run_id ${d.key} NOT NULL,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        at ${d.int64} NOT NULL,
        PRIMARY KEY (run_id, name)
      )${d.keyedTable}`,
    ],
  },
  {
    version: 7,
    name: 'decision log: what came of a decision (result) and the request that carried it out',
    steps: () => [`ALTER TABLE decision_log ADD COLUMN outcome_result TEXT`, `ALTER TABLE decision_log ADD COLUMN outcome_request_id TEXT`],
  },
  {
    version: 8,
    name: 'budget bookings: which request holds a reservation or a charge, so a repeat after a crash is charged once',
    steps: (d) => [
      // A row per request id while its budget is reserved or committed; a release deletes it.
      `CREATE TABLE budget_bookings (
        booking ${d.key} NOT NULL PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('reserved', 'committed'))
      )${d.keyedTable}`,
    ],
  },
  {
    version: 9,
    name: 'segment log for bulk history (embedded store only; PostgreSQL keeps a row per event)',
    // Decision 0013. PostgreSQL records the version and creates nothing: its adapter writes rows.
    steps: (d) => (d.name !== 'sqlite' ? [] : [
      // One row per bulk batch: its events' columns in one deflated block, seqs first_seq..last_seq without gaps.
      `CREATE TABLE event_segments (
        first_seq INTEGER NOT NULL PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        data BLOB NOT NULL
      )`,
      // The ids of the events in segments, unique like events.id (an id is never in both).
      `CREATE TABLE event_ids (
        id TEXT NOT NULL PRIMARY KEY,
        seq INTEGER NOT NULL
      ) WITHOUT ROWID`,
      // One customer's events of a sealed run of segments, in one block: what a customer's reads use.
      `CREATE TABLE event_chunks (
        customer_id TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (customer_id, first_seq)
      )`,
      // The first seq of the last sealed segment: later segments are not in event_chunks yet.
      `CREATE TABLE event_seal (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        through_seq INTEGER NOT NULL
      )`,
      `INSERT INTO event_seal (id, through_seq) VALUES (1, 0)`,
    ]),
  },
  {
    version: 10,
    name: 'partition owners: which worker holds each partition of the customers, for routing (PostgreSQL only)',
    // Decision 0012. The lease itself is an advisory lock; this row says where its holder answers.
    // SQLite records the version and creates nothing: the embedded store is one process.
    steps: (d) => (d.name === 'sqlite' ? [] : [
      `CREATE TABLE partition_owners (
        partition INTEGER NOT NULL PRIMARY KEY,
        worker_id ${d.key} NOT NULL,
        url TEXT NOT NULL,
        since BIGINT NOT NULL
      )`,
    ]),
  },
  {
    version: 11,
    name: 'model drift checks: the PSI of the score and features of the serving model at each check (drift over time)',
    steps: (d) => [
      `CREATE TABLE model_drift_checks (
        id ${d.serialKey},
        model_id ${d.key} NOT NULL,
        at ${d.int64} NOT NULL,
        population INTEGER NOT NULL,
        score_psi ${d.double} NOT NULL,
        features TEXT NOT NULL
      )`,
      `CREATE INDEX model_drift_checks_model ON model_drift_checks (model_id, id)`,
    ],
  },
  {
    version: 12,
    name: 'sealed runs of the segment log: a run read from its chunks once its segments are dropped (embedded store only)',
    // Decision 0013. PostgreSQL records the version and creates nothing: its adapter writes rows.
    steps: (d) => (d.name !== 'sqlite' ? [] : [
      // One row per sealed run of segments: its seqs are in event_chunks (and rows of events), its segments are gone.
      `CREATE TABLE event_runs (
        first_seq INTEGER NOT NULL PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL
      )`,
      // A run's chunks by seq, for reading the log in seq order (a chunk's first seq lies in its run).
      `CREATE INDEX event_chunks_seq ON event_chunks (first_seq)`,
    ]),
  },
  {
    version: 13,
    name: 'preset dictionaries of the chunks of the segment log (embedded store only)',
    // Decision 0013. PostgreSQL records the version and creates nothing: its adapter writes rows.
    steps: (d) => (d.name !== 'sqlite' ? [] : [
      // A chunk whose block header names a dictionary is inflated with that one; never changed once written.
      `CREATE TABLE event_dictionaries (
        id INTEGER NOT NULL PRIMARY KEY,
        data BLOB NOT NULL
      )`,
    ]),
  },
  {
    version: 14,
    name: 'workflow journal compaction: when the step records of a finished run were dropped',
    steps: (d) => [
      // NULL until the run is compacted (finished longer ago than the retention; its kept steps stay).
      `ALTER TABLE workflow_runs ADD COLUMN compacted_at ${d.int64}`,
      // Finished runs not compacted yet, oldest first: what a compaction pass reads.
      `CREATE INDEX workflow_runs_compactable ON workflow_runs (updated_at) WHERE wake_at IS NULL AND compacted_at IS NULL`,
    ],
  },
  {
    version: 15,
    name: 'partition checkpoints: the log position of each partition, its twins and the names behind their hashes (PostgreSQL only)',
    // Decision 0012: the next owner of a partition restores these and replays only the log after the position.
    // SQLite records the version and creates nothing: the embedded store is one process.
    steps: (d) => (d.name === 'sqlite' ? [] : [
      `CREATE TABLE partition_checkpoints (
        partition INTEGER NOT NULL PRIMARY KEY,
        seq ${d.int64} NOT NULL,
        at ${d.int64} NOT NULL
      )`,
      `CREATE TABLE partition_snapshots (
        partition INTEGER NOT NULL,
        customer_id ${d.key} NOT NULL,
        bytes ${d.bytes} NOT NULL,
        PRIMARY KEY (partition, customer_id)
      )`,
      `CREATE TABLE twin_names (
        kind TEXT NOT NULL,
        hash ${d.int64} NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (kind, hash)
      )`,
    ]),
  },
  {
    version: 16,
    name: 'the log by partition: the partition of every event and an index on (partition, seq) (PostgreSQL only)',
    // Decision 0012: a partition's new owner reads only its partitions' events after their checkpoints,
    // not the whole log's tail. The adapter writes each new event's partition (domain/partitions.ts);
    // rows written before this version get theirs from the same hash in SQL, used once and dropped.
    // SQLite records the version and creates nothing: the embedded store is one process.
    steps: (d) => (d.name === 'sqlite' ? [] : [
      PARTITION_OF_SQL,
      `ALTER TABLE events ADD COLUMN partition SMALLINT`,
      `UPDATE events SET partition = twinloop_partition_of(customer_id, ${PARTITION_COUNT})`,
      `ALTER TABLE events ALTER COLUMN partition SET NOT NULL`,
      `CREATE INDEX events_partition_seq ON events (partition, seq)`,
      `DROP FUNCTION twinloop_partition_of(text, integer)`,
    ]),
  },
  {
    version: 17,
    name: 'the log position of each twin snapshot written by a sliced checkpoint',
    // A checkpoint of many twins is written in slices, each its own short transaction taken at the
    // log position of its moment (twin-service.ts): a snapshot newer than the checkpoint in force
    // records its seq, and recovery skips its customer's events up to it. NULL: the checkpoint's.
    steps: (d) => [`ALTER TABLE twin_snapshots ADD COLUMN seq ${d.int64}`],
  },
  {
    version: 18,
    name: 'a history taken from its seed first and written behind (embedded store only)',
    // Decision 0021: the first start's history is applied from memory and written into the seqs
    // it reserved; this one row says what regenerates it and how far it is written. PostgreSQL
    // records the version and creates nothing: it keeps today's path.
    steps: (d) => (d.name !== 'sqlite' ? [] : [
      `CREATE TABLE seeded_history (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        descriptor TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER,
        received_at INTEGER NOT NULL,
        dead_letters_before INTEGER NOT NULL,
        skipped TEXT NOT NULL,
        block_hashes TEXT NOT NULL,
        written_through INTEGER NOT NULL
      )`,
    ]),
  },
  {
    version: 19,
    name: 'audit facts: the one audit entry written for a fact, so a repeat after a crash or a race writes none more',
    steps: (d) => [
      // A row per fact that has its entry (an offer's settlement, a late acceptance's booking):
      // inserted in the append's transaction, so a second append of the fact finds it and adds nothing.
      `CREATE TABLE audit_facts (
        fact ${d.key} NOT NULL PRIMARY KEY,
        seq ${d.int64} NOT NULL
      )${d.keyedTable}`,
    ],
  },
];

/**
 * `partitionOf` (domain/partitions.ts: FNV-1a of the id's UTF-16 code units, modulo the count) in
 * SQL, for the rows migration 16 finds; `postgres-event-store.test.ts` checks it against the
 * TypeScript on ids of every width. Exported for that test only.
 */
export const PARTITION_OF_SQL = `CREATE FUNCTION twinloop_partition_of(id text, partitions integer) RETURNS smallint
  LANGUAGE plpgsql IMMUTABLE STRICT AS $$
  DECLARE
    h bigint := 2166136261;
    cp integer;
  BEGIN
    FOR i IN 1 .. length(id) LOOP
      cp := ascii(substr(id, i, 1));
      IF cp > 65535 THEN
        -- Past the BMP a character is two UTF-16 code units: its surrogate pair.
        h := ((h # (55296 + ((cp - 65536) >> 10))) * 16777619) & 4294967295;
        h := ((h # (56320 + ((cp - 65536) & 1023))) * 16777619) & 4294967295;
      ELSE
        h := ((h # cp) * 16777619) & 4294967295;
      END IF;
    END LOOP;
    RETURN h % partitions;
  END $$`;

/** Fails fast on a list that is not strictly ordered: a mistake there would corrupt upgrades. */
function latestVersion(migrations: readonly Migration[]): number {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new TwinloopError('INTERNAL', `Migration ${m.version} is out of order; versions must increase from 1`);
    }
    previous = m.version;
  }
  return previous;
}

/**
 * The migrations a database still needs, in order, given the versions its `schema_migrations`
 * holds. A database written by a newer Twinloop (a version past the newest known) is CONFLICT:
 * this release cannot know what that version changed. `where` names the database in messages.
 */
export function pendingMigrations(applied: readonly number[], where: string, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  const latest = latestVersion(migrations);
  const newest = Math.max(0, ...applied);
  if (newest > latest) {
    throw new TwinloopError('CONFLICT', `The database ${where} is at schema version ${newest}, newer than this Twinloop knows (${latest}); upgrade Twinloop`);
  }
  const done = new Set(applied);
  return migrations.filter((m) => !done.has(m.version));
}
