import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import type { ModelRegistry } from '../../store/model-registry.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import { queryTwinsWhere } from '../../twin/twin-query.js';
import { syntheticChurnEvents } from '../twin-training/synthetic-churn-events.js';
import { clv } from '../clv/customer-lifetime-value.js';
import { loadChampion, trainAndRegister } from './churn-model-service.js';
import { LiveScoring, type LiveModel } from './live-scoring.js';
import { liveScoreFields } from './score-fields.js';
import { fastClv } from './fast-clv.js';
import { DEFAULT_CLV_SETTINGS } from './twin-signals.js';


describe('live scoring', () => {
  let dir: string;
  let twins: TwinService;
  let registry: ModelRegistry;
  let live: LiveScoring;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-live-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
    registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    let batch: TwinEvent[] = [];
    for (const e of syntheticChurnEvents({ customers: 800, days: 200, seed: 5 })) {
      batch.push(e);
      if (batch.length === 5000) {
        await twins.intake.submit(batch);
        batch = [];
      }
    }
    await twins.intake.submit(batch);
    const r = await trainAndRegister(twins, registry, { promotion: 'champion', seed: 2 });
    expect(r.info.status).toBe('champion');
    live = new LiveScoring(twins.engine, (await loadChampion(registry))!);
    live.attach(twins.intake);
  }, 60_000);
  afterAll(async () => {
    await registry.close();
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a model with validation metrics, a training window and a drift baseline', async () => {
    const [v] = await registry.list('churn');
    const m = live.model.metadata;
    expect(v.id).toBe(live.model.id);
    expect(m.metrics.auc).toBeGreaterThan(0.55);
    expect(m.metrics.logLoss).toBeGreaterThan(0);
    expect(m.metrics.ece).toBeLessThan(0.1);
    expect(m.trainingWindow.cutoffs.length).toBeGreaterThan(1);
    expect(m.featureNames).not.toContain('churned');
    expect(m.drift.features.length).toBeGreaterThan(0);
  });

  it('serves "at risk" as the riskiest tenth of the scored customers: the level, and each twin in it or not', () => {
    const level = live.atRiskLevel()!;
    const scored = Array.from(live.active.keys()).filter((slot) => live.active[slot] === 1);
    expect(level).toMatchObject({ share: 0.1, of: scored.length, over: 'population' });
    const atRisk = scored.filter((slot) => live.scoreOf(twins.engine.table.idAt(slot))!.atRisk);
    // The riskiest tenth (ties at the level are in), each at the level or above, everyone else below it.
    expect(atRisk.length).toBeGreaterThanOrEqual(Math.ceil(scored.length / 10));
    expect(atRisk.length).toBeLessThan(scored.length / 10 + 5);
    for (const slot of scored) expect(live.churn[slot] >= level.churn).toBe(atRisk.includes(slot));
    // A customer who is not scored (churned, no plan) is not at risk, whatever their figure.
    const out = live.active.findIndex((a, slot) => a !== 1 && slot < twins.engine.table.size);
    if (out >= 0) expect(live.scoreOf(twins.engine.table.idAt(out))!.atRisk).toBe(false);
  });

  it('on a partition worker serves the population\'s level the gateway sent, over its own share of the customers, and its own customers\' until then', () => {
    const population = live.atRiskLevel()!;
    // A worker holding every other customer: its own tenth would be a level of its own.
    const mine = (slot: number) => slot % 2 === 0;
    const worker = new LiveScoring(twins.engine, live.model, { atRiskFrom: 'population', atRiskPart: mine });
    const scored = Array.from(live.active.keys()).filter((slot) => live.active[slot] === 1);
    expect(worker.activeChurn(mine).length).toBe(scored.filter(mine).length);
    // Nothing sent yet: the riskiest tenth of its own customers, marked so, never nobody at risk (a flow started now plans on it).
    const own = worker.atRiskLevel()!;
    expect(own).toMatchObject({ over: 'this-worker', share: 0.1, of: scored.filter(mine).length });
    const mineAtRisk = scored.filter(mine).filter((slot) => worker.scoreOf(twins.engine.table.idAt(slot))!.atRisk);
    expect(mineAtRisk.length).toBeGreaterThanOrEqual(Math.ceil(scored.filter(mine).length / 10));
    const riskiest = scored.reduce((a, b) => (live.churn[a] >= live.churn[b] ? a : b));
    expect(worker.scoreOf(twins.engine.table.idAt(riskiest))!.atRisk).toBe(true);
    expect(worker.servePopulationAtRisk({ ...population, modelId: live.model.id, at: new Date().toISOString() })).toBe(true);
    expect(worker.atRiskLevel()).toEqual(population);
    for (const slot of scored) expect(worker.scoreOf(twins.engine.table.idAt(slot))!.atRisk).toBe(live.scoreOf(twins.engine.table.idAt(slot))!.atRisk);
    // A level read off another model's scores is not served: its own customers' until the gateway reads this one's.
    expect(worker.servePopulationAtRisk({ ...population, modelId: 'churn-v0', at: new Date().toISOString() })).toBe(false);
    expect(worker.atRiskLevel()).toEqual(own);
    // One process reads its own scores, the whole population: it takes no level from elsewhere.
    expect(() => live.servePopulationAtRisk({ ...population, modelId: live.model.id, at: new Date().toISOString() })).toThrow(/own scores/);
  });

  it('scores every twin and re-scores a twin when an event changes its features, in the learned direction', async () => {
    const slot = live.active.findIndex((a, s) => a === 1 && twins.engine.features(twins.engine.table.idAt(s))![FEATURE_INDEX.complaints_90d] === 0);
    const id = twins.engine.table.idAt(slot);
    const before = live.churn[slot];
    const clvBefore = live.clvValue[slot];
    expect(before).toBeGreaterThan(0);
    expect(live.clvLow[slot]).toBeLessThanOrEqual(clvBefore);
    expect(live.clvHigh[slot]).toBeGreaterThanOrEqual(clvBefore);
    const at = new Date(twins.engine.eventClock).toISOString();
    const complaints: TwinEvent[] = [1, 2, 3].map((k) => ({ id: `live-c${k}`, kind: 'ticket', customerId: id, time: at, source: 'test', v: 1, data: { ticketId: `LT${k}`, action: 'opened', category: 'network', severity: 'high', complaint: true } }));
    await twins.intake.submit(complaints);
    expect(live.churn[slot]).toBeGreaterThan(before);
    // More churn risk, less expected lifetime value.
    expect(live.clvValue[slot]).toBeLessThan(clvBefore);
  });

  it('decorates a twin with exact, readable reasons and the other signals', () => {
    const slot = live.active.findIndex((a) => a === 1);
    const view = twins.engine.view(twins.engine.table.idAt(slot))!;
    const { scores } = live.decorate(view);
    if (scores.churn.probability === null) throw new Error('expected an active twin');
    expect(scores.churn.probability).toBeCloseTo(live.churn[slot], 4);
    expect(live.scoreOf(view.customerId)).toMatchObject({ active: true, churn: live.churn[slot] });
    expect(scores.churn.reasons.length).toBeGreaterThan(0);
    expect(scores.churn.reasons.length).toBeLessThanOrEqual(5);
    for (const r of scores.churn.reasons) expect(r.text).toMatch(/: [+−]\d+\.\d\d log-odds$/);
    expect(scores.clv.low).toBeLessThanOrEqual(scores.clv.value);
    expect(scores.clv.high).toBeGreaterThanOrEqual(scores.clv.value);
    expect(scores.clv.value).toBeCloseTo(live.clvValue[slot], 1);
    expect(scores.clv.reasons.length).toBe(2);
    expect(scores.usageTrend.reason).toMatch(/data use/);
    expect(scores.complaints.reason).toMatch(/complaint/);
    expect(scores.payments.status).toMatch(/good|late|failing/);
    expect(scores.offerPropensity.value).toBeGreaterThan(0);
    expect(scores.model).toMatchObject({ id: live.model.id, version: 1 });
  });

  it('serves a model whose scores came out too high later at the level it measured, inside its interval', () => {
    // The default world's case: out of time, the top bin's churners were a third of what its
    // scores said. Served raw, every such twin read [0.2 p, p]: the point at the top of its range.
    const m = live.model;
    const expected = 300;
    const bins = { upper: [1], count: [5_000], positives: [expected / 3], expected: [expected] };
    const outOfTime = { intercept: Math.log(1 / 3), slope: 1, centre: -3, interceptSd: 0.05, slopeSd: 0.05, rows: 5_000, positives: 100 };
    const low = new LiveScoring(twins.engine, { ...m, id: 'too-high', metadata: { ...m.metadata, scoreBins: bins, outOfTime } });
    const own = new LiveScoring(twins.engine, { ...m, id: 'raw', metadata: { ...m.metadata, outOfTime: undefined } });
    const slots = Array.from({ length: twins.engine.size }, (_, s) => s).filter((s) => low.active[s] === 1);
    expect(slots.length).toBeGreaterThan(50);
    for (const slot of slots.slice(0, 50)) {
      const raw = own.churn[slot];
      const view = twins.engine.view(twins.engine.table.idAt(slot))!;
      const { scores } = low.decorate(view);
      if (scores.churn.probability === null) throw new Error('expected an active twin');
      const [lo, hi] = scores.churn.interval;
      const p = low.churn[slot];
      expect(p).toBeLessThan(raw);
      expect(scores.churn.probability).toBeCloseTo(p, 4);
      // Strictly inside and clear of both ends (over a log-odds each way; the old code put it at the top).
      const logit = (x: number) => Math.log(x / (1 - x));
      expect(logit(hi) - logit(p)).toBeGreaterThan(1);
      expect(logit(p) - logit(lo)).toBeGreaterThan(1);
      // A third of the raw score's odds (of the score itself where it is small).
      expect(p / (1 - p) / (raw / (1 - raw))).toBeCloseTo(1 / 3, 6);
      expect(low.clvLow[slot]).toBeLessThan(low.clvValue[slot]);
      expect(low.clvHigh[slot]).toBeGreaterThan(low.clvValue[slot]);
    }
    // The drift baseline moves with what is served: the own population shows none.
    expect(low.driftReport()!.score.psi).toBeLessThan(0.2);
  });

  it('serves a promoted model after a pass that lets other work run between its slices, scoring each twin once, and the old scores until then', async () => {
    const old = live.model;
    // Another model: the same trees, served at a third of their odds (any model whose scores differ).
    const outOfTime = { intercept: Math.log(1 / 3), slope: 1, centre: -3, interceptSd: 0.05, slopeSd: 0.05, rows: 5_000, positives: 100 };
    const next: LiveModel = { ...old, id: 'next', version: 2, metadata: { ...old.metadata, outOfTime } };
    const scoring = new LiveScoring(twins.engine, old, { passSliceMs: 0 });
    const n = twins.engine.size;
    const before = Float64Array.from(scoring.churn.subarray(0, n));
    const touched = twins.engine.table.idAt(0);
    const reads = vi.spyOn(twins.engine, 'features');
    let midPass = 0;
    let mixed = 0;
    let swapped = false;
    let submitted: Promise<unknown> | undefined;
    const spin = () => {
      if (swapped) return;
      const calls = reads.mock.calls.length;
      if (calls > 0 && calls < n) {
        midPass++;
        // What is served meanwhile is the old model's, for every twin.
        if (scoring.model.id !== old.id) mixed++;
        for (let slot = 1; slot < n; slot += 97) if (scoring.churn[slot] !== before[slot]) mixed++;
        // A twin the pass has passed changes meanwhile: the new model must serve its new features.
        if (!submitted) {
          const at = new Date(twins.engine.eventClock).toISOString();
          submitted = twins.intake.submit([1, 2, 3].map((k): TwinEvent => ({ id: `pass-c${k}`, kind: 'ticket', customerId: touched, time: at, source: 'test', v: 1, data: { ticketId: `PT${k}`, action: 'opened', category: 'network', severity: 'high', complaint: true } })));
        }
      }
      setImmediate(spin);
    };
    setImmediate(spin);
    const detach = scoring.attach(twins.intake);
    await scoring.useModel(next);
    swapped = true;
    await submitted;
    detach();
    const perTwin = new Map<string, number>();
    for (const [id] of reads.mock.calls) perTwin.set(id, (perTwin.get(id) ?? 0) + 1);
    reads.mockRestore();
    // Other work ran between slices (the old pass held the loop throughout: none), and read only the old model's scores.
    expect(midPass).toBeGreaterThan(1);
    expect(mixed).toBe(0);
    // Every twin read once by the pass (the touched one also by each of the two scorings the batch that changed it re-scored it in).
    expect(perTwin.size).toBe(n);
    for (const [id, count] of perTwin) expect(count).toBe(id === touched ? 3 : 1);
    // Once served, every twin holds the new model's score of its features now.
    const reference = new LiveScoring(twins.engine, next);
    expect(scoring.model.id).toBe('next');
    expect(scoring.scoredCount()).toBe(n);
    expect(Array.from(scoring.churn.subarray(0, n))).toEqual(Array.from(reference.churn.subarray(0, n)));
  });

  it('runs one pass at a time: a refresh asked while one runs starts when it ends', async () => {
    const scoring = new LiveScoring(twins.engine, live.model, { passSliceMs: 0 });
    const done = scoring.passesCompleted();
    const reads = vi.spyOn(twins.engine, 'features');
    const first = scoring.refresh();
    const second = scoring.refresh();
    const third = scoring.refresh();
    expect(third).toBe(second);
    await first;
    expect(scoring.passesCompleted()).toBe(done + 1);
    await second;
    const calls = reads.mock.calls.length;
    reads.mockRestore();
    expect(scoring.passesCompleted()).toBe(done + 2);
    expect(calls).toBe(2 * twins.engine.size);
  });

  it('reads no drift while a first pass in slices has scored only some twins, and raises no alert then', async () => {
    const alerts: string[] = [];
    const scoring = new LiveScoring(twins.engine, live.model, { firstPass: 'in-slices', passSliceMs: 0, onDriftAlert: (a) => alerts.push(a.subject) });
    // Some twins scored (the first slots: the oldest customers), the pass not ended.
    scoring.rescore(Array.from({ length: 5 }, (_, i) => twins.engine.table.idAt(i)));
    expect(scoring.scoredCount()).toBe(5);
    expect(scoring.driftReport()).toBeNull();
    await scoring.refresh();
    const report = scoring.driftReport();
    expect(report!.population).toBeGreaterThan(100);
    expect(alerts).toEqual([]);
  });

  it("reads the active twins' churn off its scores, scoring first a twin no pass has reached, as a read of each twin would", () => {
    const ids = Array.from({ length: twins.engine.size }, (_, slot) => twins.engine.table.idAt(slot));
    const byRead = (s: LiveScoring) => ids.map((id) => s.scoreOf(id)!).filter((x) => x.active).map((x) => x.churn);
    expect(live.activeChurn()).toEqual(Float64Array.from(byRead(live)));
    // A first pass in slices that has not run: no twin scored yet, every one scored by the read.
    const fresh = new LiveScoring(twins.engine, live.model, { firstPass: 'in-slices' });
    expect(fresh.scoredCount()).toBe(0);
    const churn = fresh.activeChurn();
    expect(fresh.scoredCount()).toBe(twins.engine.size);
    expect(churn.length).toBeGreaterThan(100);
    expect(churn.length).toBeLessThan(twins.engine.size + 1);
    expect(churn).toEqual(Float64Array.from(byRead(live)));
  });

  it('reports no drift on its own population and alerts on a shifted one', () => {
    const report = live.driftReport()!;
    expect(report.population).toBeGreaterThan(100);
    expect(report.score.psi).toBeLessThan(0.2);
    expect(report.features.length).toBe(live.model.metadata.drift.features.length);
  });

  it('computes the closed-form CLV exactly as the reference formula', () => {
    for (const [R, g, h] of [[40, 0, 0.02], [55.5, 0.01, 0.1], [20, -0.02, 0], [30, 0, 1]]) {
      const ref = clv({ monthlyRevenue: R, revenueTrend: g, monthlyChurnHazard: h, horizonMonths: 36, monthlyDiscountRate: 0.01, marginRate: 1 }).value;
      expect(fastClv(R, g, h, DEFAULT_CLV_SETTINGS)).toBeCloseTo(ref, 8);
    }
  });

  it('answers a churned twin without a probability', () => {
    const slot = live.active.findIndex((a, s) => a === 0 && s < twins.engine.size);
    if (slot < 0) return;
    const { scores } = live.decorate(twins.engine.view(twins.engine.table.idAt(slot))!);
    expect(scores.churn.probability).toBeNull();
    expect(scores.clv.value).toBe(0);
  });

  it('lets a twin query filter on the live scores as on features, and says why when no model serves', () => {
    const scores = liveScoreFields(() => live);
    const ids = Array.from({ length: twins.engine.size }, (_, slot) => twins.engine.table.idAt(slot));
    const risks = ids.map((id) => live.scoreOf(id)!).filter((s) => s.active).map((s) => s.churn).sort((a, b) => a - b);
    const median = risks[risks.length >> 1];
    const page = queryTwinsWhere(twins.engine, { 'churn.gt': String(median), 'is_prepaid.eq': '0' }, 0, 10_000, scores);
    const expected = ids.filter((id) => {
      const s = live.scoreOf(id)!;
      return s.active && s.churn > median && twins.engine.features(id)![FEATURE_INDEX.is_prepaid] === 0;
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(twins.engine.size);
    expect(page.items.map((t) => t.customerId)).toEqual(expected);
    for (const t of page.items) expect(t.scores).toEqual({ churn: live.scoreOf(t.customerId)!.churn, clv: live.scoreOf(t.customerId)!.clv, at_risk: live.scoreOf(t.customerId)!.atRisk ? 1 : 0 });
    // "At risk" is a field of the same vocabulary: the riskiest tenth, as the level says, churned twins never in it.
    const level = live.atRiskLevel()!;
    // The level is read once for the list, not once a twin (every twin is tested against it).
    const levelReads = vi.spyOn(live, 'atRiskLevel');
    const atRisk = queryTwinsWhere(twins.engine, { 'at_risk.eq': '1' }, 0, 10_000, scores);
    expect(levelReads).toHaveBeenCalledTimes(1);
    levelReads.mockRestore();
    expect(atRisk.items.map((t) => t.customerId)).toEqual(ids.filter((id) => live.scoreOf(id)!.active && live.scoreOf(id)!.churn >= level.churn));
    expect(atRisk.items.length).toBeGreaterThanOrEqual(Math.ceil(level.of / 10));
    expect(queryTwinsWhere(twins.engine, { 'at_risk.eq': '1', 'churned.eq': '1' }, 0, 10_000, scores).items).toEqual([]);
    // A churned twin has no churn score: it matches no churn filter, whatever the operator.
    const churned = queryTwinsWhere(twins.engine, { 'churned.eq': '1', 'churn.ne': '-1' }, 0, 10_000, scores);
    expect(churned.items).toEqual([]);
    const none = liveScoreFields(() => null);
    expect(() => queryTwinsWhere(twins.engine, { 'churn.gt': String(median) }, 0, 10, none)).toThrow(/no churn model is serving yet/);
    expect(queryTwinsWhere(twins.engine, { 'is_prepaid.eq': '0' }, 0, 3, none).items).toHaveLength(3);
  });
});
