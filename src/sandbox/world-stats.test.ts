import { describe, expect, it } from 'vitest';
import { ArrayOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import { loadWorldDocument } from './world-catalog.js';
import { WorldStatsAccumulator } from './world-stats.js';

describe('world stats', () => {
  it('summarises a generated world from its events alone', () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 500 } });
    const out = new ArrayOutput();
    createSandboxWorld(cfg, 8).generate(out, { months: 4 });
    const acc = new WorldStatsAccumulator();
    for (const e of out.events) acc.add(e);
    const s = acc.result();
    expect(s.events).toBe(out.events.length);
    expect(Object.values(s.eventsByKind).reduce((a, b) => a + b, 0)).toBe(s.events);
    // Distinct customers: a contract's end adds a later `customer` event of the same one.
    expect(s.customers).toBe(new Set(out.events.filter((e) => e.kind === 'customer').map((e) => e.customerId)).size);
    expect(s.terminations).toBe(out.events.filter((e) => e.kind === 'subscription' && e.data.action === 'terminated').length);
    expect(s.monthlyChurnRate).toBeGreaterThan(0);
    expect(s.monthlyChurnRate).toBeLessThan(0.1);
    expect(s.usagePerCustomerDay.dataMb).toBeGreaterThan(0);
    expect(s.bills.count).toBeGreaterThan(500);
  });

  it('gives a churn rate for a world of one month (per customer-month of exposure)', () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 2000 } });
    const out = new ArrayOutput();
    createSandboxWorld(cfg, 3).generate(out, { months: 1 });
    const acc = new WorldStatsAccumulator();
    for (const e of out.events) acc.add(e);
    const s = acc.result();
    expect(s.terminations).toBeGreaterThan(0);
    expect(s.monthlyChurnRate).toBeGreaterThan(0.005);
    expect(s.monthlyChurnRate).toBeLessThan(0.1);
    // The initial customers and the first day's joiners are all there at 00:00 on the first day.
    expect(s.monthlyChurnByMonth).toHaveLength(1);
    expect(s.monthlyChurnByMonth[0].partial).toBe(false);
    expect(s.monthlyChurnByMonth[0].activeAtStart).toBeGreaterThanOrEqual(2000);
  });
});
