import pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import { SCHEMA_NAME } from './postgres-connection.js';

// Whole databases on a PostgreSQL server: the throw-away ones benchmarks make and drop, and what
// one holds (the figures a capacity plan is derived from). No adapter uses these.

/** `url` with its database replaced by `name` (the server, user and options kept). */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function checkedName(name: string): string {
  if (!SCHEMA_NAME.test(name)) throw new TwinloopError('BAD_INPUT', `database name "${name}" is not allowed: letters, digits and _ only, 63 at most, not starting with a digit`);
  return name;
}

/** Creates database `name` on the server of `url` (connected to through `url`'s own database). */
export async function createPostgresDatabase(url: string, name: string): Promise<void> {
  await onServer(url, (c) => c.query(`CREATE DATABASE "${checkedName(name)}"`));
}

/** Drops database `name` on the server of `url` if it exists, ending its sessions first. */
export async function dropPostgresDatabase(url: string, name: string): Promise<void> {
  await onServer(url, (c) => c.query(`DROP DATABASE IF EXISTS "${checkedName(name)}" WITH (FORCE)`));
}

/** What a Twinloop database holds now. */
export interface DatabaseFigures {
  /** Events in the log (a full count). */
  readonly events: number;
  readonly deadLetters: number;
  /** The whole database on disk, indexes and TOAST included. */
  readonly databaseBytes: number;
  /** The event log's table with its indexes. */
  readonly eventLogBytes: number;
}

/** Counts and sizes of the Twinloop database at `url` (its tables in the connection's default schema). */
export async function postgresDatabaseFigures(url: string): Promise<DatabaseFigures> {
  return onServer(url, async (c) => {
    const { rows } = await c.query<{ events: string; dead: string; db: string; log: string }>(
      `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM dead_letters) AS dead,
              pg_database_size(current_database()) AS db, pg_total_relation_size('events') AS log`,
    );
    const r = rows[0];
    return { events: Number(r.events), deadLetters: Number(r.dead), databaseBytes: Number(r.db), eventLogBytes: Number(r.log) };
  });
}
