import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecordStore } from './open-record-store.js';
import { dropPostgresSchema } from './postgres-event-store.js';
import { createPostgresRecordStore } from './postgres-record-store.js';
import { describeRecordStoreContract } from './record-store.contract.js';

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip('PostgreSQL record store (skipped: DATABASE_URL not set)', () => {
    it('skipped: DATABASE_URL not set', () => undefined);
  });
} else {
  // One random prefix per test file, one schema per test: tests never see each other's rows.
  const prefix = `twinloop_records_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];

  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeRecordStoreContract('PostgreSQL', async (clock) => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    const store = await openRecordStore({ kind: 'postgres', url, schema }, { clock });
    return {
      store,
      reopen: () => openRecordStore({ kind: 'postgres', url, schema }, { clock }),
      cleanup: async () => {
        await store.close();
        await dropPostgresSchema(url, schema);
      },
    };
  });

  describe('PostgreSQL record store', () => {
    it('refuses a schema name it would have to escape', () => {
      expect(() => createPostgresRecordStore({ url, schema: 'x"; DROP TABLE records; --' })).toThrow(/not allowed/);
    });

    it('lets exactly one of two racing creators win', async () => {
      const schema = `${prefix}_race`;
      schemas.push(schema);
      const a = await openRecordStore({ kind: 'postgres', url, schema });
      const b = await openRecordStore({ kind: 'postgres', url, schema });
      try {
        const results = await Promise.allSettled([a.put('runs', 'r1', { by: 'a' }, { expectedVersion: 0 }), b.put('runs', 'r1', { by: 'b' }, { expectedVersion: 0 })]);
        expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
        expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
