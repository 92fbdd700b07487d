import { describe, expect, it } from 'vitest';
import { horizonEnd, validateIntentDraft } from './intent-schema.js';

describe('intent schema', () => {
  it('names the path of every invalid field', () => {
    const r = validateIntentDraft({ name: 'x', goal: 'conquer', horizon: { amount: 0, unit: 'months' }, intentExpectation: [], segment: { filters: [{ field: 'shoe_size', op: '>', value: 1 }] } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(['goal', 'horizon.amount', 'intentExpectation', 'segment.filters.0.field']);
  });

  it('fills defaults: approve mode, every channel, one contact', () => {
    const r = validateIntentDraft({ name: 'x', goal: 'retain', horizon: { amount: 1, unit: 'months' }, intentExpectation: [{ id: 'e', targetName: 'net_value', targetCondition: 'atLeast', targetValue: 0 }] });
    expect(r.ok && r.value).toMatchObject({ policyMode: 'approve', constraints: { maxContactsPerCustomer: 1, channels: ['sms', 'email', 'push', 'in_app', 'human_task'] }, segment: { named: [] } });
  });

  it('ends aligned horizons at the close of the month or quarter', () => {
    const from = Date.UTC(2025, 1, 10);
    expect(new Date(horizonEnd({ amount: 1, unit: 'months', alignTo: 'month_end' }, from)).toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(new Date(horizonEnd({ amount: 1, unit: 'months', alignTo: 'quarter_end' }, from)).toISOString()).toBe('2025-04-01T00:00:00.000Z');
    expect(new Date(horizonEnd({ amount: 14, unit: 'days' }, from)).toISOString()).toBe('2025-02-24T00:00:00.000Z');
  });
});
