import { describe, expect, it } from 'vitest';
import { detectionText, formatAnomaly, leadText } from './service-ops-command.js';

describe('service-ops: when the first suspicion came against the raise', () => {
  it('reads a lead as time before the raise, and a suspicion after the raise as such, never a negative time before it', () => {
    expect(leadText(12 * 60_000)).toBe('12.0 min before the raise');
    expect(leadText(0)).toBe('0.0 min before the raise');
    expect(leadText(-6.3 * 60_000)).toBe('the first suspicion came 6.3 min after the raise');
  });

  it('says an alarm-told incident was raised by the network and reached us later, never "detected" after its raise', () => {
    const byAlarm = { detectedBy: 'alarm' as const, raisedTime: '2026-12-07T17:03:00.000Z', detectedTime: '2026-12-07T17:19:00.000Z', anomalyLeadMs: null };
    expect(detectionText(byAlarm)).toBe('raised 2026-12-07T17:03:00.000Z by the network, reached us 16.0 min later (2026-12-07T17:19:00.000Z)');
    expect(detectionText({ ...byAlarm, detectedTime: byAlarm.raisedTime })).toBe('raised 2026-12-07T17:03:00.000Z by the network, reached us at once');
    expect(detectionText({ detectedBy: 'anomaly', raisedTime: byAlarm.raisedTime, detectedTime: '2026-12-07T16:51:00.000Z', anomalyLeadMs: 12 * 60_000 })).toBe('detected 2026-12-07T16:51:00.000Z by anomaly detection (12.0 min before the raise)');
  });
});

describe('service-ops anomalies: one found in history', () => {
  it('reads closed, found in history, with nothing to review (not "not reviewed")', () => {
    const a = { id: 'anomaly-25', scope: 'Cell', objectId: 'cell-4', openedTime: '2026-11-05T02:59:50.000Z', state: 'closed', signal: 'bad-session-burst', signals: 4, expected: 0.0041, customers: ['C1', 'C2', 'C3'], history: true, review: null };
    expect(formatAnomaly(a)).toMatch(/closed \(found in history\) .* nothing to review: over before anyone could act$/);
    expect(formatAnomaly({ ...a, history: false, state: 'open' })).toMatch(/ not reviewed$/);
  });
});
