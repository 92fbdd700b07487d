import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../store/workflow-journal.js';
import type { RequestStanding } from '../governance/guarded-executor.js';
import type { ReceivedAlarm } from './alarm-inbox.js';
import { serviceOperationsView } from './service-operations-view.js';
import { DEFAULT_SERVICE_OPS_POLICY } from './service-ops-policy.js';
import { serviceOpsSettings } from './service-ops-settings.js';

const T = Date.parse('2026-11-10T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const alarm = (id: string, cell: string, raised: number, cleared?: number): ReceivedAlarm => ({
  id,
  alarmType: 'qualityOfServiceAlarm',
  perceivedSeverity: 'major',
  probableCause: 'performanceDegraded',
  alarmedObject: { id: cell, '@referredType': 'Cell' },
  raisedTime: iso(raised),
  state: cleared === undefined ? 'raised' : 'cleared',
  ...(cleared === undefined ? {} : { clearedTime: iso(cleared) }),
  sourceSystemId: 'nms',
  externalAlarmId: 'X-' + id,
  reportingTime: iso(raised + 60_000),
  changedTime: iso(cleared ?? raised),
});
const settings = serviceOpsSettings(DEFAULT_SERVICE_OPS_POLICY, { quietSpellMs: 6 * 3_600_000, chainReachMs: 86_400_000 });
const step = (key: string, output: unknown, at: number): StepRecord => ({ key, stepId: key, stepVersion: 1, status: 'succeeded', attempts: 1, output: JSON.stringify(output), error: null, dueAt: null, updatedAt: at });
const batch = (executed: string[]) => ({ executed, pending: [], refused: 0, failed: 0 });

