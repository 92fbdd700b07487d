import { describe, expect, it, vi } from 'vitest';
import { TwinloopError } from '../domain/errors.js';
import { ManualClock } from '../domain/clock.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { parseScenarios, type Scenario } from './scenario.js';
import { simulate } from './simulate.js';
import { compileScenarios } from './scenario-plan.js';
import { memoryDocuments } from '../store/document-store.js';
import { createSimulationRuns, type SimulationRun } from './simulation-runs.js';
import { arraySource, hazardOf } from './twin-population.js';
import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';

function population(n: number, probability: (i: number) => number) {
  return Array.from({ length: n }, (_, i) => {
    const f = new Float64Array(FEATURE_COUNT);
    f[FEATURE_INDEX.monthly_price] = 40;
    f[FEATURE_INDEX.arpu_3m] = 40;
    f[FEATURE_INDEX.active_plans] = 1;
    f[FEATURE_INDEX.marketing_consent] = 1;
    f[FEATURE_INDEX.is_prepaid] = i % 2;
    return { id: `c${i}`, features: f, probability: probability(i) };
  });
}

const retention = (extra: Record<string, unknown> = {}): Scenario =>
  parseScenarios({
    kind: 'retention_campaign', name: 'keep', horizonMonths: 6, draws: 40, seed: 3,
    targeting: { rank: 'churn_value', k: 500 }, costPerContact: 1,
    offer: { id: 'retain-10', discountPct: 10, months: 3, acceptance: { mean: 0.4, sd: 0.05 }, acceptedHazardMultiplier: { mean: 0.5, sd: 0.1 } },
    ...extra,
  }).scenarios[0];

describe('a compare of scenarios', () => {
  it('reads every scenario of a run against one baseline: the same churners without the scenario in every draw', async () => {
    // A model's fall that differs by risk, so a group-wide level would move each scenario's baseline.
    const decay = { cutoffs: 9, bands: [
      { below: 0.05, perMonth: 1, sd: 0.1, churners: 10, expected: 10 },
      { below: null, perMonth: 0.8, sd: 0.1, churners: 10, expected: 10 },
    ] };
    const src = { ...arraySource(population(3000, (i) => 0.01 + (i % 10) * 0.02), 30), hazardDecay: decay };
    const scenarios = [
      retention({ name: 'top 300', targeting: { rank: 'churn_value', k: 300 } }),
      retention({ name: 'top 1500', targeting: { rank: 'churn_value', k: 1500 } }),
      parseScenarios({ kind: 'price_change', name: 'rise', horizonMonths: 6, draws: 40, seed: 3, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.02 } }, target: [{ field: 'is_prepaid', op: '==', value: 1 }] }).scenarios[0],
    ];
    const results = await simulate(src, scenarios, { workers: 0 });
    const [a, b, c] = results.map((r) => r.overall);
    expect(b.churnersBaseline).toEqual(a.churnersBaseline);
    expect(c.churnersBaseline).toEqual(a.churnersBaseline);
    // The groups differ, and so do their levels and effects: only the baseline is shared.
    expect(results[2].hazardLevel).toBeGreaterThan(results[0].hazardLevel!);
    expect(b.churnersAvoided.mean).toBeGreaterThan(a.churnersAvoided.mean);
  });
});

