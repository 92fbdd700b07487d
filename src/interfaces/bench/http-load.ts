import { Worker } from 'node:worker_threads';
import { TwinloopError } from '../../domain/errors.js';
import { threadCpuSeconds } from '../../domain/cpu-time.js';
import { round } from './bench-stats.js';
import type { LoadRequest, LoadResult, LoadWorkerInput } from './http-load-client.js';

/**
 * One turn of `loadInTurns`: the load's figures and the CPU the calling thread (the server's,
 * when the server runs in the bench's process) spent meanwhile. A rate halves at load 30 where
 * CPU per request moves much less, and it counts only the server's work, not the clients'.
 */
export interface LoadTurn extends LoadResult {
  readonly serverCpuSeconds: number;
}

/**
 * CPU µs the server's thread spent per answered request over all of one side's turns (their
 * sums: no turn chosen, and at 100+ requests a turn the stat file's 10 ms ticks do not matter).
 */
export function serverCpuPerRequest(turns: readonly LoadTurn[]): number {
  const requests = turns.reduce((n, t) => n + t.requests, 0);
  if (requests === 0) throw new TwinloopError('INTERNAL', 'no request of the HTTP load was answered: no CPU per request');
  return round((turns.reduce((s, t) => s + t.serverCpuSeconds, 0) * 1e6) / requests, 1);
}

/** The turn with the highest rate of one side of `loadInTurns` (a shared machine's load only ever slows a turn down). */
export function bestTurn<T extends LoadResult>(runs: readonly T[]): T {
  const best = runs.reduce<T | undefined>((a, b) => (a && a.perSecond >= b.perSecond ? a : b), undefined);
  if (!best) throw new TwinloopError('INTERNAL', 'no turn of the HTTP load ran');
  return best;
}

/**
 * `runLoad` on a worker thread, so that the clients do not share the server's event loop (on a
 * small machine they would otherwise take half its time and flatten the figures being compared).
 */
export function runLoadInWorker(input: LoadWorkerInput): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./http-load-worker.js', import.meta.url), { workerData: input });
    // Settled once the thread has exited by itself (its clients' connections closed): the next turn starts on a quiet process.
    let result: LoadResult | undefined;
    worker.once('message', (r: LoadResult) => (result = r));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 && result ? resolve(result) : reject(new TwinloopError('INTERNAL', `the HTTP load worker stopped with exit code ${code} before reporting its figures`))));
  });
}

/** One side of a two-way comparison: a server and the requests sent to it. */
export interface LoadSide {
  readonly base: string;
  readonly requests: readonly LoadRequest[];
}

/**
 * Two loads compared on a shared machine whose load drifts: both sides warm up first (1 s each,
 * figures dropped; a failed request then fails the bench, naming it), then run in alternating
 * turns of `seconds` each, so a drift hits both alike. The order flips every turn (A B, B A, A B…):
 * a side that always ran second would always inherit what the first left behind (garbage to
 * collect, batched writes to flush), which showed as a cost of the second side. Each side's
 * turns, in order; the caller says how they combine (the best, or their sum).
 */
export async function loadInTurns(o: { bench: string; clients: number; turns: number; seconds: number; sides: readonly [LoadSide, LoadSide] }): Promise<[LoadTurn[], LoadTurn[]]> {
  const load = async (side: LoadSide, seconds: number): Promise<LoadTurn> => {
    const cpu = threadCpuSeconds();
    const result = await runLoadInWorker({ base: side.base, clients: o.clients, seconds, requests: side.requests });
    return { ...result, serverCpuSeconds: threadCpuSeconds() - cpu };
  };
  const warm = [await load(o.sides[0], 1), await load(o.sides[1], 1)];
  if (warm.some((w) => w.errors > 0)) throw new TwinloopError('INTERNAL', `bench ${o.bench}: ${warm.map((w) => w.errors).join(' and ')} requests failed during the warm-up`);
  const runs: [LoadTurn[], LoadTurn[]] = [[], []];
  for (let turn = 0; turn < o.turns; turn++) {
    for (const side of turn % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) runs[side].push(await load(o.sides[side], o.seconds));
  }
  return runs;
}
