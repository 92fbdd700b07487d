import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { NewEvent } from './event-store.js';
import { openEventStore } from './open-event-store.js';
import { dropPostgresSchema, openPostgresConnection } from './postgres-connection.js';
import { describePostgres } from './store-fixtures.js';

/**
 * Connections the server drops under a running transaction (`pg_terminate_backend`, a failover,
 * a restart of PostgreSQL): the caller gets a transient error, the process lives on, and the next
 * operation works on a fresh connection.
 */

const T0 = Date.UTC(2026, 0, 1);

function event(id: string): NewEvent {
  const body = JSON.stringify({ id, customerId: 'c-1', kind: 'usage', time: new Date(T0).toISOString() });
  return { id, customerId: 'c-1', kind: 'usage', time: T0, receivedAt: T0, body };
}

async function withAdmin<T>(url: string, body: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await body(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Waits until `find` sees a backend, then terminates it. The wait is long (30 s) because on a
 * loaded CI machine the append can take seconds to reach its lock; it ends as soon as it does.
 */
async function terminateWhen(admin: pg.Client, find: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    // Inside a transaction pg_stat_activity is read once and then kept: clear it or every poll
    // sees the first one (the append not yet at its lock).
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await admin.query<{ pid: number }>(find);
    if (rows.length) {
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      return rows[0].pid;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no backend matched: ${find}`);
}

describePostgres('PostgreSQL connections terminated under a transaction', (url) => {
  const schema = `twinloop_test_terminate_${process.pid}`;
  afterAll(() => dropPostgresSchema(url, schema));

  it('fails the transaction as UNAVAILABLE without an unhandled error, then works again', async () => {
    const db = openPostgresConnection('test store', { url, schema }, 2);
    try {
      let pid = 0;
      const failure = await db
        .run('hold', () =>
          db.transaction(async (client) => {
            pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
            await withAdmin(url, (admin) => admin.query('SELECT pg_terminate_backend($1)', [pid]));
            // The client sits checked out, between statements, while its socket closes.
            await new Promise((r) => setTimeout(r, 200));
            await client.query('SELECT 1');
          }),
        )
        .then(() => null, (err: unknown) => err);
      expect(pid).toBeGreaterThan(0);
      expect(failure).toMatchObject({ code: 'UNAVAILABLE' });
      const { rows } = await db.run('again', () => db.transaction((client) => client.query<{ one: number }>('SELECT 1 AS one')));
      expect(rows[0].one).toBe(1);
    } finally {
      await db.close();
    }
  });

  it("hears a connection's error in the very turn the pool hands it over (a FATAL read with its readiness ended the process)", async () => {
    const db = openPostgresConnection('test store', { url, schema }, 2);
    try {
      // What pg does when one read of the socket holds a new connection's readiness and the FATAL of
      // pg_terminate_backend after it: it hands the connection over, then emits the error, in one turn.
      const connect = db.pool.connect.bind(db.pool) as (cb: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void) => void;
      const unheard: unknown[] = [];
      const terminated = (client: pg.PoolClient) => {
        try {
          client.emit('error', new Error('terminating connection due to administrator command'));
        } catch (err) {
          unheard.push(err);
        }
      };
      Object.assign(db.pool, {
        connect: (cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void) =>
          cb
            ? connect((err, client, done) => {
                cb(err, client, done);
                if (client) terminated(client);
              })
            : new Promise((resolve, reject) =>
                connect((err, client) => {
                  if (err || !client) return reject(err);
                  resolve(client);
                  terminated(client);
                }),
              ),
      });
      const { rows } = await db.run('one', () => db.transaction((client) => client.query<{ one: number }>('SELECT 1 AS one')));
      expect(unheard).toEqual([]);
      expect(rows[0].one).toBe(1);
      // The connection that said it was lost is not given to anyone again.
      expect(db.pool.totalCount).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('answers an append whose connection is terminated mid-statement with UNAVAILABLE, and appends again', async () => {
    const store = await openEventStore({ kind: 'postgres', url, schema });
    try {
      await store.append([event('before')]);
      const lockKey = `hashtext('twinloop.append.${schema}')`;
      const outcome = await withAdmin(url, async (admin) => {
        // Hold the append lock so the store's append waits inside its transaction, then cut it off.
        await admin.query('BEGIN');
        await admin.query(`SELECT pg_advisory_xact_lock(${lockKey})`);
        const append = store.append([event('cut-off')]).then(() => null, (err: unknown) => err);
        await terminateWhen(admin, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%twinloop.append.%' AND pid <> pg_backend_pid()`);
        const failure = await append;
        await admin.query('ROLLBACK');
        return failure;
      });
      expect(outcome).toMatchObject({ code: 'UNAVAILABLE' });
      const [after] = await store.append([event('after')]);
      expect(after.status).toBe('accepted');
      expect((await store.readLog(0, 10)).map((e) => e.id)).toEqual(['before', 'after']);
    } finally {
      await store.close();
    }
  });
});