describe('the service-operations view', () => {
  it("reads each alarm's treatment from its run's steps, links the anomalies on its cell or site, and totals them", async () => {
    const runs = new Map([
      [
        'alarm-1',
        {
          status: 'succeeded',
          steps: [step('affected-customers', ['C1', 'C2', 'C3'], T + 61_000), step('notice-first-0', batch(['C1', 'C2']), T + 90_000), step('notice-0', batch(['C3']), T + 95_000),
            // A later look found C4 showing the incident (and C2 again): told then, compensated after the first round.
            step('showing-0', [], T + 96_000),
            step('showing-1', ['C4', 'C2'], T + 16 * 60_000),
            step('notice-showing-1-0', batch(['C4']), T + 16 * 60_000 + 500),
            step('compensation-0', batch(['C1']), T + 5 * 3_600_000),
            step('compensation-later-0', batch(['C4']), T + 6 * 3_600_000),
            step('resolution-0', batch(['C1', 'C2', 'C3', 'C4']), T + 6 * 3_600_000),
          ],
        },
      ],
    ]);
    const calls = new Map([
      ['C1', [T - 3 * 3_600_000]],
      ['C2', [T + 30_000]],
      ['C3', [T + 2 * 3_600_000]],
    ]);
    const view = serviceOperationsView({
      alarms: { all: () => [alarm('alarm-1', 'cell-4', T, T + 6 * 3_600_000), alarm('alarm-2', 'cell-9', T + 3_600_000)] },
      run: async (id) => runs.get(id) ?? null,
      suspicions: () => [
        { id: 'anomaly-1', scope: 'Cell', objectId: 'cell-4', siteId: 'site-1', openedMs: T - 20 * 60_000, lastSignalMs: T },
        { id: 'anomaly-2', scope: 'Site', objectId: 'site-3', siteId: 'site-3', openedMs: T + 2 * 3_600_000, lastSignalMs: T + 2 * 3_600_000 },
        { id: 'anomaly-3', scope: 'Cell', objectId: 'cell-20', siteId: 'site-6', openedMs: T, lastSignalMs: T },
        // Found in a history loaded later: no alarm here could follow it, so it is not counted as one without an alarm.
        { id: 'anomaly-4', scope: 'Cell', objectId: 'cell-30', siteId: 'site-9', openedMs: T - 90 * 86_400_000, lastSignalMs: T - 90 * 86_400_000, history: true },
      ],
      cellsOfSite: (site) => (site === 'site-3' ? ['cell-9', 'cell-10', 'cell-11'] : []),
      // C2 called before its notice (T + 90 s), C3 after its own (T + 95 s); C1's call long before the first sign is not about it.
      firstContact: (c, from, to) => [...(calls.get(c) ?? [])].find((t) => t >= from && t <= to) ?? null,
      settings,
    });
    const { summary, items, settings: inForce } = await view.incidents();
    // The settings the flows run on are answered with the incidents, as given.
    expect(inForce).toEqual(settings);
    expect(items.map((i) => i.alarmId)).toEqual(['alarm-2', 'alarm-1']);
    const [open, done] = items;
    expect(done).toMatchObject({
      affectedCustomers: ['C1', 'C2', 'C3', 'C4'],
      notifiedCustomers: ['C1', 'C2', 'C3', 'C4'],
      compensatedCustomers: ['C1', 'C4'],
      resolutionNotices: 4,
      timeToDetectMs: 60_000,
      timeToFirstNoticeMs: 90_000,
      timeToRepairMs: 6 * 3_600_000,
      runStatus: 'succeeded',
      anomalyIds: ['anomaly-1'],
      anomalyLeadMs: 20 * 60_000,
      detectedBy: 'anomaly',
      detectedTime: iso(T - 20 * 60_000),
      contactedCustomers: 2,
      notifiedBeforeContact: 1,
      notifiedBeforeContactShare: 0.5,
    });
    // Not acted on yet; the site's suspicion after its raise is linked to the cell's alarm (lead negative).
    expect(open).toMatchObject({ runStatus: 'none', affectedCustomers: [], timeToFirstNoticeMs: null, timeToRepairMs: null, anomalyIds: ['anomaly-2'], anomalyLeadMs: -3_600_000, detectedBy: 'alarm', detectedTime: iso(T + 3_600_000 + 60_000), contactedCustomers: 0, notifiedBeforeContactShare: null });
    expect(summary).toMatchObject({ incidents: 2, actedOn: 1, affected: 4, notified: 4, compensated: 2, mttrMs: 6 * 3_600_000, anomalies: 4, anomaliesInHistory: 1, anomaliesWithoutAlarm: 1, contactedCustomers: 2, notifiedBeforeContactShare: 0.5 });
    expect((await view.incidents({ limit: 1 })).items).toHaveLength(1);
  });

  it('says why each affected customer not told was not told, per alarm, the counts adding up to the affected less the notified', async () => {
    const told = {
      executed: ['C1'],
      pending: ['C4'],
      refused: 2,
      failed: 0,
      why: {
        C2: { status: 'refused', reason: 'no consent to service messages' },
        C3: { status: 'refused', reason: 'no consent to service messages' },
        C4: { status: 'pending-approval', reason: 'a vulnerable customer: a person decides' },
      },
    };
    const over = { executed: [], pending: [], refused: 0, failed: 0, over: 1, why: { C5: { status: 'over', reason: 'the alarm cleared before this notice went' } } };
    const run = { status: 'succeeded', steps: [step('affected-customers', ['C1', 'C2', 'C3', 'C4', 'C5'], T + 61_000), step('notice-first-0', told, T + 90_000), step('notice-0', over, T + 95_000)] };
    const view = serviceOperationsView({ alarms: { all: () => [alarm('alarm-3', 'cell-4', T, T + 3_600_000)] }, run: async () => run, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings });
    const [item] = (await view.incidents()).items;
    expect(item.notNotified).toEqual([
      { state: 'not-sent', why: 'refused by policy: no consent to service messages', customers: 2 },
      { state: 'waiting', why: 'waiting for a person: a vulnerable customer: a person decides', customers: 1 },
      { state: 'not-sent', why: 'the outage was over: the alarm cleared before this notice went', customers: 1 },
    ]);
    expect(item.notNotified.reduce((n, r) => n + r.customers, 0)).toBe(item.affectedCustomers.length - item.notifiedCustomers.length);
    // The totals say the same reasons, and count the alarm as acted on: its run told someone.
    expect((await view.incidents()).summary).toMatchObject({ actedOn: 1, affected: 5, notified: 1, notNotified: item.notNotified });
  });

  it('says a warning\'s run only watches (its customers listed, nobody told), and an escalated one acts', async () => {
    const warned = { ...alarm('alarm-5', 'cell-4', T), perceivedSeverity: 'warning' as const };
    const escalated = { ...alarm('alarm-6', 'cell-5', T), perceivedSeverity: 'major' as const, state: 'updated' as const };
    const watching = { status: 'waiting', steps: [step('affected-customers', ['C1', 'C2'], T + 61_000)] };
    const view = serviceOperationsView({ alarms: { all: () => [warned, escalated] }, run: async () => watching, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings });
    const { items } = await view.incidents();
    expect(items.find((i) => i.alarmId === 'alarm-5')).toMatchObject({ watch: true, runStatus: 'waiting', affectedCustomers: ['C1', 'C2'], notifiedCustomers: [] });
    expect(items.find((i) => i.alarmId === 'alarm-6')).toMatchObject({ watch: false });
    // Two alarms, neither told or paid anyone yet: the watched warning tells nobody, the escalated one has not reached anyone.
    expect((await view.incidents()).summary).toMatchObject({ incidents: 2, actedOn: 0 });
    // Before warnings were watched, a warning had no run: nothing is said to watch it.
    const before = serviceOperationsView({ alarms: { all: () => [warned] }, run: async () => null, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings });
    expect((await before.incidents()).items[0]).toMatchObject({ watch: false, runStatus: 'none' });
  });

  it('judges watch and what is owed on the severity in force when the run heard it, not on today\'s', async () => {
    const H = 3_600_000;
    const sev = (...h: [ReceivedAlarm['perceivedSeverity'], number][]) => h.map(([perceivedSeverity, at]) => ({ perceivedSeverity, fromTime: iso(at) }));
    // Raised major, acted on (told C1), then dropped to warning: its run still acts, and pays as major.
    const dropped: ReceivedAlarm = { ...alarm('alarm-7', 'cell-4', T), perceivedSeverity: 'warning', state: 'updated', severities: sev(['major', T], ['warning', T + H]) };
    // Raised warning and made major a minute ago: its run has not heard it yet, so it still only watches.
    const raisedUp: ReceivedAlarm = { ...alarm('alarm-8', 'cell-5', T), perceivedSeverity: 'major', state: 'updated', severities: sev(['warning', T], ['major', T + 2 * H]) };
    const runs = new Map([
      ['alarm-7', { status: 'waiting', input: { alarm: { perceivedSeverity: 'major' } }, steps: [step('affected-customers', ['C1'], T + 61_000), step('notice-first-0', batch(['C1']), T + 90_000)] }],
      ['alarm-8', { status: 'waiting', input: { alarm: { perceivedSeverity: 'warning' } }, steps: [step('affected-customers', ['C2'], T + 61_000)] }],
    ]);
    const view = serviceOperationsView({ alarms: { all: () => [dropped, raisedUp] }, run: async (id) => runs.get(id) ?? null, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings });
    const { items } = await view.incidents();
    expect(items.find((i) => i.alarmId === 'alarm-7')).toMatchObject({ watch: false, actingSeverity: 'major', perceivedSeverity: 'warning', severities: sev(['major', T], ['warning', T + H]) });
    expect(items.find((i) => i.alarmId === 'alarm-8')).toMatchObject({ watch: true, actingSeverity: null, severities: sev(['warning', T], ['major', T + 2 * H]) });
    const [c1] = (await view.incident('alarm-7')).customers;
    expect(c1.notice.state).toBe('sent');
    // Owed as a major outage (5 after 4 h), not "watched" nor "a warning is not compensated".
    expect(c1.compensation).toEqual({ state: 'not-yet', why: 'decided once the outage has lasted past 4 h, or at its clear' });
    expect((await view.incident('alarm-8')).customers[0].notice.why).toMatch(/^watched: a warning alarm tells nobody/);
    // Once the run has heard it (version 6 journals its judgement), it acts as major from the escalation.
    runs.get('alarm-8')!.steps.push({ ...step('severity-0', { severity: 'major', fromMs: T + 2 * H, outageFromMs: T + 2 * H }, T + 2 * H), stepId: 'severity' });
    expect((await view.incidents()).items.find((i) => i.alarmId === 'alarm-8')).toMatchObject({ watch: false, actingSeverity: 'major' });
    expect((await view.incident('alarm-8')).customers[0].compensation.why).toBe('decided once the outage has lasted past 4 h from its escalation, or at its clear');
    // Paid major's amount, then made critical: the difference waiting for a person is said, not "sent".
    const pending = { executed: [], pending: ['C2'], refused: 0, failed: 0, why: { C2: { status: 'pending-approval', reason: 'above the daily payout a person approves' } } };
    runs.get('alarm-8')!.steps.push(
      { ...step('compensation-0', batch(['C2']), T + 7 * H), stepId: 'compensation' },
      { ...step('severity-1', { severity: 'critical', fromMs: T + 8 * H, outageFromMs: T + 2 * H }, T + 8 * H), stepId: 'severity' },
      { ...step('compensation-uplift-critical-5-0', pending, T + 8 * H), stepId: 'compensation' },
    );
    expect((await view.incident('alarm-8')).customers[0].compensation).toEqual({ state: 'waiting', why: 'paid at an earlier severity; the difference for critical: waiting for a person: above the daily payout a person approves' });
    expect((await view.incidents()).items.find((i) => i.alarmId === 'alarm-8')).toMatchObject({ actingSeverity: 'critical', compensatedCustomers: ['C2'] });
  });

  it('shows the top-ups after an escalation and the credit paid per incident, payments and top-ups together, for finance', async () => {
    const H = 3_600_000;
    const raised = (executed: string[], amount?: number) => ({ ...batch(executed), ...(amount === undefined ? {} : { amount }) });
    const made: ReceivedAlarm = { ...alarm('alarm-9', 'cell-4', T, T + 9 * H), perceivedSeverity: 'critical' };
    // Major's 5 to C1, C2 and C3, then critical: the difference (5) to C1 and C2 (C3's failed), and critical's 10 to C4 found later.
    const steps = [
      step('affected-customers', ['C1', 'C2', 'C3', 'C4'], T + 61_000),
      { ...step('severity-0', { severity: 'major', fromMs: T, outageFromMs: T }, T), stepId: 'severity' },
      { ...step('compensation-0', raised(['C1', 'C2', 'C3'], 5), T + 4 * H), stepId: 'compensation' },
      { ...step('severity-1', { severity: 'critical', fromMs: T + 5 * H, outageFromMs: T }, T + 5 * H), stepId: 'severity' },
      { ...step('compensation-uplift-critical-5-0', { ...raised(['C1', 'C2'], 5), failed: 1, why: { C3: { status: 'failed', reason: 'billing down' } } }, T + 5 * H), stepId: 'compensation' },
      { ...step('compensation-later-0', raised(['C4'], 10), T + 9 * H), stepId: 'compensation' },
    ];
    // The same run journaled before batches kept their credit: read from the settings (major 5, critical 10).
    const unkept = steps.map((s) => (s.output && /^compensation/.test(s.key) ? { ...s, output: JSON.stringify({ ...JSON.parse(s.output), amount: undefined }) } : s));
    const runs = new Map([
      ['alarm-9', { status: 'succeeded', steps }],
      ['alarm-10', { status: 'succeeded', steps: unkept }],
    ]);
    const view = serviceOperationsView({ alarms: { all: () => [made, { ...made, id: 'alarm-10' }] }, run: async (id) => runs.get(id) ?? null, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings });
    const { items, summary } = await view.incidents();
    for (const i of items) expect(i).toMatchObject({ compensatedCustomers: ['C1', 'C2', 'C3', 'C4'], compensationRaisedCustomers: ['C1', 'C2'], compensationPaid: 3 * 5 + 2 * 5 + 10 });
    expect(summary.compensationPaid).toBe(2 * 35);
    // A top-up from a decimal amount paid before is read too (the key says 2.5).
    runs.set('alarm-10', { status: 'succeeded', steps: [{ ...step('compensation-0', batch(['C1']), T + 4 * H), stepId: 'compensation' }, { ...step('compensation-uplift-critical-2.5-0', batch(['C1']), T + 5 * H), stepId: 'compensation' }] });
    const decimal = (await view.incidents()).items.find((i) => i.alarmId === 'alarm-10');
    expect(decimal).toMatchObject({ compensationRaisedCustomers: ['C1'], compensationPaid: 10 });
  });

  it("reads a payment the run left waiting for a person as what became of it since: approved and paid, approved and not carried out yet (committed, not paid), rejected, failed after the approval, or still waiting", async () => {
    const reason = { status: 'pending-approval', reason: 'above 4' };
    const held = { executed: ['C1'], pending: ['C2', 'C3', 'C4', 'C5', 'C6'], refused: 0, failed: 0, amount: 5, why: { C2: reason, C3: reason, C4: reason, C5: reason, C6: reason } };
    // The run went on an earlier alarm: its asks are under that incident's ids.
    const run = { status: 'succeeded', input: { continues: 'alarm-1' }, steps: [step('affected-customers', ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'], T), { ...step('compensation-0', held, T + 4 * 3_600_000), stepId: 'compensation' }] };
    const now = new Map<string, RequestStanding>([
      ['alarm-1:compensation:C2', { status: 'executed', reason: 'done' }],
      ['alarm-1:compensation:C3', { status: 'failed', reason: 'the action failed: billing down' }],
      ['alarm-1:compensation:C4', { status: 'pending-approval', reason: 'waiting for a person since 2026-11-10T14:00:00.000Z' }],
      // Approved, its act failed for now: committed, not paid (statusOf alone read it as waiting for a person).
      ['alarm-1:compensation:C5', { status: 'pending-approval', reason: 'approved by supervisor-1 at 2026-11-10T15:00:00.000Z, not carried out yet: the back end failed it, or a crash cut it short', approvedBy: 'supervisor-1' }],
      ['alarm-1:compensation:C6', { status: 'refused', reason: 'rejected by supervisor-1: not on the cell' }],
    ]);
    const view = serviceOperationsView({ alarms: { all: () => [alarm('alarm-3', 'cell-4', T, T + 5 * 3_600_000)] }, run: async () => run, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings, standingOf: async (id) => now.get(id) ?? null });
    const { incident, customers } = await view.incident('alarm-3');
    expect(incident).toMatchObject({ compensatedCustomers: ['C1', 'C2'], compensationPaid: 10, compensationApproved: 5 });
    expect((await view.incidents()).summary).toMatchObject({ compensationPaid: 10, compensationApproved: 5 });
    expect(customers.map((c) => c.compensation.state)).toEqual(['sent', 'sent', 'not-sent', 'waiting', 'waiting', 'not-sent']);
    expect(customers[2].compensation.why).toBe('failed: approved by a person after the run asked, then the back end failed it');
    expect(customers[3].compensation.why).toMatch(/^waiting for a person: /);
    expect(customers[4].compensation.why).toMatch(/^approved by supervisor-1 at .*, not carried out yet/);
    expect(customers[5].compensation.why).toBe('refused by policy: decided after the run asked: rejected by supervisor-1: not on the cell');
  });

  it("reads a held payment the run asked under its own alarm's id (the incident's id held by another alarm's failed ask) there, not as the other alarm's", async () => {
    // C2 asked under alarm-3's own id (alarm-1's ask for C2 failed, then a person approved and paid it
    // there); C3 under the incident's. A batch kept before `underAlarm` was: looked up under both.
    const held = (underAlarm?: string[]) => ({ executed: [], pending: ['C2', 'C3'], refused: 0, failed: 0, amount: 5, ...(underAlarm ? { underAlarm } : {}) });
    const runOf = (underAlarm?: string[]) => ({ status: 'succeeded', input: { continues: 'alarm-1' }, steps: [step('affected-customers', ['C2', 'C3'], T), { ...step('compensation-0', held(underAlarm), T + 4 * 3_600_000), stepId: 'compensation' }] });
    const now = new Map<string, RequestStanding>([['alarm-1:compensation:C2', { status: 'executed', reason: 'done' }], ['alarm-3:compensation:C2', { status: 'pending-approval', reason: 'waiting' }], ['alarm-1:compensation:C3', { status: 'executed', reason: 'done' }]]);
    for (const run of [runOf(['C2']), runOf()]) {
      const view = serviceOperationsView({ alarms: { all: () => [alarm('alarm-3', 'cell-4', T, T + 5 * 3_600_000)] }, run: async () => run, suspicions: () => [], cellsOfSite: () => [], firstContact: () => null, settings, standingOf: async (id) => now.get(id) ?? null });
      const { incident, customers } = await view.incident('alarm-3');
      // alarm-1's payment to C2 is not this alarm's: C2's waits for a person, and only C3's 5 is counted.
      expect(incident).toMatchObject({ compensatedCustomers: ['C3'], compensationPaid: 5 });
      expect(customers.map((c) => c.compensation.state)).toEqual(['waiting', 'sent']);
    }
  });
});
