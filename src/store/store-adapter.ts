import type { Migratable } from './open-migrated.js';

/**
 * What every adapter of every port does the same way, whatever its database: it holds one
 * connection (`SqliteConnection` or `PostgresConnection`), which owns the plumbing, and migrates
 * and closes through it. An adapter extends this and adds only its own SQL and row mapping.
 */
export abstract class StoreAdapter<C extends Migratable> {
  constructor(protected readonly db: C) {}

  /** Brings the schema up to date (see migrations.ts). */
  migrate(): Promise<void> {
    return this.db.migrate();
  }

  /** Releases the connection; safe to call twice. */
  close(): Promise<void> {
    return this.db.close();
  }
}
