import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadWorkerInput } from './http-load-client.js';

// The load generator of `runLoadInWorker`: runs the load and posts its figures back.
const input = workerData as LoadWorkerInput;
const result = await runLoad(new URL(input.base), { clients: input.clients, seconds: input.seconds, next: (i) => input.requests[i % input.requests.length] });
parentPort!.postMessage(result);
