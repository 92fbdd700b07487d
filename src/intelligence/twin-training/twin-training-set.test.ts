import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { planCutoffs } from './training-cutoffs.js';
import { buildTwinTrainingSet, CHURN_MODEL_FEATURES } from './twin-training-set.js';
import { sampleTrainingCustomers } from './training-customers.js';
import { DAY_MS } from '../../domain/time.js';
import { trainingTestEvents } from './training-test-events.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const T = Date.parse('2026-03-01T00:00:00Z');
const H = 30 * DAY_MS;
const { register, activate, terminate, usage, complaint } = trainingTestEvents(START);

describe('twin training set', () => {
  let dir: string;
  let twins: TwinService;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-train-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(T + 200 * DAY_MS) });
    const events: TwinEvent[] = [];
    for (const c of ['A', 'B', 'C', 'D']) events.push(register(c), activate(c));
    events.push(usage('D', T - DAY_MS, 100));
    events.push(terminate('C', T - 10 * DAY_MS));
    // After the cutoff: D uses a lot and complains, then a late record dated before the cutoff arrives.
    events.push(usage('D', T + DAY_MS, 5000), usage('D', T - 3_600_000, 50), complaint('D', T + 5 * DAY_MS));
    events.push(terminate('B', T + 10 * DAY_MS));
    events.push(register('E', T + 3 * DAY_MS), activate('E', T + 3 * DAY_MS + 1000));
    events.push(terminate('A', T + 45 * DAY_MS));
    const outcomes = await twins.intake.submit(events);
    expect(outcomes.filter((o) => o.status !== 'accepted')).toEqual([]);
  });
  afterAll(async () => {
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rowOf = (set: Awaited<ReturnType<typeof buildTwinTrainingSet>>, id: string, k = 0) => {
    const i = set.customerIds.findIndex((c, r) => c === id && set.cutoffIndex[r] === k);
    if (i < 0) return undefined;
    const features = Object.fromEntries(set.featureNames.map((name, j) => [name, set.matrix.data[i * set.matrix.cols + j]]));
    return { label: set.labels[i], features };
  };

  it('labels churn inside (T, T+H], excludes the already churned and the not yet born, and never sees past T', async () => {
    const set = await buildTwinTrainingSet(twins.store, { cutoffs: [T], horizonMs: H });
    expect([...set.customerIds].sort()).toEqual(['A', 'B', 'D']);
    expect(rowOf(set, 'A')?.label).toBe(0);
    expect(rowOf(set, 'B')?.label).toBe(1);
    expect(rowOf(set, 'D')?.label).toBe(0);
    const d = rowOf(set, 'D')!.features;
    // Both pre-cutoff usage records (one logged after post-cutoff events) and nothing after T.
    expect(d.data_mb_30d).toBe(150);
    expect(d.complaints_90d).toBe(0);
    expect(d.open_tickets).toBe(0);
    expect(set.featureNames).toEqual(CHURN_MODEL_FEATURES);
    expect(set.featureNames).not.toContain('churned');
    expect(set.positives).toBe(1);
  });

  it('stacks cutoffs, each row seeing only its own past', async () => {
    const set = await buildTwinTrainingSet(twins.store, { cutoffs: [T, T - 30 * DAY_MS], horizonMs: H });
    expect(set.cutoffs).toEqual([T - 30 * DAY_MS, T]);
    // At T − 30 d: C churns at T − 10 d (inside), B at T + 10 d (outside); D has no usage yet.
    expect(rowOf(set, 'C', 0)?.label).toBe(1);
    expect(rowOf(set, 'B', 0)?.label).toBe(0);
    expect(rowOf(set, 'D', 0)?.features.data_mb_30d).toBe(0);
    expect(rowOf(set, 'B', 1)?.label).toBe(1);
    expect(rowOf(set, 'C', 1)).toBeUndefined();
    expect(set.matrix.rows).toBe(4 + 3);
  });

  it('samples down to maxRows and plans monthly cutoffs with observed label windows', async () => {
    const set = await buildTwinTrainingSet(twins.store, { cutoffs: [T, T - 30 * DAY_MS], horizonMs: H, maxRows: 3 });
    expect(set.matrix.rows).toBe(3);
    expect(set.eligibleRows).toBe(7);
    const cuts = planCutoffs({ from: START, to: T + 45 * DAY_MS, horizonMs: H });
    expect(cuts.length).toBeGreaterThan(1);
    for (const c of cuts) expect(c + H).toBeLessThanOrEqual(T + 45 * DAY_MS);
    expect(cuts[0]).toBeGreaterThanOrEqual(START + 30 * DAY_MS);
  });

  it('reads only the named customers, customer by customer, and gives them the rows of the whole-log pass', async () => {
    const cutoffs = [T, T - 30 * DAY_MS];
    const whole = await buildTwinTrainingSet(twins.store, { cutoffs, horizonMs: H });
    // D's late record (logged after its post-cutoff events) and B's churn after T are both in play.
    const some = await buildTwinTrainingSet(twins.store, { cutoffs, horizonMs: H, customers: ['D', 'B', 'nobody'] });
    expect([...new Set(some.customerIds)].sort()).toEqual(['B', 'D']);
    for (const id of ['B', 'D']) for (const k of [0, 1]) expect(rowOf(some, id, k)).toEqual(rowOf(whole, id, k));
    expect(some.matrix.rows).toBe(4);
    expect(some.eventsRead).toBeLessThan(whole.eventsRead);
  });

  it('samples training customers by id hash: the same whatever their order, nobody left out of a small population', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `C${String(i).padStart(6, '0')}`);
    const sample = sampleTrainingCustomers(ids, 100)!;
    expect(sample).toHaveLength(100);
    expect(new Set(sample).size).toBe(100);
    expect(sampleTrainingCustomers([...ids].reverse(), 100)).toEqual(sample);
    // A grown population keeps most of the sample (the new ids take only the places they hash into).
    const grown = sampleTrainingCustomers([...ids, ...Array.from({ length: 100 }, (_, i) => `N${i}`)], 100)!;
    expect(grown.filter((id) => sample.includes(id)).length).toBeGreaterThan(80);
    expect(sampleTrainingCustomers(ids, 1000)).toBeUndefined();
    expect(sampleTrainingCustomers(ids, 0)).toBeUndefined();
  });

  it('leaves out the rows under an offer\'s effect, before their cutoff or in their label window, and only them', async () => {
    const d = mkdtempSync(join(tmpdir(), 'twinloop-train-contact-'));
    const t = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: d }), clock: new ManualClock(T + 200 * DAY_MS) });
    try {
      let n = 0;
      const offer = (c: string, at: number, action: 'presented' | 'declined'): TwinEvent => ({ id: `o${++n}`, kind: 'offer', customerId: c, time: new Date(at).toISOString(), source: 'test', v: 1, data: { action, offerId: 'retain-10', channel: 'app' } });
      const events: TwinEvent[] = [];
      for (const c of ['X', 'Y', 'Z']) events.push(register(c), activate(c));
      // With an effect of 30 days: X offered (and declining) 40 days before T is under it at
      // T − 30 d, past it at T; Y offered 10 days after T is inside T's label window only.
      events.push(offer('X', T - 40 * DAY_MS, 'presented'), offer('X', T - 40 * DAY_MS + 1000, 'declined'));
      events.push(offer('Y', T + 10 * DAY_MS, 'presented'), terminate('Y', T + 20 * DAY_MS));
      events.push(terminate('Z', T + 5 * DAY_MS));
      expect((await t.intake.submit(events)).filter((o) => o.status !== 'accepted')).toEqual([]);
      const cutoffs = [T - 30 * DAY_MS, T];
      const all = await buildTwinTrainingSet(t.store, { cutoffs, horizonMs: H });
      const untreated = await buildTwinTrainingSet(t.store, { cutoffs, horizonMs: H, contactEffectMs: 30 * DAY_MS });
      expect(all.matrix.rows).toBe(6);
      expect(all.contactedRows).toBeUndefined();
      expect(untreated.contactedRows).toBe(2);
      expect(untreated.matrix.rows).toBe(4);
      expect(rowOf(untreated, 'X', 0)).toBeUndefined();
      expect(rowOf(untreated, 'Y', 1)).toBeUndefined();
      // The rows kept are the whole pass's, features and labels alike.
      for (const [id, k] of [['X', 1], ['Y', 0], ['Z', 0], ['Z', 1]] as const) expect(rowOf(untreated, id, k)).toEqual(rowOf(all, id, k));
      expect(rowOf(untreated, 'Z', 1)?.label).toBe(1);
      expect(untreated.positives).toBe(1);
      expect(all.positives).toBe(2);
    } finally {
      await t.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
