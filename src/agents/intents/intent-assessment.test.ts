import { describe, expect, it } from 'vitest';
import { assess, MIN_ELAPSED_SHARE, REPLAN_TOLERANCE, type Observation } from './intent-assessment.js';
import { parseIntentText } from './intent-text-parser.js';
import { DAY_MS } from '../../domain/time.js';

const START = Date.UTC(2025, 0, 1);
const intent = (() => {
  const r = parseIntentText('keep 500 at-risk customers in 100 days, budget 50000', { id: 'i', now: START });
  if (!r.ok) throw new Error(r.reason);
  return r.intent;
})();
const iv = (x: number) => ({ mean: x, low: x, high: x });
const plan = { outcome: { netValue: iv(20000), churnersAvoided: iv(600), cost: iv(40000) }, startedAt: START };
/** Customers kept, an estimate, read with a 90 % interval of ±5. */
const at = (day: number, kept: number, spend = 1000): Observation => ({ asOf: START + day * DAY_MS, values: { retained_customers: kept }, ranges: { retained_customers: { low: kept - 5, high: kept + 5 } }, spend });
const pointOnly = (o: Observation): Observation => ({ ...o, ranges: undefined, basis: 'campaign c: 40 treated, nobody held out' });

describe('assess', () => {
  it('is on track when the pace so far leads to the target', () => {
    const a = assess(intent, plan, at(50, 260));
    expect(a.status).toBe('on-track');
    expect(a.expectations[0]).toMatchObject({ current: 260, projected: 520, expectedAtHorizon: 600 });
    expect(a.replan).toBeUndefined();
  });

  it(`is at risk within the ${REPLAN_TOLERANCE * 100}% tolerance and off track beyond it, with a re-plan reason`, () => {
    expect(assess(intent, plan, at(50, 240)).status).toBe('at-risk');
    const off = assess(intent, plan, at(50, 200));
    expect(off.status).toBe('off-track');
    expect(off.replan).toMatch(/retained_customers atLeast 500 projected at 400/);
  });

  it(`projects nothing before ${MIN_ELAPSED_SHARE * 100}% of the horizon, and reads the status on the value as it stands, not on the plan's word`, () => {
    // A newcomer read "net_value now -4,340.5, Projected -267,644.65, Status on-track": a point three
    // days in divided by their share of six months, beside the plan's own verdict.
    const a = assess(intent, plan, at(5, 1));
    expect(a.status).toBe('at-risk');
    expect(a.replan).toBeUndefined();
    expect(a.expectations[0].projected).toBeUndefined();
    expect(a.expectations[0]).toMatchObject({
      current: 1,
      currentRange: { low: -4, high: 6 },
      notProjected: 'too early to project: 5% of the horizon has passed, and a pace is read from 10% on',
      notShown: "too early to tell: 1 (90%: -4 to 6) measured at 5% of the horizon is short of the target as it stands, and a pace is read from 10% on; the plan's simulation expected 600 at the horizon",
    });
    // Shown to meet it already (its interval's worse end): on track.
    const net = { ...intent, intentExpectation: [{ id: 'n', targetName: 'net_value' as const, targetCondition: 'atLeast' as const, targetValue: 0 }] };
    const paid: Observation = { asOf: START + 5 * DAY_MS, values: { net_value: 500 }, ranges: { net_value: { low: 100, high: 900 } }, spend: 1000 };
    expect(assess(net, plan, paid).expectations[0]).toMatchObject({ status: 'on-track', notProjected: expect.stringMatching(/^too early to project/) });
    const lost: Observation = { ...paid, values: { net_value: -4340.5 }, ranges: { net_value: { low: -9000, high: 2000 } } };
    expect(assess(net, plan, lost)).toMatchObject({ status: 'at-risk', expectations: [{ status: 'at-risk', notShown: expect.stringMatching(/^too early to tell: -4340.5 \(90%: -9000 to 2000\) measured at 5% of the horizon is short of the target as it stands/) }] });
  });

  it('projects with its interval once enough of the horizon has passed', () => {
    expect(assess(intent, plan, at(50, 260)).expectations[0]).toMatchObject({ projected: 520, projectedRange: { low: 510, high: 530 } });
    expect(assess(intent, plan, at(50, 260)).expectations[0].notProjected).toBeUndefined();
  });

  it('re-plans when spend passes the budget', () => {
    const a = assess(intent, plan, at(50, 300, 60000));
    expect(a.status).toBe('off-track');
    expect(a.replan).toMatch(/spend 60000 exceeds the budget of 50000 EUR/);
  });

  it('marks a reached count target achieved, and closes at the horizon without re-planning', () => {
    expect(assess(intent, plan, at(60, 510)).status).toBe('achieved');
    const end = assess(intent, plan, at(100, 450));
    expect(end).toMatchObject({ status: 'off-track', horizonReached: true });
    expect(end.replan).toBeUndefined();
  });

  it('says an estimate with no interval is not yet readable rather than achieved, at the horizon and before it', () => {
    // 520 kept by the point estimate, and no interval to show it: not achieved.
    const end = assess(intent, plan, pointOnly(at(100, 520)));
    expect(end).toMatchObject({ horizonReached: true, status: 'at-risk' });
    expect(end.expectations[0]).toMatchObject({ current: 520, status: 'at-risk', notShown: expect.stringMatching(/^not yet readable: 520 meets the target by its point estimate, but retained_customers is an estimate and came with no 90% interval \(campaign c: 40 treated, nobody held out\)/) });
    expect(assess(intent, plan, pointOnly(at(60, 510))).status).not.toBe('achieved');
    // With its interval the same figure is read: achieved.
    expect(assess(intent, plan, at(100, 520)).status).toBe('achieved');
    // Counted, not estimated: accepted offers are read on their count alone.
    const offers = { ...intent, intentExpectation: [{ id: 'e', targetName: 'accepted_offers' as const, targetCondition: 'atLeast' as const, targetValue: 50 }] };
    expect(assess(offers, plan, { asOf: START + 100 * DAY_MS, values: { accepted_offers: 60 }, spend: 0 }).status).toBe('achieved');
  });

  it("reads a relative target's interval from the level's and the baseline's together", () => {
    const r = parseIntentText('reduce churn by 20% in 100 days', { id: 'j', now: START });
    if (!r.ok) throw new Error(r.reason);
    const end = START + 100 * DAY_MS;
    // Churn 4 % treated against 5 % held out: down 20 %, but 2-6 % against 3-7 % reads anywhere from down 71 % to up 100 %.
    const wide: Observation = { asOf: end, values: { churn_rate: 4 }, baseline: { churn_rate: 5 }, ranges: { churn_rate: { low: 2, high: 6 } }, baselineRanges: { churn_rate: { low: 3, high: 7 } }, spend: 0 };
    expect(assess(r.intent, plan, wide).expectations[0]).toMatchObject({ current: 20, status: 'at-risk', currentRange: { low: -100, high: expect.closeTo(71.43, 2) } });
    const narrow: Observation = { ...wide, ranges: { churn_rate: { low: 3.9, high: 4.0 } }, baselineRanges: { churn_rate: { low: 5.0, high: 5.1 } } };
    expect(assess(r.intent, plan, narrow).expectations[0].status).toBe('achieved');
    expect(assess(r.intent, plan, { ...wide, ranges: undefined }).expectations[0].notShown).toMatch(/^not yet readable/);
  });

  it('reads a relative churn target against the observed baseline', () => {
    const r = parseIntentText('reduce churn by 20% in 100 days', { id: 'j', now: START });
    if (!r.ok) throw new Error(r.reason);
    const obs: Observation = { asOf: START + 50 * DAY_MS, values: { churn_rate: 4 }, baseline: { churn_rate: 5 }, spend: 0 };
    expect(assess(r.intent, plan, obs).expectations[0]).toMatchObject({ current: 20, status: 'on-track' });
  });
});
