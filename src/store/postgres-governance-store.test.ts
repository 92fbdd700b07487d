import { expect, it } from 'vitest';
import { describeGovernanceStoreContract } from './governance-store.contract.js';
import { openGovernanceStore } from './open-governance-store.js';
import { createPostgresGovernanceStore } from './postgres-governance-store.js';
import { describePostgres, onPostgres } from './store-fixtures.js';

describePostgres('PostgreSQL governance store', (url) => {
  describeGovernanceStoreContract('PostgreSQL', onPostgres(url, openGovernanceStore));

  it('refuses a schema name it would have to escape', () => {
    expect(() => createPostgresGovernanceStore({ url, schema: 'x"; DROP TABLE audit_log; --' })).toThrow(/not allowed/);
  });
});
