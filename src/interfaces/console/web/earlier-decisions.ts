// The card's `earlier` as the server makes it (type-only: nothing of the server is bundled).
import type { EarlierDecision, EarlierDecisions } from '../../../agents/assist/earlier-decisions';

import { eventTime } from './format';

export type { EarlierDecision, EarlierDecisions };

const words = (s: string) => s.replace(/[_-]/g, ' ');

/** What an answered decision's result says. */
const ANSWERED: Readonly<Record<string, string>> = {
  accepted: 'accepted',
  declined: 'declined by the customer',
  ignored: 'left unanswered by the customer through its window',
  delivered: 'carried out (delivered)',
  failed: 'failed when carried out',
};

/** What came of one earlier decision, in words: what was decided, on which channel, and its outcome or that it expired. */
export function earlierLine(d: EarlierDecision): string {
  const when = `${eventTime(d.at)} on ${d.channel}${d.reason ? ` (${words(d.reason)})` : ''}`;
  const acted = d.actionId ?? d.chosen;
  const at = d.resultAt ? ` ${eventTime(d.resultAt)}` : '';
  switch (d.state) {
    case 'answered':
      return `${when}: ${acted} ${ANSWERED[d.result ?? ''] ?? d.result ?? 'answered'}${at ? `,${at}` : ''}`;
    case 'declined':
      return `${when}: ${acted} declined by the agent${at ? `,${at}` : ''} (not offered)`;
    case 'awaiting-approval':
      return `${when}: ${acted} accepted, waiting for a person's approval (approval ${d.approval?.id ?? '?'})`;
    case 'approval-decided':
      return `${when}: ${acted} accepted; its approval ${d.approval?.status ?? 'decided'}${d.approval?.decidedBy ? ` by ${d.approval.decidedBy}` : ''}`;
    case 'open':
      return `${when}: ${d.chosen} recommended; nobody acted on it yet (it may be accepted until ${eventTime(d.expiresAt)})`;
    case 'expired':
      return `${when}: ${d.chosen} recommended; nobody acted on it, and it expired ${eventTime(d.expiresAt)}`;
  }
}

/** The card's earlier decisions, one line each, then how many others nobody acted on. */
export function earlierLines(e: EarlierDecisions): string[] {
  const lines = e.decisions.map(earlierLine);
  if (e.notActedOn > 0) lines.push(`and ${e.notActedOn} other ${e.notActedOn === 1 ? 'recommendation' : 'recommendations'} of the last 14 days nobody acted on`);
  return lines;
}
