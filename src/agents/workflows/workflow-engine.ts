import { randomUUID } from 'node:crypto';
import { realMsUntil, systemClock, type Clock } from '../../domain/clock.js';
import { closeMatches } from '../../domain/close-matches.js';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues, type InputIssue } from '../../domain/input-issues.js';
import { DAY_MS } from '../../domain/time.js';
import { FINISHED_STATUSES, type CompactionResult, type RunFilter, type RunRecord, type RunStatus, type StepStatus, type WorkflowJournal } from '../../store/workflow-journal.js';
import { RunExecution, type ExecutionEnd, type ExecutionHost, type WorkflowEvent } from './run-execution.js';
import { checkWorkflowDefinition, type AnyWorkflowDefinition, type SubjectRun, type WorkflowDefinition } from './workflow-definition.js';

/** How often a worker looks for runnable runs when nothing wakes it sooner (ms). */
export const DEFAULT_POLL_INTERVAL_MS = 200;
/** A dead worker's runs are taken over after this long; live workers renew at a third of it (ms). */
export const DEFAULT_LEASE_MS = 30_000;
/** Runs one worker executes at once; about the journal's connection pool, so none waits for a connection. */
export const DEFAULT_CONCURRENCY = 16;
/** The shortest real wait for a wake time the clock has not reached yet (the sandbox's clock moves at ticks of 250 ms). */
const MIN_WAKE_MS = 20;
/** The longest real timer for a wake time: a later one is looked at again then (at the clock's pace then). */
const WAKE_HORIZON_MS = 60_000;
/** A run whose definition version this worker does not have is looked at again after this long (ms). */
const UNKNOWN_DEFINITION_RETRY_MS = 60_000;

/**
 * How finished runs are compacted: their step records (but each definition's `keptSteps`) and
 * signals dropped once they finished longer ago than `retentionMs` on the operator's clock
 * (default 30 days: a month to look at what a run did step by step; what it answered stays for
 * ever), looked for every `everyMs` of real time (default 60 s), at most `batch` runs a
 * transaction (default 200, so one pass never holds the database for long).
 */
export interface CompactionOptions {
  retentionMs?: number;
  everyMs?: number;
  batch?: number;
}
/** Defaults of `CompactionOptions`. */
export const DEFAULT_COMPACTION = { retentionMs: 30 * DAY_MS, everyMs: 60_000, batch: 200 } as const;
/** Transactions one compaction pass runs at most: what is left waits for the next pass. */
const COMPACTION_BATCHES_PER_PASS = 10;

/** Options of `createWorkflowEngine`. */
export interface WorkflowEngineOptions {
  journal: WorkflowJournal;
  /** Names this worker in leases; unique per process sharing a journal. */
  workerId: string;
  /** Time for timers, retries and signal deadlines (default: the wall clock). */
  clock?: Clock;
  /**
   * Time for leases (default: `clock`). A simulated operator's clock runs at another speed than
   * real time, and not at one speed (it waits for wall time, then runs ahead of it): a lease must
   * outlive a dead worker by real seconds, so such an operator gives the wall clock here.
   */
  leaseClock?: Clock;
  pollIntervalMs?: number;
  /** How long a lease lasts on the lease clock (default 30 s); renewed every third of it. */
  leaseMs?: number;
  /** Milliseconds between lease renewals (default leaseMs / 3). */
  heartbeatMs?: number;
  concurrency?: number;
  /** Draws retry jitter (default Math.random). */
  random?: () => number;
  /** Hears every step journaled, run suspended or finished (monitoring, tests). */
  onEvent?: (event: WorkflowEvent) => void;
  /** Compaction of finished runs while `run()` runs (default `DEFAULT_COMPACTION`); false: never. */
  compaction?: CompactionOptions | false;
  /** Hears a compaction pass that failed (it is tried again at the next). */
  onCompactionError?: (err: Error) => void;
}

/** A run as callers see it: input and output parsed. */
export interface WorkflowRun {
  workflowId: string;
  definitionId: string;
  definitionVersion: number;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: string | null;
  parentId: string | null;
  createdAt: number;
  updatedAt: number;
  /** When the run's step records were compacted (its kept steps and its result stay); null before. */
  stepsCompactedAt: number | null;
  /** When a run that waits wakes next (its timer, ms on the operator's clock; a signal may wake it sooner); null when it does not wait. */
  wakeAt: number | null;
}

