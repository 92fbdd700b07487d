import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../domain/clock.js';
import { CHANNELS } from '../../domain/events.js';
import { seededRandom } from '../../domain/seeded-random.js';
import { DecisionService } from '../../decisioning/decision-service.js';
import { syntheticCatalogueDocument } from '../../decisioning/synthetic-catalogue.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { CustomerContextStore } from '../../twin/customer-context.js';
import { openTwinService } from '../../twin/twin-service.js';
import { openTestAuth } from '../auth/auth-fixtures.js';
import { intOption } from '../cli/cli-numbers.js';
import { decisionRoutes } from '../http/decision-routes.js';
import { createHttpServer } from '../http/server.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { inTempDir, submitInBatches } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';
import { syntheticScores } from './decide-bench.js';
import { loadInTurns } from './http-load.js';
import type { LoadRequest, LoadResult } from './http-load-client.js';

/** The bar: a key costs at most a tenth of the throughput of `POST /decisions`. */
const TARGET = 0.9;
const OFFERS = 12;

/** Calls of `authenticate()` timed in-process per side: enough to read a fraction of a microsecond. */
const CHECK_CALLS = 200_000;

/** What `bench auth` measured. */
export interface AuthBenchResult {
  readonly customers: number;
  readonly clients: number;
  readonly turns: number;
  /** `POST /decisions` on a server in open mode (loopback, no credential), all turns merged. */
  readonly open: LoadResult;
  /** The same route, the same services, every request with an API key checked by the edge. */
  readonly withKey: LoadResult;
  /**
   * The key side's rate over the open side's, turn by turn (the two runs of a turn are adjacent in
   * time, so the machine's drift hits both), sorted; `ratio` is their median.
   */
  readonly turnRatios: readonly number[];
  /** Median of `turnRatios`: the figure the target is judged on. */
  readonly ratio: number;
  /** All the key side's requests over all the open side's (drift between turns weighs in). */
  readonly mergedRatio: number;
  /** The check itself, in-process: mean µs per `authenticate()` call in open mode and with the key (remembered once verified). */
  readonly checkMicros: { readonly open: number; readonly withKey: number };
  readonly target: number;
  readonly met: boolean;
}

/** Mean µs per call of an async check, over `n` calls one after another (after `n / 10` untimed). */
async function meanMicros(n: number, check: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < n / 10; i++) await check();
  const t = performance.now();
  for (let i = 0; i < n; i++) await check();
  return round(((performance.now() - t) * 1000) / n, 3);
}

/** The median of a non-empty list. */
function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : round((sorted[mid - 1] + sorted[mid]) / 2, 3);
}

/**
 * What authentication costs: `POST /decisions` over HTTP on two servers over the same decision
 * service, one in open mode and one that authenticates every request's API key (from memory) and
 * checks the access table; measured in turns (open then key, key then open, …), each turn's two
 * runs adjacent in time, and judged on the median of the turns' ratios, which a burst of the
 * shared machine's load in one turn does not move. The check itself is also timed in-process.
 */
