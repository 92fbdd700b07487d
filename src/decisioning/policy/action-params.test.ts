import { describe, expect, it } from 'vitest';
import { parseActionParams } from './action-params.js';

describe('action parameters', () => {
  it("checks a class's own fields, naming the missing one", () => {
    expect(parseActionParams('plan_change', {})).toEqual({ ok: false, problem: expect.stringContaining('params.planId') });
    expect(parseActionParams('plan_change', { planId: 'P-2' })).toMatchObject({ ok: true });
  });

  it("requires a message's purpose, naming the field: a message without one passed as care, which needs no marketing consent", () => {
    expect(parseActionParams('communication', { notificationChannel: 'sms', body: 'Special offer for you!' })).toEqual({ ok: false, problem: expect.stringMatching(/^params\.purpose: required/) });
    expect(parseActionParams('communication', { purpose: 'marketing' })).toEqual({ ok: true, params: { purpose: 'marketing', notificationChannel: 'sms' } });
  });

  it('takes an offering presented to the customer as an offer, whatever its class: its offer id, not its class fields', () => {
    expect(parseActionParams('plan_change', { offerId: 'upgrade', present: true, decisionId: 'd1' })).toEqual({ ok: true, params: { offerId: 'upgrade', present: true, decisionId: 'd1' } });
    expect(parseActionParams('plan_change', { present: true })).toEqual({ ok: false, problem: expect.stringContaining('params.offerId') });
  });
});
