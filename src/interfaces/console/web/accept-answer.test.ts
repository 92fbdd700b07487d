import { describe, expect, it } from 'vitest';
import { acceptAnswer } from './accept-answer';
import type { GuardedResult } from './types';

/**
 * The agent desktop says what the server answered an Accept (`POST /decisions/:id/accept`), as
 * these answers came from the small world's server: "Done" said nothing of whom an approval waits
 * for, of a repeat that did nothing, or of what was paid.
 */
describe('acceptAnswer', () => {
  const now = Date.parse('2026-12-06T20:19:17.294Z');

  it('says an action carried out was, with what it cost and its risk', () => {
    const r: GuardedResult = { status: 'executed', reason: 'rule "communications" sets autonomous for communication on call', requestId: 'd1:service-check-in', cost: 0.5, auditSeq: 51, verdict: { verdict: 'execute', mode: 'autonomous', riskClass: 'low', rule: 'communications' } };
    expect(acceptAnswer(r, 'Service check-in', now)).toBe('Done, carried out: rule "communications" sets autonomous for communication on call · cost 0.50 · low risk');
    expect(acceptAnswer({ ...r, cost: 0, onAcceptance: 61.8 }, 'Service check-in', now)).toContain('cost 0.00 now, 61.80 on the customer\'s acceptance');
  });

  it('says a repeated accept did nothing again', () => {
    const r: GuardedResult = { status: 'executed', reason: 'rule "communications" sets autonomous for communication on call', requestId: 'd1:service-check-in', cost: 0.5, repeated: true };
    expect(acceptAnswer(r, 'Service check-in', now)).toBe('Already done: this action was carried out before (request d1:service-check-in); nothing was done or charged again. rule "communications" sets autonomous for communication on call · cost 0.50');
  });

  it('says whom an approval waits for, until when and what then', () => {
    const r: GuardedResult = { status: 'pending-approval', reason: 'rule "plan-changes" sets approve for plan_change on call', requestId: 'd2:upgrade', approvalId: 'apr-f481', cost: 0, expiresAt: now + 48 * 3_600_000, onTimeout: 'reject', approvers: ['supervisor', 'admin'] };
    expect(acceptAnswer(r, 'Service check-in', now)).toBe('Waiting for approval by a supervisor or an admin (not you): approval apr-f481; times out in 48 h, then dropped. rule "plan-changes" sets approve for plan_change on call · cost 0.00');
    // Approved already, held by the customer's quiet hours: it waits for no person.
    expect(acceptAnswer({ ...r, approvers: undefined, notBefore: Date.parse('2026-12-07T08:00:00Z') }, 'Service check-in', now)).toMatch(/^Approved, waiting for the customer's quiet hours to end \(2026-12-07 08:00 UTC\)/);
  });

  it('says a refusal with its reason and guardrail, advice, and a failure with whether to try again', () => {
    expect(acceptAnswer({ status: 'refused', reason: 'quiet hours 21:00-08:00 for the customer', requestId: 'd3:x', verdict: { verdict: 'deny', mode: 'autonomous', riskClass: 'low', rule: null, guardrail: 'quiet-hours' }, notBefore: Date.parse('2026-12-07T08:00:00Z') }, 'Service check-in', now)).toBe(
      'Refused: quiet hours 21:00-08:00 for the customer · low risk, guardrail quiet-hours · lifts at 2026-12-07 08:00 UTC',
    );
    expect(acceptAnswer({ status: 'advised', reason: 'rule "x" sets advise', requestId: 'd4:x' }, 'Service check-in', now)).toBe('Advice only, not carried out: rule "x" sets advise');
    expect(acceptAnswer({ status: 'failed', reason: 'the action failed: offer unknown', requestId: 'd5:x', retryable: false }, 'Service check-in', now)).toBe('Failed: the action failed: offer unknown · the back end refused it for good');
    expect(acceptAnswer({ status: 'failed', reason: 'the action failed: timeout', requestId: 'd5:x' }, 'Service check-in', now)).toMatch(/it may succeed if tried again$/);
  });

  it("says first when the accept was not booked as the customer's yes (the call had ended), as the server said why", () => {
    const r = { status: 'executed' as const, reason: 'rule "communications" sets autonomous for offer on call', requestId: 'd6:data-bonus', cost: 0, customerYes: { recorded: false, reason: "C000123's call (started 2026-12-07T10:00:00.000Z) ended at 2026-12-07T10:04:00.000Z: the offer is presented for the customer to answer, not booked as their yes" } };
    expect(acceptAnswer(r, 'Service check-in', now)).toBe(
      "Not booked as the customer's yes: C000123's call (started 2026-12-07T10:00:00.000Z) ended at 2026-12-07T10:04:00.000Z: the offer is presented for the customer to answer, not booked as their yes. Done, carried out: rule \"communications\" sets autonomous for offer on call · cost 0.00",
    );
  });

  it("says the customer accepted, and what was booked, once their yes was booked on the line: what their acceptance costs is not still to come", () => {
    const r = { status: 'executed' as const, reason: 'alice (a person) acts on the advice', requestId: 'd7:data-bonus', cost: 0, onAcceptance: 3, verdict: { verdict: 'execute', mode: 'advise', riskClass: 'medium', rule: null } };
    const yes = { recorded: true, reason: "the customer's yes, recorded by alice on the call in progress since 2026-12-07T10:00:00.000Z" };
    // It read "Done, carried out: … · cost 0.00 now, 3.00 on the customer's acceptance", as if the yes were still to come.
    expect(acceptAnswer({ ...r, customerYes: yes }, 'Data bonus', now)).toBe(
      "Done, the customer accepted: Data bonus, booked as the customer's yes, recorded by alice on the call in progress since 2026-12-07T10:00:00.000Z · cost 3.00, for their acceptance · medium risk. alice (a person) acts on the advice",
    );
    expect(acceptAnswer({ ...r, cost: 0.5, customerYes: yes }, 'Data bonus', now)).toContain(' · cost 3.50 (0.50 for presenting it, 3.00 for their acceptance) · ');
    // Not their yes (presented for them to answer): their acceptance is still to come, and said so.
    expect(acceptAnswer({ ...r, customerYes: { recorded: false, reason: 'no call of C1 is in progress' } }, 'Data bonus', now)).toMatch(/^Not booked as the customer's yes: no call of C1 is in progress\. Done, carried out: .* · cost 0\.00 now, 3\.00 on the customer's acceptance/);
  });
});
