import { randomUUID } from 'node:crypto';
import { TwinloopError, toTwinloopError } from '../domain/errors.js';
import type { Scenario } from './scenario.js';
import type { ScenarioResult } from './simulation-result.js';
import { simulate, type SimulateOptions } from './simulate.js';
import type { TwinSource } from './twin-population.js';
import type { DocumentStore } from '../store/document-store.js';
import { systemClock, type Clock } from '../domain/clock.js';

/** Where a run is in its life. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A simulation run as kept and persisted (JSON-serialisable). */
export interface SimulationRun {
  readonly id: string;
  readonly status: RunStatus;
  /** Fraction of draws done, 0..1. */
  readonly progress: number;
  readonly scenarios: readonly Scenario[];
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly results?: readonly ScenarioResult[];
  readonly error?: { readonly code: string; readonly message: string };
  /**
   * What a running run waits for before its first draw, in words with how far it is (a restarted
   * server's read of the log's billing records); absent once it draws. A run that sat at 0 % for
   * minutes after a restart said nothing of why.
   */
  readonly waitingFor?: string;
  /**
   * How long the run took on the wall clock (ms), from its start to its end, waits included: its
   * dates are on the operator's clock, 3,600x real time in the sandbox, where a run of 21 seconds
   * reads as started and finished 21 hours apart.
   */
  readonly tookMs?: number;
}

/** Where runs are kept: documents by run id. */
export type SimulationRunStore = DocumentStore<SimulationRun>;

/** What the runs service needs. */
export interface SimulationRunsOptions {
  readonly store: SimulationRunStore;
  /**
   * The population to simulate on, read when a run starts (e.g. the live twins and model). While it
   * is not ready it may say, as often as it likes, what it waits for (`waiting`): the run shows it.
   * `signal` aborts when the run is cancelled: a source that polls to say what it waits for stops then.
   */
  readonly source: (waiting: (what: string) => void, signal: AbortSignal) => TwinSource | Promise<TwinSource>;
  /**
   * Refuses a run at once, storing nothing, when it could not run now (throws; e.g. no churn model
   * serves yet, saying when one will) rather than answer it started and fail it a moment later.
   */
  readonly admit?: () => void;
  readonly workers?: number;
  /** Least change of progress between two persisted updates (fewer writes). */
  readonly progressStep?: number;
  /**
   * What a run's startedAt and finishedAt are dated with: the runtime's clock (the sandbox's world
   * time while it runs), as the intents and decisions the run is read with are; default the wall clock.
   */
  readonly clock?: Clock;
}

/** Starts, tracks, cancels and lists simulation runs. */
export interface SimulationRuns {
  /** Starts a run in the background and returns it at once (status `running`). */
  start(scenarios: readonly Scenario[]): Promise<SimulationRun>;
  get(id: string): Promise<SimulationRun>;
  list(): Promise<SimulationRun[]>;
  /** Stops a running run; the run ends `cancelled`. Refused (CONFLICT) once it has finished. */
  cancel(id: string): Promise<SimulationRun>;
  /** Resolves when the run has finished (any status). */
  wait(id: string): Promise<SimulationRun>;
}

/** The runs service over a store. */
export function createSimulationRuns(o: SimulationRunsOptions): SimulationRuns {
  const step = o.progressStep ?? 0.02;
  const clock = o.clock ?? systemClock;
  const stamp = () => new Date(clock.now()).toISOString();
  const live = new Map<string, { controller: AbortController; done: Promise<SimulationRun>; current: SimulationRun }>();

  const get = async (id: string): Promise<SimulationRun> => {
    const l = live.get(id);
    if (l) return l.current;
    const run = await o.store.get(id);
    if (!run) throw new TwinloopError('NOT_FOUND', `no simulation run ${id}; list the runs to find its id`);
    return run;
  };

  return {
    async start(scenarios) {
      if (scenarios.length === 0) throw new TwinloopError('BAD_INPUT', 'a run needs at least one scenario');
      o.admit?.();
      const id = randomUUID();
      const controller = new AbortController();
      const began = performance.now();
      const took = () => Math.round(performance.now() - began);
      const first: SimulationRun = { id, status: 'running', progress: 0, scenarios, startedAt: stamp() };
      await o.store.put(id, first);
      const entry = { controller, current: first, done: Promise.resolve(first) };
      live.set(id, entry);
      let saved = 0;
      // A run's writes go one after the other: a progress or wait written in passing and still in
      // flight could otherwise land over the run's end on a store that finishes writes out of
      // order (a pool of connections), and the run would read as running until a restart failed it.
      let lastWrite: Promise<void> = Promise.resolve();
      const write = (run: SimulationRun): Promise<void> => (lastWrite = lastWrite.catch(() => {}).then(() => o.store.put(id, run)));
      const writeInPassing = (run: SimulationRun) => void write(run).catch(() => {});
      const update = (run: SimulationRun) => {
        entry.current = run;
        return write(run);
      };
      const options: SimulateOptions = {
        workers: o.workers,
        signal: controller.signal,
        onProgress: (progress) => {
          entry.current = { ...entry.current, progress };
          if (progress - saved >= step) {
            saved = progress;
            writeInPassing(entry.current);
          }
        },
      };
      entry.done = (async () => {
        try {
          // A run cancelled while it waits ends at once, not when the wait does.
          const source = await Promise.race([
            o.source((what) => {
              if (controller.signal.aborted || !live.has(id)) return;
              entry.current = { ...entry.current, waitingFor: what };
              writeInPassing(entry.current);
            }, controller.signal),
            new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new TwinloopError('CONFLICT', 'the simulation was cancelled')), { once: true })),
          ]);
          if (entry.current.waitingFor !== undefined) {
            const { waitingFor: _done, ...drawing } = entry.current;
            await update(drawing);
          }
          const results = await simulate(source, scenarios, options);
          await update({ ...entry.current, status: 'succeeded', progress: 1, results, finishedAt: stamp(), tookMs: took() });
        } catch (err) {
          const e = toTwinloopError(err);
          const status: RunStatus = controller.signal.aborted ? 'cancelled' : 'failed';
          const { waitingFor: _ended, ...ended } = entry.current;
          await update({ ...ended, status, error: { code: e.code, message: e.message }, finishedAt: stamp(), tookMs: took() }).catch(() => {});
        } finally {
          live.delete(id);
        }
        return entry.current;
      })();
      return first;
    },
    get,
    list: () => o.store.list(),
    async cancel(id) {
      const l = live.get(id);
      if (!l) {
        const run = await get(id);
        throw new TwinloopError('CONFLICT', `simulation run ${id} has already ${run.status === 'running' ? 'stopped' : run.status}; nothing to cancel`);
      }
      l.controller.abort();
      return l.done;
    },
    async wait(id) {
      const l = live.get(id);
      return l ? l.done : get(id);
    },
  };
}
