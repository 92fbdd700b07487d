import { describe, expect, it } from 'vitest';
import { describeGovernanceStoreContract } from './governance-store.contract.js';
import { openGovernanceStore } from './open-governance-store.js';
import { createSqliteGovernanceStore } from './sqlite-governance-store.js';
import { onSqlite } from './store-fixtures.js';

describeGovernanceStoreContract('SQLite', onSqlite(openGovernanceStore));

describe('SQLite governance store', () => {
  it('refuses an empty data directory', () => {
    expect(() => createSqliteGovernanceStore({ dataDir: ' ' })).toThrow(/data directory/);
  });
});
