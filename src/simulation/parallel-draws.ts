import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { endThread, startScriptWorker } from '../domain/script-worker.js';
import { TwinloopError } from '../domain/errors.js';
import { METRIC_COUNT, runDraws, type KernelParams } from './monte-carlo-kernel.js';
import type { SharedPopulation } from './shared-population.js';
import { viewOf } from './shared-population.js';
import type { SimulationWorkerData, SimulationWorkerMessage } from './simulation-worker.js';

/** How to run the draws of one scenario. */
export interface ParallelOptions {
  /** Worker threads; default `os.availableParallelism()` (this thread below ~2M twin-draws); 0 = this thread. */
  readonly workers?: number;
  /** Called with the number of draws finished so far. */
  readonly onDraw?: (done: number) => void;
  /** Aborting ends the workers after their current draw; the promise rejects with CONFLICT ("cancelled"). */
  readonly signal?: AbortSignal;
}

/** Below this many twin-draws a thread costs more than it saves (start-up is ~50 ms). */
const MIN_WORK_FOR_THREADS = 2_000_000;

const cancelled = () => new TwinloopError('CONFLICT', 'the simulation was cancelled');

function startWorker(data: SimulationWorkerData): Worker {
  return startScriptWorker(import.meta.url, 'simulation-worker', data);
}

/**
 * Runs `draws` draws of one scenario and returns their figures (`draws × segments × METRIC_COUNT`).
 * The draws are split across worker threads that share the population's memory; each draw's
 * numbers come from its own seeded stream, so the result does not depend on the split.
 */
export async function runParallelDraws(population: SharedPopulation, params: KernelParams, draws: number, o: ParallelOptions = {}): Promise<Float64Array> {
  if (o.signal?.aborted) throw cancelled();
  const out = new SharedArrayBuffer(draws * params.segments * METRIC_COUNT * 8);
  // An explicit count is obeyed; by default small runs stay in this thread.
  const threads = o.workers !== undefined ? Math.min(o.workers, draws) : population.n * draws < MIN_WORK_FOR_THREADS ? 0 : Math.min(availableParallelism(), draws);
  let done = 0;
  if (threads === 0) {
    const view = viewOf(population);
    const result = new Float64Array(out);
    // In-thread: yield to the event loop between draws so progress and cancellation get through.
    for (let d = 0; d < draws; d++) {
      if (o.signal?.aborted) throw cancelled();
      runDraws(view, params, d, d + 1, result);
      o.onDraw?.(++done);
      if (d % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    return result;
  }
  const workers: Worker[] = [];
  const stop = new SharedArrayBuffer(4);
  try {
    await new Promise<void>((resolve, reject) => {
      let running = threads;
      const onAbort = () => reject(cancelled());
      o.signal?.addEventListener('abort', onAbort, { once: true });
      for (let w = 0; w < threads; w++) {
        const from = Math.floor((w * draws) / threads);
        const to = Math.floor(((w + 1) * draws) / threads);
        const worker = startWorker({ population, params, from, to, out, stop });
        workers.push(worker);
        worker.on('message', (m: SimulationWorkerMessage) => {
          if (m.type === 'draw') o.onDraw?.(++done);
          else if (--running === 0) {
            o.signal?.removeEventListener('abort', onAbort);
            resolve();
          }
        });
        worker.on('error', (err) => reject(new TwinloopError('INTERNAL', `a simulation worker failed: ${err.message}`, { cause: err })));
      }
    });
  } finally {
    // Finished, cancelled or failed: each worker ends after its draw and is waited for (`endThread`).
    await Promise.all(workers.map((w) => endThread(w, { ask: () => Atomics.store(new Int32Array(stop), 0, 1) })));
  }
  return new Float64Array(out);
}
