import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { openEventStore } from '../../store/open-event-store.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { fitContractEndModel, monthToMonthRow } from './contract-end-model.js';
import { collectContractEnds, END_WINDOW_DAYS } from './contract-end-set.js';
import { trainingTestEvents } from './training-test-events.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const END = Date.parse('2026-04-01T00:00:00Z');
const TO = Date.parse('2026-06-01T00:00:00Z');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const { register, activate, terminate, usage } = trainingTestEvents(START);
/** A customer event naming a fixed-term contract's end (as the sandbox and a BSS send it). */
const onContract = (e: TwinEvent, end: number, at?: number): TwinEvent =>
  e.kind === 'customer' ? { ...e, id: `${e.id}-c${end}`, ...(at ? { time: new Date(at).toISOString() } : {}), data: { ...e.data, contractMonths: 12, contractEnd: day(end) } } : e;

describe('contract ends from the log', () => {
  let dir: string;
  let twins: TwinService;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-ends-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(TO) });
    const events: TwinEvent[] = [];
    for (const c of ['leaves', 'renews', 'leftBefore', 'monthly', 'undecided', 'leavesLater']) events.push(c === 'monthly' ? register(c) : onContract(register(c), c === 'undecided' ? TO - 2 * DAY_MS : END), activate(c));
    for (const c of ['leaves', 'renews', 'leavesLater']) events.push(usage(c, END - 3 * DAY_MS, 700));
    // The decisions at the end, at 20:00 of its day: one leaves, one renews (its next end beyond the history).
    events.push(terminate('leaves', END + 20 * 3_600_000));
    events.push(onContract(register('renews'), END + 365 * DAY_MS, END + 20 * 3_600_000));
    events.push(terminate('leftBefore', END - 10 * DAY_MS));
    // Stays at the end (its events go on) and leaves a month later: not a leaver at the end.
    events.push(usage('leavesLater', END + DAY_MS, 100), terminate('leavesLater', END + 30 * DAY_MS));
    const outcomes = await twins.intake.submit(events);
    expect(outcomes.filter((o) => o.status !== 'accepted')).toEqual([]);
  });
  afterAll(async () => {
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes one row per decided end, as of the end, labelled by leaving within the window', async () => {
    const set = await collectContractEnds(twins.store, { to: TO });
    const rows = new Map(set.rows.map((r) => [r.customerId, r]));
    // Gone before the end, month to month, or an end whose window is not over by `to`: no row.
    expect([...rows.keys()].sort()).toEqual(['leaves', 'leavesLater', 'renews']);
    expect(rows.get('leaves')!.left).toBe(true);
    expect(rows.get('renews')!.left).toBe(false);
    expect(rows.get('leavesLater')!.left).toBe(false);
    expect(set.leavers).toBe(1);
    for (const r of rows.values()) {
      expect(r.end).toBe(END);
      // As of the end's day: the end reached, the usage before it counted, nothing after it.
      expect(r.features[FEATURE_INDEX.contract_days_left]).toBe(0);
      expect(r.features[FEATURE_INDEX.data_mb_30d]).toBe(700);
    }
  });

  it('leaves out an end whose window reaches past the history', async () => {
    const set = await collectContractEnds(twins.store, { to: END + (END_WINDOW_DAYS - 1) * DAY_MS });
    expect(set.rows).toEqual([]);
  });
});

describe('contract-end model', () => {
  const row = (risk: number, left: boolean) => {
    const f = new Float64Array(FEATURE_INDEX.data_use_to_allowance + 1);
    f[FEATURE_INDEX.contract_months] = 12;
    f[FEATURE_INDEX.monthly_price] = risk;
    return { customerId: `c${risk}`, end: END, features: f, left };
  };
  // A churn model whose month-to-month reading rises with the row's "risk" (its price here), and that reads a term as safe.
  const churnOf = (f: Float64Array) => (f[FEATURE_INDEX.contract_months] > 0 ? 0.01 : 0.02 + 0.1 * f[FEATURE_INDEX.monthly_price]);

  it('maps the month-to-month reading to the decision, rising with it, as the ends say', () => {
    // Leavers among the risky: 1 in 10 at risk 0, 6 in 10 at risk 1.
    const rows = [...Array.from({ length: 10 }, (_, i) => row(0, i < 1)), ...Array.from({ length: 10 }, (_, i) => row(1, i < 6))];
    const m = fitContractEndModel(rows, churnOf);
    expect(m.ends).toBe(20);
    expect(m.leavers).toBe(7);
    expect(m.coefficients[1]).toBeGreaterThan(0);
    const low = m.probability(row(0, false).features, churnOf);
    const high = m.probability(row(1, false).features, churnOf);
    expect(low).toBeLessThan(0.25);
    expect(high).toBeGreaterThan(0.45);
    // The row is read without its contract: the same whatever end or term it shows.
    expect(churnOf(monthToMonthRow(row(1, false).features))).toBeCloseTo(0.12, 10);
  });

  it('is the ends\' base rate when too few left to say who', () => {
    const rows = [...Array.from({ length: 30 }, () => row(0, false)), row(1, true), row(1, true)];
    const m = fitContractEndModel(rows, churnOf);
    expect(m.coefficients[1]).toBe(0);
    expect(m.probability(row(1, false).features, churnOf)).toBeCloseTo(2.5 / 33, 6);
    expect(() => fitContractEndModel([], churnOf)).toThrow(/no contract end/);
  });
});
