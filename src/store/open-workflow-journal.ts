import type { StoreOptions } from './store-options.js';
import { openMigrated } from './open-migrated.js';
import { createPostgresWorkflowJournal } from './postgres-workflow-journal.js';
import { createSqliteWorkflowJournal } from './sqlite-workflow-journal.js';
import type { WorkflowJournal } from './workflow-journal.js';

/**
 * Opens the workflow journal beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 */
export async function openWorkflowJournal(options: StoreOptions, tuning: { poolSize?: number } = {}): Promise<WorkflowJournal> {
  return openMigrated(options, {
    sqlite: (o) => createSqliteWorkflowJournal({ dataDir: o.dataDir }),
    postgres: (o) => createPostgresWorkflowJournal({ url: o.url, schema: o.schema, poolSize: tuning.poolSize }),
  }, 'store');
}
