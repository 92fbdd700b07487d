import { describe, expect, it } from 'vitest';
import { ok, rejected, refusalSubjectOf, transient } from '../../domain/connectors/connector-result.js';
import type { ActionRequest, ExecuteVerdict } from '../../decisioning/policy/index.js';
import { connectorExecutor, outcomeOf } from './connector-executor.js';

describe('what a back end\'s final refusal is about', () => {
  it('reads it from the refusal\'s code: the customer, the offer, or not said', () => {
    expect(refusalSubjectOf('customer_not_active')).toBe('customer');
    expect(refusalSubjectOf('unknown_offer')).toBe('offer');
    expect(refusalSubjectOf('offer_withdrawn')).toBe('offer');
    expect(refusalSubjectOf('campaign_delivery_refused')).toBeUndefined();
    expect(outcomeOf(rejected('unknown_offer'), () => ({}))).toEqual({ ok: false, error: 'unknown_offer', detail: { retryable: false, reason: 'unknown_offer', about: 'offer' } });
    expect(outcomeOf(rejected('customer_not_active'), () => ({})).detail).toMatchObject({ retryable: false, about: 'customer' });
    expect(outcomeOf(rejected('campaign_delivery_refused'), () => ({})).detail).not.toHaveProperty('about');
    // A transient failure is no refusal: nothing is said of it.
    expect(outcomeOf(transient('unavailable'), () => ({})).detail).not.toHaveProperty('about');
    expect(outcomeOf(ok(1), () => ({}))).toEqual({ ok: true, detail: {} });
  });

  it('an offer with no back-end offer is refused about the offer, before any back end is asked', async () => {
    let delivered = 0;
    const none = () => Promise.reject(new Error('not asked'));
    const execute = connectorExecutor({
      campaignDelivery: { deliver: async () => (delivered++, rejected('unknown_offer')) },
      billingAdjustments: { credit: none, discount: none },
      orderManagement: { create: none, get: none, cancel: none },
      notifications: { send: none },
      resolveOffer: () => undefined,
    } as unknown as Parameters<typeof connectorExecutor>[0]);
    const request = { id: 'r1', actionClass: 'offer', channel: 'app', customerId: 'C1', params: { offerId: 'gone' }, actor: { kind: 'agent', id: 'a' }, why: {}, features: {} } as unknown as ActionRequest;
    const verdict = { verdict: 'execute', requestId: 'r1', cost: 0 } as unknown as ExecuteVerdict;
    const outcome = await execute(request, verdict);
    expect(outcome).toMatchObject({ ok: false, detail: { retryable: false, about: 'offer' } });
    expect(delivered).toBe(0);
  });
});
