import { TwinloopError } from '../domain/errors.js';
import type { ModelRegistry } from './model-registry.js';
import type { StoreOptions } from './open-event-store.js';
import { createPostgresModelRegistry } from './postgres-model-registry.js';
import { createSqliteModelRegistry } from './sqlite-model-registry.js';

/**
 * Opens the model registry beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 */
export async function openModelRegistry(options: StoreOptions): Promise<ModelRegistry> {
  let registry: ModelRegistry;
  switch (options.kind) {
    case 'sqlite':
      registry = createSqliteModelRegistry({ dataDir: options.dataDir });
      break;
    case 'postgres':
      registry = createPostgresModelRegistry({ url: options.url, schema: options.schema });
      break;
    default: {
      const unknown: never = options;
      throw new TwinloopError('BAD_INPUT', `Unknown store kind in ${JSON.stringify(unknown)}; use "sqlite" or "postgres"`);
    }
  }
  try {
    await registry.migrate();
  } catch (err) {
    await registry.close().catch(() => undefined);
    throw err;
  }
  return registry;
}
