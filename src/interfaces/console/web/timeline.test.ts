import { describe, expect, it } from 'vitest';
import { describeEvent, presentedByRequest, timelineEntry, type TimelineItem } from './timeline';

/**
 * The customer timeline's lines for what the operator did and what came of it (docs/events.md:
 * `action`, `offer`, `outcome`): each names what ties it to the others, and an outcome says when
 * the customer left, not the horizon's length as if they had left at its end.
 */
describe('describeEvent', () => {
  const flowRequest = 'churn-prevention-2026-12-06-08-00:offer-C003636';

  it("says when a customer who churned within an action's horizon left, and how soon after the action", () => {
    const line = describeEvent('outcome', { requestId: 'dec-42:retain-10', decisionId: 'dec-42', actionClass: 'discount', result: 'churned', horizonDays: 90, actedAt: '2026-03-02T14:12:00.000Z', churnedAt: '2026-03-16T09:00:00.000Z' });
    expect(line).toBe('outcome of the discount of 2026-03-02 14:12 UTC: churned on 2026-03-16 09:00 UTC, 14 days after it (within its 90-day horizon) (decision dec-42)');
    expect(line).not.toContain('after 90 days');
    const soon = (churnedAt: string) => describeEvent('outcome', { decisionId: 'dec-43', actionClass: 'offer', result: 'churned', horizonDays: 90, actedAt: '2026-03-02T14:12:00.000Z', churnedAt });
    expect(soon('2026-03-02T20:00:00.000Z')).toContain(', within hours of it (');
    expect(soon('2026-03-03T15:00:00.000Z')).toContain(', 1 day after it (');
  });

  it('says that a customer who stayed stayed through the whole horizon, against the request when no decision led to it', () => {
    expect(describeEvent('outcome', { requestId: flowRequest, actionClass: 'offer', result: 'stayed', horizonDays: 90, actedAt: '2026-12-06T08:03:57.600Z' })).toBe(
      `outcome of the offer of 2026-12-06 08:03 UTC: stayed through the 90 days after it (request ${flowRequest})`,
    );
  });

  it("ties an action and the customer's answers to it by the decision, else by the request", () => {
    expect(describeEvent('action', { requestId: 'dec-7:data-bonus', decisionId: 'dec-7', actionClass: 'offer', channel: 'app', status: 'presented', offerId: 'data-bonus', amount: 3 })).toBe('action offer data-bonus presented on app, 3.00 (decision dec-7)');
    expect(describeEvent('action', { requestId: flowRequest, actionClass: 'offer', channel: 'app', status: 'presented', offerId: 'data-bonus', amount: 3 })).toBe(`action offer data-bonus presented on app, 3.00 (request ${flowRequest})`);
    expect(describeEvent('offer', { action: 'declined', offerId: 'data-bonus', channel: 'app', requestId: flowRequest })).toBe(`offer data-bonus declined on app (request ${flowRequest})`);
    expect(describeEvent('offer', { action: 'declined', offerId: 'data-bonus', channel: 'app', decisionId: 'dec-7', requestId: 'dec-7:data-bonus' })).toBe('offer data-bonus declined on app (decision dec-7)');
    // The customer's yes a care agent recorded on the call names the agent.
    expect(describeEvent('offer', { action: 'accepted', offerId: 'data-bonus', channel: 'call', decisionId: 'dec-8', by: 'alice' })).toBe('offer data-bonus accepted on call, recorded by alice (decision dec-8)');
  });

  it('says what an accepted discount was and the amount its acceptance booked, not "presented, 0.00"', () => {
    const request = 'act-28c36448';
    const presentedData = { requestId: request, actionClass: 'discount', channel: 'app', status: 'presented', offerId: 'retain-10', amount: 0, onAcceptance: 61.8, discountPct: 10, ref: 'DLV-23' };
    const items: TimelineItem[] = [
      { seq: 1, kind: 'action', time: '2027-01-04T18:58:22.800Z', event: { id: `action:${request}:presented`, data: presentedData } },
      { seq: 2, kind: 'offer', time: '2027-01-04T18:58:22.800Z', event: { id: 'o-2', data: { action: 'accepted', offerId: 'retain-10', channel: 'app', requestId: request } } },
    ];
    expect(describeEvent('action', presentedData)).toBe(`action discount retain-10 presented on app: 10 % off, 61.80 if accepted (request ${request})`);
    const presented = presentedByRequest(items).get(request);
    expect(describeEvent('offer', items[1].event.data, presented)).toBe(`offer retain-10 accepted on app: discount, 10 % off, 61.80 booked on acceptance (request ${request})`);
    // A decline books nothing: no amount on its line.
    expect(describeEvent('offer', { ...items[1].event.data, action: 'declined' }, presented)).toBe(`offer retain-10 declined on app (request ${request})`);
    // An offer paid in part at presentation says both parts.
    expect(describeEvent('action', { ...presentedData, actionClass: 'offer', discountPct: undefined, amount: 2, onAcceptance: 15 })).toBe(`action offer retain-10 presented on app: 2.00 at presentation, 15.00 if accepted (request ${request})`);
  });

  it('says which plans a plan change moved between, at what prices, and what it does to the monthly bill', () => {
    const data = { requestId: 'tmf622-o1', actionClass: 'plan_change', channel: 'web', status: 'delivered', amount: 5, planChange: { fromPlanId: 'fibre-m', fromMonthlyPrice: 80, toPlanId: 'dsl-l', toMonthlyPrice: 75, monthlyDifference: -5 }, ref: 'ORD-9' };
    expect(describeEvent('action', data)).toBe('action plan_change delivered on web: fibre-m (80.00 a month) to dsl-l (75.00 a month): the customer pays 5.00 a month less (request tmf622-o1)');
  });

  it('names the channel a message went out on, and the contact it was decided in (a check-in accepted on a call and sent as an SMS read "delivered on call")', () => {
    const data = { requestId: 'd9:service-check-in', decisionId: 'd9', actionClass: 'communication', channel: 'call', status: 'delivered', offerId: 'service-check-in', amount: 0.5, notificationChannel: 'sms', purpose: 'care', ref: 'NTF-2462' };
    expect(describeEvent('action', data)).toBe('action communication service-check-in delivered by sms, decided on call, 0.50 (decision d9)');
  });

  it('groups the digits of a usage record', () => {
    expect(describeEvent('usage', { dataMb: 456976, voiceMin: 1200, sms: 3 })).toBe('usage 456,976 MB, 1,200 min, 3 SMS');
  });

  it('says each kind once: the label the page sets before the line is not its first word again ("offer offer data-bonus accepted")', () => {
    const entries: [string, Record<string, unknown>][] = [
      ['customer', { segment: 'consumer', billing: 'postpaid', contractMonths: 24, paymentMethod: 'autopay_card' }],
      ['subscription', { action: 'activated', productId: 'voice-s', monthlyPrice: 19.9 }],
      ['usage', { dataMb: 12, voiceMin: 3, sms: 1 }],
      ['bill', { billId: 'B-1', amount: 20, currency: 'EUR', periodStart: '2026-11-01', periodEnd: '2026-11-30' }],
      ['payment', { status: 'paid', amount: 20, billId: 'B-1' }],
      ['topup', { amount: 10, currency: 'EUR', purpose: 'bundle', method: 'card' }],
      ['ticket', { ticketId: 'T-1', action: 'opened', category: 'billing', severity: 'low' }],
      ['network_impact', { impact: 'degraded', severity: 'major', cellId: 'cell-1', incidentId: 'INC-1' }],
      ['interaction', { channel: 'call', intent: 'billing_question', phase: 'start' }],
      ['offer', { action: 'accepted', offerId: 'data-bonus', channel: 'call', decisionId: 'dec-8', by: 'alice' }],
      ['action', { requestId: 'dec-7:data-bonus', decisionId: 'dec-7', actionClass: 'offer', channel: 'app', status: 'presented', offerId: 'data-bonus', amount: 3 }],
      ['outcome', { decisionId: 'dec-7', actionClass: 'offer', result: 'stayed', horizonDays: 90, actedAt: '2026-12-06T08:03:57.600Z' }],
    ];
    for (const [kind, data] of entries) {
      const { label, text } = timelineEntry(kind, data);
      const first = label.split(' ')[0].replace(/-/g, '');
      expect(text.split(/[\s:]/)[0].replace(/-/g, ''), `${kind}: "${label} ${text}"`).not.toBe(first);
    }
    expect(timelineEntry('offer', entries[9][1])).toEqual({ label: 'offer', text: 'data-bonus accepted on call, recorded by alice (decision dec-8)' });
    expect(timelineEntry('action', entries[10][1])).toEqual({ label: 'action', text: 'offer data-bonus presented on app, 3.00 (decision dec-7)' });
    expect(timelineEntry('topup', entries[5][1]).label).toBe('top-up');
  });
});