export async function runAuthBench(o: { customers: number; clients: number; seconds: number; turns: number; log: (line: string) => void }): Promise<AuthBenchResult> {
  return inTempDir('auth-bench', async (dir) => {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: systemClock });
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const open = await openTestAuth('insecure-local');
    const enforced = await openTestAuth('enforced');
    const apps: FastifyInstance[] = [];
    let decisions: DecisionService | undefined;
    try {
      o.log(`${o.customers} synthetic customers…`);
      await submitInBatches(twins.intake, syntheticEvents({ customers: o.customers, days: 30, seed: 5 }));
      const scoreTable = syntheticScores(o.customers);
      decisions = await DecisionService.open({ twins: twins.engine, scores: (id) => scoreTable.get(id), records, clock: systemClock });
      await decisions.replaceCatalogue(syntheticCatalogueDocument(OFFERS));
      const services = { twins, decisions } as unknown as OperatorServices;
      const serve = async (auth: typeof open) => {
        const app = createHttpServer({ twins, auth: auth.auth, version: 'bench' }, [decisionRoutes(services, { contexts: new CustomerContextStore(), contactOf: () => undefined })]);
        apps.push(app);
        return app.listen({ port: 0, host: '127.0.0.1' });
      };
      const openUrl = await serve(open);
      const keyUrl = await serve(enforced);
      const key = await enforced.bearer('care_agent', 'bench-agent');
      const random = seededRandom(9);
      const bodies = Array.from({ length: 4096 }, (_, i) => JSON.stringify({ customerId: `C${Math.floor(random() * o.customers)}`, channel: CHANNELS[i % CHANNELS.length] }));
      const requests = (headers?: Record<string, string>): LoadRequest[] => bodies.map((body) => ({ method: 'POST', path: '/decisions', body, headers }));
      o.log(`the check in-process: ${CHECK_CALLS} calls of authenticate() per side…`);
      const presented = { authorization: key.authorization, remoteAddress: '127.0.0.1' };
      const checkMicros = { open: await meanMicros(CHECK_CALLS, () => open.auth.authenticate({ remoteAddress: '127.0.0.1' })), withKey: await meanMicros(CHECK_CALLS, () => enforced.auth.authenticate(presented)) };
      o.log(`HTTP: ${o.clients} keep-alive clients, ${o.turns} × ${o.seconds} s per server, in turns…`);
      const runs = await loadInTurns({ bench: 'auth', clients: o.clients, turns: o.turns, seconds: o.seconds, sides: [{ base: openUrl, requests: requests() }, { base: keyUrl, requests: requests(key) }] });
      const merge = (rs: LoadResult[]): LoadResult => {
        const requests = rs.reduce((n, r) => n + r.requests, 0);
        const seconds = rs.reduce((n, r) => n + r.seconds, 0);
        const mid = (k: 'p50Ms' | 'p99Ms') => Math.round((rs.reduce((n, r) => n + r[k], 0) / rs.length) * 100) / 100;
        return { requests, errors: rs.reduce((n, r) => n + r.errors, 0), seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(requests / seconds), p50Ms: mid('p50Ms'), p99Ms: mid('p99Ms') };
      };
      const [openResult, keyResult] = [merge(runs[0]), merge(runs[1])];
      const turnRatios = runs[1].map((k, i) => ratio(k.perSecond, runs[0][i].perSecond)).sort((a, b) => a - b);
      const share = median(turnRatios);
      return {
        customers: o.customers,
        clients: o.clients,
        turns: o.turns,
        open: openResult,
        withKey: keyResult,
        turnRatios,
        ratio: share,
        mergedRatio: ratio(keyResult.perSecond, openResult.perSecond),
        checkMicros,
        target: TARGET,
        met: share >= TARGET && keyResult.errors === 0,
      };
    } finally {
      for (const app of apps) await app.close();
      await decisions?.close();
      await open.close();
      await enforced.close();
      await records.close();
      await twins.close();
    }
  });
}

/** `bench auth`: what an API key costs on `POST /decisions`. */
export const authBench = defineBench({
  name: 'auth',
  description: 'what authentication costs: POST /decisions with an API key (checked from memory) against the same route in open mode; target ratio ≥ 0.9',
  options: [
    { flags: '--customers <n>', description: 'synthetic customers behind the server', parse: intOption('--customers', 10), default: 10_000 },
    { flags: '--clients <n>', description: 'concurrent keep-alive HTTP clients', parse: intOption('--clients', 1), default: 16 },
    { flags: '--seconds <s>', description: 'seconds of load per server per turn', parse: intOption('--seconds', 1, 600), default: 2 },
    { flags: '--turns <n>', description: 'turns (each: both servers, one after the other; the order flips every turn)', parse: intOption('--turns', 1, 100), default: 8 },
  ],
  run: (o: { customers: number; clients: number; seconds: number; turns: number }, { log }) => runAuthBench({ ...o, log }),
  summary: (r: AuthBenchResult) =>
    `authenticate() in-process: open ${r.checkMicros.open} µs, with a key ${r.checkMicros.withKey} µs per call. POST /decisions, ${r.clients} keep-alive clients, ${r.customers} customers, ${r.turns} turns: open ${r.open.perSecond}/s (p50 ${r.open.p50Ms} ms, p99 ${r.open.p99Ms} ms); with an API key ${r.withKey.perSecond}/s (p50 ${r.withKey.p50Ms} ms, p99 ${r.withKey.p99Ms} ms, ${r.withKey.errors} errors); ratio per turn ${r.turnRatios.join(' ')}, median ${(r.ratio * 100).toFixed(1)}% (all turns merged ${(r.mergedRatio * 100).toFixed(1)}%; target ≥ ${r.target * 100}%: ${r.met ? 'met' : 'MISSED'})`,
});
