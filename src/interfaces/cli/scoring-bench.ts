import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ManualClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { TwinEvent } from '../../domain/events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openTwinService } from '../../twin/twin-service.js';
import { FEATURE_COUNT } from '../../twin/twin-features.js';
import { seededRandom } from '../../twin/synthetic-events.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { loadChampion, toLiveModel, trainAndRegister } from '../../intelligence/live/churn-model-service.js';
import { LiveScoring } from '../../intelligence/live/live-scoring.js';

/** The re-scoring budget the issue sets per twin and event. */
const BUDGET_US = 50;
/** Re-scores timed: enough for a stable p99 (100 samples above it). */
const SAMPLES = 20_000;
/** Explanations timed: they are on demand (one twin per request), a few hundred suffice. */
const EXPLAIN_SAMPLES = 500;
const BATCH = 5_000;

/** Figures of `bench scoring`. */
export interface ScoringBenchResult {
  twins: number;
  events: number;
  learner: string;
  trees: number;
  train_seconds: number;
  rescore_us: { p50: number; p99: number; mean: number };
  /** The same with a boosted-trees model forced (the champion may be either learner). */
  rescore_gbdt_us: { p50: number; p99: number; mean: number; trees: number };
  features_only_us: { p50: number; p99: number; mean: number };
  ratio_p50_to_features: number;
  explain_us: { p50: number; p99: number };
  full_rescore_ms: number;
  budget_us: number;
  within_budget: boolean;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

function stats(samples: Float64Array): { p50: number; p99: number; mean: number } {
  const s = samples.slice().sort();
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: round(at(0.5)), p99: round(at(0.99)), mean: round(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** Times `fn(i)` one call at a time, in µs. */
function timeEach(n: number, fn: (i: number) => void): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    out[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  return out;
}

/** Builds twins from synthetic events, trains a churn model on them and times live re-scoring. */
export async function runScoringBench(options: { customers: number; days: number; log: (line: string) => void }): Promise<ScoringBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-scoring-bench-'));
  try {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2100-01-01')) });
    const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    try {
      let events = 0;
      let batch: TwinEvent[] = [];
      for (const e of syntheticChurnEvents({ customers: options.customers, days: options.days, seed: 11 })) {
        batch.push(e);
        if (batch.length === BATCH) {
          await twins.intake.submit(batch);
          events += batch.length;
          batch = [];
        }
      }
      await twins.intake.submit(batch);
      events += batch.length;
      options.log(`${twins.engine.size} twins from ${events} events; training…`);
      const t0 = performance.now();
      await trainAndRegister(twins, registry, { promotion: 'champion' });
      const trainSeconds = (performance.now() - t0) / 1000;
      const model = (await loadChampion(registry))!;
      const t1 = performance.now();
      const live = new LiveScoring(twins.engine, model);
      const fullMs = performance.now() - t1;

      const engine = twins.engine;
      const n = engine.size;
      const rnd = seededRandom(5);
      const slots = Int32Array.from({ length: SAMPLES }, () => Math.floor(rnd() * n));
      const ids = Array.from(slots, (s) => engine.table.idAt(s));
      const out = new Float64Array(FEATURE_COUNT);
      // Warm both paths up so the JIT has compiled them before timing.
      for (let i = 0; i < 2000; i++) {
        engine.features(ids[i], engine.eventClock, out);
        live.rescoreSlot(slots[i]);
      }
      const features = timeEach(SAMPLES, (i) => engine.features(ids[i], engine.eventClock, out));
      const rescore = timeEach(SAMPLES, (i) => live.rescoreSlot(slots[i]));
      const explain = timeEach(EXPLAIN_SAMPLES, (i) => live.decorate(engine.view(ids[i])!));
      const forced = await trainAndRegister(twins, registry, { promotion: 'challenger', learners: ['gbdt'] });
      const gbdtModel = toLiveModel((await registry.get(forced.info.id))!);
      const gbdtLive = new LiveScoring(engine, gbdtModel);
      for (let i = 0; i < 2000; i++) gbdtLive.rescoreSlot(slots[i]);
      const g = stats(timeEach(SAMPLES, (i) => gbdtLive.rescoreSlot(slots[i])));
      const r = stats(rescore);
      const f = stats(features);
      const e = stats(explain);
      return {
        twins: n,
        events,
        learner: model.document.learner,
        trees: model.document.gbdt?.trees.length ?? 0,
        train_seconds: round(trainSeconds),
        rescore_us: r,
        rescore_gbdt_us: { ...g, trees: gbdtModel.document.gbdt?.trees.length ?? 0 },
        features_only_us: f,
        ratio_p50_to_features: round(r.p50 / Math.max(f.p50, 0.01)),
        explain_us: { p50: e.p50, p99: e.p99 },
        full_rescore_ms: round(fullMs),
        budget_us: BUDGET_US,
        within_budget: r.p99 <= BUDGET_US && g.p99 <= BUDGET_US,
      };
    } finally {
      await registry.close();
      await twins.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds `bench scoring`. */
export function registerScoringBench(bench: Command): void {
  bench
    .command('scoring')
    .description('live re-scoring cost per twin after an event (p50/p99 µs) against computing the feature vector alone')
    .option('--customers <n>', 'synthetic customers', '3000')
    .option('--days <n>', 'days of history', '200')
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { customers: string; days: string; json?: boolean }) => {
        const customers = Number(opts.customers);
        const days = Number(opts.days);
        if (!(Number.isInteger(customers) && customers >= 100) || !(Number.isInteger(days) && days >= 90)) {
          throw new TwinloopError('BAD_INPUT', '--customers must be an integer ≥ 100 and --days ≥ 90 (the churn label needs history)');
        }
        const r = await runScoringBench({ customers, days, log: (l) => process.stderr.write(`${l}\n`) });
        process.stdout.write(
          `re-score one twin (features + ${r.learner}${r.trees ? ` ${r.trees} trees` : ''} + CLV): p50 ${r.rescore_us.p50} µs, p99 ${r.rescore_us.p99} µs (budget ${r.budget_us} µs: ${r.within_budget ? 'met' : 'MISSED'})\n` +
            `  with a ${r.rescore_gbdt_us.trees}-tree GBDT model forced: p50 ${r.rescore_gbdt_us.p50} µs, p99 ${r.rescore_gbdt_us.p99} µs\n` +
            `  baseline, feature vector alone: p50 ${r.features_only_us.p50} µs, p99 ${r.features_only_us.p99} µs; ratio p50 ${r.ratio_p50_to_features}×\n` +
            `  reasons on demand (GET /twins/:id scores): p50 ${r.explain_us.p50} µs, p99 ${r.explain_us.p99} µs; full re-score of ${r.twins} twins ${r.full_rescore_ms} ms; training ${r.train_seconds} s\n`,
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      },
    );
}
