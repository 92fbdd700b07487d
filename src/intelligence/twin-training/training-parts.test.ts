import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { partitionOf } from '../../domain/partitions.js';
import { DAY_MS } from '../../domain/time.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { buildTrainingPartInThread } from './churn-training-thread.js';
import { syntheticChurnEvents } from './synthetic-churn-events.js';
import { churnCutoffs, fitChurnModel } from './train-churn-from-twins.js';
import { sampleTrainingCustomers } from './training-customers.js';
import { createTabularScorer } from '../model/tabular-scorer.js';
import { rocAuc } from '../evaluation/roc-auc.js';
import { combineTrainingParts, compareSampleKeys, encodeTrainingPart, inSample, lowestSampleKeys, sampleCut, sampleKey } from './training-parts.js';
import { buildTwinTrainingSet, type TwinTrainingSet } from './twin-training-set.js';
import { DECAY_BANDS } from '../evaluation/hazard-decay-fit.js';

/** Each row as text (customer, cutoff, label, features), sorted: the set's rows whatever their order. */
const rowsOf = (set: TwinTrainingSet): string[] =>
  Array.from({ length: set.matrix.rows }, (_, i) => `${set.customerIds[i]}|${set.cutoffIndex[i]}|${set.labels[i]}|${Array.from(set.matrix.data.subarray(i * set.matrix.cols, (i + 1) * set.matrix.cols)).join(',')}`).sort();

