import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';
import { dropPostgresSchema } from './postgres-connection.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import type { EventStore } from './event-store.js';
import type { StoreOptions } from './store-options.js';

/** What the store's tests share: fresh stores on each dialect for the contract suites, and their setup per test. */

/** The options that open a port on one dialect. */
export type SqliteStoreOptions = Extract<StoreOptions, { kind: 'sqlite' }>;
/** See SqliteStoreOptions. */
export type PostgresStoreOptions = Extract<StoreOptions, { kind: 'postgres' }>;

/**
 * A store under test, as every contract suite takes it: fresh, migrated and empty. `reopen` opens
 * another connection to the same data, `sql` runs one raw statement on its tables (to tamper with
 * them), `cleanup` closes it and removes its data.
 */
export interface OpenedStore<S> {
  store: S;
  options: StoreOptions;
  reopen: () => Promise<S>;
  sql: (statement: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

/** What every port has, so a fixture can close it. */
interface Closable {
  close(): Promise<void>;
}

/**
 * For a SQLite adapter's tests: each call opens the port (with `args`, e.g. a clock) on a fresh
 * temporary data directory, removed by `cleanup`.
 */
export function onSqlite<S extends Closable, A extends unknown[]>(open: (options: SqliteStoreOptions, ...args: A) => Promise<S>, extra: Partial<SqliteStoreOptions> = {}): (...args: A) => Promise<OpenedStore<S>> {
  return async (...args) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-store-'));
    const options: SqliteStoreOptions = { ...extra, kind: 'sqlite', dataDir };
    const store = await open(options, ...args);
    return {
      store,
      options,
      reopen: () => open(options, ...args),
      sql: (statement) => {
        const db = new Database(join(dataDir, SQLITE_FILE_NAME));
        try {
          db.exec(statement);
        } finally {
          db.close();
        }
        return Promise.resolve();
      },
      cleanup: async () => {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  };
}

/** Runs `body` with a fresh temporary data directory, removed afterwards whatever happens. */
export async function withDataDir<T>(body: (dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-store-'));
  try {
    return await body(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * For a PostgreSQL adapter's tests: each call opens the port (with `args`) in a fresh schema of
 * the database at `url`, dropped by `cleanup`; the schemas a failing test left behind are dropped
 * after the file's tests. One random prefix per call site: test files never see each other's rows.
 */
export function onPostgres<S extends Closable, A extends unknown[]>(url: string, open: (options: PostgresStoreOptions, ...args: A) => Promise<S>): (...args: A) => Promise<OpenedStore<S>> {
  const prefix = `twinloop_test_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropPostgresSchema(url, schema);
  });
  return async (...args) => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    const options: PostgresStoreOptions = { kind: 'postgres', url, schema };
    const store = await open(options, ...args);
    return {
      store,
      options,
      reopen: () => open(options, ...args),
      sql: async (statement) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`SET search_path TO "${schema}"`);
          await client.query(statement);
        } finally {
          await client.end();
        }
      },
      cleanup: async () => {
        await store.close();
        await dropPostgresSchema(url, schema);
      },
    };
  };
}

/**
 * Declares the PostgreSQL tests of a file: `body` runs with the database URL the tests use
 * (`DATABASE_URL`), or, when it is not set, one skipped test says why.
 */
export function describePostgres(name: string, body: (url: string) => void): void {
  const url = process.env.DATABASE_URL;
  if (!url) {
    describe.skip(`${name} (skipped: DATABASE_URL not set)`, () => {
      it('skipped: DATABASE_URL not set', () => undefined);
    });
    return;
  }
  describe(name, () => body(url));
}

/**
 * Gives each test of the enclosing `describe` its own store: `open` runs before the test, `use`
 * receives what it opened (to keep in the suite's variables), and it is cleaned up after.
 */
export function freshPerTest<O extends { cleanup(): Promise<void> }>(open: () => Promise<O>, use: (opened: O) => void): void {
  let opened: O | undefined;
  beforeEach(async () => {
    opened = await open();
    use(opened);
  });
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });
}

/**
 * An event store whose checkpoint, written in slices, dies at its `part`-th slice once `arm()` is
 * called, as a process killed between two slices would leave it: that slice and nothing after it
 * is written (the write rejects "the process died here"). Everything else is `store`'s.
 */
export function dyingAtCheckpointSlice(store: EventStore, part: number): { store: EventStore; arm: () => void } {
  let parts = 0;
  let armed = false;
  const dying: EventStore = Object.create(store, {
    saveCheckpoint: {
      value: (...args: Parameters<EventStore['saveCheckpoint']>) => {
        if (armed && args[3]?.part && ++parts === part) return Promise.reject(new Error('the process died here'));
        return store.saveCheckpoint(...args);
      },
    },
  });
  return { store: dying, arm: () => void (armed = true) };
}
