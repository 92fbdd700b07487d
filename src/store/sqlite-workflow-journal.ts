import type Database from 'better-sqlite3';
import { openSqliteConnection, type SqliteConnection, type SqlValue } from './sqlite-connection.js';
import {
  checkCompaction,
  checkNewRun,
  checkRunFilter,
  DEFAULT_RUN_PAGE_SIZE,
  leaseLost,
  RUN_COLUMNS,
  STEP_COLUMNS,
  toRunRecord,
  toStepRecord,
  type CompactionRequest,
  type CompactionResult,
  type Lease,
  type NewRun,
  type RunFilter,
  type RunRecord,
  type RunRow,
  type SignalRecord,
  type StepRecord,
  type StepRow,
  type SuspendRequest,
  type WorkflowJournal,
} from './workflow-journal.js';
import { StoreAdapter } from './store-adapter.js';

function prepare(db: Database.Database) {
  return {
    insertRun: db.prepare<[string, string, number, string, string | null, number, string | null, number | null, number, number]>(
      `INSERT INTO workflow_runs (id, definition_id, definition_version, status, input, parent_id, wake_at, lease_owner, lease_until, created_at, updated_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    getRun: db.prepare<[string], RunRow>(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE id = ?`),
    runnable: db.prepare<[number, number, number], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE wake_at IS NOT NULL AND wake_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY wake_at LIMIT ?`,
    ),
    lease: db.prepare<[string, number, number, string]>('UPDATE workflow_runs SET lease_owner = ?, lease_until = ?, nudged = 0, updated_at = ? WHERE id = ?'),
    renew: db.prepare<[number, string, string]>('UPDATE workflow_runs SET lease_until = ? WHERE id = ? AND lease_owner = ?'),
    releaseOthers: db.prepare<[string]>('UPDATE workflow_runs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL AND lease_owner <> ?'),
    steps: db.prepare<[string], StepRow>(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE run_id = ? ORDER BY updated_at, step_key`),
    signals: db.prepare<[string], SignalRecord>('SELECT name, payload, at FROM workflow_signals WHERE run_id = ? ORDER BY at, name'),
    saveStep: db.prepare<[string, string, string, number, string, number, string | null, string | null, number | null, number]>(
      `INSERT INTO workflow_steps (run_id, step_key, step_id, step_version, status, attempts, output, error, due_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step_key) DO UPDATE SET step_id = excluded.step_id, step_version = excluded.step_version, status = excluded.status,
         attempts = excluded.attempts, output = excluded.output, error = excluded.error, due_at = excluded.due_at, updated_at = excluded.updated_at`,
    ),
    suspend: db.prepare<[string, number, number, number, string | null, string | null, number | null, number, string, string]>(
      'UPDATE workflow_runs SET status = ?, wake_at = CASE WHEN nudged = 1 THEN MIN(?, ?) ELSE ? END, error = ?, lease_owner = ?, lease_until = ?, nudged = 0, updated_at = ? WHERE id = ? AND lease_owner = ?',
    ),
    finish: db.prepare<[string, string | null, string | null, number, string, string]>(
      'UPDATE workflow_runs SET status = ?, output = ?, error = ?, wake_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?',
    ),
    wake: db.prepare<[number, number, string]>(
      'UPDATE workflow_runs SET wake_at = MIN(wake_at, ?), nudged = 1, updated_at = ? WHERE wake_at IS NOT NULL AND id = ?',
    ),
    addSignal: db.prepare<[string, string, string, number]>('INSERT INTO workflow_signals (run_id, name, payload, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    // The definitions and the kept step ids as JSON arrays: one statement whatever their number.
    compactable: db.prepare<[number, string, number], { id: string }>(
      `SELECT id FROM workflow_runs WHERE wake_at IS NULL AND compacted_at IS NULL AND status IN ('succeeded', 'failed') AND updated_at < ?
         AND definition_id IN (SELECT value FROM json_each(?)) ORDER BY updated_at LIMIT ?`,
    ),
    dropSteps: db.prepare<[string, string]>('DELETE FROM workflow_steps WHERE run_id = ? AND step_id NOT IN (SELECT value FROM json_each(?))'),
    dropSignals: db.prepare<[string]>('DELETE FROM workflow_signals WHERE run_id = ?'),
    markCompacted: db.prepare<[number, string]>('UPDATE workflow_runs SET compacted_at = ? WHERE id = ?'),
  };
}
type Statements = ReturnType<typeof prepare>;

