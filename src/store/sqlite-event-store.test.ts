import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEventStoreContract } from './event-store.contract.js';
import { openEventStore } from './open-event-store.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import { createSqliteEventStore } from './sqlite-event-store.js';

for (const writes of ['inline', 'thread'] as const) {
  describeEventStoreContract(`SQLite (${writes} writes)`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-store-'));
    const store = await openEventStore({ kind: 'sqlite', dataDir, writes });
    return {
      store,
      reopen: () => openEventStore({ kind: 'sqlite', dataDir, writes }),
      cleanup: async () => {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  });
}

describe('SQLite event store', () => {
  it('creates a missing data directory and its database file', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'twinloop-store-'));
    try {
      const dataDir = join(parent, 'nested', 'data');
      const store = await openEventStore({ kind: 'sqlite', dataDir });
      await store.close();
      expect(existsSync(join(dataDir, SQLITE_FILE_NAME))).toBe(true);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('refuses an empty data directory', () => {
    expect(() => createSqliteEventStore({ dataDir: ' ' })).toThrow(/data directory/);
  });
});
