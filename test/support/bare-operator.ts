import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createOperatorServer } from '../../src/interfaces/http/operator-server.js';
import { startOperator, type Operator, type OperatorOptions } from '../../src/interfaces/runtime/operator.js';
import { loadWorldDocument, namedWorld, type WorldConfig } from '../../src/sandbox/index.js';
import { resolveStoreOptions } from '../../src/store/store-options.js';

/** The operator with its HTTP server (called with `app.inject`, not listening) and every route the server registers. */
export interface BareOperator {
  readonly operator: Operator;
  readonly app: FastifyInstance;
  /** Each method and URL pattern the server registered (HEAD left out): what the route walks walk. */
  readonly routes: readonly { method: string; url: string }[];
  close(): Promise<void>;
}

/**
 * The operator as `npm start` assembles it, without a sandbox (nothing moves under the test) and
 * without the churn-prevention scan, its store in `dir` (the caller removes it), for the suites
 * that walk every route the server has (who may call what, what a key held to segments sees).
 * `options` adds to or replaces those (a sandbox world, a policy file, a log to read); with a
 * sandbox, the operator is ready (its world loaded) when this returns.
 */
export async function startBareOperator(dir: string, options: Partial<Omit<OperatorOptions, 'store'>> = {}): Promise<BareOperator> {
  const operator = await startOperator({ store: { kind: 'sqlite', dataDir: join(dir, 'data') }, retentionBudget: 0, log: () => {}, warn: () => {}, ...options });
  if (options.sandbox) await operator.ready;
  const app = createOperatorServer(operator, { version: 'test' });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  await app.ready();
  return {
    operator,
    app,
    routes,
    async close() {
      await app.close();
      await operator.close();
    },
  };
}

/** The operator with the small sandbox world, its HTTP server listening on a free loopback port. */
export interface SandboxOperatorOverHttp {
  readonly operator: Operator;
  readonly app: FastifyInstance;
  /** The server's address (`http://127.0.0.1:PORT`). */
  readonly base: string;
  /** The first admin key as a bearer token, and JSON bodies. */
  readonly headers: Record<string, string>;
  /** GET `path` as the admin; anything but 200 throws with the status and body. */
  get<T>(path: string): Promise<T>;
  /** The server's log lines so far (its log and warnings, in order): what a failed wait says it saw. */
  readonly logged: readonly string[];
  close(): Promise<void>;
}

/**
 * The operator as `npm start` assembles it with the sandbox running the small world, cut to
 * `customers` (default 300) and `months` of history (default 3), the population's other fields as
 * `population` gives them, without the churn-prevention scan, its store in `dir` (the caller
 * removes it), served over HTTP at once (the history fills in behind: `operator.ready`). `after`:
 * the sandbox rebuilds a restarted world and takes its history only once it settles (as `twinloop
 * start` passes its listening). On a restart the admin key is the data dir's.
 */
export async function startSandboxOperatorOverHttp(
  dir: string,
  o: { seed: number; speed: number; customers?: number; months?: number; population?: Partial<WorldConfig['population']>; segmentLog?: boolean; seededHistory?: boolean; after?: Promise<unknown> },
): Promise<SandboxOperatorOverHttp> {
  const small = namedWorld('small');
  const logged: string[] = [];
  const operator = await startOperator({
    // `segmentLog`: the store as `twinloop start` opens it (the segment log, sealed once the history is in).
    store: o.segmentLog ? resolveStoreOptions({ dataDir: join(dir, 'data') }, {}) : { kind: 'sqlite', dataDir: join(dir, 'data') },
    sandbox: { config: loadWorldDocument({ ...small, population: { ...small.population, customers: o.customers ?? 300, ...o.population } }), worldName: 'small', seed: o.seed, months: o.months ?? 3, speed: o.speed, seededHistory: o.seededHistory },
    ...(o.after ? { sandboxAfter: o.after } : {}),
    retentionBudget: 0,
    log: (line) => void logged.push(line),
    warn: (line) => void logged.push(line),
  });
  const app = createOperatorServer(operator, { version: 'test' });
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const key = operator.firstAdminKey?.key ?? readFileSync(join(dir, 'data', 'admin.key'), 'utf8').trim();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    return {
      operator,
      app,
      base,
      headers,
      logged,
      async get<T>(path: string): Promise<T> {
        const res = await fetch(`${base}${path}`, { headers });
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      },
      async close() {
        await app.close();
        await operator.close();
      },
    };
  } catch (err) {
    await app.close();
    await operator.close();
    throw err;
  }
}
