import { describe, expect, it } from 'vitest';
import { formatAuditRecord } from './audit-command.js';

describe('twinloop audit list', () => {
  it('says beside each time which clock it is on: the wall clock for a key made, the operator\'s for an action', () => {
    const line = (at: string, entry: Record<string, unknown>) => formatAuditRecord({ seq: 1, at: Date.parse(at), prevHash: '', hash: '', entry });
    expect(line('2026-12-07T19:00:00Z', { type: 'key.created', clock: 'wall', actor: { kind: 'human', id: 'admin' } })).toMatch(/^ {5}1 {2}2026-12-07T19:00:00\.000Z wall {6}key\.created/);
    expect(line('2025-03-01T00:00:00Z', { type: 'action.requested', actor: { kind: 'human', id: 'ann' } })).toMatch(/^ {5}1 {2}2025-03-01T00:00:00\.000Z operator {2}action\.requested/);
  });

  it("says the channel a message went out on beside the request's, as the campaign's variant names it", () => {
    // A campaign's variant a0-data-bonus-push read "offer/app" in the audit: its name and its channel disagreed.
    const record = (params: Record<string, unknown>) =>
      formatAuditRecord({ seq: 7, at: Date.UTC(2027, 0, 4, 10), prevHash: '', hash: '', entry: { type: 'action.executed', requestId: 'cmp:c1:C1', actor: { kind: 'agent', id: 'campaign-manager' }, action: { actionClass: 'offer', channel: 'app', customerId: 'C1', cost: 3, params }, why: { summary: 'campaign c1, variant a0-data-bonus-push' } } });
    expect(record({ notificationChannel: 'push', variantId: 'a0-data-bonus-push' })).toContain('offer/app via push C1 cost 3');
    expect(record({})).toContain('offer/app C1 cost 3');
  });
});
