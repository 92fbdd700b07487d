import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { ERROR_PARTS, errorBreakdown, summariseBreakdowns, type ErrorBreakdown, type RealisedOutcome } from './error-breakdown.js';
import { parseScenarios, type Scenario } from './scenario.js';
import { compileScenarios } from './scenario-plan.js';
import { simulatePlans } from './simulate.js';
import { arraySource } from './twin-population.js';

/** 1,000 twins paying 40 a month, 30-day churn probabilities 1–10 %. */
const source = arraySource(
  Array.from({ length: 1000 }, (_, i) => {
    const f = new Float64Array(FEATURE_COUNT);
    f[FEATURE_INDEX.monthly_price] = 40;
    f[FEATURE_INDEX.arpu_3m] = 40;
    f[FEATURE_INDEX.active_plans] = 1;
    f[FEATURE_INDEX.marketing_consent] = 1;
    return { id: `c${i}`, features: f, probability: 0.01 + (i % 10) / 100 };
  }),
  30,
);

/** An offer to every twin (so the baseline churners are the treated group's), as the lab assumes it. */
const offer = (extra: Record<string, unknown> = {}, offerExtra: Record<string, unknown> = {}): Scenario =>
  parseScenarios({
    kind: 'offer_launch', name: 'o', horizonMonths: 4, draws: 100, seed: 7,
    channels: [{ name: 'app', reach: 1, costPerContact: 1 }],
    offer: { id: 'retain-10', discountPct: 10, months: 3, costPerAcceptance: 5, acceptance: { mean: 0.3, sd: 0.05 }, acceptedHazardMultiplier: { mean: 0.6, sd: 0.1 }, contactedHazardIncrease: { mean: 0.005, sd: 0.002 }, effectMonths: 3, ...offerExtra },
    ...extra,
  }).scenarios[0];

const price = (elasticity: number, extra: Record<string, unknown> = {}): Scenario =>
  parseScenarios({ kind: 'price_change', name: 'p', horizonMonths: 4, draws: 100, seed: 5, pricePct: 10, response: { kind: 'configured', elasticity: { mean: elasticity, sd: 0.005 } }, ...extra }).scenarios[0];

/** What a world that behaves as `truth` says realises: its expected figures over the treated twins. */
async function realisedBy(truth: Scenario): Promise<RealisedOutcome> {
  const [r, first] = await simulatePlans(compileScenarios(source, [truth, { ...truth, name: 'first', horizonMonths: 1 }]), { workers: 0 });
  const o = r.overall;
  return { netValue: o.netValue.mean, untreatedChurners: o.churnersBaseline.mean, untreatedChurnersFirstMonth: first.overall.churnersBaseline.mean, treatedChurners: o.churnersScenario.mean, accepted: o.accepted.mean };
}

async function breakdown(lab: Scenario, truth: Scenario): Promise<ErrorBreakdown> {
  const [plan] = compileScenarios(source, [lab]);
  const [predicted] = await simulatePlans([plan], { workers: 0 });
  return errorBreakdown(plan, predicted.overall.netValue.mean, await realisedBy(truth));
}

const sumOf = (b: ErrorBreakdown) => ERROR_PARTS.reduce((t, k) => t + b.parts[k], 0);

