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
