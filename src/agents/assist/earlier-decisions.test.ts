import { describe, expect, it } from 'vitest';
import { ANSWER_WINDOW_MS } from '../../decisioning/decision-record.js';
import type { DecisionQuery, StoredDecision } from '../../store/record-store.js';
import { approvalIdOf, type ApprovalItem } from '../governance/approval-queue.js';
import { earlierDecisions } from './earlier-decisions.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-08T12:00:00Z');

/** A decision of next-best-action for C1 made `hoursAgo` before NOW. */
const decision = (decisionId: string, hoursAgo: number, extra: Partial<StoredDecision> = {}): StoredDecision => ({
  decisionId,
  customerId: 'C1',
  at: NOW - hoursAgo * HOUR,
  channel: 'call',
  reason: 'billing_complaint',
  contextKey: 'call|high',
  candidates: [
    { actionId: 'data-bonus', score: 2, propensity: 1, expectedValue: 2 },
    { actionId: 'upgrade', score: 1, propensity: 0, expectedValue: 1 },
    { actionId: 'do-nothing', score: 0, propensity: 0, expectedValue: 0 },
  ],
  chosen: 'data-bonus',
  propensity: 1,
  ...extra,
});

function source(decisions: StoredDecision[], approvals: Record<string, Partial<ApprovalItem>> = {}) {
  return {
    records: { listDecisions: async (q: DecisionQuery = {}) => decisions.filter((d) => d.customerId === q.customerId && d.at >= (q.from ?? 0) && d.at < (q.to ?? Infinity)).sort((a, b) => a.at - b.at) },
    approvals: { get: async (id: string) => (approvals[id] ? ({ id, decidedBy: null, ...approvals[id] } as ApprovalItem) : null) },
  };
}

/**
 * A card reopened the day after a call reads what was decided on it, on which channel, and what
 * came of it, or that it expired: it read "call · unknown" with a new ranking, nothing of the call.
 */
describe('earlierDecisions', () => {
  it("reads the offer accepted on yesterday's call, leaving the card's own decision and other flows' out", async () => {
    const accepted = decision('d-call', 24, { outcome: { accepted: true, reward: 1, at: NOW - 23.9 * HOUR, result: 'accepted', requestId: 'd-call:data-bonus' } });
    const got = await earlierDecisions(source([accepted, decision('cmp:run:C1', 2), decision('d-now', 0)]), 'C1', NOW, new Set(['d-now']));
    expect(got).toEqual({
      decisions: [{ decisionId: 'd-call', at: new Date(accepted.at).toISOString(), channel: 'call', reason: 'billing_complaint', chosen: 'data-bonus', expiresAt: new Date(accepted.at + ANSWER_WINDOW_MS).toISOString(), state: 'answered', actionId: 'data-bonus', result: 'accepted', resultAt: new Date(NOW - 23.9 * HOUR).toISOString(), approval: null }],
      notActedOn: 0,
    });
  });

  it('tells an accept waiting for approval, a decline by the agent, and counts the cards nobody acted on', async () => {
    const pending = decision('d-up', 30);
    const declined = decision('d-no', 40, { outcome: { accepted: false, reward: 0, at: NOW - 39 * HOUR, result: 'not-acted', requestId: 'd-no:data-bonus' } });
    const idle = [decision('d-idle-1', 5), decision('d-idle-2', 6)];
    const got = await earlierDecisions(source([pending, declined, ...idle], { [approvalIdOf('d-up:upgrade')]: { status: 'pending' } }), 'C1', NOW, new Set());
    expect(got.decisions.map((d) => [d.decisionId, d.state, d.actionId])).toEqual([
      ['d-up', 'awaiting-approval', 'upgrade'],
      ['d-no', 'declined', 'data-bonus'],
    ]);
    expect(got.notActedOn).toBe(2);
  });

  it("lists what was done on this call however long it has lasted, and never counts the card's own recommendation as one nobody acted on", async () => {
    // A call held 15 minutes at 3,600× began 37 world days ago: its card's decision was accepted at its start.
    const start = NOW - 37 * 24 * HOUR;
    const onCall = decision('d-call', 37 * 24, { outcome: { accepted: true, reward: 1, at: start + HOUR, result: 'accepted', requestId: 'd-call:data-bonus' } });
    const got = await earlierDecisions(source([onCall]), 'C1', NOW, new Set(['d-call']), start);
    expect(got.decisions.map((d) => [d.decisionId, d.state, d.result])).toEqual([['d-call', 'answered', 'accepted']]);
    // Without the interaction, the 14-day look-back holds it no more (a card asked for with no call in progress).
    expect((await earlierDecisions(source([onCall]), 'C1', NOW, new Set(), null)).decisions).toEqual([]);
    // The card's own decision not acted on yet: the card shows it, so it is neither listed nor counted.
    const fresh = await earlierDecisions(source([decision('d-before', 3), decision('d-card', 1)]), 'C1', NOW, new Set(['d-card']), NOW - 2 * HOUR);
    expect(fresh.decisions.map((d) => d.decisionId)).toEqual(['d-before']);
    expect(fresh.notActedOn).toBe(0);
  });

  it('says plainly that the last recommendation expired when nobody acted on any', async () => {
    const old = decision('d-old', 8 * 24);
    const swept = decision('d-swept', 9 * 24, { outcome: { accepted: false, reward: 0, at: NOW - 2 * 24 * HOUR, result: 'not-acted' } });
    const got = await earlierDecisions(source([old, swept]), 'C1', NOW, new Set());
    expect(got.decisions.map((d) => [d.decisionId, d.state, d.expiresAt])).toEqual([['d-old', 'expired', new Date(old.at + ANSWER_WINDOW_MS).toISOString()]]);
    expect(got.notActedOn).toBe(1);
    expect((await earlierDecisions(source([decision('d-fresh', 1)]), 'C1', NOW, new Set())).decisions[0].state).toBe('open');
  });
});
