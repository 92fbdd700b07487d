/**
 * The SQLite schema, as an ordered list of versioned steps. Append new versions at the end and never
 * edit a released one: `migrate()` records each applied version in `schema_migrations`.
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
];
