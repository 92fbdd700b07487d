import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEventStoreContract } from './event-store.contract.js';
import { openEventStore } from './open-event-store.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import { createSqliteEventStore } from './sqlite-event-store.js';
import { onSqlite, withDataDir } from './store-fixtures.js';

for (const writes of ['inline', 'thread'] as const) {
  describeEventStoreContract(`SQLite rows (${writes} writes)`, onSqlite(openEventStore, { writes, segments: false }));
  // Every append a segment, sealed every few events: rows never, chunks and unsealed segments mixed.
  describeEventStoreContract(`SQLite segment log (${writes} writes)`, onSqlite(openEventStore, { writes, segments: { minBatch: 1, sealAt: 3 } }));
}


describe('SQLite event store', () => {
  it('creates a missing data directory and its database file', async () => {
    await withDataDir(async (parent) => {
      const dataDir = join(parent, 'nested', 'data');
      const store = await openEventStore({ kind: 'sqlite', dataDir });
      await store.close();
      expect(existsSync(join(dataDir, SQLITE_FILE_NAME))).toBe(true);
    });
  });

  it('refuses an empty data directory', () => {
    expect(() => createSqliteEventStore({ dataDir: ' ' })).toThrow(/data directory/);
  });
});
