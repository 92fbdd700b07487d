import { systemClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import { seededRandom } from '../../domain/seeded-random.js';
import { startIntelligence } from '../../intelligence/live/live-intelligence.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openTwinService } from '../../twin/twin-service.js';
import { openTestAuth } from '../auth/auth-fixtures.js';
import { intOption } from '../cli/cli-numbers.js';
import { createHttpServer } from '../http/server.js';
import { TMF629_BASE } from '../http/tmf/tmf629-mapping.js';
import { tmf629Routes } from '../http/tmf/tmf-customer-routes.js';
import { inTempDir, submitInBatches } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio } from './bench-stats.js';
import { loadSeconds } from './decide-bench.js';
import { bestTurn, loadInTurns } from './http-load.js';
import type { LoadRequest, LoadResult } from './http-load-client.js';

/** The issue's target: a TMF629 customer read at no less than 70 % of the rate of the twin read it is made from. */
const RATIO_TARGET = 0.7;
/** Rounds per route, alternating, each `seconds / ROUNDS` long. */
const ROUNDS = 3;
/** Distinct customers the requests cycle through (random, fixed seed). */
const REQUESTS = 4096;

/** Options of `runTmfBench`. */
export interface TmfBenchOptions {
  /** Synthetic customers (with a churn model trained on their history, so reads carry scores with reasons). */
  readonly customers: number;
  /** Days of synthetic history (training needs months of it). */
  readonly days: number;
  readonly clients: number;
  readonly seconds: number;
  readonly log: (line: string) => void;
}

/** Figures of `bench tmf`. */
export interface TmfBenchResult {
  readonly customers: number;
  readonly clients: number;
  readonly model: string | null;
  /** `GET /tmf-api/customerManagement/v4/customer/{id}`: the twin as a TMF629 Customer with its scores and reasons. */
  readonly tmfCustomer: LoadResult;
  /** Baseline: `GET /twins/{id}` on the same server, ids and clients (the twin with its scores and reasons). Each the best of alternating rounds. */
  readonly twin: LoadResult;
  /** Bytes of one answer of each, for the same customer. */
  readonly bytes: { readonly tmfCustomer: number; readonly twin: number };
  readonly ratio: number;
  readonly target: number;
  readonly met: boolean;
}

/** GET /twins/{id} against GET …/customer/{id} on one server with live scores, the same clients for the same time. */
export async function runTmfBench(o: TmfBenchOptions): Promise<TmfBenchResult> {
  if (!(o.customers >= 10)) throw new TwinloopError('BAD_INPUT', 'bench tmf: --customers must be at least 10');
  return inTempDir('tmf-bench', async (dir) => {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: systemClock });
    const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    // TMF629 reads each customer's party record (name, contact media) beside its twin.
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const intelligence = await startIntelligence(twins, registry, { log: () => {}, checkIntervalMs: 0 });
    // Open mode on loopback: this measures the routes; `bench auth` measures what a key costs.
    const local = await openTestAuth('insecure-local');
    try {
      o.log(`${o.customers} customers, ${o.days} days of history; training the churn model…`);
      await submitInBatches(twins.intake, syntheticChurnEvents({ customers: o.customers, days: o.days, start: Date.now() - o.days * DAY_MS, seed: 7 }));
      await intelligence.trainIfMissing();
      const reads = { twins, decorateTwin: intelligence.decorateTwin, scoreFields: intelligence.scoreFields };
      const app = createHttpServer({ auth: local.auth, version: 'bench', ...reads }, [tmf629Routes({ ...reads, records, clock: systemClock })]);
      try {
        const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
        const random = seededRandom(11);
        const ids = Array.from({ length: REQUESTS }, () => twins.engine.table.idAt(Math.floor(random() * twins.engine.size)));
        const twinRequests: LoadRequest[] = ids.map((id) => ({ method: 'GET', path: `/twins/${id}` }));
        const tmfRequests: LoadRequest[] = ids.map((id) => ({ method: 'GET', path: `${TMF629_BASE}/customer/${id}` }));
        const bytes = {
          tmfCustomer: (await (await fetch(new URL(tmfRequests[0].path, url))).text()).length,
          twin: (await (await fetch(new URL(twinRequests[0].path, url))).text()).length,
        };
        o.log(`HTTP: ${o.clients} keep-alive clients on a worker thread, ${o.seconds} s per route…`);
        // The best of each route's turns is kept: the machine is shared and its load drifts.
        const [twinRuns, tmfRuns] = await loadInTurns({ bench: 'tmf', clients: o.clients, turns: ROUNDS, seconds: o.seconds / ROUNDS, sides: [{ base: url.href, requests: twinRequests }, { base: url.href, requests: tmfRequests }] });
        const twin = bestTurn(twinRuns);
        const tmfCustomer = bestTurn(tmfRuns);
        const share = ratio(tmfCustomer.perSecond, twin.perSecond);
        const model = intelligence.live()?.model.id ?? null;
        return { customers: twins.engine.size, clients: o.clients, model, tmfCustomer, twin, bytes, ratio: share, target: RATIO_TARGET, met: share >= RATIO_TARGET && tmfCustomer.errors === 0 };
      } finally {
        await app.close();
      }
    } finally {
      await intelligence.close();
      await local.close();
      await registry.close();
      await records.close();
      await twins.close();
    }
  });
}

/** The human summary of `bench tmf`. */
export function formatTmfBench(r: TmfBenchResult): string {
  const line = (name: string, l: LoadResult) => `${name} ${l.perSecond}/s (p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, ${l.errors} errors)`;
  return [
    `${r.customers} twins with live scores (${r.model ?? 'no model'}), ${r.clients} keep-alive clients:`,
    `  ${line(`GET ${TMF629_BASE}/customer/{id}`, r.tmfCustomer)}, ${r.bytes.tmfCustomer} bytes`,
    `  ${line('GET /twins/{id} (baseline)', r.twin)}, ${r.bytes.twin} bytes`,
    `  ratio ${(r.ratio * 100).toFixed(1)}% (target ≥ ${r.target * 100}%: ${r.met ? 'met' : 'MISSED'})`,
  ].join('\n');
}

/** `bench tmf`: the TMF629 customer read against the twin read it is made from. */
export const tmfBench = defineBench({
  name: 'tmf',
  description: 'TM Forum APIs: GET …/customerManagement/v4/customer/{id} against GET /twins/{id} on the same server (requests/s, ratio)',
  options: [
    { flags: '--customers <n>', description: 'synthetic customers behind the server', parse: intOption('--customers', 10), default: 2_000 },
    { flags: '--days <n>', description: 'days of synthetic history (the churn model trains on it)', parse: intOption('--days', 120), default: 240 },
    { flags: '--clients <n>', description: 'concurrent keep-alive HTTP clients', parse: intOption('--clients', 1), default: 8 },
    { flags: '--seconds <s>', description: `seconds of load per route (in ${ROUNDS} alternating rounds, the best kept)`, parse: loadSeconds, default: 6 },
  ],
  run: (o: { customers: number; days: number; clients: number; seconds: number }, { log }) => runTmfBench({ ...o, log }),
  summary: formatTmfBench,
});
