import { expect, it } from 'vitest';
import { describeModelRegistryContract } from './model-registry.contract.js';
import { openModelRegistry } from './open-model-registry.js';
import { createPostgresModelRegistry } from './postgres-model-registry.js';
import { describePostgres, onPostgres } from './store-fixtures.js';

describePostgres('PostgreSQL model registry', (url) => {
  describeModelRegistryContract('PostgreSQL', onPostgres(url, openModelRegistry));

  it('refuses a schema name it would have to escape', () => {
    expect(() => createPostgresModelRegistry({ url, schema: 'x"; DROP TABLE model_versions; --' })).toThrow(/not allowed/);
  });
});
