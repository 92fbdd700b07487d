import { describe, expect, it } from 'vitest';
import { actionCostText, outcomeText } from './audit-outcome';

describe("the Audit page's outcome", () => {
  it('reads as words, status first, not as raw JSON', () => {
    expect(outcomeText({ cost: 0.05, status: 'executed', externalRef: 'sms-1' })).toBe('executed · cost 0.05 · external ref sms-1');
    expect(outcomeText({ reason: 'quiet hours', detail: { until: '08:00' }, skipped: null })).toBe('reason quiet hours · detail: until 08:00');
  });

  it('reads a nested detail in words too, not as JSON', () => {
    expect(outcomeText({ status: 'sent', detail: { notificationId: 'NTF-1826', channel: 'sms' } })).toBe('sent · detail: notification id NTF-1826, channel sms');
    expect(outcomeText({ detail: { steps: [{ id: 's1', ok: true }], tags: ['a', 'b'], empty: {} } })).toBe('detail: steps ((id s1, ok true)), tags (a, b), empty (none)');
  });

  it('reads a time kept in milliseconds as a time, not as the number', () => {
    expect(outcomeText({ status: 'pending-approval', expiresAt: 1796661193519 })).toBe('pending-approval · expires at 2026-12-07 16:33 UTC');
    expect(outcomeText({ detail: { decidedAt: 1796661193519, attempts: 3 } })).toBe('detail: decided at 2026-12-07 16:33 UTC, attempts 3');
  });

  it("says beside the action the cost charged, not the 0 a message was asked at", () => {
    expect(actionCostText({ cost: 0 }, { status: 'executed', cost: 0.05 })).toBe('cost 0.05');
    expect(actionCostText({ cost: 80 }, undefined)).toBe('cost 80.00 asked');
    expect(actionCostText({}, undefined)).toBe('');
  });
});
