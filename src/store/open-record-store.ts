import type { Clock } from '../domain/clock.js';
import type { StoreOptions } from './store-options.js';
import { openMigrated } from './open-migrated.js';
import { createPostgresRecordStore } from './postgres-record-store.js';
import type { RecordStore } from './record-store.js';
import { createSqliteRecordStore } from './sqlite-record-store.js';

/**
 * Opens the record store beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 * `clock` stamps createdAt/updatedAt (the wall clock when absent).
 */
export async function openRecordStore(options: StoreOptions, extra: { clock?: Clock } = {}): Promise<RecordStore> {
  return openMigrated(options, {
    sqlite: (o) => createSqliteRecordStore({ dataDir: o.dataDir, clock: extra.clock }),
    postgres: (o) => createPostgresRecordStore({ url: o.url, schema: o.schema, clock: extra.clock }),
  }, 'store');
}
