import pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import { migrationsTable, pendingMigrations, POSTGRES_DIALECT } from './migrations.js';

/** What PostgreSQL accepts unquoted as a schema name; anything else is refused rather than escaped. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** SQLSTATE classes after which a retry can succeed: connection, transaction rollback, resources, operator. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57)/;

/** What pg says, without a SQLSTATE, when the connection went away under a query. */
const TRANSIENT_MESSAGE = /connection terminated|timeout|not queryable/i;

/** Type id of BIGINT (int8) in PostgreSQL's catalogue. */
const INT8_OID = 20;

/** Two stores starting at once must not both create the tables. */
const MIGRATE_LOCK = `SELECT pg_advisory_xact_lock(hashtext('twinloop.migrate'))`;

/** Where a PostgreSQL adapter connects: a postgres:// URL and, optionally, the schema holding its tables. */
export interface PostgresOptions {
  /** A `postgres://user:password@host:port/database` connection URL. */
  url: string;
  /** Schema holding the tables, created when missing; the connection's default schema when absent. */
  schema?: string;
}

/**
 * One PostgreSQL adapter's pool with the plumbing every adapter shares: connections working in
 * the configured schema, `run` turning what pg throws into TwinloopErrors, transactions,
 * migration and close. An adapter holds one and keeps only its own SQL and row mapping.
 * BIGINT columns come back as numbers (see `openSchemaPool`), so rows read the same as SQLite's.
 */
export class PostgresConnection {
  readonly pool: pg.Pool;
  /** Where the tables live, without the password, for messages. */
  readonly target: string;
  private isClosed = false;

  constructor(
    /** Names the adapter in messages, in lower case ("record store"). */
    readonly what: string,
    private readonly options: PostgresOptions,
    poolSize: number,
  ) {
    this.target = describeTarget(options.url, options.schema);
    this.pool = openSchemaPool(options.url, options.schema, poolSize);
  }

  /** Whether `close()` has been called; every `run` then fails with UNAVAILABLE. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** One statement on any pooled connection (its own implicit transaction). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /**
   * The same, as a named prepared statement: each connection parses and plans it once, then only
   * binds and executes, where an unnamed one is parsed and planned every time (for a hot statement
   * such as a workflow step's journal write, the server's larger share of its CPU). `name` must be
   * unique per text among the adapter's statements (pg refuses one name for two texts).
   */
  prepared<R extends pg.QueryResultRow = pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>({ name, text, values });
  }

  /**
   * Runs one operation. A closed adapter and anything pg throws become TwinloopErrors naming the
   * store and the operation: a transient failure (see `isTransientPostgresError`) is UNAVAILABLE,
   * to retry once PostgreSQL is reachable; anything else is INTERNAL. TwinloopErrors thrown by
   * `work` (bad input, conflicts) pass through unchanged.
   */
  async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.isClosed) throw new TwinloopError('UNAVAILABLE', `The ${this.what} at ${this.target} is closed; open it again before ${operation}`, { context: { retryable: false } });
    try {
      return await work();
    } catch (err) {
      if (err instanceof TwinloopError) throw err;
      const transient = isTransientPostgresError(err);
      const hint = transient ? 'check that PostgreSQL is reachable and retry' : 'this is a bug in the caller or the store; report it with the cause';
      const subject = this.what.charAt(0).toUpperCase() + this.what.slice(1);
      throw new TwinloopError(transient ? 'UNAVAILABLE' : 'INTERNAL', `${subject} at ${this.target}: ${operation} failed (${errorMessage(err)}); ${hint}`, {
        cause: err,
        context: { operation, target: this.target },
      });
    }
  }

  /**
   * Checks a connection out of the pool with `onLost` listening for its errors from the moment pg
   * hands it over. Listening after `await pool.connect()` left a gap: a new connection's readiness
   * and a FATAL message that followed it (`pg_terminate_backend` just after it connected) arrive in
   * one read of the socket, which pg parses at once, before any await resumes; the error found no
   * listener and ended the process (the fault suite's connections terminated every 0.6 s: an
   * unhandled 'error' event on a pg Client within a minute). The caller removes `onLost` before it
   * releases the connection (the pool listens again from then).
   */
  checkout(onLost: (err: Error) => void): Promise<pg.PoolClient> {
    return new Promise((resolve, reject) => {
      // The callback form: pg calls it in the same turn as it hands the connection over.
      this.pool.connect((err, client) => {
        if (err || !client) return reject(err ?? new Error('the pool gave no connection'));
        client.on('error', onLost);
        resolve(client);
      });
    });
  }

  /**
   * Runs `work` on one pooled connection between BEGIN and COMMIT, rolling back when it throws (and
   * rethrowing). The connection goes back to the pool unless it was lost or even the rollback
   * failed: then it is discarded, since its state is unknown. While checked out the pool does not
   * listen for the connection's errors, so this does: a connection the server drops under the
   * transaction (`pg_terminate_backend`, a failover) fails the work with a transient error
   * instead of an unhandled `'error'` event that would end the process.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let broken = false;
    const onLost = () => {
      broken = true;
    };
    const client = await this.checkout(onLost);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.removeListener('error', onLost);
      client.release(broken);
    }
  }

  /**
   * Creates the schema when given and applies the missing migrations in one transaction
   * (PostgreSQL DDL is transactional: a failed upgrade leaves nothing behind), refusing a database
   * written by a newer Twinloop.
   */
  migrate(): Promise<void> {
    return this.run('migrate', () =>
      this.transaction(async (client) => {
        await client.query(MIGRATE_LOCK);
        if (this.options.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.options.schema}"`);
        await client.query(migrationsTable(POSTGRES_DIALECT));
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        for (const m of pendingMigrations(rows.map((r) => r.version), `at ${this.target}`)) {
          for (const step of m.steps(POSTGRES_DIALECT)) await client.query(step);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        }
      }),
    );
  }

  /** Closes the pool; safe to call twice. `drain` (the event store's queued writes) finishes first. */
  async close(drain?: () => Promise<unknown>): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await drain?.();
    await this.pool.end();
  }
}

