import type { ModelRegistry } from './model-registry.js';
import type { StoreOptions } from './store-options.js';
import { openMigrated } from './open-migrated.js';
import { createPostgresModelRegistry } from './postgres-model-registry.js';
import { createSqliteModelRegistry } from './sqlite-model-registry.js';

/**
 * Opens the model registry beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 */
export async function openModelRegistry(options: StoreOptions): Promise<ModelRegistry> {
  return openMigrated(options, {
    sqlite: (o) => createSqliteModelRegistry({ dataDir: o.dataDir }),
    postgres: (o) => createPostgresModelRegistry({ url: o.url, schema: o.schema }),
  }, 'store');
}
