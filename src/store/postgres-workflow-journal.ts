import { TwinloopError } from '../domain/errors.js';
import { openPostgresConnection, type PostgresConnection } from './postgres-connection.js';
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
import { WriteBatcher } from './write-batcher.js';

/** Connections per journal: one per concurrently running workflow step, up to this many. */
const DEFAULT_POOL_SIZE = 10;

// Runnable runs, locked so that two workers never claim the same one; a locked row is skipped, not waited for.
const CLAIM = `WITH c AS (
    SELECT id FROM workflow_runs
    WHERE wake_at IS NOT NULL AND wake_at <= $2 AND (lease_until IS NULL OR lease_until < $5)
    ORDER BY wake_at LIMIT $4 FOR UPDATE SKIP LOCKED)
  UPDATE workflow_runs r SET lease_owner = $1, lease_until = $3, nudged = 0, updated_at = $2 FROM c WHERE r.id = c.id
  RETURNING ${RUN_COLUMNS.split(', ').map((c) => 'r.' + c).join(', ')}`;

// One round trip for every step written at once (WriteBatcher, one per run in a batch): each
// run's lease checked and extended, and its step written only where the lease held, committed
// together. The runs whose step was written come back.
const SAVE_STEPS = `WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::int[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])
      AS t(run_id, worker_id, lease_until, step_key, step_id, step_version, status, attempts, output, error, due_at, updated_at)),
  l AS (UPDATE workflow_runs r SET lease_until = i.lease_until FROM i WHERE r.id = i.run_id AND r.lease_owner = i.worker_id RETURNING r.id)
  INSERT INTO workflow_steps (run_id, step_key, step_id, step_version, status, attempts, output, error, due_at, updated_at)
  SELECT i.run_id, i.step_key, i.step_id, i.step_version, i.status, i.attempts, i.output, i.error, i.due_at, i.updated_at FROM i JOIN l ON l.id = i.run_id
  ON CONFLICT (run_id, step_key) DO UPDATE SET step_id = EXCLUDED.step_id, step_version = EXCLUDED.step_version, status = EXCLUDED.status,
    attempts = EXCLUDED.attempts, output = EXCLUDED.output, error = EXCLUDED.error, due_at = EXCLUDED.due_at, updated_at = EXCLUDED.updated_at
  RETURNING run_id`;

/** Steps written in one statement at most: more would only make the batch's own latency longer. */
const MAX_STEP_BATCH = 256;

/** One step to write, with the lease it is written under. */
interface StepWrite {
  readonly runId: string;
  readonly lease: Lease;
  readonly step: StepRecord;
}

// One statement: the oldest finished runs not compacted yet (a run another worker compacts at the
// same time is skipped), their step records but the kept ones and their signals dropped, marked.
const COMPACT = `WITH r AS (
    SELECT id FROM workflow_runs
    WHERE wake_at IS NULL AND compacted_at IS NULL AND status IN ('succeeded', 'failed') AND updated_at < $1 AND definition_id = ANY($5::text[])
    ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED),
  s AS (DELETE FROM workflow_steps w USING r WHERE w.run_id = r.id AND NOT (w.step_id = ANY($3::text[])) RETURNING 1),
  g AS (DELETE FROM workflow_signals x USING r WHERE x.run_id = r.id RETURNING 1),
  u AS (UPDATE workflow_runs w SET compacted_at = $4 FROM r WHERE w.id = r.id RETURNING 1)
  SELECT (SELECT count(*) FROM u)::int AS runs, (SELECT count(*) FROM s)::int AS steps, (SELECT count(*) FROM g)::int AS signals`;

