import { parentPort, workerData } from 'node:worker_threads';
import { runDraws, type KernelParams } from './monte-carlo-kernel.js';
import { viewOf, type SharedPopulation } from './shared-population.js';

/** What a simulation worker is started with. */
export interface SimulationWorkerData {
  readonly population: SharedPopulation;
  readonly params: KernelParams;
  readonly from: number;
  readonly to: number;
  /** Float64 figures of every draw; each worker writes only its own draws. */
  readonly out: SharedArrayBuffer;
  /**
   * One Int32 the caller sets to 1 to end the workers (a cancelled run): read between draws, as a
   * draw runs without turning the event loop, where a message would wait for the last draw.
   */
  readonly stop: SharedArrayBuffer;
}

/** Messages a worker posts: one per finished draw, then done. */
export type SimulationWorkerMessage = { readonly type: 'draw'; readonly draw: number } | { readonly type: 'done' };

// Runs only as a worker thread (importing it elsewhere does nothing).
if (parentPort) {
  const port = parentPort;
  const data = workerData as SimulationWorkerData;
  const view = viewOf(data.population);
  const out = new Float64Array(data.out);
  const stop = new Int32Array(data.stop);
  // Draw by draw, so that a worker asked to end finishes the draw it is in and exits (`endThread`).
  for (let d = data.from; d < data.to && Atomics.load(stop, 0) === 0; d++) {
    runDraws(view, data.params, d, d + 1, out);
    port.postMessage({ type: 'draw', draw: d } satisfies SimulationWorkerMessage);
  }
  port.postMessage({ type: 'done' } satisfies SimulationWorkerMessage);
}
