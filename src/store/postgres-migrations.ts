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
  {
    version: 4,
    name: 'record store and decision log',
    steps: [
      // Documents by collection and id (offers, simulation runs, intents…); body is JSON text rather
      // than JSONB so it comes back exactly as written (JSONB reorders keys).
      `CREATE TABLE records (
        collection TEXT COLLATE "C" NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (collection, id)
      )`,
      // Append-only next-best-action log; the outcome columns are filled once, later.
      `CREATE TABLE decision_log (
        decision_id TEXT COLLATE "C" PRIMARY KEY,
        customer_id TEXT COLLATE "C" NOT NULL,
        at BIGINT NOT NULL,
        channel TEXT NOT NULL,
        reason TEXT,
        context_key TEXT NOT NULL,
        candidates TEXT NOT NULL,
        chosen TEXT NOT NULL,
        propensity DOUBLE PRECISION NOT NULL,
        outcome_accepted BOOLEAN,
        outcome_reward DOUBLE PRECISION,
        outcome_at BIGINT
      )`,
      `CREATE INDEX decision_log_at ON decision_log (at, decision_id)`,
      `CREATE INDEX decision_log_customer_at ON decision_log (customer_id, at, decision_id)`,
    ],
  },
  {
    version: 5,
    name: 'governance: audit trail, approvals, budget spending',
    steps: [
      // seq is assigned by the appender under the audit_head row lock (not an identity) so it stays
      // gap-free; entry is TEXT rather than JSONB so the hashed text comes back exactly.
      `CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        entry TEXT NOT NULL
      )`,
      // One row: the newest seq and hash. Appenders lock it (FOR UPDATE), and verify compares the log's tail with it.
      `CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')`,
      `CREATE TABLE approvals (
        id TEXT COLLATE "C" PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        decided_by TEXT,
        decided_at BIGINT,
        reason TEXT,
        payload TEXT NOT NULL
      )`,
      `CREATE INDEX approvals_status ON approvals (status, created_at, id)`,
      `CREATE TABLE budget_spend (
        period_key TEXT COLLATE "C" NOT NULL,
        scope TEXT COLLATE "C" NOT NULL,
        reserved DOUBLE PRECISION NOT NULL,
        committed DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (period_key, scope)
      )`,
    ],
  },
  {
    version: 6,
    name: 'workflow journal: runs, steps, signals',
    steps: [
      // wake_at is NULL once a run is finished, so the runnable index holds only live runs.
      `CREATE TABLE workflow_runs (
        id TEXT COLLATE "C" PRIMARY KEY,
        definition_id TEXT COLLATE "C" NOT NULL,
        definition_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'waiting', 'compensating', 'succeeded', 'failed')),
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        parent_id TEXT COLLATE "C",
        wake_at BIGINT,
        lease_owner TEXT,
        lease_until BIGINT,
        -- 1 when a signal or a finished child arrived while the run was leased: its suspension then wakes at once.
        nudged INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE INDEX workflow_runs_runnable ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL`,
      `CREATE INDEX workflow_runs_parent ON workflow_runs (parent_id) WHERE parent_id IS NOT NULL`,
      `CREATE INDEX workflow_runs_definition ON workflow_runs (definition_id, created_at)`,
      `CREATE TABLE workflow_steps (
        run_id TEXT COLLATE "C" NOT NULL,
        step_key TEXT COLLATE "C" NOT NULL,
        step_id TEXT NOT NULL,
        step_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('started', 'retrying', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL,
        output TEXT,
        error TEXT,
        due_at BIGINT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (run_id, step_key)
      )`,
      `CREATE TABLE workflow_signals (
        run_id TEXT COLLATE "C" NOT NULL,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (run_id, name)
      )`,
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
