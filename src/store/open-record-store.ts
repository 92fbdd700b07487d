import type { Clock } from '../domain/clock.js';
import { TwinloopError } from '../domain/errors.js';
import type { StoreOptions } from './open-event-store.js';
import { createPostgresRecordStore } from './postgres-record-store.js';
import type { RecordStore } from './record-store.js';
import { createSqliteRecordStore } from './sqlite-record-store.js';

/**
 * Opens the record store beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 * `clock` stamps createdAt/updatedAt (the wall clock when absent).
 */
export async function openRecordStore(options: StoreOptions, extra: { clock?: Clock } = {}): Promise<RecordStore> {
  let store: RecordStore;
  switch (options.kind) {
    case 'sqlite':
      store = createSqliteRecordStore({ dataDir: options.dataDir, clock: extra.clock });
      break;
    case 'postgres':
      store = createPostgresRecordStore({ url: options.url, schema: options.schema, clock: extra.clock });
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
