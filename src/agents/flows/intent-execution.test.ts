import { describe, expect, it } from 'vitest';
import { parseIntentText } from '../intents/intent-text-parser.js';
import type { Plan, PlannedAction } from '../intents/intent-planner.js';
import { differenceInterval, wilson } from './campaign-bandit.js';
import { combinedObservation, createIntentObserver, createPlanExecutor, flowInputOf, observationOfCampaignMeasure, observationOfChurnRun } from './intent-execution.js';
import type { ChurnPreventionResult } from './churn-prevention-flow.js';
import { assess } from '../intents/intent-assessment.js';
import { DAY_MS } from '../../domain/time.js';
import { intentHorizonEnd } from '../intents/intent-schema.js';
import { controlGroupSize } from './campaign-audience.js';
import { msUntilHourUtc } from './campaign-management-flow.js';
import type { StartOptions, WorkflowRun } from '../workflows/index.js';

const now = Date.UTC(2026, 10, 3);
const parsed = parseIntentText('keep high-value customers at risk this month, budget 5000', { id: 'i1', now });
if (!parsed.ok) throw new Error(parsed.reason);
const intent = parsed.intent;
const action = (templateId: PlannedAction['templateId'], offerId?: string): PlannedAction => ({
  templateId,
  ...(offerId ? { offerId } : {}),
  channels: ['in_app'],
  targeting: { rank: 'churn_x_value', limit: { kind: 'budget', amount: 2500 } },
  controlGroupShare: 0.1,
  maxContactsPerCustomer: 1,
});
const plan = (actions: PlannedAction[]): Plan => ({ id: 'i1-p1', intentId: 'i1', segment: intent.segment, horizon: intent.horizon, actions });
/** A plan as approved: its simulation targeted `targeted` customers (none said: a plan made before it was kept). */
const approved = (actions: PlannedAction[], targeted?: number) => ({ plan: plan(actions), outcome: targeted === undefined ? {} : { targeted } });
const segment = [
  { field: 'churned', op: '==', value: 0 },
  { field: 'arpu_3m', op: '>=', value: 60 },
  { field: 'churn', op: '>=', value: 0.1 },
];

describe('flowInputOf', () => {
  it("runs a plan of one retention offer as a managed campaign on the intent's segment, as the README says", () => {
    // It ran as a churn prevention run: on no campaign page, not to be paused, measured only at its horizon.
    const f = flowInputOf(approved([action('retention-offer-digital', 'retain-10')], 1774), intent, { now: () => now });
    expect(f.definitionId).toBe('campaign-management');
    expect(f.workflowId).toBe('campaign-i1-p1');
    expect(f.input).toMatchObject({
      campaignId: 'i1-p1',
      audience: segment,
      variants: [{ id: 'a0-retain-10-in_app', offerId: 'retain-10', channel: 'app', notificationChannel: 'in_app' }],
      controlShare: 0.1,
      endAt: Date.UTC(2026, 10, 30, 23, 59, 59, 999) + 1,
    });
  });

  it('runs the plan as it was approved: its budget, not the intent\'s, and as many customers as it targeted, its control group among them', () => {
    // A newcomer's plan approved at "budget 2500 by churn_x_value", 1,774 targeted, ran a campaign of the
    // intent's 5,000 over the whole segment (5,466 "not contacted yet").
    const f = flowInputOf(approved([action('retention-offer-digital', 'retain-10')], 1774), intent, { now: () => now });
    expect(f.input.budget).toBe(2500);
    // 1,971 drawn, 197 (10 %) of them held out: 1,774 to contact.
    expect(f.input.audienceMax).toBe(1971);
    expect(f.input.audienceMax! - controlGroupSize(f.input.audienceMax!, 0.1)).toBe(1774);
    // Two actions share the plan's budget between them (the planner halves it): the sum is what was approved.
    const halves = { ...action('retention-offer-digital', 'retain-10'), targeting: { rank: 'churn_x_value' as const, limit: { kind: 'budget' as const, amount: 1250 } } };
    expect(flowInputOf(approved([halves, { ...halves, templateId: 'service-check-in', offerId: undefined }], 900), intent, { now: () => now }).input.budget).toBe(2500);
    // A plan kept before its simulation's count was: its segment, as it ran then.
    expect(flowInputOf(approved([action('retention-offer-digital', 'retain-10')]), intent, { now: () => now }).input.audienceMax).toBeUndefined();
    // A top-k plan has no budget sum of its own: the intent's budget still caps what the campaign spends.
    const topK = { ...action('retention-offer-digital', 'retain-10'), targeting: { rank: 'churn_x_value' as const, limit: { kind: 'top_k' as const, k: 300 } } };
    expect(flowInputOf(approved([topK], 300), intent, { now: () => now }).input.budget).toBe(5000);
  });

  it("ends the campaign at the intent's horizon, counted from the intent's creation, however late it is executed", () => {
    const made = parseIntentText('keep high-value customers in the next 6 months, budget 5000', { id: 'i6', now });
    if (!made.ok) throw new Error(made.reason);
    // Executed two days after it was said: it ran two days past the horizon its checks read.
    const f = flowInputOf(approved([action('retention-offer-digital', 'retain-10')], 100), made.intent, { now: () => now + 2 * DAY_MS });
    expect(f.input.endAt).toBe(intentHorizonEnd(made.intent, now));
    expect(f.input.endAt).toBe(Date.UTC(2027, 4, 3));
  });

  it("carries the intent's segment into a campaign as its audience", () => {
    const f = flowInputOf(approved([action('retention-offer-digital', 'retain-10'), action('service-check-in')]), intent, { now: () => now });
    expect(f.definitionId).toBe('campaign-management');
    expect(f.input.audience).toEqual(segment);
  });
});

