import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../domain/clock.js';
import { CHANNELS, type TwinEvent } from '../../domain/events.js';
import type { CustomerScores } from '../../decisioning/arbitration.js';
import { benchDecisions, seededRandom, syntheticCatalogueDocument, syntheticFeatures, type DecisionBenchResult } from '../../decisioning/decision-bench.js';
import { DecisionService } from '../../decisioning/decision-service.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { FEATURE_COUNT } from '../../twin/twin-features.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { openTwinService } from '../../twin/twin-service.js';
import { benchAssistCard, type AssistBenchResult } from '../http/assist-bench.js';
import { decisionRoutes } from '../http/decision-routes.js';
import { createHttpServer } from '../http/server.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { runLoadInWorker, type LoadRequest, type LoadResult } from './http-load.js';

/** The issue's target: decisions over HTTP at no less than half the rate of a bare route. */
const HTTP_RATIO_TARGET = 0.5;
/** The issue's catalogue size. */
const OFFERS = 50;
const LOAD_BATCH = 5_000;

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
  readonly http: { readonly clients: number; readonly decisions: LoadResult; readonly bare: LoadResult; readonly ratio: number; readonly target: number; readonly met: boolean };
  readonly assist: AssistBenchResult | { readonly skipped: string };
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

function stats(samples: Float64Array): MicroStats {
  const s = samples.slice().sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: round(at(0.5)), p99: round(at(0.99)), mean: round(s.reduce((a, b) => a + b, 0) / s.length) };
}

function timeEach(n: number, fn: (i: number) => void): Float64Array {
  for (let i = 0; i < Math.min(n, 1000); i++) fn(i);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out[i] = (performance.now() - t) * 1000;
  }
  return out;
}

/** The baseline of `benchDecisions`: its loop over the same synthetic customers, reading features and scores, no funnel. */
function baselineLoop(n: number): Float64Array {
  const random = seededRandom(7);
  const customers = Array.from({ length: 256 }, () => ({ f: syntheticFeatures(random), churn: random() * 0.6, clv: 100 + random() * 900 }));
  const out = new Float64Array(FEATURE_COUNT);
  let sink = 0;
  const times = timeEach(n, (i) => {
    const c = customers[i & 255];
    out.set(c.f);
    sink += out[i % FEATURE_COUNT] + c.churn * c.clv + CHANNELS[i % CHANNELS.length].length;
  });
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the baseline from being optimised away');
  return times;
}

function fromBench(r: DecisionBenchResult, baseline: Float64Array): DecideBenchResult['inProcess'] {
  const b = stats(baseline);
  return {
    decisions: r.decisions,
    funnelUs: { p50: round(r.p50Us), p99: round(r.p99Us), mean: round(r.meanUs) },
    baselineUs: b,
    ratioP50: round(r.p50Us / Math.max(b.p50, 0.001), 1),
  };
}

/** Deterministic scores per customer (no model is trained: the bench times the decision, not the scorer). */
function syntheticScores(customers: number): Map<string, CustomerScores> {
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
  const load = (requests: LoadRequest[], seconds: number) => runLoadInWorker({ base: url.href, clients: o.clients, seconds, requests });
  // Connections and the JIT warm up first; the warm-up's figures are not reported.
  const warm = await load(bareRequests, 0.5);
  if (warm.errors > 0) throw new Error(`GET /bench/bare failed ${warm.errors} times during the warm-up`);
  await load(decideRequests.slice(0, 64), 0.5);
  o.log(`HTTP: ${o.clients} keep-alive clients on a worker thread, ${o.seconds} s per route…`);
  const bare = await load(bareRequests, o.seconds);
  const decided = await load(decideRequests, o.seconds);
  const ratio = round(decided.perSecond / Math.max(1, bare.perSecond));
  return { clients: o.clients, decisions: decided, bare, ratio, target: HTTP_RATIO_TARGET, met: ratio >= HTTP_RATIO_TARGET && decided.errors === 0 };
}

