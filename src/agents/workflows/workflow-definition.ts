import type { ConnectorResult } from '../../domain/connectors/connector-result.js';
import { TwinloopError } from '../../domain/errors.js';
import type { RunStatus } from '../../store/workflow-journal.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

/**
 * How workflows and steps are declared: plain objects with stable ids and versions (stored in the
 * journal, never derived from function names), each step carrying its action and its compensation.
 */

/**
 * at-least-once: the step may run again after a crash, so it must pass `idempotencyKey` to the
 * connector. at-most-once: the journal marks it started before it runs; after a crash mid-step it
 * is not run again but fails (and the workflow compensates).
 */
export type StepSemantics = 'at-least-once' | 'at-most-once';

/** What a step's action and compensation receive. */
export interface StepContext {
  workflowId: string;
  /** The step's key in the run: its id, `#n` for the n-th repeat. */
  stepKey: string;
  /** `${workflowId}:${stepKey}`: stable across retries, restarts and workers; hand it to the connector. */
  idempotencyKey: string;
  /** 1 on the first attempt. */
  attempt: number;
}

/**
 * A step: `run` answers like a connector (ok / transient / rejected). transient (or a thrown
 * error, or a timeout) is retried under `retry`; rejected fails the step at once.
 * `compensate` undoes it when the workflow fails later; it gets the step's input and output
 * (output undefined when an at-most-once step was interrupted) and must be safe to repeat.
 */
export interface StepDefinition<I, O> {
  /** Stable id, stored in the journal: change it and in-flight runs no longer find their results. */
  id: string;
  version: number;
  semantics?: StepSemantics;
  retry?: Partial<RetryPolicy>;
  /** An attempt that takes longer counts as a transient failure (default: no timeout). */
  timeoutMs?: number;
  run(input: I, ctx: StepContext): Promise<ConnectorResult<O>>;
  compensate?(input: I, output: O | undefined, ctx: StepContext): Promise<ConnectorResult<unknown> | void>;
}

/** How a signal wait ended: with the payload sent, or with the declared fallback on timeout. */
export interface SignalOutcome<T> {
  payload: T;
  timedOut: boolean;
}

/** What a workflow body may do; every call is journaled and replayed on resume. */
export interface WorkflowContext {
  readonly workflowId: string;
  /** Runs a step (or returns its journaled result). Throws a TwinloopError when it fails for good. */
  step<I, O>(step: StepDefinition<I, O>, input: I, options?: { key?: string }): Promise<O>;
  /** Durable timer: resumes once the clock has passed `atMs`, across restarts. */
  sleepUntil(name: string, atMs: number): Promise<void>;
  /** Durable timer relative to the first time this line ran. */
  sleep(name: string, ms: number): Promise<void>;
  /**
   * Waits for `signal(workflowId, name, payload)`; after `timeoutMs` resumes with `fallback`. The
   * wait is journaled under `key` (default: the name), so a body may look for the same signal at
   * several points (`timeoutMs: 0` only looks whether it came).
   */
  waitForSignal<T>(name: string, options: { timeoutMs: number; fallback: T; key?: string }): Promise<SignalOutcome<T>>;
  /**
   * Waits for the first of several signals, as `waitForSignal` does for one (journaled under `key`):
   * the one that came, the earliest of `names` when several did (so a body orders them by what it
   * must hear first); `signal` null on timeout. A signal a body has acted on stays sent: leave its
   * name out of the next wait.
   */
  waitForAnySignal<T>(names: readonly string[], options: { timeoutMs: number; fallback: T; key: string }): Promise<SignalOutcome<T> & { signal: string | null }>;
  /** Starts a child workflow (id `${workflowId}/${key}`) and waits for its result; its failure throws here. */
  child<I, O>(definition: WorkflowDefinition<I, O>, input: I, options?: { key?: string }): Promise<O>;
  /** The engine clock's time, journaled so that a replay sees the same value. */
  now(name: string): Promise<number>;
}

/**
 * A workflow: a deterministic body over `ctx` (same journal, same calls in the same order) that
 * returns its result. `parseInput` validates the input once, when the run is started.
 */
