import { Worker } from 'node:worker_threads';
import { TwinloopError } from '../../domain/errors.js';
import type { LoadResult, LoadWorkerInput } from './http-load-client.js';

/**
 * `runLoad` on a worker thread, so that the clients do not share the server's event loop (on a
 * small machine they would otherwise take half its time and flatten the figures being compared).
 */
export function runLoadInWorker(input: LoadWorkerInput): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./http-load-worker.js', import.meta.url), { workerData: input });
    worker.once('message', (r: LoadResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? undefined : reject(new TwinloopError('INTERNAL', `the HTTP load worker stopped with exit code ${code} before reporting its figures`))));
  });
}