describe('scenario validation', () => {
  it('names the path of each wrong field', () => {
    const bad = () => parseScenarios({ scenarios: [retention(), { kind: 'retention_campaign', name: 'x', horizonMonths: 13, targeting: { rank: 'churn_value', k: 5 }, offer: { id: 'o', acceptance: { mean: 2 } } }] });
    expect(bad).toThrow(TwinloopError);
    expect(bad).toThrow(/scenarios\[1\]\.horizonMonths/);
    expect(bad).toThrow(/scenarios\[1\]\.offer\.acceptance\.mean/);
  });
  it('names each wrong field as the sender wrote it (a lone scenario, a list, under scenarios), with what came', () => {
    const k = { kind: 'retention_campaign', name: 'x', horizonMonths: 3, targeting: { rank: 'churn_value', k: 'lots' }, offer: { id: 'o' } };
    expect(() => parseScenarios(k)).toThrow(/^invalid scenario: targeting\.k: expected a number, got "lots"$/);
    expect(() => parseScenarios([retention(), k])).toThrow(/^invalid scenario: \[1\]\.targeting\.k: expected a number, got "lots"$/);
    expect(() => parseScenarios({ scenarios: [k] })).toThrow(/^invalid scenario: scenarios\[0\]\.targeting\.k: expected a number, got "lots"$/);
    expect(() => parseScenarios({ name: 'no kind' })).toThrow(/^kind: required: one of offer_launch, price_change, retention_campaign, network_improvement$/);
  });
  it('refuses an unknown kind, k together with budget, and duplicate names', () => {
    expect(() => parseScenarios({ kind: 'discount_all', name: 'a', horizonMonths: 1 })).toThrow(/^kind: expected one of offer_launch, .*, got "discount_all"$/);
    expect(() => retention({ targeting: { rank: 'uplift', k: 5, budget: 100 } })).toThrow(/targeting: give exactly one of k and budget/);
    expect(() => parseScenarios([retention(), retention()])).toThrow(/used twice/);
  });
  it('reads targets in the filter vocabulary, the older churn_probability as churn, and lists the fields on a typo', () => {
    const s = parseScenarios({ kind: 'price_change', name: 'p', horizonMonths: 3, pricePct: 5, response: { kind: 'estimated' }, target: [{ field: 'churn_probability', op: '>=', value: 0.1 }, { field: 'monthly_revenue', op: '>', value: 30 }] }).scenarios[0];
    expect(s.target).toEqual([{ field: 'churn', op: '>=', value: 0.1 }, { field: 'monthly_revenue', op: '>', value: 30 }]);
    expect(() => parseScenarios({ kind: 'price_change', name: 'p', horizonMonths: 3, pricePct: 5, response: { kind: 'estimated' }, target: [{ field: 'clv', op: '>', value: 1 }] })).toThrow(
      /: target\[0\]\.field: unknown field "clv"; known fields: tenure_days, .*, churn, monthly_revenue/,
    );
  });

  it('touches exactly the twins a target on churn and features selects', async () => {
    const src = arraySource(population(1000, (i) => (i % 10) / 20), 30);
    const target = [{ field: 'churn', op: '>=', value: 0.3 }, { field: 'is_prepaid', op: '==', value: 0 }];
    const s = parseScenarios({ kind: 'price_change', name: 'p', horizonMonths: 3, draws: 5, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.01 } }, target }).scenarios[0];
    const [r] = await simulate(src, [s], { workers: 0 });
    // churn (i % 10) / 20 ≥ 0.3 for i % 10 ≥ 6, and postpaid for even i: i % 10 in {6, 8}.
    expect(r.overall.treated).toBe(200);
  });

  it('contacts no twin who refused marketing: a campaign ranks and an offer reaches only those who consent, a price change reaches everyone', async () => {
    // Every third twin refused marketing; the riskiest are among them.
    const rows = population(900, (i) => 0.01 + i / 1000).map((r, i) => (i % 3 === 0 && (r.features[FEATURE_INDEX.marketing_consent] = 0), r));
    const refused = new Set(rows.filter((r) => r.features[FEATURE_INDEX.marketing_consent] === 0).map((r) => r.id));
    const src = arraySource(rows, 30);
    const launch = parseScenarios({ kind: 'offer_launch', name: 'launch', horizonMonths: 3, draws: 10, seed: 3, channels: [{ name: 'app', reach: 1, costPerContact: 1 }], offer: { id: 'o', acceptance: { mean: 0.3 }, acceptedHazardMultiplier: { mean: 0.5 } } }).scenarios[0];
    const price = parseScenarios({ kind: 'price_change', name: 'rise', horizonMonths: 3, draws: 10, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.01 } } }).scenarios[0];
    const [campaign, offer, rise] = compileScenarios(src, [retention({ targeting: { rank: 'churn_value', k: 100 }, controlShare: 0 }), launch, price]);
    // The campaign's 100 are the riskiest who consent: none refused, and they reach down past the refused riskiest.
    expect(campaign.treated).toBe(100);
    expect(campaign.treatedIds.filter((id) => refused.has(id))).toEqual([]);
    expect(campaign.treatedIds).toContain('c899');
    expect(campaign.treatedIds).toContain('c751');
    expect(campaign.treatedIds).not.toContain('c749');
    expect(campaign.withoutConsent).toBe(300);
    expect(offer.treated).toBe(600);
    expect(offer.withoutConsent).toBe(300);
    expect(rise.treated).toBe(900);
    expect(rise.withoutConsent).toBe(0);
    // And the result says so: the plan is not counted on the 300 it may not contact.
    const [r] = await simulate(src, [launch], { workers: 0 });
    expect(r.withoutConsent).toBe(300);
    expect(r.overall.treated).toBe(600);
  });

  it('fills documented defaults', () => {
    const s = parseScenarios({ kind: 'network_improvement', name: 'n', horizonMonths: 3, incidentReductionPct: 50, cost: 1000 }).scenarios[0];
    expect(s.draws).toBe(100);
    expect(s.segmentBy).toBe('none');
  });
});

