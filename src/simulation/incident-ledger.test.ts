import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { DAY_MS } from '../domain/time.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';
import { IncidentLedger } from './incident-ledger.js';
import { estimateIncidentEffect } from './incident-rates.js';
import { parseScenarios } from './scenario.js';
import { simulate } from './simulate.js';
import { arraySource } from './twin-population.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const seenAt = (customerId: string, ms: number): TwinEvent => ({ id: `${customerId}-u${ms}`, kind: 'customer', customerId, time: iso(ms), source: 't', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'card', since: iso(ms) } }) as TwinEvent;
const impact = (customerId: string, incidentId: string, ms: number): TwinEvent =>
  ({ id: `${customerId}-${incidentId}-${ms}`, kind: 'network_impact', customerId, time: iso(ms), source: 't', v: 1, data: { incidentId, cellId: 'cell-1', siteId: 's1', impact: 'outage', severity: 'high', start: iso(ms) } }) as TwinEvent;
const planEnded = (customerId: string, ms: number): TwinEvent => ({ id: `${customerId}-end`, kind: 'subscription', customerId, time: iso(ms), source: 't', v: 1, data: { action: 'terminated', subscriptionId: `${customerId}-L1`, productKind: 'plan' } }) as TwinEvent;

/**
 * A year of 2,000 customers: the first 400 feel an incident every 60 days; a customer churns with
 * a daily hazard 3× higher in the 30 days after an incident than without (the dice fixed by the id).
 */
function history(): { events: TwinEvent[]; until: number } {
  const until = T0 + 365 * DAY_MS;
  const events: TwinEvent[] = [];
  for (let c = 0; c < 2000; c++) {
    const id = `C${c}`;
    events.push(seenAt(id, T0));
    const hit = c < 400;
    const offset = (c * 7) % 60;
    for (let d = 0; d < 365; d++) {
      const felt = hit && d >= offset && (d - offset) % 60 < 30;
      if (hit && d >= offset && (d - offset) % 60 === 0) events.push(impact(id, `I${c}-${d}`, T0 + d * DAY_MS + 3_600_000));
      // A deterministic die per customer-day.
      const u = (((c + 1) * 2654435761 + d * 40503) % 1_000_003) / 1_000_003;
      if (u < (felt ? 0.0015 : 0.0005)) {
        events.push(planEnded(id, T0 + d * DAY_MS + 7_200_000));
        break;
      }
    }
  }
  return { events, until };
}

describe('the incident ledger', () => {
  it("learns an incident's effect on churn from the events it took, as estimateIncidentEffect does over the same history, and counts a repeated event once", () => {
    const { events, until } = history();
    const ledger = new IncidentLedger();
    for (const e of events) ledger.add(e);
    const once = ledger.effect(until)!;
    // The log's events and the intake's may overlap after a restart: taking them again changes nothing.
    for (const e of events) ledger.add(e);
    expect(ledger.effect(until)).toEqual(once);
    // log(3) ≈ 1.1 per incident felt: the estimate finds it within its uncertainty.
    expect(once.mean).toBeGreaterThan(1.1 - 2.5 * once.sd);
    expect(once.mean).toBeLessThan(1.1 + 2.5 * once.sd);
    expect(once.sd).toBeGreaterThan(0);
    expect(once.churnsExposed).toBeGreaterThan(0);
    expect(once.days).toBe(365);
    // The same as the estimate over the records themselves.
    const spans = new Map<string, { fromMs: number; toMs: number; churned: boolean }>();
    for (const e of events) if (!spans.has(e.customerId)) spans.set(e.customerId, { fromMs: Date.parse(e.time), toMs: until, churned: false });
    for (const e of events) if (e.kind === 'subscription') spans.set(e.customerId, { ...spans.get(e.customerId)!, toMs: Date.parse(e.time), churned: true });
    const impacts = events.flatMap((e) => (e.kind === 'network_impact' ? [{ customerId: e.customerId, incidentId: e.data.incidentId, cellId: e.data.cellId, startMs: Date.parse(e.data.start) }] : []));
    expect(once.mean).toBeCloseTo(estimateIncidentEffect(impacts, spans).mean, 9);
  });

  it('knows no effect without an incident or a churn in its history', () => {
    const ledger = new IncidentLedger();
    expect(ledger.effect(T0)).toBeUndefined();
    ledger.add(seenAt('A', T0));
    ledger.add(planEnded('A', T0 + 10 * DAY_MS));
    expect(ledger.effect(T0 + 30 * DAY_MS)).toBeUndefined();
  });
});

describe('a network scenario over a source that knows the history', () => {
  // A churn model that learned nothing of incidents: its re-scoring of a fix changes no hazard.
  const blind: ChurnScorer = { probability: () => 0.03 } as unknown as ChurnScorer;
  const rows = Array.from({ length: 600 }, (_, i) => {
    const f = new Float64Array(FEATURE_COUNT);
    f[FEATURE_INDEX.monthly_price] = 40;
    f[FEATURE_INDEX.arpu_3m] = 40;
    f[FEATURE_INDEX.active_plans] = 1;
    f[FEATURE_INDEX.marketing_consent] = 1;
    f[FEATURE_INDEX.network_incidents_30d] = i < 200 ? 2 : 0;
    return { id: `c${i}`, features: f, probability: 0.03 };
  });
  const fix = parseScenarios({ kind: 'network_improvement', name: 'fix the worst cells', horizonMonths: 6, draws: 200, target: [{ field: 'network_incidents_30d', op: '>=', value: 2 }], incidentReductionPct: 60, cost: 1000 }).scenarios[0];

  it("avoids churners with the effect the operator's history shows, and says where it came from", async () => {
    const learned = { mean: 0.9, sd: 0.1, churnsExposed: 90, daysExposed: 40_000, churnsUnexposed: 400, daysUnexposed: 500_000, days: 365 };
    const [r] = await simulate({ ...arraySource(rows, 30, blind), incidentEffect: () => learned }, [fix], { workers: 0 });
    expect(r.overall.treated).toBe(200);
    expect(r.overall.churnersAvoided.p05).toBeGreaterThan(0);
    expect(r.incidentEffect).toEqual({ from: 'history', ...learned });
  });

  it("is run with the churn model's re-scoring when nothing is known, and says so: a model blind to incidents avoids nothing", async () => {
    const [r] = await simulate(arraySource(rows, 30, blind), [fix], { workers: 0 });
    expect(r.overall.churnersAvoided).toEqual({ mean: 0, p05: 0, p95: 0 });
    expect(r.incidentEffect).toEqual({ from: 'churn-model' });
  });

  it('keeps a scenario’s own effect over the history’s', async () => {
    const own = { ...fix, incidentEffect: { mean: 0.2, sd: 0.05 } };
    const [r] = await simulate({ ...arraySource(rows, 30, blind), incidentEffect: () => ({ mean: 0.9, sd: 0.1, churnsExposed: 1, daysExposed: 1, churnsUnexposed: 1, daysUnexposed: 1, days: 1 }) }, [own], { workers: 0 });
    expect(r.incidentEffect).toEqual({ from: 'scenario', mean: 0.2, sd: 0.05 });
  });
});
