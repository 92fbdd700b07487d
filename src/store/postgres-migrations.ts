import type pg from 'pg';
import { TwinloopError } from '../domain/errors.js';

/**
 * The PostgreSQL schema, as an ordered list of versioned steps, and how they are applied. Append
 * new versions at the end and never edit a released one: each applied version is recorded in
 * `schema_migrations`.
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
  {
    version: 2,
    name: 'twin history snapshots',
    steps: [
      `CREATE TABLE twin_history (
        customer_id TEXT COLLATE "C" NOT NULL,
        at BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        bytes BYTEA NOT NULL,
        PRIMARY KEY (customer_id, at)
      )`,
    ],
  },
  {
    version: 3,
    name: 'model registry and drift alerts',
    steps: [
      `CREATE TABLE model_versions (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('champion', 'challenger', 'retired')),
        created_at BIGINT NOT NULL,
        metadata TEXT NOT NULL,
        document TEXT NOT NULL,
        UNIQUE (name, version)
      )`,
      // The database itself guarantees at most one champion per model name.
      `CREATE UNIQUE INDEX model_versions_one_champion ON model_versions (name) WHERE status = 'champion'`,
      `CREATE TABLE model_drift_alerts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        model_id TEXT COLLATE "C" NOT NULL,
        at BIGINT NOT NULL,
        subject TEXT NOT NULL,
        psi DOUBLE PRECISION NOT NULL,
        threshold DOUBLE PRECISION NOT NULL,
        message TEXT NOT NULL
      )`,
      `CREATE INDEX model_drift_alerts_model ON model_drift_alerts (model_id, id)`,
    ],
  },
];

// Two stores starting at once must not both create the tables.
const MIGRATE_LOCK = `SELECT pg_advisory_xact_lock(hashtext('twinloop.migrate'))`;

/** Fails fast on a list that is not strictly ordered: a mistake there would corrupt upgrades. */
function latestVersion(migrations: readonly PostgresMigration[]): number {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new TwinloopError('INTERNAL', `PostgreSQL migration ${m.version} is out of order; versions must increase from 1`);
    }
    previous = m.version;
  }
  return previous;
}

/**
 * Creates `schema` when given and applies the missing migrations, inside the caller's transaction
 * (PostgreSQL DDL is transactional: a failed upgrade leaves nothing behind). `target` names the
 * database in messages.
 */
export async function applyPostgresMigrations(client: pg.PoolClient, schema: string | undefined, target: string): Promise<void> {
  const latest = latestVersion(POSTGRES_MIGRATIONS);
  await client.query(MIGRATE_LOCK);
  if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await client.query(POSTGRES_MIGRATIONS_TABLE);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  const newest = Math.max(0, ...applied);
  if (newest > latest) {
    throw new TwinloopError(
      'CONFLICT',
      `The event store at ${target} is at schema version ${newest}, newer than this Twinloop knows (${latest}); upgrade Twinloop`,
    );
  }
  for (const m of POSTGRES_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    for (const step of m.steps) await client.query(step);
    await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
      m.version,
      m.name,
      Date.now(),
    ]);
  }
}