describe('a churn training set built in parts (fanned out over partition workers)', () => {
  let dir: string;
  let twins: TwinService;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-parts-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
    const events = [...syntheticChurnEvents({ customers: 300, days: 100, seed: 4 })];
    for (let i = 0; i < events.length; i += 5_000) await twins.intake.submit(events.slice(i, i + 5_000));
  }, 120_000);
  afterAll(async () => {
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('samples the customers a single process samples, from each part\'s lowest keys', () => {
    const ids = [...twins.engine.customerIds()];
    for (const max of [1, 17, 120, 299, 300, 1000]) {
      // Three "workers" holding the partitions by residue.
      const parts = [0, 1, 2].map((w) => ids.filter((id) => partitionOf(id) % 3 === w));
      const cut = sampleCut(parts.map((p) => lowestSampleKeys(p, max)), max);
      const fanned = ids.filter((id) => inSample(id, cut)).sort((a, b) => compareSampleKeys(sampleKey(a), sampleKey(b)));
      expect({ max, sample: fanned }).toEqual({ max, sample: sampleTrainingCustomers(ids, max) ?? [...ids].sort((a, b) => compareSampleKeys(sampleKey(a), sampleKey(b))) });
    }
  });

  it('puts together exactly the rows of the whole population, each part over its own partitions, and trains on them', async () => {
    const ids = [...twins.engine.customerIds()];
    const first = (await twins.store.readLog(0, 1))[0].time;
    const cutoffs = churnCutoffs({ from: first, to: twins.engine.eventClock, horizonDays: 30, cutoffs: 3 });
    const common = { cutoffs, horizonMs: 30 * DAY_MS, latenessMs: twins.engine.latenessMs };
    const whole = await buildTwinTrainingSet(twins.store, { ...common, customers: ids });
    const parts = await Promise.all([0, 1, 2, 3].map(async (w) => encodeTrainingPart(await buildTwinTrainingSet(twins.store, { ...common, customers: ids.filter((id) => partitionOf(id) % 4 === w) }))));
    // Through JSON, as the workers' answers travel.
    const combined = combineTrainingParts(JSON.parse(JSON.stringify(parts)), cutoffs, 30 * DAY_MS);
    expect(whole.matrix.rows).toBeGreaterThan(100);
    expect({ rows: combined.matrix.rows, positives: combined.positives, eligible: combined.eligibleRows, events: combined.eventsRead }).toEqual({ rows: whole.matrix.rows, positives: whole.positives, eligible: whole.eligibleRows, events: whole.eventsRead });
    expect(rowsOf(combined)).toEqual(rowsOf(whole));
    const model = fitChurnModel(combined, 30, { seed: 1 });
    expect(model.metadata.metrics.trainRows + model.metadata.metrics.validationRows).toBe(whole.matrix.rows);
    // Two cutoffs: no fall after a pick can be read (a month after a pick and the month before it need three).
    expect(cutoffs).toHaveLength(2);
    expect(model.metadata.hazardDecay).toBeUndefined();
    // Three: the fall is read over them and kept with the model, for the lab.
    const three = fitChurnModel(await buildTwinTrainingSet(twins.store, { ...common, cutoffs: [cutoffs[0] - 15 * DAY_MS, ...cutoffs] }), 30, { seed: 1 });
    expect(three.metadata.hazardDecay?.cutoffs).toBe(3);
    expect(three.metadata.hazardDecay?.bands).toHaveLength(2 * DECAY_BANDS);
    expect(three.metadata.hazardDecay!.bands.reduce((t, b) => t + b.expected, 0)).toBeGreaterThan(0);
  }, 120_000);

  it('judges another version on the training\'s own validation rows (the start\'s full training against its first model on a smaller sample)', async () => {
    const ids = [...twins.engine.customerIds()];
    const first = (await twins.store.readLog(0, 1))[0].time;
    const cutoffs = churnCutoffs({ from: first, to: twins.engine.eventClock, horizonDays: 30, cutoffs: 3 });
    const common = { cutoffs, horizonMs: 30 * DAY_MS, latenessMs: twins.engine.latenessMs };
    const whole = await buildTwinTrainingSet(twins.store, common);
    const sample = sampleTrainingCustomers(ids, 260);
    const small = fitChurnModel(await buildTwinTrainingSet(twins.store, { ...common, customers: sample }), 30, { seed: 1, customers: sample });
    const full = fitChurnModel(whole, 30, { seed: 1, rival: { id: 'churn-v1', document: JSON.stringify(small.document) } });
    // The rival is scored on the full training's rows of the latest cutoff, not on its own fewer ones.
    const latest = Array.from({ length: whole.matrix.rows }, (_, i) => i).filter((i) => whole.cutoffIndex[i] === cutoffs.length - 1);
    const cols = whole.matrix.cols;
    const scores = createTabularScorer(small.document).scoreMatrix({ rows: latest.length, cols, data: Float64Array.from(latest.flatMap((i) => Array.from(whole.matrix.data.subarray(i * cols, (i + 1) * cols)))) });
    expect(full.metadata.metrics.validationRows).toBe(latest.length);
    expect(small.metadata.metrics.validationRows).toBeLessThan(latest.length);
    expect(full.metadata.metrics.rival).toEqual({ id: 'churn-v1', auc: Math.round(rocAuc(latest.map((i) => whole.labels[i]), scores) * 1e4) / 1e4, logLoss: expect.any(Number) });
    // Itself as the rival: the same figures as its own.
    const again = fitChurnModel(whole, 30, { seed: 1, rival: { id: 'self', document: JSON.stringify(full.document) } });
    expect(again.metadata.metrics.rival).toEqual({ id: 'self', auc: again.metadata.metrics.auc, logLoss: again.metadata.metrics.logLoss });
  }, 120_000);

  it('builds a worker\'s part in a thread over its own store connection, the rows it builds on its event loop', async () => {
    const ids = [...twins.engine.customerIds()].filter((id) => partitionOf(id) % 2 === 0);
    const cutoffs = churnCutoffs({ from: (await twins.store.readLog(0, 1))[0].time, to: twins.engine.eventClock, horizonDays: 30, cutoffs: 3 });
    const rows = { cutoffs, horizonMs: 30 * DAY_MS, latenessMs: twins.engine.latenessMs, maxRows: 200, seed: 1, customers: ids };
    const inThread = await buildTrainingPartInThread({ kind: 'sqlite', dataDir: dir }, rows);
    expect(inThread.rows).toBe(200);
    expect(inThread).toEqual(encodeTrainingPart(await buildTwinTrainingSet(twins.store, rows)));
  }, 120_000);

  it('refuses a part that does not fit the others, naming what is wrong', async () => {
    const cutoffs = churnCutoffs({ from: (await twins.store.readLog(0, 1))[0].time, to: twins.engine.eventClock, horizonDays: 30, cutoffs: 2 });
    const part = encodeTrainingPart(await buildTwinTrainingSet(twins.store, { cutoffs, horizonMs: 30 * DAY_MS, customers: [...twins.engine.customerIds()].slice(0, 20) }));
    expect(() => combineTrainingParts([{ ...part, data: part.data.slice(0, 8) }], cutoffs, 30 * DAY_MS)).toThrow(/data holds/);
    expect(() => combineTrainingParts([part], [cutoffs[0]], 30 * DAY_MS)).toThrow(TwinloopError);
    expect(() => combineTrainingParts([{ ...part, featureNames: ['x'] }], cutoffs, 30 * DAY_MS)).toThrow(/same version/);
  }, 60_000);
});
