import { expect, it } from 'vitest';
import { describeEventStoreContract } from './event-store.contract.js';
import { openEventStore } from './open-event-store.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { describePostgres, onPostgres } from './store-fixtures.js';

describePostgres('PostgreSQL event store', (url) => {
  describeEventStoreContract('PostgreSQL', onPostgres(url, openEventStore));

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