describe('createPlanExecutor', () => {
  it("records who started the plan's campaign once, as one of the campaign's adjustments; a repeated start records nothing", async () => {
    const recorded: { actor: unknown; action: { actionClass: string; params: Record<string, unknown> } }[] = [];
    const runs = new Set<string>();
    const engine = {
      start: async (definitionId: string, input: unknown, o?: StartOptions) => {
        const created = !runs.has(o!.workflowId!);
        // As the engine does: what must be durable before the run is, once the start is admitted and the run is new.
        if (created) await o?.beforeCreate?.({ workflowId: o.workflowId!, definitionId, input });
        runs.add(o!.workflowId!);
        return { workflowId: o!.workflowId!, created, status: 'pending' as const };
      },
      get: async () => null,
    };
    const execute = createPlanExecutor({ engine, now: () => now, audit: { record: async (e) => (recorded.push(e as (typeof recorded)[number]), { seq: recorded.length }) as never }, mayStart: async () => ({ ok: true }) });
    const lou = { kind: 'human' as const, id: 'lou' };
    expect(await execute(approved([action('retention-offer-digital', 'retain-10')]), intent, lou)).toEqual({ executionId: 'campaign-i1-p1' });
    await execute(approved([action('retention-offer-digital', 'retain-10')]), intent, lou);
    expect(recorded).toEqual([
      expect.objectContaining({ actor: lou, action: expect.objectContaining({ actionClass: 'campaign_adjustment', params: expect.objectContaining({ event: 'campaign.started', campaignId: 'i1-p1', workflowId: 'campaign-i1-p1' }) }) }),
    ]);
  });
});

describe('campaign variants', () => {
  it('makes one variant per planned channel, keeping the channel the plan chose for the message', () => {
    const f = flowInputOf(approved([{ ...action('service-check-in'), channels: ['email', 'sms'] }, action('retention-offer-digital', 'retain-10')]), intent, { now: () => now });
    expect(f.definitionId === 'campaign-management' && f.input.variants).toEqual([
      { id: 'a0-service-check-in-email', offerId: 'service-check-in', channel: 'web', notificationChannel: 'email' },
      { id: 'a0-service-check-in-sms', offerId: 'service-check-in', channel: 'web', notificationChannel: 'sms' },
      { id: 'a1-retain-10-in_app', offerId: 'retain-10', channel: 'app', notificationChannel: 'in_app' },
    ]);
  });
});

describe('msUntilHourUtc', () => {
  it('waits for the next time the clock shows the hour', () => {
    const day = Date.UTC(2027, 1, 8);
    expect(msUntilHourUtc(day + 21 * 3_600_000 + 54 * 60_000, 10)).toBe(12 * 3_600_000 + 6 * 60_000);
    expect(msUntilHourUtc(day + 9 * 3_600_000, 10)).toBe(3_600_000);
    expect(msUntilHourUtc(day + 10 * 3_600_000, 10)).toBe(0);
  });
});

