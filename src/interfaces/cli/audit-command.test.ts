import { describe, expect, it } from 'vitest';
import { formatAuditRecord } from './audit-command.js';

describe('twinloop audit list', () => {
  it('says beside each time which clock it is on: the wall clock for a key made, the operator\'s for an action', () => {
    const line = (at: string, entry: Record<string, unknown>) => formatAuditRecord({ seq: 1, at: Date.parse(at), prevHash: '', hash: '', entry });
    expect(line('2026-12-07T19:00:00Z', { type: 'key.created', clock: 'wall', actor: { kind: 'human', id: 'admin' } })).toMatch(/^ {5}1 {2}2026-12-07T19:00:00\.000Z wall {6}key\.created/);
    expect(line('2025-03-01T00:00:00Z', { type: 'action.requested', actor: { kind: 'human', id: 'ann' } })).toMatch(/^ {5}1 {2}2025-03-01T00:00:00\.000Z operator {2}action\.requested/);
  });
});
