import type Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';

/**
 * The SQLite schema, as an ordered list of versioned steps, and how they are applied. Append new
 * versions at the end and never edit a released one: each applied version is recorded in
 * `schema_migrations`.
 */

/** One schema version: its statements run in one transaction together with its bookkeeping row. */
export interface SqliteMigration {
  version: number;
  name: string;
  steps: readonly string[];
}

/** Bookkeeping table, created before anything else so the applied versions can be read. */
export const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** Every schema version in order. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'event log, dead letters, twin checkpoints',
    steps: [
      // AUTOINCREMENT so a seq is never handed out twice, even if the newest events are ever deleted.
      `CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        time INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        body TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX events_customer_seq ON events (customer_id, seq)`,
      `CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record TEXT NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL,
        source TEXT NOT NULL
      )`,
      // NOT NULL spelled out: SQLite lets a non-integer PRIMARY KEY hold NULL otherwise.
      `CREATE TABLE twin_snapshots (
        customer_id TEXT NOT NULL PRIMARY KEY,
        bytes BLOB NOT NULL
      )`,
      `CREATE TABLE checkpoints (
        name TEXT NOT NULL PRIMARY KEY,
        seq INTEGER NOT NULL,
        meta TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'twin history snapshots',
    steps: [
      `CREATE TABLE twin_history (
        customer_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (customer_id, at)
      ) WITHOUT ROWID`,
    ],
  },
  {
    version: 3,
    name: 'model registry and drift alerts',
    steps: [
      `CREATE TABLE model_versions (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('champion', 'challenger', 'retired')),
        created_at INTEGER NOT NULL,
        metadata TEXT NOT NULL,
        document TEXT NOT NULL,
        UNIQUE (name, version)
      )`,
      // The database itself guarantees at most one champion per model name.
      `CREATE UNIQUE INDEX model_versions_one_champion ON model_versions (name) WHERE status = 'champion'`,
      `CREATE TABLE model_drift_alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        model_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        subject TEXT NOT NULL,
        psi REAL NOT NULL,
        threshold REAL NOT NULL,
        message TEXT NOT NULL
      )`,
      `CREATE INDEX model_drift_alerts_model ON model_drift_alerts (model_id, id)`,
    ],
  },
  {
    version: 4,
    name: 'record store and decision log',
    steps: [
      // Documents by collection and id (offers, simulation runs, intents…); body is JSON text, kept exact.
      `CREATE TABLE records (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (collection, id)
      ) WITHOUT ROWID`,
      // Append-only next-best-action log; the outcome columns are filled once, later.
      `CREATE TABLE decision_log (
        decision_id TEXT NOT NULL PRIMARY KEY,
        customer_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        reason TEXT,
        context_key TEXT NOT NULL,
        candidates TEXT NOT NULL,
        chosen TEXT NOT NULL,
        propensity REAL NOT NULL,
        outcome_accepted INTEGER,
        outcome_reward REAL,
        outcome_at INTEGER
      )`,
      `CREATE INDEX decision_log_at ON decision_log (at, decision_id)`,
      `CREATE INDEX decision_log_customer_at ON decision_log (customer_id, at, decision_id)`,
    ],
  },
  {
    version: 5,
    name: 'governance: audit trail, approvals, budget spending',
    steps: [
      // seq is assigned by the appender from audit_head (not AUTOINCREMENT) so it stays gap-free;
      // entry is JSON text kept exact, since the hash covers it.
      `CREATE TABLE audit_log (
        seq INTEGER NOT NULL PRIMARY KEY,
        at INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        entry TEXT NOT NULL
      )`,
      // One row: the newest seq and hash. Appenders lock it, and verify compares the log's tail with it.
      `CREATE TABLE audit_head (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
      )`,
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')`,
      `CREATE TABLE approvals (
        id TEXT NOT NULL PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_by TEXT,
        decided_at INTEGER,
        reason TEXT,
        payload TEXT NOT NULL
      )`,
      `CREATE INDEX approvals_status ON approvals (status, created_at, id)`,
      `CREATE TABLE budget_spend (
        period_key TEXT NOT NULL,
        scope TEXT NOT NULL,
        reserved REAL NOT NULL,
        committed REAL NOT NULL,
        PRIMARY KEY (period_key, scope)
      ) WITHOUT ROWID`,
    ],
  },
  {
    version: 6,
    name: 'workflow journal: runs, steps, signals',
    steps: [
      // wake_at is NULL once a run is finished, so the runnable index holds only live runs.
      `CREATE TABLE workflow_runs (
        id TEXT NOT NULL PRIMARY KEY,
        definition_id TEXT NOT NULL,
        definition_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'waiting', 'compensating', 'succeeded', 'failed')),
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        parent_id TEXT,
        wake_at INTEGER,
        lease_owner TEXT,
        lease_until INTEGER,
        -- 1 when a signal or a finished child arrived while the run was leased: its suspension then wakes at once.
        nudged INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX workflow_runs_runnable ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL`,
      `CREATE INDEX workflow_runs_parent ON workflow_runs (parent_id) WHERE parent_id IS NOT NULL`,
      `CREATE INDEX workflow_runs_definition ON workflow_runs (definition_id, created_at)`,
      `CREATE TABLE workflow_steps (
        run_id TEXT NOT NULL,
        step_key TEXT NOT NULL,
        step_id TEXT NOT NULL,
        step_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('started', 'retrying', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL,
        output TEXT,
        error TEXT,
        due_at INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, step_key)
      ) WITHOUT ROWID`,
      `CREATE TABLE workflow_signals (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
      ) WITHOUT ROWID`,
    ],
  },
];

/** Fails fast on a list that is not strictly ordered: a mistake there would corrupt upgrades. */
function latestVersion(migrations: readonly SqliteMigration[]): number {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new TwinloopError('INTERNAL', `SQLite migration ${m.version} is out of order; versions must increase from 1`);
    }
    previous = m.version;
  }
  return previous;
}

/**
 * Applies the missing migrations in one IMMEDIATE transaction (a second process waits instead of
 * racing), refusing a database written by a newer Twinloop. `dataDir` names the store in messages.
 */
export function applySqliteMigrations(db: Database.Database, dataDir: string): void {
  const latest = latestVersion(SQLITE_MIGRATIONS);
  db.exec(SQLITE_MIGRATIONS_TABLE);
  db.transaction(() => {
    const rows = db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all();
    const applied = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new TwinloopError(
        'CONFLICT',
        `The event store in ${dataDir} is at schema version ${newest}, newer than this Twinloop knows (${latest}); upgrade Twinloop`,
      );
    }
    const record = db.prepare<[number, string, number]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of SQLITE_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      for (const step of m.steps) db.exec(step);
      record.run(m.version, m.name, Date.now());
    }
  }).immediate();
}