/** better-sqlite3 is synchronous: each method does its work before returning a settled promise. */
class SqliteWorkflowJournal extends StoreAdapter<SqliteConnection<Statements>> implements WorkflowJournal {
  readonly kind = 'sqlite' as const;
  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.db.run('createRun', () => {
      checkNewRun(run);
      const q = this.db.sql;
      const r = q.insertRun.run(
        run.id,
        run.definitionId,
        run.definitionVersion,
        run.input,
        run.parentId,
        run.createdAt,
        run.claim?.workerId ?? null,
        run.claim?.leaseUntil ?? null,
        run.createdAt,
        run.createdAt,
      );
      return { run: toRunRecord(q.getRun.get(run.id)!), created: r.changes === 1 };
    });
  }

  getRun(id: string): Promise<RunRecord | null> {
    return this.db.run('getRun', () => {
      const row = this.db.sql.getRun.get(id);
      return row ? toRunRecord(row) : null;
    });
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.db.run('listRuns', () => {
      checkRunFilter(filter);
      const where: string[] = [];
      const args: SqlValue[] = [];
      const add = (column: string, value: string) => {
        where.push(`${column} = ?`);
        args.push(value);
      };
      if (filter.status !== undefined) add('status', filter.status);
      if (filter.definitionId !== undefined) add('definition_id', filter.definitionId);
      if (filter.parentId !== undefined) add('parent_id', filter.parentId);
      args.push(filter.limit ?? DEFAULT_RUN_PAGE_SIZE);
      const sql = `SELECT ${RUN_COLUMNS} FROM workflow_runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
      return (this.db.statement(sql).all(...args) as RunRow[]).map(toRunRecord);
    });
  }

  claimRuns(workerId: string, now: number, leaseUntil: number, limit: number, leaseNow = now): Promise<RunRecord[]> {
    return this.db.run('claimRuns', () => {
      const q = this.db.sql;
      // Looked for first without the write lock: every worker polls five times a second, mostly
      // finding nothing, and taking the lock each time made the poll wait out whatever held it
      // (a first start's bulk commits and seals on the event store's writer thread: seconds),
      // with the event loop blocked. Only a poll that saw a runnable run takes it, and claims
      // what is runnable then.
      if (q.runnable.all(now, leaseNow, 1).length === 0) return [];
      return this.db.transaction(() => {
        const rows = q.runnable.all(now, leaseNow, limit);
        for (const r of rows) q.lease.run(workerId, leaseUntil, now, r.id);
        return rows.map((r) => toRunRecord({ ...r, lease_owner: workerId, lease_until: leaseUntil, updated_at: now }));
      });
    });
  }

  renewLeases(workerId: string, runIds: readonly string[], leaseUntil: number): Promise<string[]> {
    return this.db.run('renewLeases', () => {
      const q = this.db.sql;
      return this.db.transaction(() => runIds.filter((id) => q.renew.run(leaseUntil, id, workerId).changes === 0));
    });
  }

  releaseOrphanedLeases(workerId: string): Promise<number> {
    return this.db.run('releaseOrphanedLeases', () => this.db.sql.releaseOthers.run(workerId).changes);
  }

  loadHistory(runId: string): Promise<{ steps: StepRecord[]; signals: SignalRecord[] }> {
    return this.db.run('loadHistory', () => ({ steps: this.db.sql.steps.all(runId).map(toStepRecord), signals: this.db.sql.signals.all(runId) }));
  }

  saveStep(runId: string, lease: Lease, s: StepRecord): Promise<void> {
    return this.db.run('saveStep', () => {
      const q = this.db.sql;
      this.db.transaction(() => {
        // The lease check and the write commit together: a worker that lost its lease writes nothing.
        if (q.renew.run(lease.until, runId, lease.workerId).changes === 0) throw leaseLost(runId, lease.workerId);
        q.saveStep.run(runId, s.key, s.stepId, s.stepVersion, s.status, s.attempts, s.output, s.error, s.dueAt, s.updatedAt);
      });
    });
  }

  suspend(runId: string, lease: Lease, next: SuspendRequest): Promise<void> {
    return this.db.run('suspend', () => {
      const keep = next.keepLease === true;
      const r = this.db.sql.suspend.run(next.status, next.wakeAt, next.now, next.wakeAt, next.error ?? null, keep ? lease.workerId : null, keep ? lease.until : null, next.now, runId, lease.workerId);
      if (r.changes === 0) throw leaseLost(runId, lease.workerId);
    });
  }

  finish(runId: string, lease: Lease, end: { status: 'succeeded' | 'failed'; output: string | null; error: string | null; now: number }): Promise<void> {
    return this.db.run('finish', () => {
      const q = this.db.sql;
      this.db.transaction(() => {
        const row = q.getRun.get(runId);
        if (q.finish.run(end.status, end.output, end.error, end.now, runId, lease.workerId).changes === 0) throw leaseLost(runId, lease.workerId);
        if (row?.parent_id) q.wake.run(end.now, end.now, row.parent_id);
      });
    });
  }

  addSignal(runId: string, s: SignalRecord): Promise<boolean> {
    return this.db.run('addSignal', () => {
      const q = this.db.sql;
      return this.db.transaction(() => {
        const row = q.getRun.get(runId);
        if (!row || row.wake_at === null) return false;
        q.addSignal.run(runId, s.name, s.payload, s.at);
        q.wake.run(s.at, s.at, runId);
        return true;
      });
    });
  }

  compactFinished(r: CompactionRequest): Promise<CompactionResult> {
    return this.db.run('compactFinished', () => {
      checkCompaction(r);
      const q = this.db.sql;
      const keep = JSON.stringify(r.keepStepIds);
      return this.db.transaction(() => {
        const done: CompactionResult = { runs: 0, steps: 0, signals: 0 };
        for (const { id } of q.compactable.all(r.finishedBefore, JSON.stringify(r.definitionIds), r.limit)) {
          done.steps += q.dropSteps.run(id, keep).changes;
          done.signals += q.dropSignals.run(id).changes;
          done.runs += q.markCompacted.run(r.now, id).changes;
        }
        return done;
      });
    });
  }
}

/**
 * The embedded workflow journal: tables in the event store's own SQLite file (`twinloop.db` in
 * `dataDir`), through its own connection. One process owns it. Call `migrate()` before use (or
 * `openWorkflowJournal`).
 */
export function createSqliteWorkflowJournal(options: { dataDir: string }): WorkflowJournal {
  return new SqliteWorkflowJournal(openSqliteConnection('workflow journal', options.dataDir, prepare));
}
