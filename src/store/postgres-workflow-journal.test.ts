import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkflowJournal } from './open-workflow-journal.js';
import { dropPostgresSchema } from './postgres-event-store.js';
import { createPostgresWorkflowJournal } from './postgres-workflow-journal.js';
import { describeWorkflowJournalContract } from './workflow-journal.contract.js';

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip('PostgreSQL workflow journal (skipped: DATABASE_URL not set)', () => {
    it('skipped: DATABASE_URL not set', () => undefined);
  });
} else {
  // One random prefix per test file, one schema per test: tests never see each other's rows.
  const prefix = `twinloop_wf_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];

  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeWorkflowJournalContract('PostgreSQL', async () => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    const journal = await openWorkflowJournal({ kind: 'postgres', url, schema });
    return {
      journal,
      second: () => openWorkflowJournal({ kind: 'postgres', url, schema }),
      cleanup: async () => {
        await journal.close();
        await dropPostgresSchema(url, schema);
      },
    };
  });

  describe('PostgreSQL workflow journal', () => {
    it('refuses a schema name it would have to escape', () => {
      expect(() => createPostgresWorkflowJournal({ url, schema: 'x"; DROP TABLE workflow_runs; --' })).toThrow(/not allowed/);
    });
  });
}
