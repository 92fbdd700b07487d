import { TwinloopError } from '../domain/errors.js';
import type { GovernanceStore } from './governance-store.js';
import type { StoreOptions } from './open-event-store.js';
import { createPostgresGovernanceStore } from './postgres-governance-store.js';
import { createSqliteGovernanceStore } from './sqlite-governance-store.js';

/**
 * Opens the governance store (audit log, approvals, budget spending) beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 */
export async function openGovernanceStore(options: StoreOptions): Promise<GovernanceStore> {
  let store: GovernanceStore;
  switch (options.kind) {
    case 'sqlite':
      store = createSqliteGovernanceStore({ dataDir: options.dataDir });
      break;
    case 'postgres':
      store = createPostgresGovernanceStore({ url: options.url, schema: options.schema });
      break;
    default: {
      const unknown: never = options;
      throw new TwinloopError('BAD_INPUT', `Unknown store kind in ${JSON.stringify(unknown)}; use "sqlite" or "postgres"`);
    }
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
