import { expect, it } from 'vitest';
import type { Clock } from '../domain/clock.js';
import { openRecordStore } from './open-record-store.js';
import { createPostgresRecordStore } from './postgres-record-store.js';
import { describeRecordStoreContract } from './record-store.contract.js';
import { describePostgres, onPostgres } from './store-fixtures.js';

describePostgres('PostgreSQL record store', (url) => {
  const fresh = onPostgres(url, (options, clock?: Clock) => openRecordStore(options, { clock }));
  describeRecordStoreContract('PostgreSQL', fresh);

  it('refuses a schema name it would have to escape', () => {
    expect(() => createPostgresRecordStore({ url, schema: 'x"; DROP TABLE records; --' })).toThrow(/not allowed/);
  });

  it('lets exactly one of two racing creators win', async () => {
    const { store: a, reopen, cleanup } = await fresh();
    const b = await reopen();
    try {
      const results = await Promise.allSettled([a.put('runs', 'r1', { by: 'a' }, { expectedVersion: 0 }), b.put('runs', 'r1', { by: 'b' }, { expectedVersion: 0 })]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    } finally {
      await b.close();
      await cleanup();
    }
  });
});
