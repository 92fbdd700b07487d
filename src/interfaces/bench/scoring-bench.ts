import { ManualClock } from '../../domain/clock.js';
import { seededRandom } from '../../domain/seeded-random.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openTwinService } from '../../twin/twin-service.js';
import { FEATURE_COUNT } from '../../twin/twin-features.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { loadChampion, toLiveModel, trainAndRegister } from '../../intelligence/live/churn-model-service.js';
import { DEFAULT_PASS_SLICE_MS, LiveScoring } from '../../intelligence/live/live-scoring.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir, submitInBatches } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { longestHold, median, ratio, round, sampleStats, timeEach } from './bench-stats.js';

/** The re-scoring budget the issue sets per twin and event. */
const BUDGET_US = 50;
/** Re-scores timed: enough for a stable p99 (100 samples above it). */
const SAMPLES = 20_000;
/** Explanations timed: they are on demand (one twin per request), a few hundred suffice. */
const EXPLAIN_SAMPLES = 500;
/** Untimed calls first, so the JIT has compiled what is timed. */
const WARMUP = 2_000;
/** Passes over every twin timed each way (the median is reported). */
const PASS_RUNS = 5;

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
  /**
   * The longest the event loop was held while every twin was re-scored (a day's re-score or a
   * promotion on the server): in one go (`scoreAll`, the baseline: the whole pass) and in slices
   * (`refresh`, as the server runs it), the median of PASS_RUNS passes each; ratio = slices / one go.
   */
  pass_hold_ms: { in_one_go: number; in_slices: number; ratio: number; slices_pass_ms: number; slice_ms: number };
  budget_us: number;
  within_budget: boolean;
}

/** p50, p99 and mean of µs samples, to 0.01 µs. */
const stats = (samples: Float64Array): { p50: number; p99: number; mean: number } => sampleStats(samples, ['p50', 'p99', 'mean'], 2);

/** Builds twins from synthetic events, trains a churn model on them and times live re-scoring. */
export async function runScoringBench(options: { customers: number; days: number; log: (line: string) => void }): Promise<ScoringBenchResult> {
  return inTempDir('scoring-bench', async (dir) => {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2100-01-01')) });
    const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    try {
      const events = await submitInBatches(twins.intake, syntheticChurnEvents({ customers: options.customers, days: options.days, seed: 11 }));
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
      const features = timeEach(SAMPLES, (i) => engine.features(ids[i], engine.eventClock, out), WARMUP);
      const rescore = timeEach(SAMPLES, (i) => live.rescoreSlot(slots[i]), WARMUP);
      const explain = timeEach(EXPLAIN_SAMPLES, (i) => live.decorate(engine.view(ids[i])!));
      const forced = await trainAndRegister(twins, registry, { promotion: 'challenger', learners: ['gbdt'] });
      const gbdtModel = toLiveModel((await registry.get(forced.info.id))!);
      const gbdtLive = new LiveScoring(engine, gbdtModel);
      const g = stats(timeEach(SAMPLES, (i) => gbdtLive.rescoreSlot(slots[i]), WARMUP));
      // The server's pass (a day's re-score, a promotion) against the same pass in one go, in turns.
      const oneGo: number[] = [];
      const sliced: number[] = [];
      const slicedWall: number[] = [];
      for (let k = 0; k < PASS_RUNS; k++) {
        oneGo.push((await longestHold(async () => live.scoreAll())).holdMs);
        const s = await longestHold(() => live.refresh());
        sliced.push(s.holdMs);
        slicedWall.push(s.wallMs);
      }
      const hold = { in_one_go: round(median(oneGo), 2), in_slices: round(median(sliced), 2) };
      const r = stats(rescore);
      const f = stats(features);
      const e = stats(explain);
      return {
        twins: n,
        events,
        learner: model.document.learner,
        trees: model.document.gbdt?.trees.length ?? 0,
        train_seconds: round(trainSeconds, 2),
        rescore_us: r,
        rescore_gbdt_us: { ...g, trees: gbdtModel.document.gbdt?.trees.length ?? 0 },
        features_only_us: f,
        ratio_p50_to_features: ratio(r.p50, f.p50, 2),
        explain_us: { p50: e.p50, p99: e.p99 },
        full_rescore_ms: round(fullMs, 2),
        pass_hold_ms: { ...hold, ratio: ratio(hold.in_slices, hold.in_one_go, 3), slices_pass_ms: round(median(slicedWall), 2), slice_ms: DEFAULT_PASS_SLICE_MS },
        budget_us: BUDGET_US,
        within_budget: r.p99 <= BUDGET_US && g.p99 <= BUDGET_US,
      };
    } finally {
      await registry.close();
      await twins.close();
    }
  });
}

/** The human summary of `bench scoring`. */
export function formatScoringBench(r: ScoringBenchResult): string {
  return [
    `re-score one twin (features + ${r.learner}${r.trees ? ` ${r.trees} trees` : ''} + CLV): p50 ${r.rescore_us.p50} µs, p99 ${r.rescore_us.p99} µs (budget ${r.budget_us} µs: ${r.within_budget ? 'met' : 'MISSED'})`,
    `  with a ${r.rescore_gbdt_us.trees}-tree GBDT model forced: p50 ${r.rescore_gbdt_us.p50} µs, p99 ${r.rescore_gbdt_us.p99} µs`,
    `  baseline, feature vector alone: p50 ${r.features_only_us.p50} µs, p99 ${r.features_only_us.p99} µs; ratio p50 ${r.ratio_p50_to_features}×`,
    `  reasons on demand (GET /twins/:id scores): p50 ${r.explain_us.p50} µs, p99 ${r.explain_us.p99} µs; full re-score of ${r.twins} twins ${r.full_rescore_ms} ms; training ${r.train_seconds} s`,
    `  event loop held by a pass over every twin: ${r.pass_hold_ms.in_slices} ms in ${r.pass_hold_ms.slice_ms}-ms slices (the pass ${r.pass_hold_ms.slices_pass_ms} ms) against ${r.pass_hold_ms.in_one_go} ms in one go: ratio ${r.pass_hold_ms.ratio}`,
  ].join('\n');
}

/** `bench scoring`: live re-scoring per twin after an event, against computing its features alone. */
export const scoringBench = defineBench({
  name: 'scoring',
  description: 'live re-scoring cost per twin after an event (p50/p99 µs) against computing the feature vector alone',
  options: [
    { flags: '--customers <n>', description: 'synthetic customers', parse: intOption('--customers', 100), default: 3_000 },
    { flags: '--days <n>', description: 'days of history (the churn label needs at least 90)', parse: intOption('--days', 90), default: 200 },
  ],
  run: (o: { customers: number; days: number }, { log }) => runScoringBench({ ...o, log }),
  summary: formatScoringBench,
});