describe('the error of a prediction, by where it comes from', () => {
  it('adds up to the error, and is nothing when the world does what the lab assumed', async () => {
    const b = await breakdown(offer(), offer());
    expect(sumOf(b)).toBeCloseTo(b.error, 6);
    expect(Math.abs(b.error)).toBeLessThan(1e-6);
    for (const k of ERROR_PARTS) expect(Math.abs(b.parts[k])).toBeLessThan(20);
    expect(b.substituted.firstMonthLevel).toBeCloseTo(1, 1);
    expect(b.substituted.horizonLevel).toBeCloseTo(1, 1);
  });

  it('puts a churn level the lab has too high on the churn parts, not on the offer', async () => {
    const b = await breakdown(offer(), offer({ hazardLevel: 0.6 }));
    expect(sumOf(b)).toBeCloseTo(b.error, 6);
    // Fewer churners than the level's ratio: a twin churns once, so churn over 4 months is not proportional to the hazard.
    expect(b.untreatedChurners.predicted / b.untreatedChurners.realised).toBeGreaterThan(1.5);
    expect(b.untreatedChurners.predicted / b.untreatedChurners.realised).toBeLessThan(1 / 0.6);
    expect(b.substituted.horizonLevel).toBeCloseTo(0.6, 1);
    const churn = b.parts.firstMonthChurn + b.parts.horizonChurn;
    expect(Math.abs(b.error)).toBeGreaterThan(300);
    expect(Math.abs(churn - b.error)).toBeLessThan(0.1 * Math.abs(b.error));
    expect(Math.abs(b.parts.acceptance) + Math.abs(b.parts.effect) + Math.abs(b.parts.rest)).toBeLessThan(0.1 * Math.abs(b.error));
  });

  it('puts a level that falls after the first month on the horizon\'s part', async () => {
    // The truth's first month is the lab's, its later months lower: a level that holds in month 1 only.
    const truth = await realisedBy(offer({ hazardLevel: 0.6 }));
    const firstAsLab = (await realisedBy(offer())).untreatedChurnersFirstMonth;
    const [plan] = compileScenarios(source, [offer()]);
    const [predicted] = await simulatePlans([plan], { workers: 0 });
    const b = errorBreakdown(plan, predicted.overall.netValue.mean, { ...truth, untreatedChurnersFirstMonth: firstAsLab });
    expect(sumOf(b)).toBeCloseTo(b.error, 6);
    expect(Math.abs(b.parts.firstMonthChurn)).toBeLessThan(0.1 * Math.abs(b.error));
    expect(Math.abs(b.parts.horizonChurn - b.error)).toBeLessThan(0.15 * Math.abs(b.error));
  });

  it('puts acceptances the lab under-predicts on the acceptance part', async () => {
    const b = await breakdown(offer(), offer({}, { acceptance: { mean: 0.6, sd: 0.05 } }));
    expect(sumOf(b)).toBeCloseTo(b.error, 6);
    expect(b.substituted.acceptance).toBeCloseTo(0.6, 1);
    expect(Math.abs(b.parts.acceptance - b.error)).toBeLessThan(0.1 * Math.abs(b.error));
    expect(Math.abs(b.parts.firstMonthChurn) + Math.abs(b.parts.horizonChurn)).toBeLessThan(0.1 * Math.abs(b.error));
  });

  it('puts a price response stronger than assumed on the effect part', async () => {
    const b = await breakdown(price(0.01), price(0.05));
    expect(sumOf(b)).toBeCloseTo(b.error, 6);
    expect(b.substituted.effectShift).toBeCloseTo(0.04, 2);
    expect(Math.abs(b.error)).toBeGreaterThan(300);
    expect(Math.abs(b.parts.effect - b.error)).toBeLessThan(0.1 * Math.abs(b.error));
    expect(b.substituted.acceptance).toBeNull();
  });

  it('sums scenarios: signed parts add to the summed error, sizes on the relative MAE\'s scale', async () => {
    const bs = [await breakdown(offer(), offer({ hazardLevel: 0.6 })), await breakdown(price(0.01), price(0.05))];
    const realised = [1000, -2000];
    const s = summariseBreakdowns(bs, realised);
    expect(ERROR_PARTS.reduce((t, k) => t + s.parts[k], 0)).toBeCloseTo(s.error, 6);
    expect(s.relativeSize.effect).toBeCloseTo((Math.abs(bs[0].parts.effect) + Math.abs(bs[1].parts.effect)) / 3000, 9);
    expect(s.untreatedChurnRatio).toBeCloseTo((bs[0].untreatedChurners.predicted + bs[1].untreatedChurners.predicted) / (bs[0].untreatedChurners.realised + bs[1].untreatedChurners.realised), 9);
  });
});
