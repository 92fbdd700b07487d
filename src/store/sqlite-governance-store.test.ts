import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { describeGovernanceStoreContract } from './governance-store.contract.js';
import { openGovernanceStore } from './open-governance-store.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import { createSqliteGovernanceStore } from './sqlite-governance-store.js';

describeGovernanceStoreContract('SQLite', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-governance-'));
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir });
  return {
    store,
    reopen: () => openGovernanceStore({ kind: 'sqlite', dataDir }),
    sql: (statement) => {
      const db = new Database(join(dataDir, SQLITE_FILE_NAME));
      try {
        db.exec(statement);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('SQLite governance store', () => {
  it('refuses an empty data directory', () => {
    expect(() => createSqliteGovernanceStore({ dataDir: ' ' })).toThrow(/data directory/);
  });
});
