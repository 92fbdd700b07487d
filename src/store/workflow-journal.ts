import { TwinloopError } from '../domain/errors.js';

/**
 * The workflow journal port: the durable record of workflow runs, of each step's outcome, and of
 * the signals sent to runs. The workflow engine (`src/agents/workflows`) is its only writer. One
 * contract suite (`workflow-journal.contract.ts`) is run by every adapter.
 *
 * Claiming: a run is runnable when it is not finished, its `wakeAt` has passed and nobody holds an
 * unexpired lease on it. `claimRuns` hands runnable runs to one worker under a lease (PostgreSQL:
 * `FOR UPDATE SKIP LOCKED`, so several workers share one database); every step write checks and
 * extends that lease, so a worker that lost its lease cannot journal over the new owner.
 */

/** pending = not started; waiting = suspended on a timer, signal, retry or child; compensating = unwinding after a failure. */
export const RUN_STATUSES = ['pending', 'waiting', 'compensating', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses after which a run never changes again. */
export const FINISHED_STATUSES: readonly RunStatus[] = ['succeeded', 'failed'];

/** started = at-most-once marker or an open wait; retrying = a transient failure awaiting its next attempt. */
export const STEP_STATUSES = ['started', 'retrying', 'succeeded', 'failed'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A run to create. */
export interface NewRun {
  id: string;
  definitionId: string;
  definitionVersion: number;
  /** The input as JSON text. */
  input: string;
  parentId: string | null;
  createdAt: number;
  /** When set, the run is created already claimed by this worker (it runs it at once). */
  claim?: { workerId: string; leaseUntil: number };
}

/** A run as the journal holds it. */
export interface RunRecord {
  id: string;
  definitionId: string;
  definitionVersion: number;
  status: RunStatus;
  input: string;
  /** The workflow's result as JSON text, once succeeded. */
  output: string | null;
  /** Why the run failed (or why it is stuck), for people. */
  error: string | null;
  parentId: string | null;
  /** Runnable again from this time (ms); null once finished. */
  wakeAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
  /** When the run's step records were compacted (`compactFinished`), on the operator's clock; null before. */
  compactedAt: number | null;
}

/** One journaled step outcome; `key` is unique within a run. */
export interface StepRecord {
  key: string;
  /** The stable step id and version of the definition that ran it. */
  stepId: string;
  stepVersion: number;
  status: StepStatus;
  attempts: number;
  /** The step's result as JSON text, once succeeded. */
  output: string | null;
  error: string | null;
  /** Next attempt (retrying) or deadline (an open timer or signal wait), in ms. */
  dueAt: number | null;
  updatedAt: number;
}

/** A signal delivered to a run; the first one of a name wins, later ones are ignored. */
export interface SignalRecord {
  name: string;
  payload: string;
  at: number;
}

/** Which runs `listRuns` returns. */
export interface RunFilter {
  status?: RunStatus;
  definitionId?: string;
  parentId?: string;
  /** At most this many, newest first (default 100). */
  limit?: number;
}

/** The lease under which a worker writes; a write whose lease was lost fails with CONFLICT. */
export interface Lease {
  workerId: string;
  /** The lease is extended to this time by the write. */
  until: number;
}

/** What `suspend` records. */
export interface SuspendRequest {
  status: 'pending' | 'waiting' | 'compensating';
  wakeAt: number;
  now: number;
  error?: string | null;
  keepLease?: boolean;
}

/** Which finished runs `compactFinished` compacts, and what of them it keeps. */
export interface CompactionRequest {
  /** Runs finished before this time (their last change, ms on the operator's clock) are compacted. */
  finishedBefore: number;
  /** Only runs of these definitions (those whose kept steps the caller knows); others are left alone. */
  definitionIds: readonly string[];
  /**
   * Step ids whose records are kept: their outputs answer questions about the run after it
   * finished (a report, whom it told). Every other step record and every signal is dropped.
   */
  keepStepIds: readonly string[];
  /** At most this many runs in one call (one transaction): call again while it answers `runs === limit`. */
  limit: number;
  /** Recorded as the runs' `compactedAt`. */
  now: number;
}

/** What one `compactFinished` call did. */
export interface CompactionResult {
  runs: number;
  steps: number;
  signals: number;
}

/** The workflow engine's durable state, in the same database as the event log. */
export interface WorkflowJournal {
  /** `sqlite`: one process owns the file; `postgres`: several workers may share the database. */
  readonly kind: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  /** Creates a run, or returns the existing one with that id (`created: false`): starting is idempotent. */
  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /**
   * Leases up to `limit` runnable runs (due by `now`, oldest wake time first) to `workerId` until
   * `leaseUntil`. Leases are read on their own clock (`leaseNow`, default `now`): wake times are in
   * the operator's time, which a simulated operator runs at another speed than the real seconds a
   * lease must outlive a dead worker by.
   */
  claimRuns(workerId: string, now: number, leaseUntil: number, limit: number, leaseNow?: number): Promise<RunRecord[]>;
  /** Extends the leases `workerId` still holds; returns the ids it no longer holds. */
  renewLeases(workerId: string, runIds: readonly string[], leaseUntil: number): Promise<string[]>;
  /**
   * Frees leases held by workers that are gone. SQLite (one owning process): every lease not held
   * by `workerId`. PostgreSQL: nothing to do, leases expire by themselves.
   */
  releaseOrphanedLeases(workerId: string): Promise<number>;
  /** The journaled steps and delivered signals of a run. */
  loadHistory(runId: string): Promise<{ steps: StepRecord[]; signals: SignalRecord[] }>;
  /** Writes (inserts or replaces) one step outcome under the lease, extending it. */
  saveStep(runId: string, lease: Lease, step: StepRecord): Promise<void>;
  /**
   * Sets a non-finished status and the next wake time, and gives the lease up (or keeps it when
   * `keepLease`). A signal or finished child that arrived since the claim makes it wake at `now`.
   */
  suspend(runId: string, lease: Lease, next: SuspendRequest): Promise<void>;
  /** Finishes a run and wakes its parent, if any, at `now`. */
  finish(runId: string, lease: Lease, end: { status: 'succeeded' | 'failed'; output: string | null; error: string | null; now: number }): Promise<void>;
  /** Records a signal (first of a name wins) and wakes the run at `at`; false when the run is unknown or finished. */
  addSignal(runId: string, signal: SignalRecord): Promise<boolean>;
  /**
   * Compacts finished runs older than `finishedBefore`, oldest first: drops their step records
   * (but those of `keepStepIds`) and signals, and marks them `compactedAt`. The run record stays
   * whole (status, input, output, error), so starting it again by id still answers the run as it
   * ended and never runs it twice; a run not finished is never touched. Safe to repeat.
   */
  compactFinished(request: CompactionRequest): Promise<CompactionResult>;
  /** Releases the database; safe to call twice. */
  close(): Promise<void>;
}

/** Runs per `listRuns` page when the caller names no limit. */
export const DEFAULT_RUN_PAGE_SIZE = 100;

/** A run row as both adapters read it (numbers already converted). */
export interface RunRow {
  id: string;
  definition_id: string;
  definition_version: number;
  status: string;
  input: string;
  output: string | null;
  error: string | null;
  parent_id: string | null;
  wake_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
  compacted_at: number | null;
}

/** The run columns in the order both adapters select them. */
export const RUN_COLUMNS = 'id, definition_id, definition_version, status, input, output, error, parent_id, wake_at, lease_owner, lease_until, created_at, updated_at, compacted_at';

/** Row → record (pure). */
export function toRunRecord(r: RunRow): RunRecord {
  return {
    id: r.id,
    definitionId: r.definition_id,
    definitionVersion: r.definition_version,
    status: r.status as RunStatus,
    input: r.input,
    output: r.output,
    error: r.error,
    parentId: r.parent_id,
    wakeAt: r.wake_at,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    compactedAt: r.compacted_at,
  };
}

/** A step row as both adapters read it. */
export interface StepRow {
  step_key: string;
  step_id: string;
  step_version: number;
  status: string;
  attempts: number;
  output: string | null;
  error: string | null;
  due_at: number | null;
  updated_at: number;
}

/** The step columns in the order both adapters select them. */
export const STEP_COLUMNS = 'step_key, step_id, step_version, status, attempts, output, error, due_at, updated_at';

/** Row → record (pure). */
export function toStepRecord(r: StepRow): StepRecord {
  return {
    key: r.step_key,
    stepId: r.step_id,
    stepVersion: r.step_version,
    status: r.status as StepStatus,
    attempts: r.attempts,
    output: r.output,
    error: r.error,
    dueAt: r.due_at,
    updatedAt: r.updated_at,
  };
}

/** Checks a run before any adapter writes it. */
export function checkNewRun(run: NewRun): void {
  if (typeof run.id !== 'string' || run.id.length === 0 || run.id.length > 200) {
    throw new TwinloopError('BAD_INPUT', `a workflow id is 1–200 characters; got ${JSON.stringify(run.id)}`);
  }
  if (!Number.isInteger(run.definitionVersion) || run.definitionVersion < 1) {
    throw new TwinloopError('BAD_INPUT', `workflow definition version must be an integer ≥ 1; got ${run.definitionVersion}`);
  }
}

/** Checks a compaction request before any adapter acts on it. */
export function checkCompaction(r: CompactionRequest): void {
  if (!Number.isFinite(r.finishedBefore)) throw new TwinloopError('BAD_INPUT', `compaction needs a finite finishedBefore time; got ${r.finishedBefore}`);
  if (!Number.isInteger(r.limit) || r.limit < 1) throw new TwinloopError('BAD_INPUT', `compaction limit must be an integer ≥ 1; got ${r.limit}`);
}

/** Checks a run filter's status. */
export function checkRunFilter(filter: RunFilter): void {
  if (filter.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(filter.status)) {
    throw new TwinloopError('BAD_INPUT', `run status must be one of ${RUN_STATUSES.join(', ')}; got "${filter.status}"`);
  }
}

/** The error for a write whose lease was taken over (the worker stalled past its lease). */
export function leaseLost(runId: string, workerId: string): TwinloopError {
  return new TwinloopError('CONFLICT', `worker ${workerId} no longer holds the lease on workflow run "${runId}"; another worker took it over, so this worker stops running it`, {
    context: { runId, workerId },
  });
}