/** One journaled step of a run, as people read it: what it did (its output) or why it has not yet. */
export interface WorkflowStepView {
  /** The step's key in the run (its id, or the key a flow gave a repeated step, e.g. `notice-0`). */
  key: string;
  stepId: string;
  status: StepStatus;
  attempts: number;
  /** The step's result, once it succeeded (parsed JSON). */
  output: unknown;
  error: string | null;
  /** When the step last changed, in ms on the operator's clock. */
  updatedAt: number;
}

/** What `start` answers: the run's id, and whether this call created it (false: it already existed). */
export interface StartedWorkflow {
  workflowId: string;
  created: boolean;
  status: RunStatus;
}

/** How a run is started: its id (a retry names it), the definition's version, and what must be durable before the run is. */
export interface StartOptions {
  workflowId?: string;
  version?: number;
  /**
   * Called once the start is admitted (input valid, its subject's run free, the flow's own
   * admission passed) and before the run is written; not for a start naming a run that exists.
   * What it writes is durable before the run is, so a crash between the two cannot lose it: who
   * started the run, in the audit trail (it must be idempotent by the run id: a crash after it and
   * before the run is written makes the retry call it again). A throw starts nothing.
   */
  beforeCreate?: (run: { workflowId: string; definitionId: string; input: unknown }) => Promise<void>;
}

/** The durable workflow engine of one worker. */
export interface WorkflowEngine {
  /** Adds a definition version; keep registering old versions while runs on them are in flight. */
  register(definition: AnyWorkflowDefinition): void;
  /** Starts a run of the newest (or the given) version; idempotent on `workflowId`. Validates the input. */
  start(definitionId: string, input: unknown, options?: StartOptions): Promise<StartedWorkflow>;
  /** Delivers a signal to a run (first of a name wins); false when the run is unknown or finished. */
  signal(workflowId: string, name: string, payload: unknown): Promise<boolean>;
  get(workflowId: string): Promise<WorkflowRun | null>;
  list(filter?: RunFilter): Promise<WorkflowRun[]>;
  /** The journaled steps of a run, in the order they were first written; null for an unknown run. */
  steps(workflowId: string): Promise<WorkflowStepView[] | null>;
  /** Recovers in-flight runs and keeps running runnable ones until `stop()`. */
  run(): Promise<void>;
  /** Stops claiming, lets running executions reach their next step boundary, releases their leases. */
  stop(): Promise<void>;
  /** Claims and executes what is runnable now, once; resolves when those executions rest. For tests and tools. */
  runOnce(): Promise<number>;
  /** Resolves with the run once it has finished (whichever worker ran it). */
  waitFor(workflowId: string, options?: { timeoutMs?: number }): Promise<WorkflowRun>;
  /** Hears every step journaled, run suspended or finished (a notification hub's source); returns the function that stops it. */
  subscribe(listener: (event: WorkflowEvent) => void): () => void;
  /**
   * Compacts the runs of the registered definitions that finished longer ago than the retention
   * (what `run()` does every `everyMs`); answers what it dropped. For tests and tools.
   */
  compact(): Promise<CompactionResult>;
}

/** The parsed view of a journal record. */
export function toWorkflowRun(r: RunRecord): WorkflowRun {
  return {
    workflowId: r.id,
    definitionId: r.definitionId,
    definitionVersion: r.definitionVersion,
    status: r.status,
    input: JSON.parse(r.input) as unknown,
    output: r.output === null ? null : (JSON.parse(r.output) as unknown),
    error: r.error,
    parentId: r.parentId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    stepsCompactedAt: r.compactedAt,
    wakeAt: r.status === 'waiting' ? r.wakeAt : null,
  };
}

const positive = (name: string, v: number) => {
  if (!Number.isFinite(v) || v <= 0) throw new TwinloopError('BAD_INPUT', `workflow engine ${name} must be a positive number; got ${v}`);
  return v;
};

