import { describe, expect, it } from 'vitest';
import { approvalTitle } from './approval-title';

describe('approvalTitle', () => {
  it("names the offer of the request's params, the add-on, and the plan changed to", () => {
    expect(approvalTitle({ actionClass: 'discount', params: { offerId: 'retain-25', decisionId: 'd1' } })).toBe('discount retain-25');
    expect(approvalTitle({ actionClass: 'plan_change', params: { offerId: 'upgrade', planId: 'fibre-l' } })).toBe('plan_change upgrade to fibre-l');
    expect(approvalTitle({ actionClass: 'addon', params: { addonId: 'data-5gb' } })).toBe('addon data-5gb');
    expect(approvalTitle({ actionClass: 'credit', params: { amount: 40 } })).toBe('credit');
    expect(approvalTitle({})).toBe('action');
  });
});