/**
 * Checks the options every PostgreSQL adapter's factory takes, once, before any connection is
 * made, and creates its pool (which connects lazily): a postgres:// (or postgresql://) URL, a
 * schema name PostgreSQL accepts unquoted when given, and a pool of at least one connection.
 */
export function openPostgresConnection(what: string, options: PostgresOptions, poolSize: number): PostgresConnection {
  let protocol = '';
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new TwinloopError('BAD_INPUT', `The PostgreSQL ${what} needs a database URL like postgres://user:password@host:5432/database; check --database-url or TWINLOOP_DATABASE_URL`);
  }
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new TwinloopError('BAD_INPUT', `Schema name "${options.schema}" is not allowed; use letters, digits and underscores (at most 63), not starting with a digit`);
  }
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new TwinloopError('BAD_INPUT', `poolSize must be an integer ≥ 1; got ${poolSize}`);
  return new PostgresConnection(what, { url: options.url, schema: options.schema }, poolSize);
}

/**
 * Whether a retry can succeed: a transient SQLSTATE class, a Node socket error (ECONNREFUSED,
 * ECONNRESET, ...; no SQLSTATE class starts with E), or pg reporting a connection lost mid-query.
 */
export function isTransientPostgresError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return TRANSIENT_SQLSTATE.test(code) || code.startsWith('E') || TRANSIENT_MESSAGE.test(errorMessage(err));
}

/** The URL without its password, for messages. */
export function describeTarget(url: string, schema: string | undefined): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}${schema ? ` (schema ${schema})` : ''}`;
  } catch {
    return 'the configured database';
  }
}

/**
 * A BIGINT as a number. Every BIGINT the store keeps is a seq, an id or a millisecond time, far
 * below 2^53, so no precision is lost; pg's default (a string, in case it were larger) would make
 * every adapter convert each row.
 */
function parseInt8(text: string): number {
  return Number(text);
}

/**
 * A pool whose connections work in `schema` (when given) and read BIGINTs as numbers. Every
 * PostgreSQL adapter of the store opens its connections here.
 */
export function openSchemaPool(url: string, schema: string | undefined, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Per pool, not pg.types.setTypeParser: other users of pg in the process keep its defaults.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  if (schema) {
    // pg runs queries in the order they are issued on a client, so this precedes the caller's first one.
    pool.on('connect', (client) => {
      client.query(`SET search_path TO "${schema}"`).catch(() => undefined);
    });
  }
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Drops a schema and everything in it (benchmarks and tests clean up after themselves). */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new TwinloopError('BAD_INPUT', `Schema name "${schema}" is not allowed`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
