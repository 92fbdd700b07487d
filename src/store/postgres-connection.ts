import type pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import { SCHEMA_NAME } from './postgres-pool.js';

/** SQLSTATE classes after which a retry can succeed: connection, transaction rollback, resources, operator. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57)/;

/**
 * Which store a message is about: `what` names it in lower case ("record store"), `target` is where
 * it lives, without the password (see `describeTarget`).
 */
export interface PostgresTarget {
  readonly what: string;
  readonly target: string;
}

/**
 * Checks the options every PostgreSQL adapter's factory takes, once, before any connection is
 * made: a postgres:// (or postgresql://) URL and, when given, a schema name PostgreSQL accepts
 * unquoted.
 */
export function checkPostgresOptions(options: { url: string; schema?: string }): void {
  let protocol = '';
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new TwinloopError('BAD_INPUT', 'The database URL must look like postgres://user:password@host:5432/database; check --database-url or TWINLOOP_DATABASE_URL');
  }
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new TwinloopError('BAD_INPUT', `Schema name "${options.schema}" is not allowed; use letters, digits and underscores (at most 63), not starting with a digit`);
  }
}

/**
 * Whether the error's code says a retry can succeed: a transient SQLSTATE class, or a Node socket
 * error (ECONNREFUSED, ECONNRESET, ...; no SQLSTATE class starts with E).
 */
export function hasTransientPostgresCode(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return TRANSIENT_SQLSTATE.test(code) || code.startsWith('E');
}

/**
 * Runs one operation of a PostgreSQL adapter. A closed adapter and anything pg throws become
 * TwinloopErrors naming the store and the operation: a transient failure (see
 * `hasTransientPostgresCode`) is UNAVAILABLE, to retry once PostgreSQL is reachable; anything else
 * is INTERNAL. TwinloopErrors thrown by `work` (bad input, conflicts) pass through unchanged.
 */
export async function postgresCall<T>(target: PostgresTarget, closed: boolean, operation: string, work: () => Promise<T>): Promise<T> {
  if (closed) throw new TwinloopError('UNAVAILABLE', `The ${target.what} at ${target.target} is closed; open it again before ${operation}`);
  try {
    return await work();
  } catch (err) {
    if (err instanceof TwinloopError) throw err;
    const transient = hasTransientPostgresCode(err);
    const subject = target.what.charAt(0).toUpperCase() + target.what.slice(1);
    throw new TwinloopError(
      transient ? 'UNAVAILABLE' : 'INTERNAL',
      `${subject} at ${target.target}: ${operation} failed (${err instanceof Error ? err.message : String(err)}); ${transient ? 'check that PostgreSQL is reachable and retry' : 'report it with the cause'}`,
      { cause: err },
    );
  }
}

/**
 * Runs `work` on one pooled connection between BEGIN and COMMIT, rolling back when it throws (and
 * rethrowing). The connection goes back to the pool unless even the rollback failed: then it is
 * discarded, since its state is unknown.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
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
    client.release(broken);
  }
}
