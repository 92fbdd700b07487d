import { describe, expect, it } from 'vitest';
import { acceptedRequest, type DecisionActionRequest } from './decision-action.js';

const request = (channel: DecisionActionRequest['channel']): DecisionActionRequest => ({
  id: 'd1:data-bonus',
  actionClass: 'offer',
  channel,
  customerId: 'C1',
  expiresAt: 1,
  params: { offerId: 'data-bonus', decisionId: 'd1' },
  why: { summary: 'next-best-action data-bonus for C1' },
});
const person = { kind: 'human' as const, id: 'alice' };

describe("the customer's yes", () => {
  it('is recorded for a person in a contact they hold with the customer (call, chat, store)', () => {
    for (const channel of ['call', 'chat', 'store'] as const) expect(acceptedRequest(request(channel), person).customerAccepted).toBe(true);
  });

  it('is not recorded with nobody on the line: a decision made on the web or the app is presented for the customer to answer', () => {
    for (const channel of ['web', 'app'] as const) {
      const r = acceptedRequest(request(channel), person);
      expect(r.customerAccepted).toBeUndefined();
      expect(r.expiresAt).toBeUndefined();
    }
  });

  it('is refused from an automated caller, saying who may record it', () => {
    expect(() => acceptedRequest(request('call'), { kind: 'agent', id: 'llm' })).toThrow(/^only a person serving the customer records their yes/);
  });
});