class PostgresWorkflowJournal extends StoreAdapter<PostgresConnection> implements WorkflowJournal {
  readonly kind = 'postgres' as const;
  private readonly stepWrites = new WriteBatcher<StepWrite, boolean>((w) => this.writeSteps(w), {
    maxBatch: MAX_STEP_BATCH,
    // Two writes of one run (parallel steps) go in turn: a run's lease is one row.
    apart: (a, b) => a.runId === b.runId,
  });

  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.db.run('createRun', async () => {
      checkNewRun(run);
      const inserted = await this.db.prepared<RunRow>(
        'workflow_create_run',
        `INSERT INTO workflow_runs (id, definition_id, definition_version, status, input, parent_id, wake_at, lease_owner, lease_until, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $6, $6) ON CONFLICT (id) DO NOTHING RETURNING ${RUN_COLUMNS}`,
        [run.id, run.definitionId, run.definitionVersion, run.input, run.parentId, run.createdAt, run.claim?.workerId ?? null, run.claim?.leaseUntil ?? null],
      );
      if (inserted.rows[0]) return { run: toRunRecord(inserted.rows[0]), created: true };
      const existing = await this.getRun(run.id);
      if (!existing) throw new TwinloopError('CONFLICT', `workflow run "${run.id}" was created and removed concurrently; start it again`);
      return { run: existing, created: false };
    });
  }

  getRun(id: string): Promise<RunRecord | null> {
    return this.db.run('getRun', async () => {
      const { rows } = await this.db.prepared<RunRow>('workflow_get_run', `SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE id = $1`, [id]);
      return rows[0] ? toRunRecord(rows[0]) : null;
    });
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.db.run('listRuns', async () => {
      checkRunFilter(filter);
      const where: string[] = [];
      const args: (string | number)[] = [];
      const add = (column: string, value: string) => {
        args.push(value);
        where.push(`${column} = $${args.length}`);
      };
      if (filter.status !== undefined) add('status', filter.status);
      if (filter.definitionId !== undefined) add('definition_id', filter.definitionId);
      if (filter.parentId !== undefined) add('parent_id', filter.parentId);
      args.push(filter.limit ?? DEFAULT_RUN_PAGE_SIZE);
      const sql = `SELECT ${RUN_COLUMNS} FROM workflow_runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`;
      const { rows } = await this.db.query<RunRow>(sql, args);
      return rows.map(toRunRecord);
    });
  }

  claimRuns(workerId: string, now: number, leaseUntil: number, limit: number, leaseNow = now): Promise<RunRecord[]> {
    return this.db.run('claimRuns', async () => {
      const { rows } = await this.db.prepared<RunRow>('workflow_claim_runs', CLAIM, [workerId, now, leaseUntil, limit, leaseNow]);
      return rows.map(toRunRecord).sort((a, b) => (a.wakeAt ?? 0) - (b.wakeAt ?? 0));
    });
  }

  renewLeases(workerId: string, runIds: readonly string[], leaseUntil: number): Promise<string[]> {
    return this.db.run('renewLeases', async () => {
      if (runIds.length === 0) return [];
      const { rows } = await this.db.query<{ id: string }>('UPDATE workflow_runs SET lease_until = $1 WHERE id = ANY($2) AND lease_owner = $3 RETURNING id', [
        leaseUntil,
        runIds,
        workerId,
      ]);
      const held = new Set(rows.map((r) => r.id));
      return runIds.filter((id) => !held.has(id));
    });
  }

  releaseOrphanedLeases(): Promise<number> {
    // Other workers may be alive: their leases are left to expire.
    return this.db.run('releaseOrphanedLeases', () => Promise.resolve(0));
  }

  loadHistory(runId: string): Promise<{ steps: StepRecord[]; signals: SignalRecord[] }> {
    return this.db.run('loadHistory', async () => {
      const steps = await this.db.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE run_id = $1 ORDER BY updated_at, step_key`, [runId]);
      const signals = await this.db.query<SignalRecord>('SELECT name, payload, at FROM workflow_signals WHERE run_id = $1 ORDER BY at, name', [runId]);
      return { steps: steps.rows.map(toStepRecord), signals: signals.rows };
    });
  }

  saveStep(runId: string, lease: Lease, s: StepRecord): Promise<void> {
    return this.db.run('saveStep', async () => {
      if (!(await this.stepWrites.submit({ runId, lease, step: s }))) throw leaseLost(runId, lease.workerId);
    });
  }

  /** Writes a batch of steps; answers, for each, whether its lease held (and so it was written). */
  private async writeSteps(writes: StepWrite[]): Promise<boolean[]> {
    const column = <V>(f: (w: StepWrite) => V) => writes.map(f);
    const { rows } = await this.db.prepared<{ run_id: string }>('workflow_save_steps', SAVE_STEPS, [
      column((w) => w.runId),
      column((w) => w.lease.workerId),
      column((w) => w.lease.until),
      column((w) => w.step.key),
      column((w) => w.step.stepId),
      column((w) => w.step.stepVersion),
      column((w) => w.step.status),
      column((w) => w.step.attempts),
      column((w) => w.step.output),
      column((w) => w.step.error),
      column((w) => w.step.dueAt),
      column((w) => w.step.updatedAt),
    ]);
    const written = new Set(rows.map((r) => r.run_id));
    return writes.map((w) => written.has(w.runId));
  }

  suspend(runId: string, lease: Lease, next: SuspendRequest): Promise<void> {
    return this.db.run('suspend', async () => {
      const keep = next.keepLease === true;
      const r = await this.db.query(
        `UPDATE workflow_runs SET status = $1, wake_at = CASE WHEN nudged = 1 THEN LEAST($2::bigint, $3::bigint) ELSE $2::bigint END, error = $4,
           lease_owner = $5, lease_until = $6, nudged = 0, updated_at = $3 WHERE id = $7 AND lease_owner = $8`,
        [next.status, next.wakeAt, next.now, next.error ?? null, keep ? lease.workerId : null, keep ? lease.until : null, runId, lease.workerId],
      );
      if (r.rowCount === 0) throw leaseLost(runId, lease.workerId);
    });
  }

  finish(runId: string, lease: Lease, end: { status: 'succeeded' | 'failed'; output: string | null; error: string | null; now: number }): Promise<void> {
    return this.db.run('finish', async () => {
      // One statement: finish the run, then nudge its parent awake if it has one.
      const r = await this.db.prepared<{ parent_id: string | null }>(
        'workflow_finish',
        `WITH f AS (UPDATE workflow_runs SET status = $1, output = $2, error = $3, wake_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $4
             WHERE id = $5 AND lease_owner = $6 RETURNING parent_id),
           p AS (UPDATE workflow_runs SET wake_at = LEAST(wake_at, $4), nudged = 1, updated_at = $4
             WHERE id = (SELECT parent_id FROM f) AND wake_at IS NOT NULL RETURNING id)
         SELECT parent_id FROM f`,
        [end.status, end.output, end.error, end.now, runId, lease.workerId],
      );
      if (r.rowCount === 0) throw leaseLost(runId, lease.workerId);
    });
  }

  addSignal(runId: string, s: SignalRecord): Promise<boolean> {
    return this.db.run('addSignal', () =>
      this.db.transaction(async (client) => {
        const woken = await client.query('UPDATE workflow_runs SET wake_at = LEAST(wake_at, $2), nudged = 1, updated_at = $2 WHERE id = $1 AND wake_at IS NOT NULL', [runId, s.at]);
        if (woken.rowCount === 0) return false;
        await client.query('INSERT INTO workflow_signals (run_id, name, payload, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [runId, s.name, s.payload, s.at]);
        return true;
      }),
    );
  }

  compactFinished(r: CompactionRequest): Promise<CompactionResult> {
    return this.db.run('compactFinished', async () => {
      checkCompaction(r);
      const { rows } = await this.db.query<CompactionResult>(COMPACT, [r.finishedBefore, r.limit, [...r.keepStepIds], r.now, [...r.definitionIds]]);
      return rows[0];
    });
  }
}

/**
 * The PostgreSQL workflow journal, in the event store's database and schema; several workers may
 * share it. Call `migrate()` before use (or `openWorkflowJournal`).
 */
export function createPostgresWorkflowJournal(options: { url: string; schema?: string; poolSize?: number }): WorkflowJournal {
  return new PostgresWorkflowJournal(openPostgresConnection('workflow journal', options, options.poolSize ?? DEFAULT_POOL_SIZE));
}
