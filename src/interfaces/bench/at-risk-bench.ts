import { ManualClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openTwinService } from '../../twin/twin-service.js';
import { TwinEngine } from '../../twin/twin-engine.js';
import { FEATURE_COUNT } from '../../twin/twin-features.js';
import { compileFilters, parseFilterQuery } from '../../twin/feature-filter.js';
import { countTwins, queryFields, queryTwinsSorted, type ExtraFields } from '../../twin/twin-query.js';
import { populationRisk, type PopulationRisk } from '../../intelligence/live/population-risk.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { loadChampion, trainAndRegister } from '../../intelligence/live/churn-model-service.js';
import { LiveScoring, type LiveModel } from '../../intelligence/live/live-scoring.js';
import { liveScoreFields } from '../../intelligence/live/score-fields.js';
import { AT_RISK_SHARE, riskiestShareLevel } from '../../intelligence/live/churn-risk-levels.js';
import { riskiestScoresOf, riskiestShareOverParts } from '../../intelligence/live/population-at-risk.js';
import { partitionOf } from '../../domain/partitions.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir, submitInBatches } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { median, ratio, round } from './bench-stats.js';

/** Timed turns of each way, alternating (the median is reported): the machine is shared. */
const TURNS = 5;

/** One population's figures. */
export interface AtRiskPopulation {
  twins: number;
  /** Twins in the scored population (active), what the level is read over. */
  active: number;
  level: number;
  /** ms a level holds the thread: as the server read it before (every twin's features computed, the scores read through the filter fields, a full sort). */
  before_ms: number;
  /** The live scores' typed arrays read, the level found by selection: what a planning does now. */
  after_ms: number;
  /** The typed arrays read, then a full sort: what selection adds over the read alone. */
  typed_sort_ms: number;
  /** after / before: the share of the old cost left. */
  ratio: number;
  /** The population's level over `workers` parts (each worker's partitions), as the gateway reads it (decision 0092): the same level, exactly. */
  workers: number;
  /** ms the parts' answers and their merge take together, in one process (no HTTP): what the read costs the workers and the gateway. */
  over_workers_ms: number;
  /** over_workers / after: the read over the parts against one process's selection over every score. */
  over_workers_ratio: number;
  /** Rounds of asking the read took (1, or 2 when a worker's own tenth was cut above the population's level). */
  rounds: number;
  /** Scores sent to the gateway over the rounds, and their share of the active. */
  scores_sent: number;
  sent_share: number;
  /** Reads of the twin lists and the overview with a model serving (`lists`). */
  lists: AtRiskListReads;
}

/**
 * What the twin lists and the overview read of the live scores, as before (2026-12-07: every
 * ranked twin's scores read, the at-risk level read once a twin; GET /population's second pass
 * for its at-risk count) against now, ms, the median of the turns.
 */
export interface AtRiskListReads {
  /** `GET /twins?sort=-monthly_price&limit=50`: ranked on a feature, the page's scores shown. */
  sorted_before_ms: number;
  sorted_after_ms: number;
  sorted_ratio: number;
  /** A segment counted on `at_risk == 1` (an intent's audience): every twin's scores read, the level once a twin before, once now. */
  count_before_ms: number;
  count_after_ms: number;
  count_ratio: number;
  /** Every twin's scores alone read (no features): the level read once a twin before, once now. */
  reads_before_ms: number;
  reads_after_ms: number;
  reads_ratio: number;
  /** `GET /population`'s risk with its at-risk count: two passes over the scores before, one now. */
  overview_before_ms: number;
  overview_after_ms: number;
  overview_ratio: number;
}

/** Figures of `bench at-risk`. */
export interface AtRiskBenchResult {
  share: number;
  turns: number;
  populations: AtRiskPopulation[];
}

/**
 * The level as the server read it before (`fieldValuesWhere` and a sort, until 2026-12-07): each
 * twin's features computed, its scores read through the filter fields, tested against
 * `churned == 0`, the finite ones sorted.
 */
function levelAsBefore(engine: TwinEngine, live: LiveScoring): { level: number | undefined; of: number } {
  const extra = liveScoreFields(() => live);
  const fields = queryFields(extra);
  const at = fields.names.indexOf('churn');
  const test = compileFilters([{ field: 'churned', op: '==', value: 0 }], fields);
  const vec = new Float64Array(fields.names.length);
  const scores: number[] = [];
  const read = extra.reader();
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    read(id, vec, FEATURE_COUNT);
    if (test(vec)) scores.push(vec[at]);
  }
  const known = scores.filter((x) => Number.isFinite(x)).sort((a, b) => b - a);
  return { level: known.length ? known[Math.min(known.length, Math.max(1, Math.ceil(known.length * AT_RISK_SHARE))) - 1] : undefined, of: known.length };
}

