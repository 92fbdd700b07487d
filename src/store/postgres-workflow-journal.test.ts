import { expect, it } from 'vitest';
import { openWorkflowJournal } from './open-workflow-journal.js';
import { createPostgresWorkflowJournal } from './postgres-workflow-journal.js';
import { describePostgres, onPostgres } from './store-fixtures.js';
import { describeWorkflowJournalContract } from './workflow-journal.contract.js';

describePostgres('PostgreSQL workflow journal', (url) => {
  describeWorkflowJournalContract('PostgreSQL', onPostgres(url, openWorkflowJournal));

  it('refuses a schema name it would have to escape', () => {
    expect(() => createPostgresWorkflowJournal({ url, schema: 'x"; DROP TABLE workflow_runs; --' })).toThrow(/not allowed/);
  });
});
