import { InvalidArgumentError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../domain/clock.js';
import { CHANNELS } from '../../domain/events.js';
import { seededRandom } from '../../domain/seeded-random.js';
import type { CustomerScores } from '../../decisioning/arbitration.js';
import { DecisionService } from '../../decisioning/decision-service.js';
import { syntheticCatalogueDocument } from '../../decisioning/synthetic-catalogue.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { FEATURE_COUNT } from '../../twin/twin-features.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { CustomerContextStore } from '../../twin/customer-context.js';
import { openTwinService } from '../../twin/twin-service.js';
import { decisionRoutes } from '../http/decision-routes.js';
import { openTestAuth } from '../auth/auth-fixtures.js';
import { createHttpServer } from '../http/server.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { intOption } from '../cli/cli-numbers.js';
import { benchAssistCard, type AssistBenchResult } from './assist-bench.js';
import { inTempDir, submitInBatches } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { consume, ratio, sampleStats, timeEach } from './bench-stats.js';
import { baselineDecisions, benchDecisions, type DecisionBenchResult } from './funnel-bench.js';
import { bestTurn, loadInTurns, serverCpuPerRequest, type LoadTurn } from './http-load.js';

/** The issue's target: decisions over HTTP at no less than half the rate of a bare route. */
const HTTP_RATIO_TARGET = 0.5;
/**
 * Turns per route of the HTTP comparison, alternating, each `seconds / HTTP_TURNS` long. Three
 * turns of 1.7 s were a few hundred requests each at load 26: one descheduled stretch set the ratio.
 */
const HTTP_TURNS = 5;
/** Seconds of load per route by default: five turns of 4 s. */
const HTTP_SECONDS = 20;
/** The issue's catalogue size. */
const OFFERS = 50;
/** Decisions run untimed first, so the JIT has compiled what is timed. */
const WARMUP = 1_000;

/** Options of `runDecideBench`. */
export interface DecideBenchOptions {
  /** Decisions timed in process. */
  readonly decisions: number;
  /** Synthetic customers behind the HTTP server. */
  readonly customers: number;
  /** Concurrent keep-alive clients. */
  readonly clients: number;
  /** Seconds of load per route. */
  readonly seconds: number;
  /** Assist card: customers and calls; `scores` trains a churn model first (slower). */
  readonly assist: { readonly customers: number; readonly calls: number; readonly scores: boolean } | null;
  readonly log: (line: string) => void;
}

/** Per-call timings in µs. */
export interface MicroStats {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** Figures of `bench decide`. */
export interface DecideBenchResult {
  readonly offers: number;
  /** The funnel alone on precomputed features (`benchDecisions`), and its baseline: the same loop reading the features and scores. */
  readonly inProcess: { readonly funnelUs: MicroStats; readonly baselineUs: MicroStats; readonly ratioP50: number; readonly decisions: number };
  /** DecisionService.decide on real twins (features computed, decision logged), against computing the features and reading the scores alone. */
  readonly service: { readonly decideUs: MicroStats; readonly baselineUs: MicroStats; readonly ratioP50: number; readonly customers: number };
  /**
   * Each route's best turn and the ratio of their rates; and the server thread's CPU per request
   * over all turns of each (`cpu`): bare / decisions is the ratio by CPU, which a loaded machine
   * moves much less than the rates. Met when both reach the target and no request failed.
   */
  readonly http: {
    readonly clients: number;
    readonly turns: number;
    readonly decisions: LoadTurn;
    readonly bare: LoadTurn;
    readonly ratio: number;
    readonly cpu: { readonly decisionsUsPerRequest: number; readonly bareUsPerRequest: number; readonly ratio: number };
    readonly target: number;
    readonly met: boolean;
  };
  readonly assist: AssistBenchResult | { readonly skipped: string };
}

/** p50, p99 and mean of µs samples. */
const stats = (samples: Float64Array): MicroStats => sampleStats(samples, ['p50', 'p99', 'mean']);

function fromBench(r: DecisionBenchResult, baseline: Float64Array): DecideBenchResult['inProcess'] {
  const b = stats(baseline);
  return {
    decisions: r.decisions,
    funnelUs: { p50: r.p50Us, p99: r.p99Us, mean: r.meanUs },
    baselineUs: b,
    ratioP50: ratio(r.p50Us, b.p50, 1),
  };
}

/** Deterministic scores per customer (no model is trained: the bench times the decision, not the scorer). */
export function syntheticScores(customers: number): Map<string, CustomerScores> {
  const r = seededRandom(3);
  return new Map(Array.from({ length: customers }, (_, c) => [`C${c}`, { churn: r() * 0.6, clv: 100 + r() * 900 }]));
}

/** Loads the bare route, then POST /decisions, with the same clients for the same time. */
async function loadHttp(app: FastifyInstance, ids: readonly string[], o: DecideBenchOptions): Promise<DecideBenchResult['http']> {
  const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
  const random = seededRandom(9);
  const bareRequests = [{ method: 'GET' as const, path: '/bench/bare' }];
  const decideRequests = Array.from({ length: 4096 }, (_, i) => ({
    method: 'POST' as const,
    path: '/decisions',
    body: JSON.stringify({ customerId: ids[Math.floor(random() * ids.length)], channel: CHANNELS[i % CHANNELS.length], reason: i % 5 === 0 ? 'cancel_request' : undefined }),
  }));
  o.log(`HTTP: ${o.clients} keep-alive clients on a worker thread, ${o.seconds} s per route in ${HTTP_TURNS} alternating turns, the best kept…`);
  // In alternating turns after a warm-up of each (loadInTurns): one route after the other, a
  // shared machine's drifting load between the two would be read as the decisions' cost.
  const [bareRuns, decideRuns] = await loadInTurns({ bench: 'decide', clients: o.clients, turns: HTTP_TURNS, seconds: o.seconds / HTTP_TURNS, sides: [{ base: url.href, requests: bareRequests }, { base: url.href, requests: decideRequests }] });
  const bare = bestTurn(bareRuns);
  const decided = bestTurn(decideRuns);
  const share = ratio(decided.perSecond, bare.perSecond);
  const cpu = { decisionsUsPerRequest: serverCpuPerRequest(decideRuns), bareUsPerRequest: serverCpuPerRequest(bareRuns) };
  const byCpu = ratio(cpu.bareUsPerRequest, cpu.decisionsUsPerRequest);
  const failed = decideRuns.some((t) => t.errors > 0);
  return {
    clients: o.clients,
    turns: HTTP_TURNS,
    decisions: decided,
    bare,
    ratio: share,
    cpu: { ...cpu, ratio: byCpu },
    target: HTTP_RATIO_TARGET,
    met: share >= HTTP_RATIO_TARGET && byCpu >= HTTP_RATIO_TARGET && !failed,
  };
}

/** Times next-best-action in process and over HTTP against the same process's baselines. */
export async function runDecideBench(o: DecideBenchOptions): Promise<DecideBenchResult> {
  o.log(`in process: ${o.decisions} decisions over a ${OFFERS}-offer catalogue…`);
  const inProcess = fromBench(benchDecisions(o.decisions, { offers: OFFERS }), baselineDecisions(o.decisions));

  return inTempDir('decide-bench', async (dir) => {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: systemClock });
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    let decisions: DecisionService | undefined;
    try {
      await submitInBatches(twins.intake, syntheticEvents({ customers: o.customers, days: 30, seed: 5 }));
      // The checkpoint those events call for, written now: started by the intake, it landed in
      // whichever HTTP turn was running (~6 % of a profile of the decisions' turns).
      await twins.checkpoint();
      const scoreTable = syntheticScores(o.customers);
      const scores = (id: string) => scoreTable.get(id);
      decisions = await DecisionService.open({ twins: twins.engine, scores, records, clock: systemClock });
      await decisions.replaceCatalogue(syntheticCatalogueDocument(OFFERS));

      o.log(`service: decisions for ${twins.engine.size} twins…`);
      const ids = Array.from({ length: o.customers }, (_, c) => `C${c}`);
      const n = Math.min(o.decisions, 20_000);
      const out = new Float64Array(FEATURE_COUNT);
      const service = decisions;
      const warmup = Math.min(n, WARMUP);
      const decide = stats(timeEach(n, (i) => service.decide(ids[i % ids.length], { channel: CHANNELS[i % CHANNELS.length], reason: i % 5 === 0 ? 'cancel_request' : undefined }), warmup));
      let sink = 0;
      const base = stats(
        timeEach(
          n,
          (i) => {
            const f = twins.engine.features(ids[i % ids.length], undefined, out);
            sink += (f?.[0] ?? 0) + (scores(ids[i % ids.length])?.churn ?? 0);
          },
          warmup,
        ),
      );
      consume(sink);
      await decisions.flush();

      const services = { twins, decisions } as unknown as OperatorServices;
      // Open mode on loopback: this measures the route; `bench auth` measures what a key costs.
      const local = await openTestAuth('insecure-local');
      const app = createHttpServer({ twins, auth: local.auth, extraAccess: { 'GET /bench/bare': 'public' }, version: 'bench' }, [decisionRoutes(services, { contexts: new CustomerContextStore(), contactOf: () => undefined }), (a) => a.get('/bench/bare', async () => ({ ok: true }))]);
      let http: DecideBenchResult['http'];
      try {
        http = await loadHttp(app, ids, o);
      } finally {
        await app.close();
        await local.close();
      }
      const result = {
        offers: OFFERS,
        inProcess,
        service: { decideUs: decide, baselineUs: base, ratioP50: ratio(decide.p50, base.p50, 1), customers: twins.engine.size },
        http,
      };
      if (!o.assist) return { ...result, assist: { skipped: 'assist card not measured (--assist-calls 0)' } };
      o.log(`assist card: ${o.assist.customers} customers, ${o.assist.calls} calls${o.assist.scores ? ', with scores' : ''}…`);
      return { ...result, assist: await benchAssistCard(o.assist) };
    } finally {
      await decisions?.close();
      await records.close();
      await twins.close();
    }
  });
}