/** Times next-best-action in process and over HTTP against the same process's baselines. */
export async function runDecideBench(o: DecideBenchOptions): Promise<DecideBenchResult> {
  o.log(`in process: ${o.decisions} decisions over a ${OFFERS}-offer catalogue…`);
  const inProcess = fromBench(benchDecisions(o.decisions, { offers: OFFERS }), baselineLoop(o.decisions));

  const dir = mkdtempSync(join(tmpdir(), 'twinloop-decide-bench-'));
  try {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: systemClock });
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    let decisions: DecisionService | undefined;
    try {
      let batch: TwinEvent[] = [];
      for (const e of syntheticEvents({ customers: o.customers, days: 30, seed: 5 })) {
        batch.push(e);
        if (batch.length === LOAD_BATCH) {
          await twins.intake.submit(batch);
          batch = [];
        }
      }
      await twins.intake.submit(batch);
      const scoreTable = syntheticScores(o.customers);
      const scores = (id: string) => scoreTable.get(id);
      decisions = await DecisionService.open({ twins: twins.engine, scores, records, clock: systemClock });
      await decisions.replaceCatalogue(syntheticCatalogueDocument(OFFERS));

      o.log(`service: decisions for ${twins.engine.size} twins…`);
      const ids = Array.from({ length: o.customers }, (_, c) => `C${c}`);
      const n = Math.min(o.decisions, 20_000);
      const out = new Float64Array(FEATURE_COUNT);
      const service = decisions;
      const decide = stats(timeEach(n, (i) => service.decide(ids[i % ids.length], { channel: CHANNELS[i % CHANNELS.length], reason: i % 5 === 0 ? 'cancel_request' : undefined })));
      let sink = 0;
      const base = stats(
        timeEach(n, (i) => {
          const f = twins.engine.features(ids[i % ids.length], undefined, out);
          sink += (f?.[0] ?? 0) + (scores(ids[i % ids.length])?.churn ?? 0);
        }),
      );
      if (Number.isNaN(sink)) throw new Error('unreachable');
      await decisions.flush();

      const services = { twins, decisions } as unknown as OperatorServices;
      const app = createHttpServer({ twins, version: 'bench' }, [decisionRoutes(() => services), (a) => a.get('/bench/bare', async () => ({ ok: true }))]);
      let http: DecideBenchResult['http'];
      try {
        http = await loadHttp(app, ids, o);
      } finally {
        await app.close();
      }
      const result = {
        offers: OFFERS,
        inProcess,
        service: { decideUs: decide, baselineUs: base, ratioP50: round(decide.p50 / Math.max(base.p50, 0.001), 1), customers: twins.engine.size },
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const us = (s: MicroStats) => `p50 ${s.p50} µs, p99 ${s.p99} µs`;

/** The human summary of `bench decide`. */
export function formatDecideBench(r: DecideBenchResult): string {
  const h = r.http;
  const lines = [
    `in process, ${r.offers}-offer catalogue, ${r.inProcess.decisions} decisions: funnel ${us(r.inProcess.funnelUs)}; baseline (features and scores read, no funnel) ${us(r.inProcess.baselineUs)}; ratio p50 ${r.inProcess.ratioP50}×`,
    `decision service on ${r.service.customers} twins (features computed, decision logged): ${us(r.service.decideUs)}; baseline (features and scores alone) ${us(r.service.baselineUs)}; ratio p50 ${r.service.ratioP50}×`,
    `HTTP, ${h.clients} keep-alive clients: POST /decisions ${h.decisions.perSecond}/s (p50 ${h.decisions.p50Ms} ms, p99 ${h.decisions.p99Ms} ms, ${h.decisions.errors} errors); GET /bench/bare ${h.bare.perSecond}/s (p50 ${h.bare.p50Ms} ms); ratio ${(h.ratio * 100).toFixed(1)}% (target ≥ ${h.target * 100}%: ${h.met ? 'met' : 'MISSED'})`,
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

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n <= 600)) throw new InvalidArgumentError(`${name} must be a number of seconds in (0, 600]`);
  return n;
};

/** Adds `bench decide`: next-best-action in process and over HTTP, and the assist card. */
export function registerDecideBench(bench: Command): void {
  bench
    .command('decide')
    .description(`next-best-action over a ${OFFERS}-offer catalogue: µs per decision in process, decisions/s over HTTP against a bare route, and the assist card's latency`)
    .option('--decisions <n>', 'decisions timed in process', int('--decisions', 100), 50_000)
    .option('--customers <n>', 'synthetic customers behind the server', int('--customers', 10), 10_000)
    .option('--clients <n>', 'concurrent keep-alive HTTP clients', int('--clients', 1), 16)
    .option('--seconds <s>', 'seconds of load per route', positive('--seconds'), 5)
    .option('--assist-customers <n>', 'customers of the assist-card bench', int('--assist-customers', 1), 2_000)
    .option('--assist-calls <n>', 'calls of the assist-card bench (0: skip it)', int('--assist-calls', 0), 200)
    .option('--assist-scores', 'train a churn model so the card carries scores (slower)')
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { decisions: number; customers: number; clients: number; seconds: number; assistCustomers: number; assistCalls: number; assistScores?: boolean; json?: boolean }) => {
        const r = await runDecideBench({
          decisions: opts.decisions,
          customers: opts.customers,
          clients: opts.clients,
          seconds: opts.seconds,
          assist: opts.assistCalls > 0 ? { customers: opts.assistCustomers, calls: opts.assistCalls, scores: opts.assistScores ?? false } : null,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        process.stdout.write(`${formatDecideBench(r)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      },
    );
}
