import type pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import { applyPostgresMigrations } from './postgres-migrations.js';
import { inTransaction, postgresCall } from './postgres-connection.js';
import { describeTarget, openSchemaPool, SCHEMA_NAME } from './postgres-pool.js';
import {
  checkNewRun,
  checkRunFilter,
  DEFAULT_RUN_PAGE_SIZE,
  leaseLost,
  RUN_COLUMNS,
  STEP_COLUMNS,
  toRunRecord,
  toStepRecord,
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

/** Connections per journal: one per concurrently running workflow step, up to this many. */
const DEFAULT_POOL_SIZE = 10;

type Num = number | string;
type PgRunRow = Omit<RunRow, 'definition_version' | 'wake_at' | 'lease_until' | 'created_at' | 'updated_at'> & {
  definition_version: Num;
  wake_at: Num | null;
  lease_until: Num | null;
  created_at: Num;
  updated_at: Num;
};
const n = (v: Num | null): number | null => (v === null ? null : Number(v));
const runFromPg = (r: PgRunRow): RunRecord =>
  toRunRecord({ ...r, definition_version: Number(r.definition_version), wake_at: n(r.wake_at), lease_until: n(r.lease_until), created_at: Number(r.created_at), updated_at: Number(r.updated_at) });
type PgStepRow = Omit<StepRow, 'step_version' | 'attempts' | 'due_at' | 'updated_at'> & { step_version: Num; attempts: Num; due_at: Num | null; updated_at: Num };
const stepFromPg = (r: PgStepRow): StepRecord =>
  toStepRecord({ ...r, step_version: Number(r.step_version), attempts: Number(r.attempts), due_at: n(r.due_at), updated_at: Number(r.updated_at) });

// Runnable runs, locked so that two workers never claim the same one; a locked row is skipped, not waited for.
const CLAIM = `WITH c AS (
    SELECT id FROM workflow_runs
    WHERE wake_at IS NOT NULL AND wake_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
    ORDER BY wake_at LIMIT $4 FOR UPDATE SKIP LOCKED)
  UPDATE workflow_runs r SET lease_owner = $1, lease_until = $3, nudged = 0, updated_at = $2 FROM c WHERE r.id = c.id
  RETURNING ${RUN_COLUMNS.split(', ').map((c) => 'r.' + c).join(', ')}`;

// One round trip per step: the lease check, its extension and the step write commit together.
const SAVE_STEP = `WITH l AS (UPDATE workflow_runs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 RETURNING id)
  INSERT INTO workflow_steps (run_id, step_key, step_id, step_version, status, attempts, output, error, due_at, updated_at)
  SELECT l.id, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM l
  ON CONFLICT (run_id, step_key) DO UPDATE SET step_id = EXCLUDED.step_id, step_version = EXCLUDED.step_version, status = EXCLUDED.status,
    attempts = EXCLUDED.attempts, output = EXCLUDED.output, error = EXCLUDED.error, due_at = EXCLUDED.due_at, updated_at = EXCLUDED.updated_at
  RETURNING 1`;

class PostgresWorkflowJournal implements WorkflowJournal {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly target: string;
  private closed = false;

  constructor(
    url: string,
    private readonly schema: string | undefined,
    poolSize: number,
  ) {
    this.target = describeTarget(url, schema);
    this.pool = openSchemaPool(url, schema, poolSize);
  }

  private run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return postgresCall({ what: 'workflow journal', target: this.target }, this.closed, operation, work);
  }

  migrate(): Promise<void> {
    return this.run('migrate', () => inTransaction(this.pool, (client) => applyPostgresMigrations(client, this.schema, this.target)));
  }

  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.run('createRun', async () => {
      checkNewRun(run);
      const inserted = await this.pool.query<PgRunRow>(
        `INSERT INTO workflow_runs (id, definition_id, definition_version, status, input, parent_id, wake_at, lease_owner, lease_until, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $6, $6) ON CONFLICT (id) DO NOTHING RETURNING ${RUN_COLUMNS}`,
        [run.id, run.definitionId, run.definitionVersion, run.input, run.parentId, run.createdAt, run.claim?.workerId ?? null, run.claim?.leaseUntil ?? null],
      );
      if (inserted.rows[0]) return { run: runFromPg(inserted.rows[0]), created: true };
      const existing = await this.getRun(run.id);
      if (!existing) throw new TwinloopError('CONFLICT', `workflow run "${run.id}" was created and removed concurrently; start it again`);
      return { run: existing, created: false };
    });
  }

  getRun(id: string): Promise<RunRecord | null> {
    return this.run('getRun', async () => {
      const { rows } = await this.pool.query<PgRunRow>(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE id = $1`, [id]);
      return rows[0] ? runFromPg(rows[0]) : null;
    });
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.run('listRuns', async () => {
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
      const { rows } = await this.pool.query<PgRunRow>(sql, args);
      return rows.map(runFromPg);
    });
  }

  claimRuns(workerId: string, now: number, leaseUntil: number, limit: number): Promise<RunRecord[]> {
    return this.run('claimRuns', async () => {
      const { rows } = await this.pool.query<PgRunRow>(CLAIM, [workerId, now, leaseUntil, limit]);
      return rows.map(runFromPg).sort((a, b) => (a.wakeAt ?? 0) - (b.wakeAt ?? 0));
    });
  }

  renewLeases(workerId: string, runIds: readonly string[], leaseUntil: number): Promise<string[]> {
    return this.run('renewLeases', async () => {
      if (runIds.length === 0) return [];
      const { rows } = await this.pool.query<{ id: string }>('UPDATE workflow_runs SET lease_until = $1 WHERE id = ANY($2) AND lease_owner = $3 RETURNING id', [
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
    return this.run('releaseOrphanedLeases', () => Promise.resolve(0));
  }

  loadHistory(runId: string): Promise<{ steps: StepRecord[]; signals: SignalRecord[] }> {
    return this.run('loadHistory', async () => {
      const steps = await this.pool.query<PgStepRow>(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE run_id = $1 ORDER BY updated_at, step_key`, [runId]);
      const signals = await this.pool.query<{ name: string; payload: string; at: Num }>('SELECT name, payload, at FROM workflow_signals WHERE run_id = $1 ORDER BY at, name', [runId]);
      return { steps: steps.rows.map(stepFromPg), signals: signals.rows.map((s) => ({ name: s.name, payload: s.payload, at: Number(s.at) })) };
    });
  }

  saveStep(runId: string, lease: Lease, s: StepRecord): Promise<void> {
    return this.run('saveStep', async () => {
      const r = await this.pool.query(SAVE_STEP, [runId, lease.workerId, lease.until, s.key, s.stepId, s.stepVersion, s.status, s.attempts, s.output, s.error, s.dueAt, s.updatedAt]);
      if (r.rowCount === 0) throw leaseLost(runId, lease.workerId);
    });
  }

  suspend(runId: string, lease: Lease, next: SuspendRequest): Promise<void> {
    return this.run('suspend', async () => {
      const keep = next.keepLease === true;
      const r = await this.pool.query(
        `UPDATE workflow_runs SET status = $1, wake_at = CASE WHEN nudged = 1 THEN LEAST($2::bigint, $3::bigint) ELSE $2::bigint END, error = $4,
           lease_owner = $5, lease_until = $6, nudged = 0, updated_at = $3 WHERE id = $7 AND lease_owner = $8`,
        [next.status, next.wakeAt, next.now, next.error ?? null, keep ? lease.workerId : null, keep ? lease.until : null, runId, lease.workerId],
      );
      if (r.rowCount === 0) throw leaseLost(runId, lease.workerId);
    });
  }

  finish(runId: string, lease: Lease, end: { status: 'succeeded' | 'failed'; output: string | null; error: string | null; now: number }): Promise<void> {
    return this.run('finish', async () => {
      // One statement: finish the run, then nudge its parent awake if it has one.
      const r = await this.pool.query<{ parent_id: string | null }>(
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
    return this.run('addSignal', () =>
      inTransaction(this.pool, async (client) => {
        const woken = await client.query('UPDATE workflow_runs SET wake_at = LEAST(wake_at, $2), nudged = 1, updated_at = $2 WHERE id = $1 AND wake_at IS NOT NULL', [runId, s.at]);
        if (woken.rowCount === 0) return false;
        await client.query('INSERT INTO workflow_signals (run_id, name, payload, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [runId, s.name, s.payload, s.at]);
        return true;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * The PostgreSQL workflow journal, in the event store's database and schema; several workers may
 * share it. Call `migrate()` before use (or `openWorkflowJournal`).
 */
export function createPostgresWorkflowJournal(options: { url: string; schema?: string; poolSize?: number }): WorkflowJournal {
  if (typeof options.url !== 'string' || options.url.trim() === '') {
    throw new TwinloopError('BAD_INPUT', 'The PostgreSQL workflow journal needs a database URL; pass --database-url or set TWINLOOP_DATABASE_URL');
  }
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new TwinloopError('BAD_INPUT', `Schema name "${options.schema}" is not allowed; use letters, digits and "_", starting with a letter or "_"`);
  }
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new TwinloopError('BAD_INPUT', `poolSize must be an integer ≥ 1; got ${poolSize}`);
  return new PostgresWorkflowJournal(options.url, options.schema, poolSize);
}