describe('the Monte Carlo engine', () => {
  it('matches the analytic churn of a constant hazard when the scenario touches nobody', async () => {
    const n = 20_000;
    const p = 0.05;
    const h = hazardOf(p, 30);
    const s = parseScenarios({ kind: 'price_change', name: 'none', horizonMonths: 12, draws: 60, hazardCalibrationSd: 0, target: [{ field: 'monthly_price', op: '>', value: 1000 }], pricePct: 5, response: { kind: 'estimated' } }).scenarios[0];
    const [r] = await simulate(arraySource(population(n, () => p), 30), [s], { workers: 0 });
    const expected = n * (1 - (1 - h) ** 12);
    expect(r.overall.churnersBaseline.p05).toBeLessThanOrEqual(expected);
    expect(r.overall.churnersBaseline.p95).toBeGreaterThanOrEqual(expected);
    expect(Math.abs(r.overall.churnersBaseline.mean - expected) / expected).toBeLessThan(0.01);
    expect(r.overall.churnersAvoided.mean).toBe(0);
    expect(r.overall.netValue.mean).toBe(0);
  });

  it('counts the months a twin stays in full and half of the month it leaves in (a leaver pays until it leaves)', async () => {
    const n = 10_000;
    const h = hazardOf(0.1, 30);
    const s = parseScenarios({ kind: 'price_change', name: 'none', horizonMonths: 12, draws: 30, hazardCalibrationSd: 0, target: [{ field: 'monthly_price', op: '>', value: 1000 }], pricePct: 5, response: { kind: 'estimated' } }).scenarios[0];
    const [r] = await simulate(arraySource(population(n, () => 0.1), 30), [s], { workers: 0 });
    let stayed = 0;
    for (let t = 1; t <= 12; t++) stayed += (1 - h) ** t;
    // 40 a month: the full months of those still here, and half a month from each who left.
    const expected = n * 40 * (stayed + 0.5 * (1 - (1 - h) ** 12));
    // Counting full months only would be 5 % lower: the bound fails on it.
    expect(Math.abs(r.overall.revenue.mean - expected) / expected).toBeLessThan(0.01);
  });

  it('a retention offer avoids churners; a configured price rise loses them; a network fix costs its investment', async () => {
    const src = arraySource(population(4000, (i) => 0.02 + (i % 10) * 0.01), 30);
    const price = parseScenarios({ kind: 'price_change', name: 'rise', horizonMonths: 6, draws: 30, pricePct: 10, response: { kind: 'configured', elasticity: { mean: 0.03, sd: 0.01 } } }).scenarios[0];
    const net = parseScenarios({ kind: 'network_improvement', name: 'net', horizonMonths: 6, draws: 30, target: [], incidentReductionPct: 50, cost: 5000 }).scenarios[0];
    const [keep, rise, fix] = await simulate(src, [retention(), price, net], { workers: 0 });
    expect(keep.overall.treated).toBe(500);
    expect(keep.overall.churnersAvoided.mean).toBeGreaterThan(0);
    expect(keep.overall.churnersAvoided.p05).toBeGreaterThan(0);
    expect(rise.overall.churnersAvoided.p95).toBeLessThan(0);
    expect(rise.overall.revenueDelta.mean).toBeGreaterThan(0);
    // Without a model to re-score, the network fix has no estimated effect: only its cost.
    expect(fix.overall.netValue.mean).toBeCloseTo(-5000, 6);
  });

  it("a price change reaches only its plan's customers, and a rise that customers absorb after its effect months loses fewer of them than one that lasts", async () => {
    const src = arraySource(population(4000, () => 0.05), 30);
    const onPlan = Array.from({ length: 1000 }, (_, i) => `c${i}`);
    const rise = (response: Record<string, unknown>, name: string) =>
      parseScenarios({ kind: 'price_change', name, horizonMonths: 9, draws: 40, hazardCalibrationSd: 0, customers: onPlan, pricePct: 10, response: { kind: 'configured', elasticity: { mean: 0.05, sd: 0 }, ...response } }).scenarios[0];
    const [lasting, absorbed] = await simulate(src, [rise({}, 'lasting'), rise({ effectMonths: 3 }, 'absorbed')], { workers: 0 });
    expect(lasting.overall.treated).toBe(1000);
    expect(absorbed.overall.treated).toBe(1000);
    // Hazard × e^0.5 for 9 months against 3: lost customers in about that proportion.
    const lost = (r: typeof lasting) => -r.overall.churnersAvoided.mean;
    expect(lost(absorbed)).toBeGreaterThan(0);
    expect(lost(lasting)).toBeGreaterThan(2 * lost(absorbed));
    expect(() => parseScenarios({ kind: 'price_change', name: 'p', horizonMonths: 3, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.02 }, effectMonths: 0 } })).toThrow(/response\.effectMonths/);
  });

  it('reads each twin\'s known answer to offers from the source: twins its profile says accept more, accept more', async () => {
    const rows = population(2000, () => 0.05);
    const plain = arraySource(rows, 30);
    // The first half known to accept (log-odds +1.5), the second half known not to (−1.5).
    const known = { ...arraySource(rows, 30), acceptanceShift: (id: string) => (Number(id.slice(1)) < 1000 ? 1.5 : -1.5) };
    const launch = parseScenarios({ kind: 'offer_launch', name: 'l', horizonMonths: 3, draws: 20, target: [{ field: 'monthly_price', op: '>=', value: 0 }], channels: [{ name: 'app', reach: 1, costPerContact: 1 }], offer: { id: 'o', discountPct: 10, months: 3, acceptance: { mean: 0.2, sd: 0.01 }, acceptedHazardMultiplier: { mean: 1, sd: 0.01 } }, segmentBy: 'is_prepaid' }).scenarios[0];
    const [a] = await simulate(plain, [launch], { workers: 0 });
    const [b] = await simulate(known, [launch], { workers: 0 });
    expect(a.overall.accepted.mean / 2000).toBeCloseTo(0.2, 1);
    // sigmoid(logit 0.2 ± 1.5): 0.53 and 0.053, a mean of 0.29.
    expect(b.overall.accepted.mean / 2000).toBeGreaterThan(0.26);
    expect(b.overall.accepted.mean / 2000).toBeLessThan(0.32);
    // And the campaign ranked by uplift reaches for the twins known to accept.
    const ranked = retention({ targeting: { rank: 'uplift', k: 500 }, offer: { id: 'o', discountPct: 10, months: 3, acceptance: { mean: 0.2, sd: 0.01 }, acceptedHazardMultiplier: { mean: 0.5, sd: 0.01 } } });
    const [c] = await simulate(known, [ranked], { workers: 0 });
    expect(c.overall.accepted.mean / 500).toBeGreaterThan(0.45);
  });

  it('a network fix changes the incidents to come, not the ones felt lately, and its value comes in lumps of prevented incidents', async () => {
    // A model whose churn rises with the incidents of the last 30 days.
    const scorer = { probability: (f: Float64Array) => 1 / (1 + Math.exp(3 - 0.5 * f[FEATURE_INDEX.network_incidents_30d])) } as unknown as ChurnScorer;
    const withIncidents = (k: number) => arraySource(population(2000, () => 0.05).map((r) => (r.features[FEATURE_INDEX.network_incidents_30d] = k, r)), 30, scorer);
    const fix = parseScenarios({ kind: 'network_improvement', name: 'fix', horizonMonths: 3, draws: 200, target: [], incidentReductionPct: 100, incidentsPer30d: { mean: 1, sd: 0 }, cellIncidentsPer30d: 0.2, cost: 0 }).scenarios[0];
    const [quiet] = await simulate(withIncidents(0), [fix], { workers: 0 });
    const [hit] = await simulate(withIncidents(5), [fix], { workers: 0 });
    expect(hit.overall.netValue).toEqual(quiet.overall.netValue);
    expect(quiet.overall.churnersAvoided.mean).toBeGreaterThan(0);
    // 0.6 incidents expected over the horizon: in more than half the draws none would have come.
    expect(quiet.overall.churnersAvoided.p05).toBe(0);
    expect(quiet.overall.churnersAvoided.p95).toBeGreaterThan(2 * quiet.overall.churnersAvoided.mean);
  });

  it('predicts sleeping dogs lost to a contact even when none of them accepts', async () => {
    // 500 customers at 5 % a month, contacted once; nobody accepts, and a contact doubles the
    // hazard of those who decline for 3 months: the campaign loses customers and their revenue.
    const src = arraySource(population(500, () => 0.05), 30);
    const offer = { id: 'retain-10', discountPct: 10, months: 3, acceptance: { mean: 0, sd: 0 }, acceptedHazardMultiplier: { mean: 0.5, sd: 0 } };
    const [provoked, harmless] = await simulate(src, [retention({ name: 'dogs', offer: { ...offer, contactedHazardIncrease: { mean: hazardOf(0.05, 30), sd: 0.005 } } }), retention({ name: 'plain', offer })], { workers: 0 });
    expect(provoked.overall.accepted.mean).toBe(0);
    expect(harmless.overall.accepted.mean).toBe(0);
    // Without a contact effect, a campaign nobody accepts changes nobody's fate: it costs its contacts.
    expect(harmless.overall.churnersAvoided.mean).toBe(0);
    expect(harmless.overall.netValue.mean).toBeCloseTo(-harmless.overall.cost.mean, 6);
    // With it, about 500 · (1 − 0.95^6) · ... more leave: 3 months at 10 % against 5 %, ~ 60 more.
    const h = hazardOf(0.05, 30);
    const more = 500 * ((1 - (1 - 2 * h) ** 3 * (1 - h) ** 3) - (1 - (1 - h) ** 6));
    expect(-provoked.overall.churnersAvoided.mean).toBeGreaterThan(0.8 * more);
    expect(-provoked.overall.churnersAvoided.mean).toBeLessThan(1.2 * more);
    expect(provoked.overall.churnersAvoided.p95).toBeLessThan(0);
    expect(provoked.overall.netValue.mean).toBeLessThan(-provoked.overall.cost.mean - 20 * more);
  });

  it("splits by churn-risk band as the overview counts them: a twin at 7 % and one at 12 % are in different bands", async () => {
    const src = arraySource(population(400, (i) => [0.01, 0.07, 0.12, 0.3][i % 4]), 30);
    const scenario = parseScenarios({ kind: 'offer_launch', name: 'bands', horizonMonths: 1, draws: 4, segmentBy: 'churn_risk_band', channels: [{ name: 'app', reach: 1, costPerContact: 0 }], offer: { id: 'o', acceptance: { mean: 0.2, sd: 0 } } }).scenarios[0];
    const [r] = await simulate(src, [scenario], { workers: 0 });
    // The overview's bands (RISK_BAND_EDGES), its words: the lab's own 5–15 % held both.
    expect(r.segments.map((x) => [x.segment, x.twins])).toEqual([
      ['risk 0 % to 2 %', 100],
      ['risk 5 % to 10 %', 100],
      ['risk 10 % to 20 %', 100],
      ['risk 20 % to 50 %', 100],
    ]);
  });

  it('lets acceptance follow churn risk when a pilot measured that it does', async () => {
    const src = arraySource(population(4000, (i) => (i % 2 ? 0.2 : 0.01)), 30);
    const launch = (offer: Record<string, unknown>) =>
      parseScenarios({ kind: 'offer_launch', name: 'l', horizonMonths: 3, draws: 40, segmentBy: 'churn_risk_band', channels: [{ name: 'app', reach: 1, costPerContact: 0 }], offer: { id: 'o', acceptance: { mean: 0.2, sd: 0 }, ...offer } }).scenarios[0];
    const accepted = (r: Awaited<ReturnType<typeof simulate>>[number], band: string) => r.segments.find((x) => x.segment === band)!.accepted.mean;
    const [flat] = await simulate(src, [launch({})], { workers: 0 });
    const [byRisk] = await simulate(src, [launch({ acceptanceByRisk: { slope: 1, atChurn: 0.05 } })], { workers: 0 });
    expect(accepted(flat, 'risk 20 % to 50 %') / accepted(flat, 'risk 0 % to 2 %')).toBeCloseTo(1, 1);
    // Log-odds 1 · (logit p − logit 0.05): ≈ +1.56 for the risky half, ≈ −1.65 for the safe half.
    expect(accepted(byRisk, 'risk 20 % to 50 %')).toBeGreaterThan(2 * accepted(flat, 'risk 20 % to 50 %'));
    expect(accepted(byRisk, 'risk 0 % to 2 %')).toBeLessThan(0.5 * accepted(flat, 'risk 0 % to 2 %'));
  });

  it('hands a contact\u2019s harm to each twin by its hazard when a pilot measured that it grows with it', async () => {
    const src = arraySource(population(4000, (i) => (i % 2 ? 0.2 : 0.015)), 30);
    const launch = (name: string, offer: Record<string, unknown>) =>
      parseScenarios({ kind: 'offer_launch', name, horizonMonths: 3, draws: 60, hazardCalibrationSd: 0, segmentBy: 'churn_risk_band', channels: [{ name: 'app', reach: 1, costPerContact: 0 }], offer: { id: 'o', acceptance: { mean: 0, sd: 0 }, contactedHazardIncrease: { mean: 0.01, sd: 0 }, ...offer } }).scenarios[0];
    const lost = (r: Awaited<ReturnType<typeof simulate>>[number], band: string) => -r.segments.find((x) => x.segment === band)!.churnersAvoided.mean;
    const [flat, byRisk] = await simulate(src, [launch('flat', {}), launch('by risk', { contactedIncreaseByRisk: { power: 1, atHazard: 0.05 } })], { workers: 0 });
    // One point for every twin: the same loss in both halves (2,000 twins, 3 months: about 60 each).
    expect(lost(flat, 'risk 20 % to 50 %') / lost(flat, 'risk 0 % to 2 %')).toBeGreaterThan(0.6);
    expect(lost(flat, 'risk 20 % to 50 %') / lost(flat, 'risk 0 % to 2 %')).toBeLessThan(1.4);
    // In proportion to the hazard, one point at 5 % a month: four points for the risky half, 0.4 for the safe.
    expect(lost(byRisk, 'risk 20 % to 50 %')).toBeGreaterThan(2.5 * lost(flat, 'risk 20 % to 50 %'));
    expect(lost(byRisk, 'risk 0 % to 2 %')).toBeLessThan(0.6 * lost(flat, 'risk 0 % to 2 %'));
  });

  it('keeps a configured elasticity\u2019s uncertainty when its mean is none (a price cut no history measured)', async () => {
    const src = arraySource(population(4000, () => 0.05), 30);
    const cut = parseScenarios({ kind: 'price_change', name: 'cut', horizonMonths: 6, draws: 200, hazardCalibrationSd: 0, pricePct: -10, response: { kind: 'configured', elasticity: { mean: 0, sd: 0.02 } } }).scenarios[0];
    const [r] = await simulate(src, [cut], { workers: 0 });
    // θ ~ N(0, 0.02) per %: the hazard × e^(±0.2) at 1.6 sd, some draws keep customers and as many lose them (about 1,000 churners without).
    expect(r.overall.churnersAvoided.p95).toBeGreaterThan(10);
    expect(r.overall.churnersAvoided.p05).toBeLessThan(-10);
    expect(Math.abs(r.overall.churnersAvoided.mean)).toBeLessThan(0.15 * (r.overall.churnersAvoided.p95 - r.overall.churnersAvoided.p05));
  });

  it('carries each twin\u2019s month-to-month revenue noise into the interval, not the mean, and none into a draw that changes nothing', async () => {
    const rows = population(2000, () => 0.05);
    const noisy = { ...arraySource(rows, 30), revenueSd: () => 10 };
    const rise = parseScenarios({ kind: 'price_change', name: 'rise', horizonMonths: 4, draws: 400, hazardCalibrationSd: 0, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0, sd: 0 } } }).scenarios[0];
    const [quiet] = await simulate(arraySource(rows, 30), [rise], { workers: 0 });
    const [loud] = await simulate(noisy, [rise], { workers: 0 });
    // Two worlds' months apart: 2 · 10² per twin and month survived, about 2,000 · 3.8 months.
    const sd = Math.sqrt(2 * 100 * 2000 * 3.8);
    const width = loud.overall.netValue.p95 - loud.overall.netValue.p05;
    expect(width).toBeGreaterThan(2 * 1.645 * sd * 0.85);
    expect(width).toBeLessThan(2 * 1.645 * sd * 1.15);
    expect(Math.abs(loud.overall.netValue.mean - quiet.overall.netValue.mean)).toBeLessThan(0.2 * sd);
    // A network fix with no incident to prevent in a draw leaves the two worlds the same.
    const fix = parseScenarios({ kind: 'network_improvement', name: 'fix', horizonMonths: 2, draws: 200, target: [], incidentReductionPct: 100, incidentsPer30d: { mean: 1, sd: 0 }, cellIncidentsPer30d: 0.01, incidentEffect: { mean: 0.1, sd: 0 }, cost: 0 }).scenarios[0];
    const [lumpy] = await simulate(noisy, [fix], { workers: 0 });
    expect(lumpy.overall.netValue.p05).toBe(0);
    expect(lumpy.overall.netValue.p95).toBe(0);
  });

  it('is deterministic for a seed, whatever the number of threads, and splits by segment', async () => {
    const src = arraySource(population(3000, () => 0.04), 30);
    const s = retention({ segmentBy: 'is_prepaid' });
    const [a] = await simulate(src, [s], { workers: 0 });
    const [b] = await simulate(src, [s], { workers: 0 });
    expect(b).toEqual(a);
    expect(a.segments.map((x) => x.segment).sort()).toEqual(['postpaid', 'prepaid']);
    const sum = a.segments.reduce((t, x) => t + x.twins, 0);
    expect(sum).toBe(3000);
    const [c] = await simulate(arraySource(population(3000, () => 0.04), 30), [{ ...s, seed: 4 }], { workers: 0 });
    expect(c.overall.netValue.mean).not.toBe(a.overall.netValue.mean);
  });
});

