import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeGovernanceStoreContract } from './governance-store.contract.js';
import { openGovernanceStore } from './open-governance-store.js';
import { dropPostgresSchema } from './postgres-event-store.js';
import { createPostgresGovernanceStore } from './postgres-governance-store.js';

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip('PostgreSQL governance store (skipped: DATABASE_URL not set)', () => {
    it('skipped: DATABASE_URL not set', () => undefined);
  });
} else {
  // One random prefix per test file, one schema per test: tests never see each other's rows.
  const prefix = `twinloop_gov_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];

  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeGovernanceStoreContract('PostgreSQL', async () => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    const store = await openGovernanceStore({ kind: 'postgres', url, schema });
    return {
      store,
      reopen: () => openGovernanceStore({ kind: 'postgres', url, schema }),
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
  });

  describe('PostgreSQL governance store', () => {
    it('refuses a schema name it would have to escape', () => {
      expect(() => createPostgresGovernanceStore({ url, schema: 'x"; DROP TABLE audit_log; --' })).toThrow(/not allowed/);
    });
  });
}
