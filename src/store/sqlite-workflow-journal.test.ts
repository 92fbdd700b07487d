import { describe, expect, it } from 'vitest';
import { openWorkflowJournal } from './open-workflow-journal.js';
import { createSqliteWorkflowJournal } from './sqlite-workflow-journal.js';
import { onSqlite, withDataDir } from './store-fixtures.js';
import { describeWorkflowJournalContract } from './workflow-journal.contract.js';

describeWorkflowJournalContract('SQLite', onSqlite(openWorkflowJournal));

describe('SQLite workflow journal', () => {
  it('frees the leases of a previous process on start, since one process owns the file', async () => {
    await withDataDir(async (dataDir) => {
      const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
      await journal.createRun({ id: 'w', definitionId: 'd', definitionVersion: 1, input: 'null', parentId: null, createdAt: 1, claim: { workerId: 'dead', leaseUntil: 1e15 } });
      expect(await journal.releaseOrphanedLeases('me')).toBe(1);
      expect((await journal.claimRuns('me', 2, 100, 5)).map((r) => r.id)).toEqual(['w']);
      await journal.close();
    });
  });

  it('refuses an empty data directory', () => {
    expect(() => createSqliteWorkflowJournal({ dataDir: ' ' })).toThrow(/data directory/);
  });
});