describe('simulation runs', () => {
  it('report progress, finish with results, and can be cancelled', async () => {
    const store = memoryDocuments<SimulationRun>();
    const src = arraySource(population(2000, () => 0.04), 30);
    const runs = createSimulationRuns({ store, source: () => src, workers: 0, progressStep: 0 });
    const started = await runs.start([retention()]);
    expect(started.status).toBe('running');
    const done = await runs.wait(started.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(1);
    expect(done.results?.[0].name).toBe('keep');
    expect(done.tookMs).toBeTypeOf('number');
    expect((await store.get(started.id))?.status).toBe('succeeded');

    const long = await runs.start([retention({ draws: 5000 })]);
    await new Promise((r) => setTimeout(r, 50));
    const cancelled = await runs.cancel(long.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.progress).toBeGreaterThan(0);
    expect(cancelled.progress).toBeLessThan(1);
    await expect(runs.cancel(long.id)).rejects.toThrow(/already cancelled/);
    expect((await runs.list()).length).toBe(2);
  });

  it('say what they wait for before the first draw, and a run cancelled while it waits ends at once', async () => {
    const store = memoryDocuments<SimulationRun>();
    let release!: () => void;
    const ready = new Promise<void>((r) => (release = r));
    const runs = createSimulationRuns({
      store,
      workers: 0,
      source: async (waiting) => {
        waiting('the log: 40 % read');
        await ready;
        return arraySource(population(200, () => 0.04), 30);
      },
    });
    const first = await runs.start([retention()]);
    await vi.waitFor(async () => expect((await runs.get(first.id)).waitingFor).toBeDefined(), { timeout: 5_000 });
    expect(await runs.get(first.id)).toMatchObject({ status: 'running', progress: 0, waitingFor: 'the log: 40 % read' });
    expect((await store.get(first.id))?.waitingFor).toBe('the log: 40 % read');

    const second = await runs.start([retention()]);
    const cancelled = await runs.cancel(second.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.waitingFor).toBeUndefined();

    release();
    const done = await runs.wait(first.id);
    expect(done.status).toBe('succeeded');
    expect(done.waitingFor).toBeUndefined();
    expect((await store.get(first.id))?.waitingFor).toBeUndefined();
  });

  it('end as they ended in the store even when the store finishes a write in passing after a later one', async () => {
    // A store with a pool of connections: a write of progress taken in passing is slow, the run's
    // end fast; written together, the progress would land last and the run read as running.
    const inner = memoryDocuments<SimulationRun>();
    const store = {
      ...inner,
      put: async (id: string, run: SimulationRun) => {
        if (run.status === 'running' && run.progress > 0) await new Promise((r) => setTimeout(r, 30));
        await inner.put(id, run);
      },
    };
    const runs = createSimulationRuns({ store, source: () => arraySource(population(500, () => 0.04), 30), workers: 0, progressStep: 0.2 });
    const started = await runs.start([retention()]);
    expect((await runs.wait(started.id)).status).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 200));
    expect((await inner.get(started.id))?.status).toBe('succeeded');
  });

  it('tell the source when a run waiting for it is cancelled, so it stops saying what it waits for', async () => {
    let aborted = false;
    const runs = createSimulationRuns({
      store: memoryDocuments<SimulationRun>(),
      workers: 0,
      source: (_waiting, signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return new Promise<never>(() => {});
      },
    });
    const started = await runs.start([retention()]);
    await runs.cancel(started.id);
    expect(aborted).toBe(true);
  });

  it("are dated on the runtime's clock (the world's time in the sandbox), not the wall clock", async () => {
    const world = new ManualClock(Date.UTC(2026, 11, 12, 9));
    const runs = createSimulationRuns({ store: memoryDocuments<SimulationRun>(), source: () => arraySource(population(200, () => 0.04), 30), workers: 0, clock: world });
    const started = await runs.start([retention()]);
    expect(started.startedAt).toBe('2026-12-12T09:00:00.000Z');
    const done = await runs.wait(started.id);
    expect(done.startedAt).toBe('2026-12-12T09:00:00.000Z');
    expect(done.finishedAt).toBe('2026-12-12T09:00:00.000Z');
  });

  it('runs draws on worker threads with the same result as in-thread', async () => {
    const src = arraySource(population(3000, () => 0.04), 30);
    const s = retention({ draws: 8 });
    const [a] = await simulate(src, [s], { workers: 0 });
    const { runParallelDraws } = await import('./parallel-draws.js');
    const { compileScenarios } = await import('./scenario-plan.js');
    const [plan] = compileScenarios(src, [s]);
    const seen: number[] = [];
    const figures = await runParallelDraws({ ...plan.population }, { ...plan.params }, 8, { workers: 2, onDraw: (d) => seen.push(d) });
    expect(seen.length).toBe(8);
    const { summarise } = await import('./simulation-result.js');
    expect(summarise(figures, 8, 1, () => true, 3000).netValue).toEqual(a.overall.netValue);
  }, 30_000);

  it('cancelled, its worker threads end after their draw and exit by themselves, never terminated', async () => {
    const { Worker } = await import('node:worker_threads');
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    try {
      const src = arraySource(population(20_000, () => 0.04), 30);
      const s = retention({ draws: 400 });
      const { runParallelDraws } = await import('./parallel-draws.js');
      const { compileScenarios } = await import('./scenario-plan.js');
      const [plan] = compileScenarios(src, [s]);
      const stop = new AbortController();
      let seen = 0;
      const run = runParallelDraws({ ...plan.population }, { ...plan.params }, 400, { workers: 2, signal: stop.signal, onDraw: () => ++seen === 2 && stop.abort() });
      await expect(run).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('cancelled') });
      // The run rejected once both threads had exited, well short of its 400 draws.
      expect(terminate).not.toHaveBeenCalled();
      expect(seen).toBeLessThan(400);
    } finally {
      terminate.mockRestore();
    }
  }, 60_000);
});
