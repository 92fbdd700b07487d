import { describe, expect, it } from 'vitest';
import { createFakeSimulation } from '../../agents/intents/fake-simulation.js';
import { alternativesOf, planIntent } from '../../agents/intents/intent-planner.js';
import { parseIntentText } from '../../agents/intents/intent-text-parser.js';
import type { IntentReport } from '../../agents/intents/intent-report.js';
import { formatIntentPlans, formatIntentReport, planRefusal, waitForIntent } from './intent-command.js';

describe('intent --accept', () => {
  it('takes a report without a plan for a refusal, naming the intent and the reason', () => {
    const why = planRefusal({ intentId: 'intent-7', planSelection: 'no-plan', shortfalls: ['no candidate plan has a positive expected value within budget 10'] });
    expect(why).toContain('intent-7');
    expect(why).toContain('no candidate plan has a positive expected value within budget 10');
  });

  it('takes a planned intent, best effort included, for success', () => {
    expect(planRefusal({ intentId: 'intent-8', planSelection: 'meets-expectations', shortfalls: [] })).toBeUndefined();
    expect(planRefusal({ intentId: 'intent-9', planSelection: 'best-effort', shortfalls: ['churn -1 % expected, -2 % asked'] })).toBeUndefined();
  });
});

describe('intent --accept waits for the plan', () => {
  it('reads the report until the server has nothing left in progress, and answers that report', async () => {
    const reports: { intentId: string; inProgress?: string; lifecycle?: string }[] = [{ intentId: 'i1', inProgress: 'planning' }, { intentId: 'i1', inProgress: 'starting-run' }, { intentId: 'i1', lifecycle: 'executing' }];
    const paused: number[] = [];
    const waited: string[] = [];
    const read = async () => reports.shift()!;
    const done = await waitForIntent('i1', read, { sent: { intentId: 'i1', inProgress: 'planning' }, onWait: (id) => waited.push(id), pause: async (ms) => void paused.push(ms), pauseMs: 5 });
    expect(done).toEqual({ intentId: 'i1', lifecycle: 'executing' });
    expect(paused).toEqual([5, 5, 5]);
    expect(waited).toEqual(['i1']);
    // An answer with nothing in progress is final at once.
    expect(await waitForIntent('i2', read, { sent: { intentId: 'i2' }, pause: async () => void paused.push(0) })).toEqual({ intentId: 'i2' });
    expect(paused).toHaveLength(3);
  });

  it('gives up past its bound with how to follow the intent, which goes on on the server', async () => {
    const read = async () => ({ intentId: 'i3', inProgress: 'planning' });
    await expect(waitForIntent('i3', read, { pause: async () => undefined, pauseMs: 1_000, maxWaitMs: 3_000 })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/intent i3 is still planning .*twinloop intent report i3/) });
  });
});

describe('twinloop intent plans', () => {
  it('prints the chosen plan, then each plan not chosen with its value and why not', async () => {
    const parsed = parseIntentText('keep at-risk customers this month, budget 50000', { id: 'i1', now: Date.UTC(2025, 0, 1) });
    if (!parsed.ok) throw new Error(parsed.reason);
    const sel = await planIntent(parsed.intent, { simulate: createFakeSimulation() });
    if (sel.status === 'no-plan') throw new Error(sel.reason);
    const alternatives = alternativesOf(parsed.intent, sel);
    const text = formatIntentPlans('i1', { plan: { plan: sel.chosen.plan, outcome: sel.chosen.outcome, selection: sel.status, shortfalls: [], alternatives } });
    expect(text).toContain(`chosen: ${sel.chosen.plan.id} (meets-expectations)`);
    expect(text).toContain(`not chosen (${alternatives.length}, best first):`);
    expect(text).toContain(`${alternatives[0].planId}: ${alternatives[0].actions}`);
    expect(text).toContain(alternatives[0].whyNot);
    // Candidates simulated to the chosen plan's very outcome are named with it, once.
    const twin = { planId: 'i1-p9', actions: 'retention-offer-digital(retain-10) budget 25000 by uplift via sms' };
    expect(formatIntentPlans('i1', { plan: { plan: sel.chosen.plan, outcome: sel.chosen.outcome, selection: sel.status, shortfalls: [], alternatives, same: [twin] } })).toContain(
      `  the same simulated outcome as i1-p9 (${twin.actions}): the simulation does not tell them apart\n`,
    );
    expect(formatIntentPlans('i2', {})).toMatch(/has no plan yet/);
    // Accepted and planned without a plan: the reason, not "accept it" (the default world's budget-5000 intent).
    expect(formatIntentPlans('i3', { failure: { at: '2026-12-12T06:31:15.600Z', reason: "no plan: no plan of the catalogue's offers is expected to pay for this segment" } })).toBe("intent i3 failed: no plan: no plan of the catalogue's offers is expected to pay for this segment\n");
  });
});

describe('intent report in words', () => {
  const report = {
    intentId: 'intent-1',
    name: 'keep high-value customers',
    lifecycleStatus: 'inProgress',
    stage: { stage: 'acting', since: '2026-12-01T00:00:00.000Z', summary: 'acting: its campaign runs' },
    policyMode: 'approve',
    generatedAt: '2026-12-03T00:00:00.000Z',
    status: 'on-track',
    expectations: [
      { expectationId: 'e1', targetName: 'net_value', targetCondition: 'atLeast', targetValue: 0, current: -9621.4, currentRange: { low: -28392, high: 39206 }, notProjected: 'too early to project: 1% of the horizon has passed, and a pace is read from 10% on', expectedAtHorizon: 321, status: 'on-track' },
    ],
    plan: { id: 'p3', intentId: 'intent-1', segment: { field: 'value', op: '>=', value: 60 }, horizon: { months: 6 }, actions: [] },
    planSelection: 'meets-expectations',
    shortfalls: [],
    spend: { spent: 120, budget: 5000, currency: 'EUR' },
    horizonEndsAt: '2027-06-01T00:00:00.000Z',
    events: [],
  } as unknown as IntentReport;

  it('says where it stands, its plan and each target with what was measured, and no projection before there is one (the raw JSON is --json)', () => {
    const text = formatIntentReport(report);
    expect(text.split('\n')[0]).toBe('intent intent-1 (keep high-value customers): acting: its campaign runs');
    expect(text).toContain('net_value atLeast 0: on-track; now -9,621 (90%: -28,392 to 39,206); too early to project: 1% of the horizon has passed');
    expect(text).toContain('spent 120 of 5,000 EUR');
    expect(text).not.toContain('projected ');
    expect(text).not.toContain('{');
    const later = formatIntentReport({ ...report, expectations: [{ ...report.expectations[0], notProjected: undefined, projected: -4200, projectedRange: { low: -9000, high: 800 } }] } as IntentReport);
    expect(later).toContain('projected -4,200 (90%: -9,000 to 800)');
  });
});