describe('intent observer', () => {
  // 40 treated by a, 10 by b: 2 of the 50 churned since (4 %); 10 held out, 2 churned (20 %).
  const stats = {
    variants: [
      { variantId: 'a', presented: 40, accepted: 0, declined: 0, spent: 20, treated: 40, treatedChurned: 1 },
      { variantId: 'b', presented: 10, accepted: 3, declined: 5, spent: 106.25, treated: 10, treatedChurned: 1 },
    ],
    control: { customers: 10, churned: 2 },
  };
  const campaignRun = (status: string, output: unknown = null) => ({ workflowId: 'campaign-x', definitionId: 'campaign-management', status, input: { campaignId: 'x' }, output }) as unknown as WorkflowRun;
  const observer = (run: WorkflowRun) =>
    createIntentObserver({
      engine: { get: async () => run, start: async () => ({ workflowId: 'campaign-x', created: true, status: 'pending' }) } as never,
      now: () => now,
      executionIdsOf: async () => ['campaign-x'],
      measure: async (r) => (r.definitionId === 'campaign-management' ? observationOfCampaignMeasure({ campaignId: 'x', stats, spent: 126.25, meanValue: 900 }, now) : undefined),
    });

  it("measures the intent's KPIs on the campaign's customers while it runs and after it has ended", async () => {
    const ended = { campaignId: 'x', endedBy: 'end-date', ticks: 30, spent: 126.25, presented: 50, accepted: 3, shares: {}, adjustments: [] };
    for (const run of [campaignRun('waiting'), campaignRun('succeeded', ended)]) {
      const o = await observer(run)(intent, plan([]), now);
      expect(o.values).toEqual({ accepted_offers: 3, acceptance_rate: 6, churn_rate: 4, retained_customers: 8, net_value: 8 * 900 - 126.25 });
      expect(o).toMatchObject({ asOf: now, baseline: { churn_rate: 20 }, spend: 126.25 });
      // The net value's derivation, in its figures: the holdout's difference, valued at the treated's mean lifetime value, less the spend.
      expect(o.basis).toBe("campaign x: 50 treated (2 churned since, 4%), 10 held out (2 churned, 20%); 3 of 50 presented accepted; 126.25 spent; net value (20% held out churned − 4% treated) × 50 treated × 900 a treated customer's mean lifetime value − 126.25 spent = 7073.75: each customer kept valued at their lifetime value (the plan's simulation counts the revenue kept to its horizon only)");
    }
  });

  it('says in its basis whom the campaign left out and why (those who left its segment before their turn among them)', () => {
    const o = observationOfCampaignMeasure({ campaignId: 'x', stats, spent: 126.25, leftOut: { 'no-consent': 56, 'left-segment': 6 } }, now);
    expect(o.basis).toBe('campaign x: 50 treated (2 churned since, 4%), 10 held out (2 churned, 20%); 3 of 50 presented accepted; 126.25 spent; left out: 56 no-consent, 6 left-segment');
  });

  it('says in its basis the control customers not compared yet (their turn has not come) and those judged out at their turn', () => {
    const o = observationOfCampaignMeasure({ campaignId: 'x', stats: { ...stats, control: { ...stats.control!, awaitingTurn: 4 } }, spent: 126.25, leftOut: { 'control-left-segment': 1 } }, now);
    expect(o.basis).toBe('campaign x: 50 treated (2 churned since, 4%), 10 held out (2 churned, 20%; 4 more held out whose turn has not come); 3 of 50 presented accepted; 126.25 spent; left out: 1 control-left-segment');
    // Only those compared make the baseline.
    expect(o.baseline).toEqual({ churn_rate: 20 });
  });

  it('says how much of the plan its campaign carried out, and why not all: the audience not reached, the ticks quiet hours cut short, those left out', () => {
    const slow = { ...stats, variants: [{ ...stats.variants[0], tried: 49, notContacted: { 'quiet-hours': 3, 'channel-opt-out': 6 } }, stats.variants[1]] };
    const o = observationOfCampaignMeasure({ campaignId: 'x', stats: { ...slow, control: { ...stats.control!, awaitingTurn: 4 } }, spent: 126.25, leftOut: { 'no-consent': 56, 'channel-opt-out': 6 }, audienceLeft: 987, awaitingApproval: 0 }, now);
    expect(o.delivery).toEqual({ contacted: 50, tried: 59, notReached: 987, awaitingApproval: 0, leftOut: { 'no-consent': 56, 'channel-opt-out': 6 }, cutShort: { 'quiet-hours': 3 }, heldOut: 14 });
    const outcome = { netValue: { mean: 100, low: -50, high: 300 }, churnersAvoided: { mean: 2, low: 0, high: 4 }, cost: { mean: 500, low: 400, high: 600 }, targeted: 1482 };
    const a = assess(intent, { outcome, startedAt: now - 5 * DAY_MS }, o);
    expect(a.carriedOut).toBe(
      "50 of the 1,482 customers the plan targeted contacted (59 tried); 987 of its audience not reached yet: ticks cut short 3 times as the contact policy's quiet hours began before the tick had reached its part (its contacts go out a batch at a time, ten at once by default: decision 0089; the world's day ran on between batches); left out: 56 no-consent, 6 channel-opt-out; 14 held out as its control group",
    );
    // Two runs (a re-plan's beside the first): added up.
    expect(combinedObservation([o, o], now).delivery).toMatchObject({ contacted: 100, notReached: 1974, cutShort: { 'quiet-hours': 6 } });
  });

  it('gives the assessment the value its expectation targets, with when it was measured', async () => {
    // The intent's default target, net value at least 0: its current value was null while and after the run.
    const o = await observer(campaignRun('succeeded', { campaignId: 'x', endedBy: 'end-date', ticks: 30, spent: 126.25, presented: 50, accepted: 3, shares: {}, adjustments: [] }))(intent, plan([]), now);
    const outcome = { netValue: { mean: 100, low: -50, high: 300 }, churnersAvoided: { mean: 2, low: 0, high: 4 }, cost: { mean: 500, low: 400, high: 600 } };
    const a = assess(intent, { outcome, startedAt: now - 20 * DAY_MS }, o);
    expect(a.expectations).toEqual([expect.objectContaining({ targetName: 'net_value', current: 7073.75, measuredAt: new Date(now).toISOString() })]);
    expect(a).toMatchObject({ measuredAt: new Date(now).toISOString(), basis: expect.stringMatching(/^campaign x: 50 treated/) });
  });

  it('re-plans on a measure only when its interval falls short too: a handful held out, none churned yet, is noise', () => {
    // 108 treated (1 churned), 8 held out (none churned): the point estimate says a customer was lost.
    const outcome = { netValue: { mean: 157, low: -50, high: 300 }, churnersAvoided: { mean: 2, low: 0, high: 4 }, cost: { mean: 90, low: 80, high: 94 } };
    const measure = (treatedChurned: number, control: { customers: number; churned: number }) =>
      observationOfCampaignMeasure({ campaignId: 'z', stats: { variants: [{ variantId: 'a', presented: 108, accepted: 0, declined: 0, spent: 72, treated: 108, treatedChurned }], control }, spent: 72, meanValue: 2200 }, now + 8 * DAY_MS);
    const noisy = measure(1, { customers: 8, churned: 0 });
    expect(noisy.values.net_value).toBeLessThan(-2000);
    // A third of the month gone (from the 1st to the 11th).
    const judged = assess(intent, { outcome, startedAt: Date.UTC(2026, 10, 1) }, noisy);
    expect(judged.expectations[0]).toMatchObject({ status: 'at-risk', currentRange: { low: expect.any(Number), high: expect.any(Number) } });
    expect(judged.expectations[0].currentRange!.high).toBeGreaterThan(0);
    expect(judged.replan).toBeUndefined();
    // 200 held out, 2 churned; 20 of the 108 treated churned: clearly worse, whatever the noise.
    const harmed = assess(intent, { outcome, startedAt: Date.UTC(2026, 10, 1) }, measure(20, { customers: 200, churned: 2 }));
    expect(harmed.expectations[0].status).toBe('off-track');
    expect(harmed.replan).toMatch(/net_value atLeast 0 projected at -/);
  });

  it("reads the churners avoided with Newcombe's 90 % interval of the difference, narrower than the two intervals' far ends", () => {
    const o = observationOfCampaignMeasure({ campaignId: 'x', stats, spent: 126.25, meanValue: 900 }, now);
    const d = differenceInterval(2, 10, 2, 50, 1.645)!;
    expect(o.ranges?.retained_customers).toEqual({ low: Math.round(d.low * 50 * 100) / 100, high: Math.round(d.high * 50 * 100) / 100 });
    const [t, c] = [wilson(2, 50, 1.645), wilson(2, 10, 1.645)];
    expect(d.high - d.low).toBeLessThan(c.high - t.low - (c.low - t.high));
    expect(o.ranges?.net_value?.low).toBeCloseTo(d.low * 50 * 900 - 126.25, 1);
  });

  it('measures no net value while nobody has been treated (not "0, 90 %: 0 to 0"), and leaves a rate out', () => {
    const o = observationOfCampaignMeasure({ campaignId: 'y', stats: { variants: [{ variantId: 'a', presented: 0, accepted: 0, declined: 0, spent: 0, treated: 0, treatedChurned: 0 }], control: { customers: 0, churned: 0 } }, spent: 0 }, now);
    expect(o.values).toEqual({ accepted_offers: 0, acceptance_rate: 0 });
    expect(o.ranges?.net_value).toBeUndefined();
    // Treated but nobody held out: the churners avoided cannot be told, nor their value.
    const p = observationOfCampaignMeasure({ campaignId: 'y', stats: { variants: [{ variantId: 'a', presented: 4, accepted: 1, declined: 1, spent: 2, treated: 4, treatedChurned: 0 }], control: { customers: 0, churned: 0 } }, spent: 2, meanValue: 500 }, now);
    expect(p.values).toEqual({ accepted_offers: 1, acceptance_rate: 25, churn_rate: 0 });
  });

  it('gives an exact value an interval of no width, and an estimate one run gave no interval for none once added up: not readable, never exact', () => {
    const nobody = observationOfCampaignMeasure({ campaignId: 'y', stats: { variants: [{ variantId: 'a', presented: 0, accepted: 0, declined: 0, spent: 0, treated: 0, treatedChurned: 0 }], control: { customers: 0, churned: 0 } }, spent: 3 }, now);
    // Nobody treated: nothing measured, not an exact 0 (its report read "net_value 0 (90 %: 0 to 0)" before anything was sent).
    expect(nobody.values.net_value).toBeUndefined();
    expect(nobody.ranges?.retained_customers).toBeUndefined();
    // A run read with an interval, and one whose estimate came with none (a finished run's record): the sum has none.
    const read = { asOf: now, values: { retained_customers: 6, accepted_offers: 2 }, ranges: { retained_customers: { low: 1, high: 11 } }, spend: 10 };
    const unread = { asOf: now, values: { retained_customers: 4, accepted_offers: 1 }, spend: 5 };
    const sum = combinedObservation([read, unread], now);
    expect(sum.values).toMatchObject({ retained_customers: 10, accepted_offers: 3 });
    expect(sum.ranges?.retained_customers).toBeUndefined();
    expect(sum.ranges?.accepted_offers).toEqual({ low: 3, high: 3 });
    expect(combinedObservation([read, { ...unread, ranges: { retained_customers: { low: 4, high: 4 } } }], now).ranges?.retained_customers).toEqual({ low: 5, high: 15 });
  });

  it("reads a churn prevention run's estimates with their 90 % intervals, from the uplift's", () => {
    const run = {
      periodId: 'p1',
      treatedIds: Array.from({ length: 100 }, (_, i) => `T${i}`),
      controlIds: Array.from({ length: 50 }, (_, i) => `K${i}`),
      spend: 40,
      acceptedCost: 10,
      measured: { treatedChurnRate: 0.05, controlChurnRate: 0.1, uplift: 0.05, upliftInterval: { low: -0.03, high: 0.14, level: 0.9 as const }, reading: 'too few to read', retainedEstimate: 5, acceptanceRate: 0.2, accepted: 20, valueRetainedEstimate: 5 * 300, meanValue: 300 },
    } as unknown as ChurnPreventionResult;
    const o = observationOfChurnRun(run, now);
    expect(o.ranges).toMatchObject({ retained_customers: { low: -3, high: 14 }, net_value: { low: -3 * 300 - 50, high: 14 * 300 - 50 }, churn_rate: { low: expect.any(Number), high: expect.any(Number) } });
    expect(o.baselineRanges?.churn_rate?.low).toBeLessThan(10);
    expect(o.basis).toBe('churn prevention run of period p1: too few to read');
    // At its horizon the intent reads net value ≥ 0 as not shown, not achieved.
    const outcome = { netValue: { mean: 100, low: -50, high: 300 }, churnersAvoided: { mean: 2, low: 0, high: 4 }, cost: { mean: 500, low: 400, high: 600 } };
    const a = assess(intent, { outcome, startedAt: now - 40 * DAY_MS }, { ...o, asOf: now + 40 * DAY_MS });
    expect(a.expectations[0]).toMatchObject({ status: 'at-risk', notShown: expect.stringMatching(/its 90% interval's worse end -950 does not/) });
  });
});
