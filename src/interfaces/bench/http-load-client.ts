import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { round, sampleStats } from './bench-stats.js';

// The load generator's side of the HTTP benches: what it sends, how, and what it measures. The
// worker (`http-load-worker.ts`) runs it; `http-load.ts` starts the worker.

/** One request of a load run: method, path and an optional JSON body, chosen per call. */
export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  /** Headers sent with it (e.g. the Authorization of `bench auth`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a closed-loop load run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Round-trip latency in ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function send(agent: Agent, base: URL, r: LoadRequest): Promise<boolean> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...r.headers, ...(r.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body) } : {}) };
    const req = request(new URL(r.path, base), { method: r.method, agent, headers }, (res) => {
      // The body is drained, not kept: the load measures the server, not the client's parsing.
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end(r.body);
  });
}

/**
 * Closed-loop load: `clients` keep-alive connections each send one request, wait for its answer
 * and send the next, for `seconds`; `next(i)` builds the i-th request.
 */
export async function runLoad(base: URL, o: { clients: number; seconds: number; next: (i: number) => LoadRequest }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await send(agent, base, o.next(issued++));
      latencies.push(performance.now() - t);
      if (!ok) errors++;
    }
  };
  try {
    await Promise.all(Array.from({ length: o.clients }, lane));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { p50, p99 } = sampleStats(latencies, ['p50', 'p99']);
  return { requests: latencies.length, errors, seconds: round(seconds), perSecond: Math.round(latencies.length / seconds), p50Ms: p50, p99Ms: p99 };
}

/** What the load worker is given. */
export interface LoadWorkerInput {
  readonly base: string;
  readonly clients: number;
  readonly seconds: number;
  /** Requests sent in turn, round and round. */
  readonly requests: readonly LoadRequest[];
}
