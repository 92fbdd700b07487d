import type { EventStore } from './event-store.js';
import { openMigrated } from './open-migrated.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { createSqliteEventStore } from './sqlite-event-store.js';
import { startWriterThread } from './sqlite-writer-client.js';
import type { StoreOptions } from './store-options.js';

/** Opens the configured event store and brings its schema up to date before handing it out. */
export async function openEventStore(options: StoreOptions): Promise<EventStore> {
  return openMigrated(options, {
    sqlite: (o) => createSqliteEventStore({ dataDir: o.dataDir, writes: o.writes, segments: o.segments, startWriter: startWriterThread }),
    postgres: (o) => createPostgresEventStore({ url: o.url, schema: o.schema }),
  }, 'event store');
}