/** Creates one worker's engine over a journal. Nothing runs until `run()` (or `runOnce()`). */
export function createWorkflowEngine(options: WorkflowEngineOptions): WorkflowEngine {
  const { journal } = options;
  if (!journal) throw new TwinloopError('BAD_INPUT', 'the workflow engine needs a journal; open one with openWorkflowJournal');
  if (typeof options.workerId !== 'string' || options.workerId.trim() === '') throw new TwinloopError('BAD_INPUT', 'the workflow engine needs a non-empty workerId');
  const clock = options.clock ?? systemClock;
  const leaseClock = options.leaseClock ?? clock;
  const pollMs = positive('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  const leaseMs = positive('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS);
  const concurrency = Math.floor(positive('concurrency', options.concurrency ?? DEFAULT_CONCURRENCY));
  const workerId = options.workerId;
  const compaction = options.compaction === false ? undefined : { ...DEFAULT_COMPACTION, ...options.compaction };
  if (compaction) {
    positive('compaction.retentionMs', compaction.retentionMs);
    positive('compaction.everyMs', compaction.everyMs);
    positive('compaction.batch', compaction.batch);
  }

  const definitions = new Map<string, Map<number, AnyWorkflowDefinition>>();
  const active = new Map<string, Promise<ExecutionEnd>>();
  const finishedListeners = new Map<string, Set<() => void>>();
  const subscribers = new Set<(event: WorkflowEvent) => void>();
  let running = false;
  let stopping = false;
  let loop: Promise<void> | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let compactor: NodeJS.Timeout | null = null;
  let compacting: Promise<unknown> = Promise.resolve();
  let poke: (() => void) | null = null;
  /** Wake times of the runs this worker suspended, by run (what `armWake` waits for). */
  const wakes = new Map<string, number>();
  let wakeTimer: NodeJS.Timeout | null = null;

  const wakeLoop = () => poke?.();
  const definitionOf = (id: string, version: number) => definitions.get(id)?.get(version);
  const newest = (id: string): AnyWorkflowDefinition | undefined => {
    const versions = definitions.get(id);
    return versions ? versions.get(Math.max(...versions.keys())) : undefined;
  };

  const host: ExecutionHost = {
    journal,
    workerId,
    now: () => clock.now(),
    leaseUntil: () => leaseClock.now() + leaseMs,
    random: options.random ?? Math.random,
    delay: (ms) => new Promise((r) => setTimeout(r, ms)),
    stopping: () => stopping,
    startChild: async (def, input, childId, parentId) => {
      register(def);
      const parsed = parsedInput(def as AnyWorkflowDefinition, input);
      const now = clock.now();
      const { run, created } = await journal.createRun({
        id: childId,
        definitionId: def.id,
        definitionVersion: def.version,
        input: JSON.stringify(parsed ?? null),
        parentId,
        createdAt: now,
        claim: { workerId, leaseUntil: leaseClock.now() + leaseMs },
      });
      if (created) launch(run, true);
      return run;
    },
    emit: (event) => {
      if (event.type === 'run-finished') notifyFinished(event.runId);
      options.onEvent?.(event);
      for (const l of subscribers) l(event);
    },
  };

  function notifyFinished(runId: string): void {
    for (const l of finishedListeners.get(runId) ?? []) l();
    finishedListeners.delete(runId);
  }

  function register(def: AnyWorkflowDefinition): void {
    checkWorkflowDefinition(def);
    const versions = definitions.get(def.id) ?? new Map<number, AnyWorkflowDefinition>();
    const existing = versions.get(def.version);
    if (existing && existing !== def) throw new TwinloopError('CONFLICT', `workflow ${def.id} version ${def.version} is already registered with another body; bump the version`);
    versions.set(def.version, def);
    definitions.set(def.id, versions);
  }

  /**
   * Looks at the journal when the clock reaches the wake time of a run this worker suspended,
   * waited for in real time at the clock's pace (`Clock.realMsUntil`): a sleep of an hour on the
   * sandbox's world (3,600x) is a second of real time, not an hour, nor whenever the next poll
   * comes. One timer, for the earliest; a wake time past WAKE_HORIZON_MS is looked at again then
   * (the clock's pace may have changed); a clock that does not move by itself is left to the poll.
   * The sandbox's clock moves at its ticks, so it may read the time a little after the estimate:
   * then it is looked at again every MIN_WAKE_MS until it does.
   */
  function armWake(): void {
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = null;
    if (!running || wakes.size === 0) return;
    const now = clock.now();
    let earliest = Infinity;
    let reached = false;
    for (const [id, at] of wakes) {
      // Due: the claim that follows takes it (or another worker did).
      if (at <= now) {
        wakes.delete(id);
        reached = true;
      } else earliest = Math.min(earliest, at);
    }
    if (reached) wakeLoop();
    if (earliest === Infinity) return;
    const ms = realMsUntil(clock, earliest);
    if (ms === Infinity) return;
    wakeTimer = setTimeout(armWake, Math.min(WAKE_HORIZON_MS, Math.max(MIN_WAKE_MS, ms)));
  }

  async function execute(run: RunRecord, fresh: boolean): Promise<ExecutionEnd> {
    const def = definitionOf(run.definitionId, run.definitionVersion);
    if (!def) {
      const error = `worker ${workerId} has no definition ${run.definitionId} version ${run.definitionVersion}; register it (keep old versions while their runs are in flight)`;
      await journal.suspend(run.id, { workerId, until: leaseClock.now() }, { status: run.status === 'pending' ? 'pending' : 'waiting', wakeAt: clock.now() + UNKNOWN_DEFINITION_RETRY_MS, now: clock.now(), error });
      return { kind: 'suspended', wakeAt: clock.now() + UNKNOWN_DEFINITION_RETRY_MS };
    }
    // A run this worker created just now has no history to read.
    const history = fresh ? { steps: [], signals: [] } : await journal.loadHistory(run.id);
    return new RunExecution(host, run, def, history).execute();
  }

  function launch(run: RunRecord, fresh = false): void {
    wakes.delete(run.id);
    const current = active.get(run.id);
    if (current) {
      // Claimed again (a signal woke it) while its last execution was still ending: run it once
      // that one has, rather than drop the claim and leave the run leased, idle, for a whole lease.
      void current.then(() => launch(run, fresh));
      return;
    }
    const p = execute(run, fresh)
      .catch((err: unknown): ExecutionEnd => ({ kind: 'abandoned', error: err instanceof TwinloopError ? err : new TwinloopError('INTERNAL', String(err), { cause: err }) }))
      .then((end) => {
        active.delete(run.id);
        if (end.kind === 'suspended') {
          wakes.set(run.id, end.wakeAt);
          armWake();
        }
        wakeLoop();
        return end;
      });
    active.set(run.id, p);
  }

  async function claimAndLaunch(): Promise<RunRecord[]> {
    const room = concurrency - active.size;
    if (room <= 0) return [];
    const leaseNow = leaseClock.now();
    const claimed = await journal.claimRuns(workerId, clock.now(), leaseNow + leaseMs, room, leaseNow);
    for (const r of claimed) launch(r);
    return claimed;
  }

  async function pollLoop(): Promise<void> {
    while (running) {
      try {
        await claimAndLaunch();
      } catch {
        // The journal is unreachable: keep polling, the next round may succeed.
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        poke = () => {
          clearTimeout(t);
          resolve();
        };
      });
      poke = null;
    }
  }

  /** One compaction pass: up to COMPACTION_BATCHES_PER_PASS transactions of `batch` runs. */
  async function compactPass(c: Required<CompactionOptions>): Promise<CompactionResult> {
    const defs = [...definitions.values()].flatMap((versions) => [...versions.values()]);
    const request = {
      finishedBefore: clock.now() - c.retentionMs,
      definitionIds: [...new Set(defs.map((d) => d.id))],
      keepStepIds: [...new Set(defs.flatMap((d) => d.keptSteps ?? []))],
      limit: c.batch,
      now: clock.now(),
    };
    const total: CompactionResult = { runs: 0, steps: 0, signals: 0 };
    if (request.definitionIds.length === 0) return total;
    for (let i = 0; i < COMPACTION_BATCHES_PER_PASS; i++) {
      const done = await journal.compactFinished(request);
      total.runs += done.runs;
      total.steps += done.steps;
      total.signals += done.signals;
      if (done.runs < c.batch) break;
    }
    return total;
  }

  async function renewLeases(): Promise<void> {
    const ids = [...active.keys()];
    if (ids.length) await journal.renewLeases(workerId, ids, leaseClock.now() + leaseMs).catch(() => undefined);
  }

  /**
   * The id of a one-run-per-subject flow's run for this input (`OneRunPer`), once this start may
   * create it or answer it: a start naming another id is BAD_INPUT; one of a subject whose run
   * exists (or whose run from before runs had the subject's id, still unfinished) is CONFLICT in the
   * definition's words unless it names that run's id (a retry).
   */
  async function subjectRunId(def: AnyWorkflowDefinition, one: NonNullable<AnyWorkflowDefinition['oneRunPer']>, parsed: unknown, named: string | undefined): Promise<string> {
    const own = one.runIdOf(parsed);
    if (named !== undefined && named !== own) throw new TwinloopError('BAD_INPUT', `workflowId: a ${def.id} run's id is its subject's, ${own} (one run each); leave workflowId out or send that one`);
    const existing = (await journal.getRun(own)) ?? (await earlierRunOf(def, one, own));
    if (existing && existing.id !== named) throw new TwinloopError('CONFLICT', await one.taken(parsed, subjectRunOf(existing)));
    return own;
  }
  /** An unfinished run of the same subject started before its runs took the subject's id (under a random one), among the newest. */
  async function earlierRunOf(def: AnyWorkflowDefinition, one: NonNullable<AnyWorkflowDefinition['oneRunPer']>, own: string): Promise<RunRecord | undefined> {
    const sameSubject = (r: RunRecord) => {
      try {
        return one.runIdOf(def.parseInput(JSON.parse(r.input))) === own;
      } catch {
        return false;
      }
    };
    return (await journal.listRuns({ definitionId: def.id, limit: EARLIER_RUNS_READ })).find((r) => !FINISHED_STATUSES.includes(r.status) && sameSubject(r));
  }

  /** Why `definitionId` (at `version`) cannot start: the misspelt name's nearest, else every workflow registered. */
  function unknownWorkflow(definitionId: string, version: number | undefined): string {
    const known = [...definitions.keys()].sort();
    if (version !== undefined && definitions.has(definitionId)) {
      return `workflow "${definitionId}" has no version ${version}; its versions: ${[...(definitions.get(definitionId)?.keys() ?? [])].sort((a, b) => a - b).join(', ')}`;
    }
    const near = closeMatches(definitionId, known);
    const hint = near.length ? `did you mean ${near.map((n) => `"${n}"`).join(' or ')}? ` : '';
    return `no workflow "${definitionId}" is registered; ${hint}the workflows: ${known.join(', ') || 'none yet'}`;
  }

  const engine: WorkflowEngine = {
    register,

    async start(definitionId, input, opts = {}) {
      const def = opts.version === undefined ? newest(definitionId) : definitionOf(definitionId, opts.version);
      if (!def) {
        throw new TwinloopError('NOT_FOUND', unknownWorkflow(definitionId, opts.version));
      }
      const parsed: unknown = parsedInput(def, input);
      const one = def.oneRunPer;
      const id = one ? await subjectRunId(def, one, parsed, opts.workflowId) : (opts.workflowId ?? randomUUID());
      // A new run is admitted against the world now; a start answered by the run it names is not asked again.
      const exists = opts.workflowId !== undefined && (def.admit || opts.beforeCreate) ? (await journal.getRun(id)) !== null : false;
      if (def.admit && !exists) await def.admit(parsed);
      if (opts.beforeCreate && !exists) await opts.beforeCreate({ workflowId: id, definitionId: def.id, input: parsed });
      const now = clock.now();
      const { run, created } = await journal.createRun({
        id,
        definitionId: def.id,
        definitionVersion: def.version,
        input: JSON.stringify(parsed ?? null),
        parentId: null,
        createdAt: now,
        // A running worker runs what it starts at once, without waiting for a poll.
        claim: running && active.size < concurrency ? { workerId, leaseUntil: leaseClock.now() + leaseMs } : undefined,
      });
      // Another process created the subject's run between the look and the write: this start is a second one.
      if (one && !created && opts.workflowId === undefined) throw new TwinloopError('CONFLICT', await one.taken(parsed, subjectRunOf(run)));
      if (created && run.leaseOwner === workerId) launch(run, true);
      return { workflowId: run.id, created, status: run.status };
    },

    async signal(workflowId, name, payload) {
      if (typeof name !== 'string' || name === '') throw new TwinloopError('BAD_INPUT', 'a signal needs a non-empty name');
      const ok = await journal.addSignal(workflowId, { name, payload: JSON.stringify(payload ?? null), at: clock.now() });
      if (ok) wakeLoop();
      return ok;
    },

    async get(workflowId) {
      const r = await journal.getRun(workflowId);
      return r ? toWorkflowRun(r) : null;
    },

    async list(filter) {
      return (await journal.listRuns(filter)).map(toWorkflowRun);
    },

    async steps(workflowId) {
      if (!(await journal.getRun(workflowId))) return null;
      const { steps } = await journal.loadHistory(workflowId);
      return steps.map((st) => ({ key: st.key, stepId: st.stepId, status: st.status, attempts: st.attempts, output: st.output === null ? null : (JSON.parse(st.output) as unknown), error: st.error, updatedAt: st.updatedAt }));
    },

    async run() {
      if (running) return;
      running = true;
      stopping = false;
      await journal.releaseOrphanedLeases(workerId);
      heartbeat = setInterval(() => void renewLeases(), options.heartbeatMs ?? leaseMs / 3);
      heartbeat.unref();
      if (compaction) {
        // One pass at a time; a failed pass (the database busy) is tried again at the next.
        compactor = setInterval(() => {
          compacting = compacting.then(() => compactPass(compaction).catch((err: Error) => options.onCompactionError?.(err)));
        }, compaction.everyMs);
        compactor.unref();
      }
      loop = pollLoop();
    },

    async stop() {
      if (!running) return;
      running = false;
      stopping = true;
      wakeLoop();
      if (heartbeat) clearInterval(heartbeat);
      if (compactor) clearInterval(compactor);
      compactor = null;
      await compacting;
      if (wakeTimer) clearTimeout(wakeTimer);
      wakeTimer = null;
      wakes.clear();
      await loop;
      await Promise.all([...active.values()]);
      stopping = false;
    },

    async runOnce() {
      const claimed = await claimAndLaunch();
      await Promise.all(claimed.map((r) => active.get(r.id)));
      // Children launched by those executions rest too before this returns.
      while (active.size) await Promise.all([...active.values()]);
      return claimed.length;
    },

    subscribe(listener) {
      subscribers.add(listener);
      return () => subscribers.delete(listener);
    },

    compact() {
      const pass = compacting.then(() => compactPass(compaction ?? DEFAULT_COMPACTION));
      compacting = pass.catch(() => undefined);
      return pass;
    },

    async waitFor(workflowId, opts = {}) {
      const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
      for (;;) {
        // A run executing here ends (finished or suspended) in this process: wait for that instead
        // of reading the journal every poll interval meanwhile (5 reads a workflow on a loaded
        // machine, a third of a short workflow's round trips).
        const local = active.get(workflowId);
        if (local) await untilEndOr(local, deadline);
        const r = await journal.getRun(workflowId);
        if (!r) throw new TwinloopError('NOT_FOUND', `workflow run "${workflowId}" not found; start it first`);
        if (FINISHED_STATUSES.includes(r.status)) return toWorkflowRun(r);
        if (Date.now() >= deadline) throw new TwinloopError('UNAVAILABLE', `workflow run "${workflowId}" has not finished within ${opts.timeoutMs} ms (status ${r.status}); wait longer or look at its steps`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.min(pollMs, Math.max(0, deadline - Date.now())));
          function done() {
            clearTimeout(t);
            finishedListeners.get(workflowId)?.delete(done);
            resolve();
          }
          const set = finishedListeners.get(workflowId) ?? new Set();
          set.add(done);
          finishedListeners.set(workflowId, set);
        });
      }
    },
  };
  return engine;
}

