/**
 * The PostgreSQL schema, as an ordered list of versioned steps. Append new versions at the end and
 * never edit a released one: `migrate()` records each applied version in `schema_migrations`.
 * Statements are unqualified: they land in the schema the store's `search_path` names.
 */

/** One schema version: its statements run in the migration transaction together with its bookkeeping row. */
export interface PostgresMigration {
  version: number;
  name: string;
  steps: readonly string[];
}

/** Bookkeeping table, created before anything else so the applied versions can be read. */
export const POSTGRES_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Every schema version in order. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'event log, dead letters, twin checkpoints',
    steps: [
      // COLLATE "C": ids compare as bytes, which is faster for the unique index and orders keys the
      // same way SQLite does, whatever the database's locale.
      `CREATE TABLE events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        customer_id TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        time BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        body TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX events_customer_seq ON events (customer_id, seq)`,
      `CREATE TABLE dead_letters (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        record TEXT NOT NULL,
        reason TEXT NOT NULL,
        at BIGINT NOT NULL,
        source TEXT NOT NULL
      )`,
      `CREATE TABLE twin_snapshots (
        customer_id TEXT COLLATE "C" PRIMARY KEY,
        bytes BYTEA NOT NULL
      )`,
      `CREATE TABLE checkpoints (
        name TEXT PRIMARY KEY,
        seq BIGINT NOT NULL,
        meta TEXT NOT NULL
      )`,
    ],
  },
];