/** The page `GET /twins?sort=-monthly_price&limit=50` answered before: every twin's features and scores read (the level once a twin), then ranked. */
function sortedAsBefore(engine: TwinEngine, extra: ExtraFields, limit: number): string[] {
  const fields = queryFields(extra);
  const at = fields.names.indexOf('monthly_price');
  const vec = new Float64Array(fields.names.length);
  const slots: number[] = [];
  const keys: number[] = [];
  for (let slot = 0; slot < engine.table.size; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    extra.reader()(id, vec, FEATURE_COUNT);
    slots.push(slot);
    keys.push(vec[at]);
  }
  const order = slots.map((_, i) => i).sort((a, b) => keys[b] - keys[a] || slots[a] - slots[b]);
  return order.slice(0, limit).map((i) => {
    const id = engine.table.idAt(slots[i]);
    engine.features(id, engine.eventClock, vec);
    extra.reader()(id, vec, FEATURE_COUNT);
    return id;
  });
}

/** GET /population's risk as read before: the bands' pass, then the scored customers' churn copied out and counted against the level. */
function overviewAsBefore(live: LiveScoring): { risk: PopulationRisk; atRisk: number } {
  const risk = populationRisk(live);
  const level = live.atRiskLevel()!;
  let atRisk = 0;
  for (const p of live.activeChurn()) if (p >= level.churn) atRisk++;
  return { risk, atRisk };
}

/** The list and overview reads, before and now, TURNS turns alternating (the first not timed). */
function listReads(engine: TwinEngine, live: LiveScoring): AtRiskListReads {
  const extra = liveScoreFields(() => live);
  // Before, each twin's read took the level again: a reader a twin is that read.
  const perTwin: ExtraFields = { names: extra.names, reader: () => (id, out, offset) => extra.reader()(id, out, offset), readable: extra.readable };
  const atRisk = parseFilterQuery({ 'at_risk.eq': '1' }, queryFields(extra));
  const t = { sortedBefore: [] as number[], sortedAfter: [] as number[], countBefore: [] as number[], countAfter: [] as number[], overviewBefore: [] as number[], overviewAfter: [] as number[], readsBefore: [] as number[], readsAfter: [] as number[] };
  for (let turn = 0; turn < TURNS; turn++) {
    const sb = timed(() => sortedAsBefore(engine, extra, 50));
    const sa = timed(() => queryTwinsSorted(engine, [], { field: 'monthly_price', descending: true }, 0, 50, extra));
    const cb = timed(() => countTwins(engine, [atRisk], perTwin)[0]);
    const ca = timed(() => countTwins(engine, [atRisk], extra)[0]);
    const ids = Array.from({ length: engine.table.size }, (_, slot) => engine.table.idAt(slot));
    const vec = new Float64Array(extra.names.length);
    const readAll = (fields: ExtraFields) => {
      const read = fields.reader();
      let n = 0;
      for (const id of ids) {
        read(id, vec, 0);
        n += vec[2] === 1 ? 1 : 0;
      }
      return n;
    };
    const rb = timed(() => readAll(perTwin));
    const ra = timed(() => readAll(extra));
    const ob = timed(() => overviewAsBefore(live));
    const oa = timed(() => {
      const level = live.atRiskLevel()!;
      return populationRisk(live, undefined, level.churn);
    });
    // The same answers both ways, or the figures compare nothing.
    if (sa.value.items.map((i) => i.customerId).join() !== sb.value.join() || ca.value !== cb.value || ra.value !== rb.value || oa.value.atRiskCustomers !== ob.value.atRisk || oa.value.scored !== ob.value.risk.scored) {
      throw new TwinloopError('INTERNAL', `bench at-risk: the list reads disagree (sorted page ${sa.value.items.length} against ${sb.value.length}, at-risk count ${ca.value} against ${cb.value}, overview ${oa.value.atRiskCustomers} against ${ob.value.atRisk}); report this as a bug`);
    }
    if (turn === 0) continue;
    t.sortedBefore.push(sb.ms);
    t.sortedAfter.push(sa.ms);
    t.countBefore.push(cb.ms);
    t.countAfter.push(ca.ms);
    t.readsBefore.push(rb.ms);
    t.readsAfter.push(ra.ms);
    t.overviewBefore.push(ob.ms);
    t.overviewAfter.push(oa.ms);
  }
  const m = (xs: number[]) => round(median(xs), 3);
  const r = { sorted_before_ms: m(t.sortedBefore), sorted_after_ms: m(t.sortedAfter), count_before_ms: m(t.countBefore), count_after_ms: m(t.countAfter), reads_before_ms: m(t.readsBefore), reads_after_ms: m(t.readsAfter), overview_before_ms: m(t.overviewBefore), overview_after_ms: m(t.overviewAfter) };
  return { ...r, sorted_ratio: ratio(r.sorted_after_ms, r.sorted_before_ms, 3), count_ratio: ratio(r.count_after_ms, r.count_before_ms, 3), reads_ratio: ratio(r.reads_after_ms, r.reads_before_ms, 3), overview_ratio: ratio(r.overview_after_ms, r.overview_before_ms, 3) };
}

