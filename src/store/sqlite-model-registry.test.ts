import { describe, expect, it } from 'vitest';
import { describeModelRegistryContract } from './model-registry.contract.js';
import { openEventStore } from './open-event-store.js';
import { openModelRegistry } from './open-model-registry.js';
import { createSqliteModelRegistry } from './sqlite-model-registry.js';
import { onSqlite, withDataDir } from './store-fixtures.js';

describeModelRegistryContract('SQLite', onSqlite(openModelRegistry));

describe('SQLite model registry', () => {
  it('shares the event store database file, each with its own connection', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEventStore({ kind: 'sqlite', dataDir });
      const registry = await openModelRegistry({ kind: 'sqlite', dataDir });
      await registry.save({ name: 'churn', status: 'champion', document: '{}', metadata: {}, createdAt: 1 });
      await store.append([{ id: 'e1', customerId: 'c', kind: 'usage', time: 1, receivedAt: 1, body: '{}' }]);
      expect(await store.lastSeq()).toBe(1);
      expect((await registry.list()).length).toBe(1);
      await registry.close();
      await store.close();
    });
  });

  it('refuses an empty data directory', () => {
    expect(() => createSqliteModelRegistry({ dataDir: ' ' })).toThrow(/data directory/);
  });
});
