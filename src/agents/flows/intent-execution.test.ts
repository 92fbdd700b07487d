import { describe, expect, it } from 'vitest';
import { parseIntentText } from '../intents/intent-text-parser.js';
import type { Plan, PlannedAction } from '../intents/intent-planner.js';
import { createIntentObserver, flowInputOf, observationOfCampaignStats } from './intent-execution.js';
import { msUntilHourUtc } from './campaign-management-flow.js';
import type { WorkflowRun } from '../workflows/index.js';

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
const segment = [
  { field: 'churned', op: '==', value: 0 },
  { field: 'arpu_3m', op: '>=', value: 60 },
  { field: 'churn', op: '>=', value: 0.1 },
];

describe('flowInputOf', () => {
  it("carries the intent's segment into the churn prevention run, which scans only it", () => {
    const f = flowInputOf(plan([action('retention-offer-digital', 'retain-10')]), intent, { now: () => now });
    expect(f.definitionId).toBe('churn-prevention');
    expect(f.definitionId === 'churn-prevention' && f.input.segment).toEqual(segment);
  });

  it('leaves none of its at-risk segment alone as low risk: the run and the segment read one "at risk"', () => {
    // The run's floor was 0.2 while the segment said 0.1: a customer served 0.15 was planned for,
    // counted in the segment, then left alone by the run as low risk.
    const f = flowInputOf(plan([action('retention-offer-digital', 'retain-10')]), intent, { now: () => now });
    if (f.definitionId !== 'churn-prevention') throw new Error('expected a churn prevention run');
    const segmentFloor = f.input.segment!.find((c) => c.field === 'churn')!.value;
    const inSegment = [0.1, 0.12, 0.15, 0.19, 0.2, 0.45].filter((churn) => churn >= segmentFloor);
    expect(inSegment.length).toBe(6);
    expect(inSegment.filter((churn) => churn >= f.input.minChurn)).toEqual(inSegment);
  });

  it("carries the intent's segment into a campaign as its audience", () => {
    const f = flowInputOf(plan([action('retention-offer-digital', 'retain-10'), action('service-check-in')]), intent, { now: () => now });
    expect(f.definitionId).toBe('campaign-management');
    expect(f.definitionId === 'campaign-management' && f.input.audience).toEqual(segment);
  });
});

describe('campaign variants', () => {
  it('makes one variant per planned channel, keeping the channel the plan chose for the message', () => {
    const f = flowInputOf(plan([{ ...action('service-check-in'), channels: ['email', 'sms'] }, action('retention-offer-digital', 'retain-10')]), intent, { now: () => now });
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
  it("reports a running campaign's spend and answers from what its delivery did, not 0 until it ends", async () => {
    const stats = { variants: [{ variantId: 'a', presented: 40, accepted: 0, declined: 0, spent: 20 }, { variantId: 'b', presented: 10, accepted: 3, declined: 5, spent: 106.25 }], control: { customers: 5, churned: 0 } };
    const run = { workflowId: 'campaign-x', definitionId: 'campaign-management', status: 'waiting', input: { campaignId: 'x' }, output: null } as unknown as WorkflowRun;
    const observe = createIntentObserver({
      engine: { get: async () => run, start: async () => ({ workflowId: 'campaign-x', created: true, status: 'pending' }) } as never,
      now: () => now,
      executionIdsOf: async () => ['campaign-x'],
      progress: async (r) => (r.definitionId === 'campaign-management' ? observationOfCampaignStats(stats, now) : undefined),
    });
    const o = await observe(intent, plan([]), now);
    expect(o).toEqual({ asOf: now, values: { accepted_offers: 3, acceptance_rate: 6 }, spend: 126.25 });
  });
});
