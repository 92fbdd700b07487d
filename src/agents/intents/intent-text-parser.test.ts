import { describe, expect, it } from 'vitest';
import type { Intent } from './intent-schema.js';
import { parseIntentText } from './intent-text-parser.js';

type Check = (intent: Intent) => void;
const ALL = ['sms', 'email', 'push', 'in_app', 'human_task'];

const ok: readonly (readonly [string, Check])[] = [
  ['keep high-value prepaid customers at risk this month, budget 50000', (i) => {
    expect(i.goal).toBe('retain');
    expect(i.segment.named).toEqual(['high-value', 'prepaid', 'at-risk']);
    expect(i.horizon).toEqual({ amount: 1, unit: 'months', alignTo: 'month_end' });
    expect(i.budget).toEqual({ amount: 50000, currency: 'EUR' });
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'net_value', targetCondition: 'atLeast', targetValue: 0 });
    expect(i.policyMode).toBe('approve');
  }],
  ['KEEP HIGH VALUE PREPAID CUSTOMERS AT RISK THIS MONTH. BUDGET 50000!', (i) => expect(i.segment.named).toEqual(['high-value', 'prepaid', 'at-risk'])],
  ['Retain postpaid customers likely to churn in the next 3 months, budget €50k', (i) => {
    expect(i.segment.named).toEqual(['postpaid', 'at-risk']);
    expect(i.horizon).toEqual({ amount: 3, unit: 'months' });
    expect(i.budget).toEqual({ amount: 50000, currency: 'EUR' });
  }],
  ['reduce churn of business customers by 20% by end of quarter', (i) => {
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'churn_rate', targetCondition: 'decreaseBy', targetValue: 20 });
    expect(i.horizon.alignTo).toBe('quarter_end');
    expect(i.segment.named).toEqual(['business']);
  }],
  ['reduce churn by 20% among prepaid customers this quarter, up to 10,000', (i) => {
    expect(i.intentExpectation[0].targetCondition).toBe('decreaseBy');
    expect(i.budget?.amount).toBe(10000);
  }],
  ['keep 500 customers in the next 2 months, budget 1.5m eur', (i) => {
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'retained_customers', targetCondition: 'atLeast', targetValue: 500 });
    expect(i.budget).toEqual({ amount: 1_500_000, currency: 'EUR' });
  }],
  ['retain at least 1,200 high-value customers this month with budget of $30,000', (i) => {
    expect(i.intentExpectation[0].targetValue).toBe(1200);
    expect(i.budget).toEqual({ amount: 30000, currency: 'USD' });
  }],
  ['win back 200 former customers by end of quarter, up to 10,000, with approval', (i) => {
    expect(i.goal).toBe('win-back');
    expect(i.segment.named).toEqual(['churned']);
    expect(i.intentExpectation[0].targetValue).toBe(200);
    expect(i.policyMode).toBe('approve');
  }],
  ['Win-back lapsed customers in 2 weeks; £5k', (i) => {
    expect(i.goal).toBe('win-back');
    expect(i.horizon).toEqual({ amount: 14, unit: 'days' });
    expect(i.budget).toEqual({ amount: 5000, currency: 'GBP' });
  }],
  ['grow consumer customers next month, spend up to 20k', (i) => {
    expect(i.goal).toBe('upsell');
    expect(i.segment.named).toEqual(['consumer']);
    expect(i.budget?.amount).toBe(20000);
  }],
  ['upsell 300 new customers within 30 days, budget 8000, autonomously', (i) => {
    expect(i.goal).toBe('upsell');
    expect(i.segment.named).toEqual(['new-customers']);
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'accepted_offers', targetValue: 300 });
    expect(i.horizon).toEqual({ amount: 30, unit: 'days' });
    expect(i.policyMode).toBe('autonomous');
  }],
  ['inform customers in cell C-17 about the outage in 2 weeks by sms only, autonomously', (i) => {
    expect(i.goal).toBe('inform');
    expect(i.segment.cells).toEqual(['C-17']);
    expect(i.constraints.channels).toEqual(['sms']);
    expect(i.budget).toBeUndefined();
  }],
  ['notify customers in cells A1, B2 and C3 this week via email', (i) => {
    expect(i.segment.cells).toEqual(['A1', 'B2', 'C3']);
    expect(i.horizon).toEqual({ amount: 7, unit: 'days' });
    expect(i.constraints.channels).toEqual(['email']);
  }],
  ['keep at-risk customers, budget 50000, by sms/app/email only', (i) => expect(i.constraints.channels).toEqual(['sms', 'email', 'push', 'in_app'])],
  ['keep at-risk customers, budget 50000, no calls', (i) => expect(i.constraints.channels).toEqual(['sms', 'email', 'push', 'in_app'])],
  ['keep at-risk customers, budget 50000, without sms or email', (i) => expect(i.constraints.channels).toEqual(['push', 'in_app', 'human_task'])],
  ['keep at risk customers budget 50000 just advise', (i) => {
    expect(i.policyMode).toBe('advise');
    expect(i.constraints.channels).toEqual(ALL);
  }],
  ['retain business customers, budget 20000, recommend only', (i) => expect(i.policyMode).toBe('advise')],
  ['retain customers with churn score above 0.7 and clv >= 500, budget 9000', (i) =>
    expect(i.segment.filters).toEqual([
      { field: 'churn', op: '>', value: 0.7 },
      { field: 'clv', op: '>=', value: 500 },
    ])],
  ['keep customers with complaints_90d >= 2 and tenure below 365, budget 4000', (i) =>
    expect(i.segment.filters).toEqual([
      { field: 'complaints_90d', op: '>=', value: 2 },
      { field: 'tenure_days', op: '<', value: 365 },
    ])],
  ['retain high-value customers, churn below 2%, budget 40000', (i) =>
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'churn_rate', targetCondition: 'atMost', targetValue: 2 })],
  ['retain prepaid customers with net value of at least 10000, budget 25000', (i) =>
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'net_value', targetCondition: 'atLeast', targetValue: 10000 })],
  ['keep high value customers, acceptance rate above 15%, budget 5000', (i) =>
    expect(i.intentExpectation[0]).toMatchObject({ targetName: 'acceptance_rate', targetCondition: 'atLeast', targetValue: 15 })],
  ['keep at-risk customers, budget 50000, at most 2 contacts per customer, max discount 15%', (i) => {
    expect(i.constraints.maxContactsPerCustomer).toBe(2);
    expect(i.constraints.maxDiscountPct).toBe(15);
  }],
  ['keep at-risk customers, budget 50000, contact each customer at most once, no discounts', (i) => {
    expect(i.constraints.maxContactsPerCustomer).toBe(1);
    expect(i.constraints.maxDiscountPct).toBe(0);
  }],
  ['keep at-risk customers, budget 50000, exclude offers retain-25 and upgrade', (i) =>
    expect(i.constraints.excludedOffers).toEqual(['retain-25', 'upgrade'])],
  // A list of offers ends at a word that begins another phrase: "autonomously" was read as an offer and the intent ran in approve mode.
  ['keep at-risk customers, budget 50000, exclude offer service-check-in, autonomously', (i) => {
    expect(i.constraints.excludedOffers).toEqual(['service-check-in']);
    expect(i.policyMode).toBe('autonomous');
  }],
  ['keep at-risk customers, exclude offers retain-25, data-bonus and upgrade, budget 50000 within 30 days', (i) => {
    expect(i.constraints.excludedOffers).toEqual(['retain-25', 'data-bonus', 'upgrade']);
    expect(i.budget?.amount).toBe(50000);
  }],
  ['keep at-risk customers over the next three months, budget 50.000', (i) => {
    expect(i.horizon).toEqual({ amount: 3, unit: 'months' });
    expect(i.budget?.amount).toBe(50000);
  }],
  ['keep at-risk customers, 50000 eur, ask me first', (i) => {
    expect(i.budget).toEqual({ amount: 50000, currency: 'EUR' });
    expect(i.policyMode).toBe('approve');
  }],
  ['prevent churn of high-value postpaid customers, budget 12k, on autopilot', (i) => {
    expect(i.goal).toBe('retain');
    expect(i.policyMode).toBe('autonomous');
  }],
  ['keep at-risk customers', (i) => {
    expect(i.horizon).toEqual({ amount: 1, unit: 'months' });
    expect(i.budget).toBeUndefined();
  }],
];

