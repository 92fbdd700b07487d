import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEventStoreContract } from './event-store.contract.js';
import { openEventStore } from './open-event-store.js';
import { createPostgresEventStore } from './postgres-event-store.js';

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip('PostgreSQL event store (skipped: DATABASE_URL not set)', () => {
    it('skipped: DATABASE_URL not set', () => undefined);
  });
} else {
  // One random prefix per test file, one schema per test: tests never see each other's rows.
  const prefix = `twinloop_test_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];

  async function dropSchemas(names: readonly string[]): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    } finally {
      await client.end();
    }
  }

  afterAll(async () => {
    // Each test drops its own schema; this catches the ones a failing test left behind.
    await dropSchemas(schemas);
  });

  describeEventStoreContract('PostgreSQL', async () => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    const store = await openEventStore({ kind: 'postgres', url, schema });
    return {
      store,
      reopen: () => openEventStore({ kind: 'postgres', url, schema }),
      cleanup: async () => {
        await store.close();
        await dropSchemas([schema]);
      },
    };
  });

  describe('PostgreSQL event store', () => {
    it('refuses a schema name it would have to escape', () => {
      expect(() => createPostgresEventStore({ url, schema: 'x"; DROP TABLE events; --' })).toThrow(/not allowed/);
    });

    it('refuses a URL that is not a postgres:// URL', () => {
      expect(() => createPostgresEventStore({ url: 'mysql://localhost/db' })).toThrow(/postgres:\/\//);
    });

    it('reports an unreachable server as UNAVAILABLE without leaking the password', async () => {
      const store = createPostgresEventStore({ url: 'postgres://someone:s3cret@127.0.0.1:1/none' });
      try {
        const failure = await store.migrate().then(
          () => null,
          (err: unknown) => err,
        );
        expect(failure).toMatchObject({ code: 'UNAVAILABLE' });
        expect(String((failure as Error).message)).not.toContain('s3cret');
      } finally {
        await store.close();
      }
    });
  });
}
