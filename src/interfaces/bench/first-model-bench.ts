import { DAY_MS } from '../../domain/time.js';
import { TwinloopError } from '../../domain/errors.js';
import { compareAucs } from '../../intelligence/evaluation/auc-comparison.js';
import { createTabularScorer } from '../../intelligence/model/tabular-scorer.js';
import { fitFirstChurnModel, firstModelRows } from '../../intelligence/twin-training/first-churn-model.js';
import { churnCutoffs, DEFAULT_HORIZON_DAYS, fitChurnModel, trainChurnFromTwins, type TrainedChurnModel } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { FIRST_MODEL_CUSTOMERS, sampleTrainingCustomers } from '../../intelligence/twin-training/training-customers.js';
import { collectTrainingRows, type CollectedTrainingRows } from '../../intelligence/twin-training/training-row-collector.js';
import { buildTwinTrainingSet, type TwinTrainingSet } from '../../intelligence/twin-training/twin-training-set.js';
import { createSandboxWorld, INTAKE_DELIVERY_WINDOW } from '../../sandbox/index.js';
import type { EventStore } from '../../store/event-store.js';
import { ManualClock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { historyDays, sandboxAwareClock } from '../runtime/sandbox-operator.js';
import { inTempDir, worldOptions } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';

/** What one way of making the first model cost and what it gives, on the validation rows both share. */
export interface ModelPath {
  /** CPU seconds (every thread of the process) from the history's end to a fitted model. */
  cpu_seconds: number;
  seconds: number;
  learner: string;
  auc: number;
  /** DeLong standard error of the AUC on the validation rows. */
  auc_se: number;
  log_loss: number;
  ece: number;
}

/** Figures of `bench first-model`. */
export interface FirstModelBenchResult {
  source: string;
  customers: number;
  events: number;
  /** CPU µs per event of the history with the collector listening, and without (same process; absent with --no-history-baseline or --store). */
  history_cpu_us_per_event?: number;
  history_baseline_cpu_us_per_event?: number;
  history_cpu_ratio?: number;
  training_rows: number;
  sample_customers: number;
  validation_rows: number;
  validation_churners: number;
  /** The collector's customers read back from the log (an event dated before a cutoff after one past it). */
  read_back_customers?: number;
  /** Today's model phase: the sample's history replayed from the log, learner chosen by inner CV. */
  full: ModelPath;
  /** The first model: collected rows (or, with --store, the replay's, which equal them), one fit. */
  first: ModelPath;
  /** First against full: CPU (below 1: cheaper) and AUC difference with its paired (DeLong) standard error. */
  cpu_ratio: number;
  auc_difference: number;
  auc_difference_se: number;
}

const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;

/** Runs `work`, with the CPU of the whole process and the wall time it took. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; cpu: number; seconds: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await work();
  return { value, cpu: cpuSeconds(process.cpuUsage(c0)), seconds: (performance.now() - t0) / 1000 };
}

/** Backfills a world's history through the intake into a fresh embedded store, as the first start does; the collector listening when asked. */
async function backfill(o: { world: string; customers: number; months: number; seed: number; collect: boolean; log: (s: string) => void }, then: (twins: Awaited<ReturnType<typeof openTwinService>>, to: number, rows: CollectedTrainingRows | string | undefined, cpu: number, events: number) => Promise<void>): Promise<void> {
  await inTempDir('first-model-bench', async (dir) => {
    const world = createSandboxWorld(resolveWorld({ world: o.world, customers: o.customers }), o.seed, { latencyScale: 0 });
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread' }), clock: sandboxAwareClock(() => world.clock) });
    try {
      const days = historyDays(o.months);
      const to = world.clock.now() + days * DAY_MS - 1;
      const collector = o.collect ? collectTrainingRows(twins.engine, { to }) : undefined;
      let last = performance.now();
      const r = await measured(async () => {
        const tally = await world.backfill({
          days,
          sink: twins.intake,
          window: INTAKE_DELIVERY_WINDOW,
          onProgress: (done, total, events) => {
            if (performance.now() - last < 15_000) return;
            last = performance.now();
            o.log(`  ${o.collect ? 'with the collector' : 'baseline'}: day ${done}/${total}, ${events} events`);
          },
        });
        await twins.checkpoint({ loadEnded: true });
        return tally;
      });
      o.log(`  history ${o.collect ? 'with the collector' : '(baseline, no collector)'}: ${r.value.events} events, ${round(r.cpu, 1)} CPU-s, ${round(r.seconds, 1)} s`);
      await then(twins, to, collector?.stop(), r.cpu, r.value.events);
    } finally {
      await twins.close({ checkpoint: false });
    }
  });
}

/** Both ways to the first model on one history: today's (replay + selection) and the first model's (collected rows, one fit). */
async function compare(store: EventStore, o: { to: number; untilSeq: number; latenessMs: number; customers: readonly string[] | undefined; rows: () => Promise<CollectedTrainingRows>; log: (s: string) => void }) {
  const full = await measured(() => trainChurnFromTwins(store, { to: o.to, untilSeq: o.untilSeq, latenessMs: o.latenessMs, customers: o.customers }));
  o.log(`  full training: ${round(full.cpu, 1)} CPU-s, AUC ${full.value.metadata.metrics.auc} (${full.value.metadata.learner})`);
  let collected: CollectedTrainingRows | undefined;
  const first = await measured(async () => {
    collected = await o.rows();
    return fitFirstChurnModel(collected, { horizonDays: DEFAULT_HORIZON_DAYS, latenessMs: o.latenessMs, untilSeq: o.untilSeq }, async () => ({ store, close: async () => {} }));
  });
  o.log(`  first model: ${round(first.cpu, 1)} CPU-s, AUC ${first.value.metadata.metrics.auc}`);
  const set = await firstModelRows(collected!, { horizonDays: DEFAULT_HORIZON_DAYS, latenessMs: o.latenessMs, untilSeq: o.untilSeq }, async () => ({ store, close: async () => {} }));
  return { full, first, set, readBack: collected!.inexact.length };
}

/** The validation rows (the latest cutoff) scored by both models, compared. */
function judge(set: TwinTrainingSet, full: { value: TrainedChurnModel; cpu: number; seconds: number }, first: { value: TrainedChurnModel; cpu: number; seconds: number }) {
  const K = set.cutoffs.length;
  const P = set.matrix.cols;
  const rows = Array.from({ length: set.matrix.rows }, (_, i) => i).filter((i) => set.cutoffIndex[i] === K - 1);
  const data = new Float64Array(rows.length * P);
  rows.forEach((r, k) => data.set(set.matrix.data.subarray(r * P, (r + 1) * P), k * P));
  const labels = Uint8Array.from(rows, (r) => set.labels[r]);
  const score = (m: TrainedChurnModel) => createTabularScorer(m.document).scoreMatrix({ rows: rows.length, cols: P, data });
  const c = compareAucs(labels, score(first.value), score(full.value));
  const path = (m: { value: TrainedChurnModel; cpu: number; seconds: number }, auc: { auc: number; se: number }): ModelPath => ({
    cpu_seconds: round(m.cpu, 2),
    seconds: round(m.seconds, 1),
    learner: m.value.metadata.learner,
    auc: round(auc.auc, 4),
    auc_se: round(auc.se, 4),
    log_loss: m.value.metadata.metrics.logLoss,
    ece: m.value.metadata.metrics.ece,
  });
  return {
    training_rows: set.matrix.rows,
    validation_rows: rows.length,
    validation_churners: c.positives,
    full: path(full, c.b),
    first: path(first, c.a),
    cpu_ratio: ratio(first.cpu, full.cpu),
    auc_difference: round(c.difference, 4),
    auc_difference_se: round(c.differenceSe, 4),
  };
}

/**
 * The first model against today's model phase, in one process: on a world's history backfilled
 * through the intake with the collector listening (and once without, for what it costs the
 * history), or on an existing embedded store (`--store`, the server stopped), where the replay's
 * rows stand in for the collected ones (they are equal: test/first-model-rows.e2e.test.ts).
 */
export async function runFirstModelBench(o: { world: string; customers: number; months: number; seed: number; historyBaseline: boolean; store?: string; historyEnd?: string; log: (s: string) => void }): Promise<FirstModelBenchResult> {
  if (o.store) {
    if (!o.historyEnd) throw new TwinloopError('BAD_INPUT', '--store needs --history-end (the ISO time the history ends: the live world began then; sandbox.json start + backfillDays)');
    const end = Date.parse(o.historyEnd);
    if (Number.isNaN(end)) throw new TwinloopError('BAD_INPUT', `--history-end: not an ISO time: "${o.historyEnd}"`);
    // The twins (recovered from the store's checkpoint) name the population the sample is drawn from.
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: o.store, writes: 'inline' }), clock: new ManualClock(end) });
    const store = twins.store;
    try {
      const to = end - 1;
      const ids = [...twins.engine.customerIds()];
      const customers = sampleTrainingCustomers(ids, FIRST_MODEL_CUSTOMERS);
      const untilSeq = twins.appliedSeq();
      const from = (await store.readLog(0, 1))[0]?.time;
      const rows = async (): Promise<CollectedTrainingRows> => {
        const set = await buildTwinTrainingSet(store, { cutoffs: churnCutoffs({ from, to, horizonDays: DEFAULT_HORIZON_DAYS }), horizonMs: DEFAULT_HORIZON_DAYS * DAY_MS, latenessMs: twins.engine.latenessMs, untilSeq, customers });
        return { set, customers, inexact: [] };
      };
      const r = await compare(store, { to, untilSeq, latenessMs: twins.engine.latenessMs, customers, rows, log: o.log });
      // The first model's CPU here would include the replay standing in for the collector: the fit alone is counted.
      const fit = await measured(async () => fitChurnModel(r.set, DEFAULT_HORIZON_DAYS, { fit: 'first', customers }));
      return { source: `store ${o.store}`, customers: ids.length, events: untilSeq, sample_customers: customers?.length ?? ids.length, ...judge(r.set, r.full, { ...fit, value: r.first.value }) };
    } finally {
      await twins.close({ checkpoint: false });
    }
  }
  let baseline: number | undefined;
  if (o.historyBaseline) await backfill({ ...o, collect: false }, async (_t, _to, _r, cpu, events) => void (baseline = (cpu * 1e6) / events));
  let result: FirstModelBenchResult | undefined;
  await backfill({ ...o, collect: true }, async (twins, to, rows, cpu, events) => {
    if (typeof rows !== 'object') throw new TwinloopError('CONFLICT', `no rows were collected: ${rows}`);
    const r = await compare(twins.store, { to, untilSeq: twins.appliedSeq(), latenessMs: twins.engine.latenessMs, customers: rows.customers, rows: async () => rows, log: o.log });
    const perEvent = (cpu * 1e6) / events;
    result = {
      source: `world ${o.world}, seed ${o.seed}, ${o.months} months`,
      customers: twins.engine.size,
      events,
      history_cpu_us_per_event: round(perEvent, 2),
      ...(baseline === undefined ? {} : { history_baseline_cpu_us_per_event: round(baseline, 2), history_cpu_ratio: ratio(perEvent, baseline) }),
      sample_customers: rows.customers?.length ?? twins.engine.size,
      read_back_customers: r.readBack,
      ...judge(r.set, r.full, r.first),
    };
  });
  return result!;
}

/** `bench first-model`: the first model's cost and quality against today's model phase. */
export const firstModelBench = defineBench({
  name: 'first-model',
  description: "The first churn model (rows collected with the history, one fit) against today's model phase (replay, learner chosen by inner CV): CPU ratio, AUC of each with DeLong standard errors on the same validation rows",
  options: [
    ...worldOptions({ customers: 2_000, months: 12 }),
    { flags: '--no-history-baseline', description: 'skip the same backfill without the collector (what the collector costs the history)' },
    { flags: '--store <dir>', description: "an existing embedded store's data dir (server stopped) instead of a new backfill" },
    { flags: '--history-end <iso>', description: 'with --store: when its history ended (the sandbox went live)' },
  ],
  run: (o: { world: string; customers: number; months: number; seed: number; historyBaseline: boolean; store?: string; historyEnd?: string }, { log }) => runFirstModelBench({ ...o, log }),
});