export interface WorkflowDefinition<I, O> {
  /** Stable id, stored in the journal. */
  id: string;
  /** An in-flight run finishes on the version it started with; register every version still running. */
  version: number;
  /**
   * Ids of the steps whose journaled outputs are read after the run finished (its report, whom it
   * told): kept when the journal compacts the run; every other step record is dropped then.
   */
  keptSteps?: readonly string[];
  parseInput(raw: unknown): I;
  run(ctx: WorkflowContext, input: I): Promise<O>;
  /**
   * Checks a new run's input against the world as it is when it is started, before the run is
   * created (BAD_INPUT naming the field: an offer the catalogue does not have), which `parseInput`
   * cannot do: it parses the input again whenever the run is taken up, and the world may have
   * changed since. Not asked again for a start answered by the run it names (a retry).
   */
  admit?(input: I): Promise<void>;
  /** Set for a flow of which one run may exist per subject (a managed campaign per campaign id): see `OneRunPer`. */
  oneRunPer?: OneRunPer<I>;
}

/** A run of a subject as `OneRunPer.taken` reads it. */
export interface SubjectRun {
  readonly workflowId: string;
  readonly status: RunStatus;
  readonly createdAt: number;
}

/**
 * One run per subject (a managed campaign per campaign id), kept by the engine's `start`, which
 * every edge goes through (HTTP, an intent's plan, TMF921, MCP): the run's id is the subject's
 * (`runIdOf`), so the journal's key keeps a second run out across processes. A start that names
 * that id is a retry of its start and answered as ever (idempotent); any other start of a subject
 * whose run exists, running or ended, is refused CONFLICT in `taken`'s words (its state).
 */
export interface OneRunPer<I> {
  runIdOf(input: I): string;
  taken(input: I, run: SubjectRun): Promise<string>;
}

/** A definition whose input and output types are erased, as the registry holds it (methods are bivariant, so any definition fits). */
export type AnyWorkflowDefinition = WorkflowDefinition<unknown, unknown>;

const ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Checks a definition when it is registered (fail fast on a bad id or version). */
export function checkWorkflowDefinition(def: AnyWorkflowDefinition): void {
  if (!ID.test(def.id)) throw new TwinloopError('BAD_INPUT', `workflow id "${def.id}" must be 1–100 lower-case letters, digits, ".", "_" or "-"`);
  if (!Number.isInteger(def.version) || def.version < 1) throw new TwinloopError('BAD_INPUT', `workflow ${def.id} version must be an integer ≥ 1; got ${def.version}`);
  if (typeof def.run !== 'function' || typeof def.parseInput !== 'function') {
    throw new TwinloopError('BAD_INPUT', `workflow ${def.id} needs run(ctx, input) and parseInput(raw)`);
  }
}

/** Checks a step the first time a run calls it. */
export function checkStepDefinition(step: StepDefinition<unknown, unknown>): void {
  if (!ID.test(step.id)) throw new TwinloopError('BAD_INPUT', `step id "${step.id}" must be 1–100 lower-case letters, digits, ".", "_" or "-"`);
  if (!Number.isInteger(step.version) || step.version < 1) throw new TwinloopError('BAD_INPUT', `step ${step.id} version must be an integer ≥ 1; got ${step.version}`);
}

/** The full retry policy of a step: its own settings over the documented defaults. */
export function retryPolicyOf(step: StepDefinition<unknown, unknown>): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...step.retry };
}

/** Why a step failed for good; thrown into the workflow body as a TwinloopError's context. */
export type StepFailureKind = 'rejected' | 'exhausted' | 'interrupted' | 'child-failed';

/** The error a workflow body sees when a step fails for good. */
export function stepFailure(stepKey: string, kind: StepFailureKind, reason: string): TwinloopError {
  const code = kind === 'exhausted' ? 'UNAVAILABLE' : 'CONFLICT';
  const advice =
    kind === 'rejected'
      ? 'the back end refused it; it will not succeed on retry'
      : kind === 'exhausted'
        ? 'retries are used up; check the back end and start the workflow again'
        : kind === 'interrupted'
          ? 'an at-most-once step was interrupted by a crash and is not run twice; check the back end by hand'
          : 'the child workflow failed; see its own run';
  return new TwinloopError(code, `step ${stepKey} failed (${reason}): ${advice}`, { context: { stepKey, kind, reason } });
}

/** The failure kind and reason of an error thrown by `ctx.step`, or undefined for other errors. */
export function stepFailureOf(err: unknown): { stepKey: string; kind: StepFailureKind; reason: string } | undefined {
  if (!(err instanceof TwinloopError)) return undefined;
  const c = err.context;
  return typeof c.stepKey === 'string' && typeof c.kind === 'string' && typeof c.reason === 'string'
    ? { stepKey: c.stepKey, kind: c.kind as StepFailureKind, reason: c.reason }
    : undefined;
}
