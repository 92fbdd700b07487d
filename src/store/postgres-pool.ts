import pg from 'pg';

/** What PostgreSQL accepts unquoted as a schema name; anything else is refused rather than escaped. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

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
 * A pool whose connections work in `schema` (when given). Every PostgreSQL adapter of the store
 * opens its connections here.
 */
export function openSchemaPool(url: string, schema: string | undefined, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
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
