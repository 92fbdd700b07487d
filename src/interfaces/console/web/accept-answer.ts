import { anyOfRoles, eventTime, money, span } from './format';
import type { AcceptResult, GuardedResult } from './types';

/** What the act cost as the policy checked it, and what waits for the customer's acceptance. */
function costOf(r: GuardedResult): string {
  if (r.cost === undefined) return '';
  return r.onAcceptance !== undefined && r.onAcceptance > 0 ? ` · cost ${money(r.cost)} now, ${money(r.onAcceptance)} on the customer's acceptance` : ` · cost ${money(r.cost)}`;
}

/**
 * The answer `POST /decisions/:id/accept` gave, in words, for the agent desktop: what happened
 * (carried out, refused and why, waiting for whom and until when, only advised, failed and whether
 * it may be tried again, or done before and not repeated), then the policy's reason as the server
 * wrote it. "Done" alone said none of this. `now`: the wall clock, for an approval's deadline.
 */
export function acceptAnswer(r: AcceptResult, now: number = Date.now()): string {
  // Not the customer's yes (the call had ended, say): said first, as it changes what the rest means.
  const yes = r.customerYes && !r.customerYes.recorded ? `Not booked as the customer's yes: ${r.customerYes.reason}. ` : '';
  return yes + policyAnswer(r, now);
}

/** The action policy's answer in words. */
function policyAnswer(r: GuardedResult, now: number): string {
  const rule = r.verdict ? ` · ${r.verdict.riskClass} risk${r.verdict.guardrail ? `, guardrail ${r.verdict.guardrail}` : ''}` : '';
  switch (r.status) {
    case 'executed':
      return r.repeated
        ? `Already done: this action was carried out before (request ${r.requestId}); nothing was done or charged again. ${r.reason}${costOf(r)}`
        : `Done, carried out: ${r.reason}${costOf(r)}${rule}`;
    case 'pending-approval': {
      if (r.notBefore !== undefined) return `Approved, waiting for the customer's quiet hours to end (${eventTime(new Date(r.notBefore).toISOString())}): ${r.reason}`;
      const who = r.approvers && r.approvers.length > 0 ? anyOfRoles(r.approvers) : 'a person';
      const until = r.expiresAt !== undefined ? `; times out ${span(r.expiresAt - now)}${r.onTimeout ? `, then ${r.onTimeout === 'reject' ? 'dropped' : 'advice only'}` : ''}` : '';
      return `Waiting for approval by ${who} (not you)${r.approvalId ? `: approval ${r.approvalId}` : ''}${until}. ${r.reason}${costOf(r)}`;
    }
    case 'advised':
      return `Advice only, not carried out: ${r.reason}${rule}`;
    case 'refused':
      return `Refused: ${r.reason}${rule}${r.notBefore !== undefined ? ` · lifts at ${eventTime(new Date(r.notBefore).toISOString())}` : ''}`;
    case 'failed':
      return `Failed: ${r.reason} · ${r.retryable === false ? 'the back end refused it for good' : 'it may succeed if tried again'}`;
  }
}