/** A population of `customers` twins over `days`, in memory, scored by `model`. */
function population(customers: number, days: number, model: LiveModel): { engine: TwinEngine; live: LiveScoring } {
  const engine = new TwinEngine();
  for (const e of syntheticChurnEvents({ customers, days, seed: 17 })) {
    const time = Date.parse(e.time);
    if (engine.check(e, time, engine.gate(e.customerId)).ok) engine.apply(e, time);
  }
  return { engine, live: new LiveScoring(engine, model) };
}

/** Times `fn` once, in ms (awaited). */
const timedAsync = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
};

/** Times `fn` once, in ms. */
const timed = <T>(fn: () => T): { ms: number; value: T } => {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
};

/**
 * An intent's "at risk" level (the riskiest tenth of the active base) read as a planning reads it,
 * against how it was read before, on populations of each size given.
 */
export async function runAtRiskBench(options: { twins: readonly number[]; days: number; workers: number; log: (line: string) => void }): Promise<AtRiskBenchResult> {
  const model = await inTempDir('at-risk-bench', async (dir) => {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2100-01-01')) });
    const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    try {
      await submitInBatches(twins.intake, syntheticChurnEvents({ customers: 3_000, days: 200, seed: 11 }));
      options.log('training a churn model on 3,000 synthetic customers…');
      await trainAndRegister(twins, registry, { promotion: 'champion' });
      return (await loadChampion(registry))!;
    } finally {
      await registry.close();
      await twins.close();
    }
  });
  const populations: AtRiskPopulation[] = [];
  for (const n of options.twins) {
    options.log(`${n} twins over ${options.days} days, in memory…`);
    const { engine, live } = population(n, options.days, model);
    const before: number[] = [];
    const after: number[] = [];
    const typedSort: number[] = [];
    const overWorkers: number[] = [];
    let level = Number.NaN;
    let active = 0;
    let read = { rounds: 0, sent: 0 };
    // Each worker's customers as the partitions fall to it (partition p to worker p mod W), read once: a worker holds only its own.
    const workerOfSlot = new Uint8Array(engine.table.size);
    for (let slot = 0; slot < engine.table.size; slot++) workerOfSlot[slot] = partitionOf(engine.table.idAt(slot)) % options.workers;
    const workerOf = (slot: number) => workerOfSlot[slot];
    for (let turn = 0; turn < TURNS; turn++) {
      const b = timed(() => levelAsBefore(engine, live));
      const a = timed(() => {
        const scores = live.activeChurn();
        return { level: riskiestShareLevel(scores), of: scores.length };
      });
      const s = timed(() => {
        const scores = Array.from(live.activeChurn()).sort((x, y) => y - x);
        return scores[Math.max(1, Math.ceil(scores.length * AT_RISK_SHARE)) - 1];
      });
      const w = await timedAsync(async () => {
        const parts = Array.from({ length: options.workers }, (_, i) => live.activeChurn((slot) => workerOf(slot) === i));
        let sent = 0;
        const r = await riskiestShareOverParts(parts.length, AT_RISK_SHARE, async (asks) =>
          new Map([...asks].map(([i, ask]) => {
            const part = riskiestScoresOf(parts[i], ask);
            sent += part.top.length;
            return [i, part] as const;
          })),
        );
        return { level: r.level?.churn, of: r.level?.of, rounds: r.rounds, sent };
      });
      // The same level from every way, or the figures compare nothing.
      if (a.value.level !== b.value.level || a.value.of !== b.value.of || s.value !== b.value.level || w.value.level !== a.value.level || w.value.of !== a.value.of) {
        throw new TwinloopError('INTERNAL', `bench at-risk: the ways disagree on ${n} twins (before ${b.value.level} of ${b.value.of}, after ${a.value.level} of ${a.value.of}, sorted ${s.value}, over ${options.workers} workers ${w.value.level} of ${w.value.of}); report this as a bug`);
      }
      level = a.value.level ?? Number.NaN;
      active = a.value.of;
      read = { rounds: w.value.rounds, sent: w.value.sent };
      if (turn === 0) continue; // the first turn compiles what the others time
      before.push(b.ms);
      after.push(a.ms);
      typedSort.push(s.ms);
      overWorkers.push(w.ms);
    }
    const p: AtRiskPopulation = {
      twins: engine.size,
      active,
      level: round(level, 6),
      before_ms: round(median(before), 2),
      after_ms: round(median(after), 3),
      typed_sort_ms: round(median(typedSort), 2),
      ratio: 0,
      workers: options.workers,
      over_workers_ms: round(median(overWorkers), 2),
      over_workers_ratio: 0,
      rounds: read.rounds,
      scores_sent: read.sent,
      sent_share: round(read.sent / active, 4),
      lists: listReads(engine, live),
    };
    p.ratio = ratio(p.after_ms, p.before_ms, 4);
    p.over_workers_ratio = ratio(p.over_workers_ms, p.after_ms, 2);
    populations.push(p);
    options.log(`  ${p.twins} twins: ${p.before_ms} ms → ${p.after_ms} ms; lists: sorted ${p.lists.sorted_before_ms} → ${p.lists.sorted_after_ms} ms, at-risk count ${p.lists.count_before_ms} → ${p.lists.count_after_ms} ms, overview ${p.lists.overview_before_ms} → ${p.lists.overview_after_ms} ms`);
  }
  return { share: AT_RISK_SHARE, turns: TURNS - 1, populations };
}