/** Waits for `p` to settle, or for the clock to pass `deadline` (epoch ms; Infinity: no limit). */
async function untilEndOr(p: Promise<unknown>, deadline: number): Promise<void> {
  if (deadline === Infinity) {
    await p;
    return;
  }
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise((resolve) => (t = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
  } finally {
    clearTimeout(t);
  }
}

/** Narrows a definition for `register` without losing its types at the call site. */
export function defineWorkflow<I, O>(definition: WorkflowDefinition<I, O>): WorkflowDefinition<I, O> {
  checkWorkflowDefinition(definition as AnyWorkflowDefinition);
  return definition;
}

/** The newest runs of a one-run-per-subject flow read for an unfinished one of the subject from before (a flow with one run per subject runs few). */
const EARLIER_RUNS_READ = 200;
const subjectRunOf = (r: RunRecord): SubjectRun => ({ workflowId: r.id, status: r.status, createdAt: r.createdAt });

/**
 * A run's input as its definition parses it; a refusal (a zod schema's issues, or any throw) is a
 * BAD_INPUT naming every field at fault as the input writes it (`variants[0].channel: expected one of app, web, got "fax"`),
 * never a fault of the server.
 */
function parsedInput(def: AnyWorkflowDefinition, input: unknown): unknown {
  try {
    return def.parseInput(input);
  } catch (err) {
    if (err instanceof TwinloopError) throw err;
    const issues = (err as { issues?: unknown }).issues;
    if (Array.isArray(issues) && issues.length > 0) {
      // Every problem, none hidden behind a count: a sender fixed one field a request.
      throw new TwinloopError('BAD_INPUT', `workflow ${def.id} refused its input: ${describeInputIssues(issues as InputIssue[], input, { whole: 'the input' })}`, { cause: err });
    }
    throw new TwinloopError('BAD_INPUT', `workflow ${def.id} refused its input: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
