import { anyOfRoles, eventTime, money, span } from './format';
import type { AcceptResult, GuardedResult } from './types';

/**
 * What the act cost as the policy checked it, and what waits for the customer's acceptance; once
 * they accepted (`accepted`: their yes booked on the line), what their acceptance costs is no longer to come.
 */
function costOf(r: GuardedResult, accepted: boolean): string {
  if (r.cost === undefined) return '';
  if (!(r.onAcceptance !== undefined && r.onAcceptance > 0)) return ` · cost ${money(r.cost)}`;
  if (!accepted) return ` · cost ${money(r.cost)} now, ${money(r.onAcceptance)} on the customer's acceptance`;
  return r.cost > 0 ? ` · cost ${money(r.cost + r.onAcceptance)} (${money(r.cost)} for presenting it, ${money(r.onAcceptance)} for their acceptance)` : ` · cost ${money(r.onAcceptance)}, for their acceptance`;
}

/**
 * The answer `POST /decisions/:id/accept` gave, in words, for the agent desktop: what happened
 * (carried out, refused and why, waiting for whom and until when, only advised, failed and whether
 * it may be tried again, or done before and not repeated), then the policy's reason as the server
 * wrote it. "Done" alone said none of this. `action`: the accepted action's name. `now`: the wall
 * clock, for an approval's deadline.
 */
export function acceptAnswer(r: AcceptResult, action: string, now: number = Date.now()): string {
  // Not the customer's yes (the call had ended, say): said first, as it changes what the rest means.
  const yes = r.customerYes && !r.customerYes.recorded ? `Not booked as the customer's yes: ${r.customerYes.reason}. ` : '';
  return yes + policyAnswer(r, action, r.customerYes?.recorded === true ? r.customerYes.reason : null, now);
}

/** The action policy's answer in words; `yes`: why the customer's yes was booked, when it was. */
function policyAnswer(r: GuardedResult, action: string, yes: string | null, now: number): string {
  const rule = r.verdict ? ` · ${r.verdict.riskClass} risk${r.verdict.guardrail ? `, guardrail ${r.verdict.guardrail}` : ''}` : '';
  const cost = costOf(r, yes !== null);
  switch (r.status) {
    case 'executed':
      if (r.repeated) return `Already done: this action was carried out before (request ${r.requestId}); nothing was done or charged again. ${r.reason}${cost}`;
      // The customer's yes booked: it happened, it is not still to come.
      return yes !== null ? `Done, the customer accepted: ${action}, booked as ${yes}${cost}${rule}. ${r.reason}` : `Done, carried out: ${r.reason}${cost}${rule}`;
    case 'pending-approval': {
      if (r.notBefore !== undefined) return `Approved, waiting for the customer's quiet hours to end (${eventTime(new Date(r.notBefore).toISOString())}): ${r.reason}`;
      const who = r.approvers && r.approvers.length > 0 ? anyOfRoles(r.approvers) : 'a person';
      const until = r.expiresAt !== undefined ? `; times out ${span(r.expiresAt - now)}${r.onTimeout ? `, then ${r.onTimeout === 'reject' ? 'dropped' : 'advice only'}` : ''}` : '';
      return `Waiting for approval by ${who} (not you)${r.approvalId ? `: approval ${r.approvalId}` : ''}${until}. ${r.reason}${cost}`;
    }
    case 'advised':
      return `Advice only, not carried out: ${r.reason}${rule}`;
    case 'refused':
      return `Refused: ${r.reason}${rule}${r.notBefore !== undefined ? ` · lifts at ${eventTime(new Date(r.notBefore).toISOString())}` : ''}`;
    case 'failed':
      return `Failed: ${r.reason} · ${r.retryable === false ? 'the back end refused it for good' : 'it may succeed if tried again'}`;
  }
}
