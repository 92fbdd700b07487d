import { TwinloopError } from '../domain/errors.js';
import type { StoreOptions } from './open-event-store.js';
import { createPostgresWorkflowJournal } from './postgres-workflow-journal.js';
import { createSqliteWorkflowJournal } from './sqlite-workflow-journal.js';
import type { WorkflowJournal } from './workflow-journal.js';

/**
 * Opens the workflow journal beside the event store named by the same options (the SQLite data
 * directory's database file, or the PostgreSQL URL and schema) and brings the schema up to date.
 */
export async function openWorkflowJournal(options: StoreOptions, tuning: { poolSize?: number } = {}): Promise<WorkflowJournal> {
  let journal: WorkflowJournal;
  switch (options.kind) {
    case 'sqlite':
      journal = createSqliteWorkflowJournal({ dataDir: options.dataDir });
      break;
    case 'postgres':
      journal = createPostgresWorkflowJournal({ url: options.url, schema: options.schema, poolSize: tuning.poolSize });
      break;
    default: {
      const unknown: never = options;
      throw new TwinloopError('BAD_INPUT', `Unknown store kind in ${JSON.stringify(unknown)}; use "sqlite" or "postgres"`);
    }
  }
  try {
    await journal.migrate();
  } catch (err) {
    await journal.close().catch(() => undefined);
    throw err;
  }
  return journal;
}
