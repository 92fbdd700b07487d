import { describe, expect, it } from 'vitest';
import { twinsDetail } from './twins-count';

describe('twinsDetail', () => {
  it('splits the twins into active customers, those who left, and those with no plan yet', () => {
    expect(twinsDetail({ twins: 24_550, risk: { scored: 19_232, churned: 5_318 } })).toBe('one per customer seen: 19,232 active, 5,318 churned (left)');
    expect(twinsDetail({ twins: 24_560, risk: { scored: 19_232, churned: 5_318 } })).toBe('one per customer seen: 19,232 active, 5,318 churned (left), 10 with no plan yet');
  });

  it('says the split comes with the live scores before a churn model serves', () => {
    expect(twinsDetail({ twins: 1_200, risk: null })).toMatch(/^one per customer seen, those who left included; active and churned are counted once a churn model serves$/);
  });
});
