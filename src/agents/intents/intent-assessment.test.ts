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
const at = (day: number, kept: number, spend = 1000): Observation => ({ asOf: START + day * DAY_MS, values: { retained_customers: kept }, spend });

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

  it(`does not extrapolate before ${MIN_ELAPSED_SHARE * 100}% of the horizon`, () => {
    const a = assess(intent, plan, at(5, 1));
    expect(a.status).toBe('on-track');
    expect(a.replan).toBeUndefined();
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

  it('reads a relative churn target against the observed baseline', () => {
    const r = parseIntentText('reduce churn by 20% in 100 days', { id: 'j', now: START });
    if (!r.ok) throw new Error(r.reason);
    const obs: Observation = { asOf: START + 50 * DAY_MS, values: { churn_rate: 4 }, baseline: { churn_rate: 5 }, spend: 0 };
    expect(assess(r.intent, plan, obs).expectations[0]).toMatchObject({ current: 20, status: 'on-track' });
  });
});
