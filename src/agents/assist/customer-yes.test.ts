import { describe, expect, it } from 'vitest';
import { interactionInProgress, UNSEEN_END_MS, type CustomerContext } from '../../twin/customer-context.js';
import { customerYes } from './customer-yes.js';

const T = Date.UTC(2026, 11, 6, 10, 0);
const MIN = 60_000;
const carla = { id: 'carla', role: 'care_agent', servesCustomers: true };
const decision = { decisionId: 'd1', customerId: 'C1', channel: 'call' as const, at: T + 2 * MIN };
/** C1's context with a call started at `startedAt` (ms), in `phase`, read at `now` (the context's one rule, interactionInProgress). */
const onCall = (startedAt: number, phase: 'start' | 'update' | 'end', at = startedAt, now = at): CustomerContext => {
  const endsBy = startedAt + UNSEEN_END_MS;
  const call = { intent: 'billing_question', phase, context: {}, at: new Date(at).toISOString(), startedAt: new Date(startedAt).toISOString(), endsBy: new Date(endsBy).toISOString() };
  return { customerId: 'C1', updatedAt: new Date(at).toISOString(), channels: { call: { ...call, inProgress: interactionInProgress({ phase, endsBy }, now) } }, timeline: [] };
};

describe("the customer's yes (a person on the line, decision 0050)", () => {
  it('is recorded for a care agent while the call the decision was made in is in progress', () => {
    for (const phase of ['start', 'update'] as const) {
      expect(customerYes({ by: carla, decision, context: onCall(T, phase, T + MIN) })).toEqual({ recorded: true, reason: "the customer's yes, recorded by carla on the call in progress since 2026-12-06T10:00:00.000Z" });
    }
  });

  it('is not recorded once that call has ended: the offer is presented, saying when the call ended', () => {
    expect(customerYes({ by: carla, decision, context: onCall(T, 'end', T + 5 * MIN) })).toEqual({
      recorded: false,
      reason: "C1's call (started 2026-12-06T10:00:00.000Z) ended at 2026-12-06T10:05:00.000Z: the offer is presented for the customer to answer, not booked as their yes",
    });
  });

  it('is not recorded with no call in progress (a card opened by id after the call), nor in a call that began after the decision', () => {
    const none: CustomerContext = { customerId: 'C1', updatedAt: null, channels: {}, timeline: [] };
    expect(customerYes({ by: carla, decision, context: none }).reason).toBe('no call of C1 is in progress (decision d1 was made on call at 2026-12-06T10:02:00.000Z): the offer is presented for the customer to answer, not booked as their yes');
    const later = customerYes({ by: carla, decision, context: onCall(T + 3 * MIN, 'start') });
    expect(later).toEqual({ recorded: false, reason: "decision d1 was made at 2026-12-06T10:02:00.000Z, before the call in progress began (2026-12-06T10:03:00.000Z): not in this contact, so the offer is presented for the customer to answer, not booked as their yes" });
  });

  it('is not recorded for a role that serves no customer, nor on a channel with nobody on the line', () => {
    expect(customerYes({ by: { id: 'mia', role: 'marketer', servesCustomers: false }, decision, context: onCall(T, 'start') }).recorded).toBe(false);
    expect(customerYes({ by: carla, decision: { ...decision, channel: 'web' }, context: onCall(T, 'start') }).reason).toBe('decision d1 was made on web, where nobody is on the line: the offer is presented for the customer to answer, not booked as their yes');
  });

  it("for a card's decision, follows the card's own call: none for a card opened with no call; over once it ended, another began, or the context no longer holds it", () => {
    const card = { channel: 'call' as const, startedAt: T };
    const none: CustomerContext = { customerId: 'C1', updatedAt: null, channels: {}, timeline: [] };
    expect(customerYes({ by: carla, decision, context: onCall(T, 'start'), madeIn: { channel: 'call', startedAt: null } })).toEqual({ recorded: false, reason: 'decision d1 was made on a card opened with no call of C1 in progress: the offer is presented for the customer to answer, not booked as their yes' });
    expect(customerYes({ by: carla, decision, context: onCall(T, 'start'), madeIn: card }).recorded).toBe(true);
    // The context holds a call while it is in progress: one it no longer holds is over (it once read "no end of it seen" and booked the yes).
    expect(customerYes({ by: carla, decision, context: none, madeIn: card })).toEqual({ recorded: false, reason: 'no call of C1 is in progress (the call decision d1 was made in, begun 2026-12-06T10:00:00.000Z, is over): the offer is presented for the customer to answer, not booked as their yes' });
    expect(customerYes({ by: carla, decision, context: onCall(T, 'end', T + 5 * MIN), madeIn: card }).recorded).toBe(false);
    expect(customerYes({ by: carla, decision, context: onCall(T + MIN, 'start'), madeIn: card }).reason).toBe("decision d1 was made in C1's call of 2026-12-06T10:00:00.000Z, before the call in progress began (2026-12-06T10:01:00.000Z): not in this contact, so the offer is presented for the customer to answer, not booked as their yes");
  });

  it('is not recorded on a call whose end was never seen once it is 2 h old, the card\'s or another decision\'s: the one rule the desktop shows', () => {
    const card = { channel: 'call' as const, startedAt: T };
    const justBefore = onCall(T, 'start', T, T + UNSEEN_END_MS - 1);
    expect(customerYes({ by: carla, decision, context: justBefore }).recorded).toBe(true);
    expect(customerYes({ by: carla, decision, context: justBefore, madeIn: card }).recorded).toBe(true);
    const twoHoursOn = onCall(T, 'start', T, T + UNSEEN_END_MS);
    const reason = "C1's call (started 2026-12-06T10:00:00.000Z) counts as ended at 2026-12-06T12:00:00.000Z, no end of it seen by then: the offer is presented for the customer to answer, not booked as their yes";
    expect(customerYes({ by: carla, decision, context: twoHoursOn })).toEqual({ recorded: false, reason });
    expect(customerYes({ by: carla, decision, context: twoHoursOn, madeIn: card })).toEqual({ recorded: false, reason });
  });
});
