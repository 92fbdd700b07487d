import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../store/workflow-journal.js';
import type { ReceivedAlarm } from './alarm-inbox.js';
import { incidentCustomers } from './incident-customers.js';
import { DEFAULT_SERVICE_OPS_POLICY } from './service-ops-policy.js';
import { serviceOpsSettings } from './service-ops-settings.js';

const T = Date.parse('2027-02-10T10:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const settings = serviceOpsSettings(DEFAULT_SERVICE_OPS_POLICY, { quietSpellMs: 6 * HOUR, chainReachMs: 24 * HOUR });
const alarm = (severity: ReceivedAlarm['perceivedSeverity'], clearedMs?: number): ReceivedAlarm => ({
  id: 'alarm-1',
  alarmType: 'equipmentAlarm',
  perceivedSeverity: severity,
  probableCause: 'powerProblem',
  alarmedObject: { id: 'cell-1', '@referredType': 'Cell' },
  raisedTime: iso(T),
  state: clearedMs === undefined ? 'raised' : 'cleared',
  ...(clearedMs === undefined ? {} : { clearedTime: iso(clearedMs) }),
  sourceSystemId: 'nms',
  reportingTime: iso(T),
  changedTime: iso(T),
});
const step = (key: string, output: unknown): StepRecord => ({ key, stepId: key, stepVersion: 1, status: 'succeeded', attempts: 1, output: JSON.stringify(output), error: null, dueAt: null, updatedAt: T });

describe("each affected customer's treatment", () => {
  it("says the run's reason where nothing was asked: a short outage, a flow that stopped waiting for the clear, batches that kept counts only", () => {
    const told = step('notice-first-0', { executed: ['C1', 'C2'], pending: [], refused: 0, failed: 1 });
    const steps = [step('affected-customers', ['C1', 'C2', 'C3']), told, step('resolution-0', { executed: ['C1', 'C2'], pending: [], refused: 0, failed: 0 })];
    const short = incidentCustomers(alarm('major', T + HOUR), { status: 'succeeded', steps }, settings);
    expect(short.map((c) => c.compensation.why)).toEqual(['the outage lasted 1 h, not past 4 h', 'the outage lasted 1 h, not past 4 h', 'the outage lasted 1 h, not past 4 h']);
    // C3's notice failed in a batch journaled before reasons were kept: its counts are said.
    expect(short[2].notice).toEqual({ state: 'not-sent', why: 'refused or failed (this run kept counts only: 0 refused, 1 failed in its batches)' });
    expect(short[2].resolution.why).toBe('not told of the outage, so not told of its end');
    // Still open when the run ended (its wait for the clear ran out): no resolution, and why.
    const open = incidentCustomers(alarm('major'), { status: 'succeeded', steps: steps.slice(0, 2) }, settings);
    expect(open[0].resolution).toEqual({ state: 'not-sent', why: "the alarm did not clear within the flow's wait (7 days): left to people" });
    // While it runs, it is not decided yet.
    expect(incidentCustomers(alarm('major'), { status: 'waiting', steps: steps.slice(0, 2) }, settings)[0]).toMatchObject({ compensation: { state: 'not-yet' }, resolution: { state: 'not-yet', why: 'sent when the alarm clears' } });
  });

  it('says a watched warning tells and pays nobody, and gives the answers a run kept for each customer', () => {
    const watched = incidentCustomers(alarm('warning'), { status: 'waiting', steps: [step('affected-customers', ['C1'])] }, settings)[0];
    expect(watched.notice.why).toMatch(/^watched: a warning alarm tells nobody unless it escalates to critical, major, minor$/);
    expect(watched.compensation.why).toMatch(/^watched: a warning alarm pays nobody/);
    const kept = [
      step('affected-customers', ['C1', 'C2']),
      step('notice-first-0', { executed: ['C1', 'C2'], pending: [], refused: 0, failed: 0 }),
      step('compensation-0', { executed: [], pending: ['C1'], refused: 1, failed: 0, why: { C1: { status: 'pending-approval', reason: 'over 10 to this customer in 30 days' }, C2: { status: 'refused', reason: "rule credits-left: the customer has left" } } }),
    ];
    const [c1, c2] = incidentCustomers(alarm('critical'), { status: 'waiting', steps: kept }, settings);
    expect(c1.compensation).toEqual({ state: 'waiting', why: 'waiting for a person: over 10 to this customer in 30 days' });
    expect(c2.compensation).toEqual({ state: 'not-sent', why: "refused by policy: rule credits-left: the customer has left" });
  });
});