const us = (s: MicroStats) => `p50 ${s.p50} µs, p99 ${s.p99} µs`;

/** The human summary of `bench decide`. */
export function formatDecideBench(r: DecideBenchResult): string {
  const h = r.http;
  const lines = [
    `in process, ${r.offers}-offer catalogue, ${r.inProcess.decisions} decisions: funnel ${us(r.inProcess.funnelUs)}; baseline (features and scores read, no funnel) ${us(r.inProcess.baselineUs)}; ratio p50 ${r.inProcess.ratioP50}×`,
    `decision service on ${r.service.customers} twins (features computed, decision logged): ${us(r.service.decideUs)}; baseline (features and scores alone) ${us(r.service.baselineUs)}; ratio p50 ${r.service.ratioP50}×`,
    `HTTP, ${h.clients} keep-alive clients, ${h.turns} alternating turns a route: POST /decisions ${h.decisions.perSecond}/s (best turn; p50 ${h.decisions.p50Ms} ms, p99 ${h.decisions.p99Ms} ms, ${h.decisions.errors} errors); GET /bench/bare ${h.bare.perSecond}/s (p50 ${h.bare.p50Ms} ms); ratio ${(h.ratio * 100).toFixed(1)}%`,
    `  server thread CPU per request over all turns: POST /decisions ${h.cpu.decisionsUsPerRequest} µs, GET /bench/bare ${h.cpu.bareUsPerRequest} µs; ratio ${(h.cpu.ratio * 100).toFixed(1)}% (target ≥ ${h.target * 100}% by rate and by CPU: ${h.met ? 'met' : 'MISSED'})`,
  ];
  const a = r.assist;
  if ('skipped' in a) lines.push(`assist card: ${a.skipped}`);
  else {
    lines.push(
      `assist card, ${a.customers} customers, ${a.calls} calls${a.model ? `, scores by ${a.model}` : ', no scores'}: accepted → card p50 ${a.acceptedToCardMs.p50} ms, p99 ${a.acceptedToCardMs.p99} ms; send → card p50 ${a.sendToCardMs.p50} ms, p99 ${a.sendToCardMs.p99} ms (target ${a.targetMs} ms: ${a.withinTarget ? 'met' : 'MISSED'}); baseline GET /health p50 ${a.bareRouteMs.p50} ms`,
    );
  }
  return lines.join('\n');
}

