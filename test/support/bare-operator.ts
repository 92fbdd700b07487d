import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createOperatorServer } from '../../src/interfaces/http/operator-server.js';
import { startOperator, type Operator } from '../../src/interfaces/runtime/operator.js';

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
 */
export async function startBareOperator(dir: string): Promise<BareOperator> {
  const operator = await startOperator({ store: { kind: 'sqlite', dataDir: join(dir, 'data') }, retentionBudget: 0, log: () => {}, warn: () => {} });
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
