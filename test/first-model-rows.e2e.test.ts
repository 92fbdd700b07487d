import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.js';
import { DAY_MS } from '../src/domain/time.js';
import { churnCutoffs } from '../src/intelligence/twin-training/train-churn-from-twins.js';
import { collectTrainingRows, type CollectedTrainingRows } from '../src/intelligence/twin-training/training-row-collector.js';
import { sampleTrainingCustomers } from '../src/intelligence/twin-training/training-customers.js';
import { buildTwinTrainingSet, type TwinTrainingSet } from '../src/intelligence/twin-training/twin-training-set.js';
import { createSandboxWorld, INTAKE_DELIVERY_WINDOW, loadWorldDocument, namedWorld } from '../src/sandbox/index.js';
import { openEventStore } from '../src/store/open-event-store.js';
import { openTwinService, type TwinService } from '../src/twin/twin-service.js';

/**
 * The first start's training rows are collected from the live twins while the history is applied
 * (issue 16), and must be the very rows the training builds by replaying the log afterwards: the
 * same customers (the sample), cutoffs, features and labels, in the same order.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-first-rows-'));
const small = namedWorld('small');
const CUSTOMERS = 1200;
const DAYS = 200;
let twins: TwinService;
let to: number;
const collected: { sampled?: CollectedTrainingRows | string; everyone?: CollectedTrainingRows | string } = {};

beforeAll(async () => {
  const config = loadWorldDocument({ ...small, population: { ...small.population, customers: CUSTOMERS } });
  const world = createSandboxWorld(config, 3);
  to = world.clock.now() + DAYS * DAY_MS - 1;
  twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(to + DAY_MS) });
  // Two collectors at once: a sample smaller than the population (customers enter and leave it
  // as they appear), and one that keeps everyone.
  const sampled = collectTrainingRows(twins.engine, { to, maxCustomers: 500 });
  const everyone = collectTrainingRows(twins.engine, { to, maxCustomers: 5000 });
  await world.backfill({ days: DAYS, sink: twins.intake, window: INTAKE_DELIVERY_WINDOW });
  collected.sampled = sampled.stop();
  collected.everyone = everyone.stop();
}, 600_000);
afterAll(async () => {
  await twins?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Rows keyed by customer and cutoff: features and label. */
function rowsOf(set: TwinTrainingSet): Map<string, string> {
  const out = new Map<string, string>();
  const P = set.matrix.cols;
  for (let i = 0; i < set.matrix.rows; i++) {
    out.set(`${set.customerIds[i]}@${set.cutoffIndex[i]}`, `${set.labels[i]}|${Array.from(set.matrix.data.subarray(i * P, (i + 1) * P)).join(',')}`);
  }
  return out;
}

it('collects, for a sample of the customers, exactly the rows the replay of the log builds, in its order', async () => {
  const got = collected.sampled;
  if (typeof got === 'string') throw new Error(got);
  const first = (await twins.store.readLog(0, 1))[0].time;
  const cutoffs = churnCutoffs({ from: first, to, horizonDays: 30 });
  expect(got!.set.cutoffs).toEqual(cutoffs);
  expect(cutoffs.length).toBeGreaterThanOrEqual(4);
  const customers = sampleTrainingCustomers(twins.engine.customerIds(), 500)!;
  expect(got!.customers).toEqual(customers);
  expect(got!.inexact).toEqual([]);
  const replayed = await buildTwinTrainingSet(twins.store, { cutoffs, horizonMs: 30 * DAY_MS, latenessMs: twins.engine.latenessMs, untilSeq: twins.appliedSeq(), customers });
  expect(got!.set.matrix.rows).toBe(replayed.matrix.rows);
  expect(got!.set.positives).toBe(replayed.positives);
  expect(replayed.positives).toBeGreaterThan(10);
  expect(got!.set.customerIds).toEqual(replayed.customerIds);
  expect(Array.from(got!.set.cutoffIndex)).toEqual(Array.from(replayed.cutoffIndex));
  expect(Array.from(got!.set.labels)).toEqual(Array.from(replayed.labels));
  // Row by row, so that a difference names the customer and cutoff.
  const a = rowsOf(got!.set);
  const b = rowsOf(replayed);
  const differing = [...b].filter(([k, v]) => a.get(k) !== v).map(([k]) => k);
  expect(differing.slice(0, 5)).toEqual([]);
}, 300_000);

it('collects every customer\'s rows when the population is within the sample size', async () => {
  const got = collected.everyone;
  if (typeof got === 'string') throw new Error(got);
  expect(got!.customers).toBeUndefined();
  expect(got!.inexact).toEqual([]);
  const replayed = await buildTwinTrainingSet(twins.store, { cutoffs: got!.set.cutoffs, horizonMs: 30 * DAY_MS, latenessMs: twins.engine.latenessMs, untilSeq: twins.appliedSeq() });
  expect(new Set(got!.set.customerIds).size).toBe(new Set(replayed.customerIds).size);
  expect(got!.set.matrix.rows).toBe(replayed.matrix.rows);
  expect(got!.set.positives).toBe(replayed.positives);
  // The pass over the whole log takes rows in its own order: compared as a set.
  expect(rowsOf(got!.set)).toEqual(rowsOf(replayed));
}, 300_000);