describe('parseIntentText', () => {
  it.each(ok)('reads %s', (text, check) => {
    const r = parseIntentText(text, { now: Date.UTC(2025, 0, 15) });
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect(r.intent.lifecycleStatus).toBe('proposed');
    expect(r.intent.source).toEqual({ kind: 'text', text: text.trim() });
    expect(r.interpretation.length).toBeGreaterThan(1);
    check(r.intent);
  });

  it('gives the same intent (id included) for the same text', () => {
    const a = parseIntentText('keep at-risk customers, budget 5000', { now: 1 });
    const b = parseIntentText('keep at-risk customers, budget 5000', { now: 1 });
    expect(a).toEqual(b);
  });

  it('says where each default came from', () => {
    const r = parseIntentText('keep at-risk customers');
    if (!r.ok) throw new Error(r.reason);
    expect(r.interpretation).toContain('no horizon given: 1 month (default)');
    expect(r.interpretation.some((l) => l.startsWith('no budget given'))).toBe(true);
    expect(r.interpretation.some((l) => l.startsWith('no policy mode given: approve'))).toBe(true);
  });

  const failures: readonly (readonly [string, RegExp])[] = [
    ['', /empty/],
    ['   ', /empty/],
    ['budget 5000 this month', /no goal/],
    ['keep at-risk customers, budget 5000, pronto', /"pronto"/],
    ['keep gold customers this month', /"gold"/],
    ['keep at-risk customers by 20%', /"20%"/],
    ['keep at-risk customers, budget 5000, budget 6000', /several budgets/],
    ['keep at-risk customers this month in the next 3 months', /several horizons/],
    ['keep prepaid and postpaid customers', /prepaid and postpaid/],
    ['keep at-risk customers autonomously, with approval', /several policy modes/],
    ['keep and win back customers', /several goals/],
    ['keep at-risk customers by sms only, no sms', /every channel is excluded/],
  ];
  it.each(failures)('refuses %j', (text, reason) => {
    const r = parseIntentText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(reason);
    expect(r.suggestions.length).toBeGreaterThan(0);
  });
});
