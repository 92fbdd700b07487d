import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createOperatorServer } from '../../src/interfaces/http/operator-server.js';
import { startOperator, type Operator } from '../../src/interfaces/runtime/operator.js';
import { loadWorldDocument, namedWorld } from '../../src/sandbox/index.js';
import { until } from './until.js';

/** The operator as `npm start` assembles it, listening on loopback: for the end-to-end suites. */
export interface RunningOperator {
  readonly operator: Operator;
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  close(): Promise<void>;
}

/**
 * Starts the operator on the sandbox's small world cut to 800 customers and 6 months of history
 * (under a minute on 2 cores), waits until a churn model serves live scores, and listens on a
 * free port of 127.0.0.1. The store lives in `dir` (the caller removes it).
 */
export async function startSmallOperator(dir: string): Promise<RunningOperator> {
  const small = namedWorld('small');
  const operator = await startOperator({
    store: { kind: 'sqlite', dataDir: join(dir, 'data') },
    sandbox: { config: loadWorldDocument({ ...small, population: { ...small.population, customers: 800 } }), worldName: 'small', seed: 1, months: 6, speed: 3600 },
    retentionBudget: 0,
    log: () => {},
    warn: () => {},
  });
  await operator.ready;
  await until(async () => (operator.intelligence.live() ? true : undefined), 120_000);
  const app = createOperatorServer(operator, { version: 'test' });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    operator,
    app,
    base,
    async close() {
      await app.close();
      await operator.close();
    },
  };
}
