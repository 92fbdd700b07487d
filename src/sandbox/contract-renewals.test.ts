import { describe, expect, it } from 'vitest';
import type { EventOf, TwinEvent } from '../domain/events.js';
import { validateEvent } from '../domain/event-validation.js';
import { ArrayOutput } from './event-output.js';
import { createSandboxWorld, loadWorldDocument } from './index.js';
import { WorldStatsAccumulator } from './world-stats.js';

const base = { extends: 'small', population: { customers: 600 }, network: { cells: 10 } } as const;
const MONTHS = 8;

/** A world of `base` with these contract ends, or none (`null` takes the built-in worlds' out). */
function generate(renewals?: { churnHazardMonths: number; renew: number }): TwinEvent[] {
  const out = new ArrayOutput();
  createSandboxWorld(loadWorldDocument({ ...base, renewals: renewals ?? null }), 21).generate(out, { months: MONTHS });
  return out.events;
}

const profiles = (events: readonly TwinEvent[]) => events.filter((e): e is EventOf<'customer'> => e.kind === 'customer');
const leftAtContractEnd = (events: readonly TwinEvent[]) => events.filter((e) => e.kind === 'subscription' && e.data.action === 'terminated' && e.data.reason === 'contract_end');

/** What each customer whose contract ended did: renewed, rolled on month to month, or left. */
function decisions(events: readonly TwinEvent[]) {
  const seen = new Set<string>();
  const out = { renewed: 0, monthToMonth: 0, left: leftAtContractEnd(events).length };
  for (const e of profiles(events)) {
    if (!seen.has(e.customerId)) seen.add(e.customerId);
    else if (e.data.contractMonths === 0) out.monthToMonth++;
    else out.renewed++;
  }
  return out;
}

describe('contract ends (renewals)', () => {
  it('names each contract customer’s end and, that day, renews it a term on, rolls it on month to month, or ends the relationship', () => {
    const events = generate({ churnHazardMonths: 6, renew: 0.6 });
    const start = Date.parse(events[0].time);
    const lastProfile = new Map<string, EventOf<'customer'>>();
    for (const e of profiles(events)) {
      expect(validateEvent(e).ok).toBe(true);
      const before = lastProfile.get(e.customerId);
      if (!before) {
        // Registered: a contract customer's end within one term ahead, none for month-to-month (and prepaid) customers.
        if (e.data.contractMonths === 0) expect(e.data.contractEnd).toBeUndefined();
        else {
          const end = Date.parse(e.data.contractEnd!);
          expect(end).toBeGreaterThanOrEqual(Math.max(start, Date.parse(e.data.since)) - 86_400_000);
          expect(end).toBeLessThanOrEqual(Date.parse(e.time) + (e.data.contractMonths * 31 + 1) * 86_400_000);
        }
      } else {
        // A decision: on the day the contract ended, at 20:00.
        expect(e.time).toBe(`${before.data.contractEnd}T20:00:00Z`);
        if (e.data.contractMonths === 0) expect(e.data.contractEnd).toBeUndefined();
        else {
          expect(e.data.contractMonths).toBe(before.data.contractMonths);
          const next = new Date(before.data.contractEnd!);
          next.setUTCMonth(next.getUTCMonth() + e.data.contractMonths);
          expect(e.data.contractEnd).toBe(next.toISOString().slice(0, 10));
        }
      }
      lastProfile.set(e.customerId, e);
    }
    for (const e of leftAtContractEnd(events)) {
      const profile = lastProfile.get(e.customerId)!;
      expect(e.time).toBe(`${profile.data.contractEnd}T20:00:00Z`);
    }
    const d = decisions(events);
    // `sandbox stats` counts them the same way from the events alone.
    const stats = new WorldStatsAccumulator();
    for (const e of events) stats.add(e);
    expect(stats.result().contractEnds).toEqual(d);
    expect(d.renewed).toBeGreaterThan(10);
    expect(d.monthToMonth).toBeGreaterThan(10);
    expect(d.left).toBeGreaterThan(0);
  });

  it('draws the decision from the hidden churn model and the renewal share', () => {
    const loyal = decisions(generate({ churnHazardMonths: 0, renew: 1 }));
    expect(loyal).toMatchObject({ monthToMonth: 0, left: 0 });
    expect(loyal.renewed).toBeGreaterThan(20);
    const restless = decisions(generate({ churnHazardMonths: 24, renew: 0 }));
    expect(restless.renewed).toBe(0);
    // Two years of a month-to-month hazard at once: a good share leaves.
    expect(restless.left / (restless.left + restless.monthToMonth)).toBeGreaterThan(0.2);
  });

  it('moves no draw of the world: without the setting, and with nobody leaving or rolling, the world is the same but for the contract ends it names', () => {
    const strip = (events: readonly TwinEvent[]) => {
      const seen = new Set<string>();
      return events.flatMap((e): unknown[] => {
        if (e.kind !== 'customer') return [{ ...e, id: '' }];
        if (seen.has(e.customerId)) return [];
        seen.add(e.customerId);
        const { contractEnd: _end, ...data } = e.data;
        return [{ ...e, id: '', data }];
      });
    };
    const without = generate();
    expect(profiles(without).some((e) => e.data.contractEnd !== undefined)).toBe(false);
    expect(leftAtContractEnd(without)).toEqual([]);
    const renewing = generate({ churnHazardMonths: 0, renew: 1 });
    expect(profiles(renewing).some((e) => e.data.contractEnd !== undefined)).toBe(true);
    expect(strip(renewing)).toEqual(strip(without));
  });
});
