import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { firstModelRows } from './first-churn-model.js';
import { sampleTrainingCustomers } from './training-customers.js';
import { collectTrainingRows, type CollectedTrainingRows } from './training-row-collector.js';
import { buildTwinTrainingSet, type TwinTrainingSet } from './twin-training-set.js';
import { trainingTestEvents } from './training-test-events.js';

const START = Date.parse('2026-01-01T00:00:00Z');
// 100 days of history and a 30-day horizon: cutoffs at the ends of days 40 and 70.
const TO = START + 100 * DAY_MS - 1;
const C0 = START + 40 * DAY_MS - 1;
const C1 = START + 70 * DAY_MS - 1;
const H = 30 * DAY_MS;
const { register, activate, terminate, usage } = trainingTestEvents(START);

const rowsOf = (set: TwinTrainingSet) =>
  new Map(Array.from({ length: set.matrix.rows }, (_, i) => [`${set.customerIds[i]}@${set.cutoffIndex[i]}`, `${set.labels[i]}|${set.matrix.data.subarray(i * set.matrix.cols, (i + 1) * set.matrix.cols).join(',')}`]));

describe('training rows collected while the history is applied', () => {
  let dir: string;
  let twins: TwinService;
  let everyone: CollectedTrainingRows;
  let sampled: CollectedTrainingRows;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-collect-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(TO + DAY_MS) });
    const all = collectTrainingRows(twins.engine, { to: TO });
    const two = collectTrainingRows(twins.engine, { to: TO, maxCustomers: 2 });
    const customers = ['A', 'B', 'C', 'D', 'E', 'F'];
    // Day by day, as the sandbox's history comes: each customer uses a little every day.
    const days: TwinEvent[][] = [customers.flatMap((c) => [register(c), activate(c)])];
    for (let d = 1; d < 100; d++) days.push(customers.map((c, k) => usage(c, START + d * DAY_MS + k * 3_600_000, 10 * d + k)));
    // A churns 10 days after the first cutoff; C an hour after the second (the next day).
    days[50].push(terminate('A', C0 + 10 * DAY_MS));
    days[70].push(terminate('C', C1 + 3_600_000));
    // B: a record dated an hour before the first cutoff arrives after B's first record past it
    // (within the lateness): its live twin has moved past the cutoff when it comes.
    days[40].push(usage('B', C0 - 3_600_000, 777));
    for (const events of days) {
      const outcomes = await twins.intake.submit(events);
      expect(outcomes.filter((o) => o.status !== 'accepted')).toEqual([]);
    }
    const a = all.stop();
    const b = two.stop();
    if (typeof a === 'string' || typeof b === 'string') throw new Error(`${a} ${b}`);
    everyone = a;
    sampled = b;
  });
  afterAll(async () => {
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const replay = (customers?: readonly string[]) => buildTwinTrainingSet(twins.store, { cutoffs: [C0, C1], horizonMs: H, untilSeq: twins.appliedSeq(), customers });

  it('takes each row as of its cutoff and labels churn in the horizon after it, as the replay does', async () => {
    expect(everyone.set.cutoffs).toEqual([C0, C1]);
    expect(everyone.inexact).toEqual(['B']);
    const expected = rowsOf(await replay());
    const got = rowsOf(everyone.set);
    // Every customer but B (A only at the first cutoff: churned by the second), with its label.
    expect([...got.keys()].sort()).toEqual(['A@0', 'C@0', 'C@1', 'D@0', 'D@1', 'E@0', 'E@1', 'F@0', 'F@1']);
    expect(got.get('A@0')?.startsWith('1|')).toBe(true);
    expect(got.get('C@1')?.startsWith('1|')).toBe(true);
    expect(got.get('C@0')?.startsWith('0|')).toBe(true);
    for (const [k, v] of got) expect([k, v]).toEqual([k, expected.get(k)]);
  });

  it('reads back from the log only the customers it could not take exactly', async () => {
    const opened: string[] = [];
    const set = await firstModelRows(everyone, { horizonDays: 30, latenessMs: twins.engine.latenessMs, untilSeq: twins.appliedSeq() }, async () => {
      opened.push('store');
      return { store: twins.store, close: async () => {} };
    });
    expect(opened).toEqual(['store']);
    expect(rowsOf(set)).toEqual(rowsOf(await replay()));
    // B's row at the first cutoff holds the late record (its live twin moved past the cutoff first).
    expect(rowsOf(set).get('B@0')).not.toEqual(undefined);
  });

  it('keeps the sample the training would pick at the end, though customers come and go in it', async () => {
    const ids = [...twins.engine.customerIds()];
    const customers = sampleTrainingCustomers(ids, 2)!;
    expect(sampled.customers).toEqual(customers);
    const readBack = await firstModelRows(sampled, { horizonDays: 30, latenessMs: twins.engine.latenessMs, untilSeq: twins.appliedSeq() }, async () => ({ store: twins.store, close: async () => {} }));
    const expected = await replay(customers);
    if (!customers.includes('B')) expect(readBack.customerIds).toEqual(expected.customerIds);
    expect(rowsOf(readBack)).toEqual(rowsOf(expected));
  });
});