/** The human summary of `bench at-risk`. */
export function formatAtRiskBench(r: AtRiskBenchResult): string {
  return [
    `an intent's "at risk" level (the riskiest ${r.share * 100} % of the active base), the median of ${r.turns} turns each way:`,
    ...r.populations.map((p) => `  ${p.twins} twins (${p.active} active, level ${p.level}): ${p.after_ms} ms from the live scores by selection against ${p.before_ms} ms as before (features of every twin, a full sort): ratio ${p.ratio}; the live scores fully sorted ${p.typed_sort_ms} ms`),
    ...r.populations.map((p) => `  ${p.twins} twins, a model serving: GET /twins?sort=-monthly_price&limit=50 ${p.lists.sorted_after_ms} ms against ${p.lists.sorted_before_ms} ms as before (every ranked twin's scores read): ratio ${p.lists.sorted_ratio}; a segment counted on at_risk ${p.lists.count_after_ms} against ${p.lists.count_before_ms} ms (the level read once a twin): ${p.lists.count_ratio}, of which the scores alone ${p.lists.reads_after_ms} against ${p.lists.reads_before_ms} ms: ${p.lists.reads_ratio}; GET /population's risk ${p.lists.overview_after_ms} against ${p.lists.overview_before_ms} ms (a second pass for the at-risk count): ${p.lists.overview_ratio}`),
    ...r.populations.map((p) => `  ${p.twins} twins over ${p.workers} workers: the same level read as the gateway reads it in ${p.over_workers_ms} ms (each worker's riskiest scores and the merge, no HTTP; ${p.over_workers_ratio} × one process's selection), ${p.rounds} round(s), ${p.scores_sent} scores sent (${round(p.sent_share * 100, 1)} % of the active)`),
  ].join('\n');
}

/** A list of population sizes, `24000,200000`. */
function sizesOption(value: string): number[] {
  const parse = intOption('--twins', 100, 5_000_000);
  return value.split(',').map((s) => parse(s.trim()));
}

/** `bench at-risk`: the level an intent's "at risk" means, read from the live scores, against the old read. */
export const atRiskBench = defineBench({
  name: 'at-risk',
  description: 'an intent\'s "at risk" level (the riskiest 10 % of active customers) read from the live scores by selection, against every twin\'s features and a full sort',
  options: [
    { flags: '--twins <list>', description: 'population sizes, comma-separated', parse: sizesOption, default: [24_000, 200_000] },
    { flags: '--days <n>', description: 'days of synthetic history per population', parse: intOption('--days', 1, 365), default: 30 },
    { flags: '--workers <n>', description: 'partition workers the population is split over for the level read over them (decision 0092)', parse: intOption('--workers', 1, 64), default: 3 },
  ],
  run: (o: { twins: number[]; days: number; workers: number }, { log }) => runAtRiskBench({ ...o, log }),
  summary: formatAtRiskBench,
});
