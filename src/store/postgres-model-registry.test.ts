import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { describeModelRegistryContract } from './model-registry.contract.js';
import { openModelRegistry } from './open-model-registry.js';
import { createPostgresModelRegistry } from './postgres-model-registry.js';
import { dropPostgresSchema } from './postgres-event-store.js';

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip('PostgreSQL model registry (skipped: DATABASE_URL not set)', () => {
    it('skipped: DATABASE_URL not set', () => undefined);
  });
} else {
  // One random prefix per test file, one schema per test: tests never see each other's rows.
  const prefix = `twinloop_models_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];

  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeModelRegistryContract('PostgreSQL', async () => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    const registry = await openModelRegistry({ kind: 'postgres', url, schema });
    return {
      registry,
      reopen: () => openModelRegistry({ kind: 'postgres', url, schema }),
      cleanup: async () => {
        await registry.close();
        await dropPostgresSchema(url, schema);
      },
    };
  });

  describe('PostgreSQL model registry', () => {
    it('refuses a schema name it would have to escape', () => {
      expect(() => createPostgresModelRegistry({ url, schema: 'x"; DROP TABLE model_versions; --' })).toThrow(/not allowed/);
    });
  });
}