/** Seconds of load per route: positive, at most ten minutes (the HTTP benches' `--seconds`). */
export function loadSeconds(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 600)) throw new InvalidArgumentError('--seconds must be a number of seconds in (0, 600]');
  return n;
}

/** `bench decide`: next-best-action in process and over HTTP, and the assist card. */
export const decideBench = defineBench({
  name: 'decide',
  description: `next-best-action over a ${OFFERS}-offer catalogue: µs per decision in process, decisions/s over HTTP against a bare route, and the assist card's latency`,
  options: [
    { flags: '--decisions <n>', description: 'decisions timed in process', parse: intOption('--decisions', 100), default: 50_000 },
    { flags: '--customers <n>', description: 'synthetic customers behind the server', parse: intOption('--customers', 10), default: 10_000 },
    { flags: '--clients <n>', description: 'concurrent keep-alive HTTP clients', parse: intOption('--clients', 1), default: 16 },
    { flags: '--seconds <s>', description: `seconds of load per route (in ${HTTP_TURNS} alternating turns: the best turn's rate, the CPU of all)`, parse: loadSeconds, default: HTTP_SECONDS },
    { flags: '--assist-customers <n>', description: 'customers of the assist-card bench', parse: intOption('--assist-customers', 1), default: 2_000 },
    { flags: '--assist-calls <n>', description: 'calls of the assist-card bench (0: skip it)', parse: intOption('--assist-calls', 0), default: 200 },
    { flags: '--assist-scores', description: 'train a churn model so the card carries scores (slower)' },
  ],
  run: (o: { decisions: number; customers: number; clients: number; seconds: number; assistCustomers: number; assistCalls: number; assistScores?: boolean }, { log }) =>
    runDecideBench({
      decisions: o.decisions,
      customers: o.customers,
      clients: o.clients,
      seconds: o.seconds,
      assist: o.assistCalls > 0 ? { customers: o.assistCustomers, calls: o.assistCalls, scores: o.assistScores ?? false } : null,
      log,
    }),
  summary: formatDecideBench,
});
