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
}

/** Messages a worker posts: one per finished draw, then done. */
export type SimulationWorkerMessage = { readonly type: 'draw'; readonly draw: number } | { readonly type: 'done' };

// Runs only as a worker thread (importing it elsewhere does nothing).
if (parentPort) {
  const port = parentPort;
  const data = workerData as SimulationWorkerData;
  runDraws(viewOf(data.population), data.params, data.from, data.to, new Float64Array(data.out), (draw) => port.postMessage({ type: 'draw', draw } satisfies SimulationWorkerMessage));
  port.postMessage({ type: 'done' } satisfies SimulationWorkerMessage);
}
