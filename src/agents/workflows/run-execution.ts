import { held, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import { isHeld, TwinloopError, toTwinloopError } from '../../domain/errors.js';
import type { Lease, RunRecord, SignalRecord, StepRecord, WorkflowJournal } from '../../store/workflow-journal.js';
import { retryDelayMs } from './retry-policy.js';
import {
  checkStepDefinition,
  retryPolicyOf,
  stepFailure,
  type AnyWorkflowDefinition,
  type SignalOutcome,
  type StepContext,
  type StepDefinition,
  type StepFailureKind,
  type WorkflowContext,
  type WorkflowDefinition,
} from './workflow-definition.js';

/**
 * One execution of one claimed run: replays the journal into the workflow body, runs what is new,
 * journals each outcome before going on, and ends by finishing, suspending or compensating.
 */

/** The shortest wait of a step whose back end holds its acts (`held`), should it name none: no tight loop. */
const HELD_MIN_WAIT_MS = 1_000;

/** What the engine tells an execution about its surroundings. */
export interface ExecutionHost {
  journal: WorkflowJournal;
  workerId: string;
  now(): number;
  leaseUntil(): number;
  random(): number;
  /** Real-time wait, for compensation retries (they run inline). */
  delay(ms: number): Promise<void>;
  stopping(): boolean;
  /** Creates a child run (claimed by this worker, and run at once when it was created). */
  startChild(def: AnyWorkflowDefinition, input: unknown, childId: string, parentId: string): Promise<RunRecord>;
  emit(event: WorkflowEvent): void;
}

/** What an execution reports as it goes; tests and monitoring hook into it. */
export type WorkflowEvent =
  | { type: 'step-starting'; runId: string; stepKey: string; attempt: number }
  | { type: 'step-journaled'; runId: string; stepKey: string; status: StepRecord['status'] }
  | { type: 'run-suspended'; runId: string; wakeAt: number }
  | { type: 'run-finished'; runId: string; status: 'succeeded' | 'failed' };

/** How an execution ended. */
export type ExecutionEnd = { kind: 'finished'; status: 'succeeded' | 'failed' } | { kind: 'suspended'; wakeAt: number } | { kind: 'abandoned'; error: TwinloopError };

/** A step that succeeded (or was interrupted) in this run, kept for compensation. */
interface Done {
  key: string;
  step: StepDefinition<unknown, unknown>;
  input: unknown;
  output: unknown;
}

type Halt = { kind: 'suspend'; wakeAt: number } | { kind: 'abort'; error: TwinloopError };

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const json = (value: unknown): string => JSON.stringify(value ?? null);
/**
 * How long a failing run waits for parallel sibling steps still acting, to undo what they did
 * too; a step that has not answered by then (one without a timeout) is left as it is.
 */
const SIBLING_WAIT_MS = 60_000;
/** A child's completion nudges its parent; this is only the fallback re-check, in case a nudge is lost. */
const CHILD_RECHECK_MS = 60_000;

/** Runs one claimed run to its next resting point. */
export class RunExecution {
  private readonly steps = new Map<string, StepRecord>();
  private readonly signals = new Map<string, SignalRecord>();
  private readonly occurrences = new Map<string, number>();
  private readonly done: Done[] = [];
  /** Step attempts under way (with the journaling of their outcome): a failing run waits for them. */
  private readonly attempting = new Set<Promise<unknown>>();
  /** Set once the run fails: no step starts after it. */
  private failing = false;
  private halt: Halt | null = null;
  private onHalt: (h: Halt) => void = () => undefined;

  constructor(
    private readonly host: ExecutionHost,
    private readonly run: RunRecord,
    private readonly def: AnyWorkflowDefinition,
    history: { steps: StepRecord[]; signals: SignalRecord[] },
  ) {
    for (const s of history.steps) this.steps.set(s.key, s);
    for (const s of history.signals) this.signals.set(s.name, s);
  }

  private get lease(): Lease {
    return { workerId: this.host.workerId, until: this.host.leaseUntil() };
  }

  /** Executes until the body returns, throws or suspends. */
  async execute(): Promise<ExecutionEnd> {
    const halted = new Promise<Halt>((resolve) => (this.onHalt = resolve));
    const body = (async () => this.def.run(this.context(), this.def.parseInput(JSON.parse(this.run.input))))().then(
      (value) => ({ kind: 'returned' as const, value }),
      (error: unknown) => ({ kind: 'threw' as const, error }),
    );
    const first = await Promise.race([body, halted]);
    try {
      switch (first.kind) {
        case 'abort':
          return { kind: 'abandoned', error: first.error };
        case 'suspend':
          await this.host.journal.suspend(this.run.id, this.lease, { status: 'waiting', wakeAt: first.wakeAt, now: this.host.now() });
          this.host.emit({ type: 'run-suspended', runId: this.run.id, wakeAt: first.wakeAt });
          return { kind: 'suspended', wakeAt: first.wakeAt };
        case 'returned':
          await this.host.journal.finish(this.run.id, this.lease, { status: 'succeeded', output: json(first.value), error: null, now: this.host.now() });
          this.host.emit({ type: 'run-finished', runId: this.run.id, status: 'succeeded' });
          return { kind: 'finished', status: 'succeeded' };
        case 'threw':
          return await this.fail(toTwinloopError(first.error));
      }
    } catch (err) {
      return { kind: 'abandoned', error: toTwinloopError(err) };
    }
  }

  /** Saga: undo the completed steps in reverse order, each undo journaled so a restart skips it. */
  private async fail(error: TwinloopError): Promise<ExecutionEnd> {
    // A parallel sibling may still be acting: wait for it, so that what it did is undone too.
    this.failing = true;
    let waited = false;
    const settle = async () => {
      while (!waited && this.attempting.size > 0) await Promise.allSettled([...this.attempting]);
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settle(), new Promise((r) => (timer = setTimeout(r, SIBLING_WAIT_MS)))]);
    clearTimeout(timer);
    waited = true;
    const undoable = this.done.filter((d) => d.step.compensate);
    if (undoable.length > 0) {
      await this.host.journal.suspend(this.run.id, this.lease, { status: 'compensating', wakeAt: this.host.now(), now: this.host.now(), error: error.message, keepLease: true });
    }
    const problems: string[] = [];
    for (const d of undoable.reverse()) {
      const key = `${d.key}~undo`;
      if (this.steps.get(key)?.status === 'succeeded') continue;
      const outcome = await this.compensate(d, key);
      if (outcome !== null) problems.push(`${key}: ${outcome}`);
      await this.save({ key, stepId: d.step.id, stepVersion: d.step.version, status: outcome === null ? 'succeeded' : 'failed', attempts: 1, output: null, error: outcome, dueAt: null });
    }
    const message = problems.length ? `${error.message}; compensation left work undone (${problems.join('; ')})` : error.message;
    await this.host.journal.finish(this.run.id, this.lease, { status: 'failed', output: null, error: message, now: this.host.now() });
    this.host.emit({ type: 'run-finished', runId: this.run.id, status: 'failed' });
    return { kind: 'finished', status: 'failed' };
  }

  /** Runs one compensation with the step's retry policy, inline; null when it succeeded. */
  private async compensate(d: Done, key: string): Promise<string | null> {
    const policy = retryPolicyOf(d.step);
    let last = 'not attempted';
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const ctx: StepContext = { workflowId: this.run.id, stepKey: key, idempotencyKey: `${this.run.id}:${key}`, attempt };
      try {
        const r = await d.step.compensate!(d.input, d.output, ctx);
        if (!r || r.status === 'ok') return null;
        // A refused undo (e.g. the order is already cancelled) will not change on retry.
        if (r.status === 'rejected') return null;
        last = r.reason;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (attempt < policy.maxAttempts) await this.host.delay(retryDelayMs(policy, attempt + 1, this.host.random()));
    }
    return last;
  }

  private async save(s: Omit<StepRecord, 'updatedAt'>): Promise<void> {
    const record: StepRecord = { ...s, updatedAt: this.host.now() };
    await this.host.journal.saveStep(this.run.id, this.lease, record);
    this.steps.set(record.key, record);
    this.host.emit({ type: 'step-journaled', runId: this.run.id, stepKey: record.key, status: record.status });
  }

  private stop(h: Halt): Promise<never> {
    if (!this.halt || (h.kind === 'suspend' && this.halt.kind === 'suspend' && h.wakeAt < this.halt.wakeAt)) this.halt = h;
    this.onHalt(this.halt);
    return never();
  }

  /** Journal trouble (a lost lease, a database down) abandons the execution: recovery picks the run up again. */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    if (this.halt || this.failing) return never();
    if (this.host.stopping()) return this.stop({ kind: 'suspend', wakeAt: this.host.now() });
    try {
      return await work();
    } catch (err) {
      const journalTrouble = err instanceof TwinloopError && err.context.stepKey === undefined && ['UNAVAILABLE', 'INTERNAL', 'CONFLICT'].includes(err.code);
      if (!journalTrouble) throw err;
      return this.stop({ kind: 'abort', error: err });
    }
  }

  private nextKey(base: string): string {
    const n = (this.occurrences.get(base) ?? 0) + 1;
    this.occurrences.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  }

  private failed(key: string, rec: StepRecord): TwinloopError {
    const parsed = JSON.parse(rec.error ?? '{}') as { kind?: StepFailureKind; reason?: string };
    return stepFailure(key, parsed.kind ?? 'rejected', parsed.reason ?? 'unknown');
  }

  private async failStep(d: Done, kind: StepFailureKind, reason: string, attempts: number): Promise<never> {
    await this.save({ key: d.key, stepId: d.step.id, stepVersion: d.step.version, status: 'failed', attempts, output: null, error: json({ kind, reason }), dueAt: null });
    // An interrupted at-most-once step may have acted: it is undone with what is known (its input).
    if (kind === 'interrupted') this.done.push(d);
    throw stepFailure(d.key, kind, reason);
  }

  private async attempt<O>(step: StepDefinition<unknown, O>, input: unknown, ctx: StepContext): Promise<ConnectorResult<O> | { status: 'crashed'; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = step.run(input, ctx);
      if (step.timeoutMs === undefined) return await work;
      const timeout = new Promise<{ status: 'crashed'; reason: string }>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'crashed', reason: `timed out after ${step.timeoutMs} ms` }), step.timeoutMs);
      });
      return await Promise.race([work, timeout]);
    } catch (err) {
      // A receiver holding every act for a while (thrown by the guarded executor): the step did nothing, and waits.
      if (isHeld(err)) return held(err.message, Number(err.context.retryAfterMs ?? 0));
      return { status: 'crashed', reason: err instanceof Error ? err.message : String(err) };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async runStep<I, O>(stepDef: StepDefinition<I, O>, input: I, key: string): Promise<O> {
    const step = stepDef as StepDefinition<unknown, O>;
    const d: Done = { key, step: step as StepDefinition<unknown, unknown>, input, output: undefined };
    const rec = this.steps.get(key);
    if (rec?.status === 'succeeded') {
      d.output = JSON.parse(rec.output ?? 'null') as O;
      this.done.push(d);
      return d.output as O;
    }
    if (rec?.status === 'failed') {
      if ((JSON.parse(rec.error ?? '{}') as { kind?: string }).kind === 'interrupted') this.done.push(d);
      throw this.failed(key, rec);
    }
    checkStepDefinition(step as StepDefinition<unknown, unknown>);
    const atMostOnce = step.semantics === 'at-most-once';
    if (rec?.status === 'started' && atMostOnce) return this.failStep(d, 'interrupted', 'the worker stopped while the step was running', rec.attempts);
    if (rec?.status === 'retrying' && rec.dueAt !== null && rec.dueAt > this.host.now()) return this.stop({ kind: 'suspend', wakeAt: rec.dueAt });
    const attempt = (rec?.attempts ?? 0) + 1;
    if (atMostOnce) await this.save({ key, stepId: step.id, stepVersion: step.version, status: 'started', attempts: attempt, output: null, error: null, dueAt: null });
    this.host.emit({ type: 'step-starting', runId: this.run.id, stepKey: key, attempt });
    // The attempt and the journaling of its success are one unit a failing run waits for.
    const settled = (async () => {
      const r = await this.attempt(step, input, { workflowId: this.run.id, stepKey: key, idempotencyKey: `${this.run.id}:${key}`, attempt });
      if (r.status === 'ok') {
        await this.save({ key, stepId: step.id, stepVersion: step.version, status: 'succeeded', attempts: attempt, output: json(r.value), error: null, dueAt: null });
        d.output = r.value;
        this.done.push(d);
      }
      return r;
    })();
    this.attempting.add(settled);
    let r: Awaited<typeof settled>;
    try {
      r = await settled;
    } finally {
      this.attempting.delete(settled);
    }
    if (r.status === 'ok') return r.value;
    if (r.status === 'rejected') return this.failStep(d, 'rejected', r.reason, attempt);
    // An at-most-once step that threw or timed out may have acted: it is not tried again.
    if (r.status === 'crashed' && atMostOnce) return this.failStep(d, 'interrupted', r.reason, attempt);
    // A back end holding every act for a while (the sandbox loading its first start's history) is
    // waited for, as long as it holds: the attempt is not counted, so the step's retries are kept
    // for real failures.
    if (r.status === 'transient' && r.held) {
      const dueAt = this.host.now() + Math.max(HELD_MIN_WAIT_MS, r.retryAfterMs ?? 0);
      await this.save({ key, stepId: step.id, stepVersion: step.version, status: 'retrying', attempts: attempt - 1, output: null, error: r.reason, dueAt });
      return this.stop({ kind: 'suspend', wakeAt: dueAt });
    }
    const policy = retryPolicyOf(step as StepDefinition<unknown, unknown>);
    if (attempt >= policy.maxAttempts) return this.failStep(d, 'exhausted', `${r.reason} after ${attempt} attempts`, attempt);
    const dueAt = this.host.now() + retryDelayMs(policy, attempt + 1, this.host.random(), r.status === 'transient' ? r.retryAfterMs : undefined);
    await this.save({ key, stepId: step.id, stepVersion: step.version, status: 'retrying', attempts: attempt, output: null, error: r.reason, dueAt });
    return this.stop({ kind: 'suspend', wakeAt: dueAt });
  }

  /** A wait (timer or signal): journaled as started with its deadline, succeeded with its outcome. */
  private async waitStep<T>(key: string, stepId: string, deadline: () => number, settle: (due: number) => T | undefined): Promise<T> {
    const rec = this.steps.get(key);
    if (rec?.status === 'succeeded') return JSON.parse(rec.output ?? 'null') as T;
    const due = rec?.dueAt ?? deadline();
    const outcome = settle(due);
    if (outcome !== undefined) {
      await this.save({ key, stepId, stepVersion: 1, status: 'succeeded', attempts: 1, output: json(outcome), error: null, dueAt: due });
      return outcome;
    }
    if (!rec) await this.save({ key, stepId, stepVersion: 1, status: 'started', attempts: 1, output: null, error: null, dueAt: due });
    return this.stop({ kind: 'suspend', wakeAt: due });
  }

  private async childStep<O>(def: WorkflowDefinition<unknown, O>, input: unknown, key: string): Promise<O> {
    const rec = this.steps.get(key);
    if (rec?.status === 'succeeded') return JSON.parse(rec.output ?? 'null') as O;
    if (rec?.status === 'failed') throw this.failed(key, rec);
    const childId = `${this.run.id}/${key.slice('child:'.length)}`;
    const child = rec ? await this.host.journal.getRun(childId) : await this.host.startChild(def as AnyWorkflowDefinition, input, childId, this.run.id);
    if (!rec) await this.save({ key, stepId: def.id, stepVersion: def.version, status: 'started', attempts: 1, output: childId, error: null, dueAt: null });
    if (child?.status === 'succeeded') {
      await this.save({ key, stepId: def.id, stepVersion: def.version, status: 'succeeded', attempts: 1, output: child.output, error: null, dueAt: null });
      return JSON.parse(child.output ?? 'null') as O;
    }
    if (child?.status === 'failed') {
      const reason = child.error ?? 'child failed';
      await this.save({ key, stepId: def.id, stepVersion: def.version, status: 'failed', attempts: 1, output: null, error: json({ kind: 'child-failed', reason }), dueAt: null });
      throw stepFailure(key, 'child-failed', reason);
    }
    return this.stop({ kind: 'suspend', wakeAt: this.host.now() + CHILD_RECHECK_MS });
  }

  private context(): WorkflowContext {
    const id = this.run.id;
    return {
      workflowId: id,
      step: (step, input, options) => this.guarded(() => this.runStep(step, input, options?.key ?? this.nextKey(step.id))),
      sleepUntil: (name, atMs) =>
        this.guarded(() =>
          this.waitStep(`sleep:${name}`, 'sleep', () => atMs, (due) => (this.host.now() >= due ? true : undefined)).then(() => undefined),
        ),
      sleep: (name, ms) =>
        this.guarded(() =>
          this.waitStep(`sleep:${name}`, 'sleep', () => this.host.now() + ms, (due) => (this.host.now() >= due ? true : undefined)).then(() => undefined),
        ),
      waitForSignal: <T>(name: string, options: { timeoutMs: number; fallback: T; key?: string }) =>
        this.guarded(() =>
          this.waitStep<SignalOutcome<T>>(`signal:${options.key ?? name}`, 'signal', () => this.host.now() + options.timeoutMs, (due) => {
            const s = this.signals.get(name);
            if (s) return { payload: JSON.parse(s.payload) as T, timedOut: false };
            return this.host.now() >= due ? { payload: options.fallback, timedOut: true } : undefined;
          }),
        ),
      waitForAnySignal: <T>(names: readonly string[], options: { timeoutMs: number; fallback: T; key: string }) =>
        this.guarded(() =>
          this.waitStep<SignalOutcome<T> & { signal: string | null }>(`signal:${options.key}`, 'signal', () => this.host.now() + options.timeoutMs, (due) => {
            for (const name of names) {
              const s = this.signals.get(name);
              if (s) return { payload: JSON.parse(s.payload) as T, timedOut: false, signal: name };
            }
            return this.host.now() >= due ? { payload: options.fallback, timedOut: true, signal: null } : undefined;
          }),
        ),
      child: <I, O>(def: WorkflowDefinition<I, O>, input: I, options?: { key?: string }) =>
        this.guarded(() => this.childStep(def as WorkflowDefinition<unknown, O>, input, `child:${options?.key ?? this.nextKey(def.id)}`)),
      now: (name) => this.guarded(() => this.waitStep(`now:${name}`, 'now', () => this.host.now(), () => this.host.now())),
    };
  }
}
