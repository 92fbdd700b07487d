import { describe, expect, it } from 'vitest';
import { earlierLine, earlierLines, type EarlierDecision } from './earlier-decisions';

/**
 * A card reopened after the call reads what was decided then, on which channel, and what came of
 * it, or that it expired (it read "call · unknown" and a new ranking, nothing of the call).
 */
describe('earlier decisions on the card', () => {
  const d: EarlierDecision = { decisionId: 'd1', at: '2026-12-07T10:00:00.000Z', channel: 'call', reason: 'billing_complaint', chosen: 'service-check-in', expiresAt: '2026-12-14T10:00:00.000Z', state: 'answered', actionId: 'data-bonus', result: 'accepted', resultAt: '2026-12-07T10:03:00.000Z', approval: null };

  it('says the offer accepted on the call, which and when', () => {
    expect(earlierLine(d)).toBe('2026-12-07 10:00 UTC on call (billing complaint): data-bonus accepted, 2026-12-07 10:03 UTC');
  });

  it('says a decline by the agent, an approval waited for or decided', () => {
    expect(earlierLine({ ...d, state: 'declined', result: 'not-acted' })).toBe('2026-12-07 10:00 UTC on call (billing complaint): data-bonus declined by the agent, 2026-12-07 10:03 UTC (not offered)');
    expect(earlierLine({ ...d, state: 'awaiting-approval', actionId: 'upgrade', result: null, resultAt: null, approval: { id: 'apr-1', status: 'pending', decidedBy: null } })).toBe("2026-12-07 10:00 UTC on call (billing complaint): upgrade accepted, waiting for a person's approval (approval apr-1)");
    expect(earlierLine({ ...d, state: 'approval-decided', actionId: 'upgrade', result: null, resultAt: null, approval: { id: 'apr-1', status: 'rejected', decidedBy: 'bob' } })).toBe('2026-12-07 10:00 UTC on call (billing complaint): upgrade accepted; its approval rejected by bob');
  });

  it('says plainly that a recommendation nobody acted on expired, or is still open', () => {
    const idle = { ...d, actionId: null, result: null, resultAt: null };
    expect(earlierLine({ ...idle, state: 'expired' })).toBe('2026-12-07 10:00 UTC on call (billing complaint): service-check-in recommended; nobody acted on it, and it expired 2026-12-14 10:00 UTC');
    expect(earlierLine({ ...idle, state: 'open' })).toBe('2026-12-07 10:00 UTC on call (billing complaint): service-check-in recommended; nobody acted on it yet (it may be accepted until 2026-12-14 10:00 UTC)');
    expect(earlierLines({ decisions: [d], notActedOn: 2 })).toEqual([earlierLine(d), 'and 2 other recommendations of the last 14 days nobody acted on']);
  });
});
