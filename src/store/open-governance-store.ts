import type { GovernanceStore } from './governance-store.js';
import type { StoreOptions } from './store-options.js';
import { openMigrated } from './open-migrated.js';
import { createPostgresGovernanceStore } from './postgres-governance-store.js';
import { createSqliteGovernanceStore } from './sqlite-governance-store.js';

/**
 * Opens the governance store (audit log, approvals, budget spending) beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 */
export async function openGovernanceStore(options: StoreOptions): Promise<GovernanceStore> {
  return openMigrated(options, {
    sqlite: (o) => createSqliteGovernanceStore({ dataDir: o.dataDir }),
    postgres: (o) => createPostgresGovernanceStore({ url: o.url, schema: o.schema }),
  }, 'store');
}
