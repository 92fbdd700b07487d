import { decisionRequestId } from '../../decisioning/decision-action.js';
import { ANSWER_WINDOW_MS, DO_NOTHING, decisionSourceOf } from '../../decisioning/decision-record.js';
import type { Channel } from '../../domain/events.js';
import { MAX_PAGE_SIZE, type DecisionResult, type RecordStore, type StoredDecision } from '../../store/record-store.js';
import { approvalIdOf, type ApprovalQueue } from '../governance/approval-queue.js';

/**
 * What came of a decision next-best-action made for a customer in contact: a card reopened the
 * next day read "call · unknown" with a new ranking, and nothing of the offer accepted on the call.
 *
 * - `answered`: its offer was answered (`result` accepted, declined, ignored) or its action
 *   delivered or failed;
 * - `declined`: a person declined the recommended action (`actionId`) on the card, saying why;
 * - `awaiting-approval` / `approval-decided`: a person accepted `actionId` and the policy asked a
 *   person to approve it (`approval`: pending, or approved, rejected, expired);
 * - `open`: nobody acted on it yet, and it may still be accepted until `expiresAt`;
 * - `expired`: nobody acted on it in its answer window, which ended at `expiresAt`.
 */
export interface EarlierDecision {
  readonly decisionId: string;
  readonly at: string;
  readonly channel: Channel;
  /** Why the customer was in contact (the interaction's intent), as the decision logged it. */
  readonly reason: string | null;
  /** The action next-best-action chose first. */
  readonly chosen: string;
  readonly expiresAt: string;
  readonly state: 'answered' | 'declined' | 'awaiting-approval' | 'approval-decided' | 'open' | 'expired';
  /** The ranked action acted on (accepted, declined, carried out), when one was. */
  readonly actionId: string | null;
  readonly result: DecisionResult | null;
  readonly resultAt: string | null;
  readonly approval: { readonly id: string; readonly status: string; readonly decidedBy: string | null } | null;
}

/** The customer's earlier decisions a card shows, and how many others nobody acted on. */
export interface EarlierDecisions {
  readonly decisions: readonly EarlierDecision[];
  /** Decisions of the look-back shown on cards that nobody acted on (open or expired), beyond those listed. */
  readonly notActedOn: number;
}

/**
 * How far back a card looks: the answer window and as long again, so a decision whose window
 * ended this week is said to have expired rather than vanishing.
 */
export const EARLIER_LOOKBACK_MS = 2 * ANSWER_WINDOW_MS;
/** Decisions a card lists: an agent reads the last few contacts, not a history (the customer page has it). */
export const EARLIER_SHOWN = 3;
/** Decisions read at most (the newest): every card opened makes one, and a card is built on the hot path. */
const EARLIER_READ = 50;

const iso = (ms: number) => new Date(ms).toISOString();
/** The ranked action a request id of a decision carried out (`<decisionId>:<actionId>`). */
const actionOf = (decisionId: string, requestId: string | undefined) => (requestId?.startsWith(`${decisionId}:`) ? requestId.slice(decisionId.length + 1) : null);

/** What came of one logged decision at `now`, its approvals read from `approvals`. */
async function earlierDecision(d: StoredDecision, now: number, approvals: Pick<ApprovalQueue, 'get'>): Promise<EarlierDecision> {
  const expiresAt = d.at + ANSWER_WINDOW_MS;
  const base = { decisionId: d.decisionId, at: iso(d.at), channel: d.channel, reason: d.reason ?? null, chosen: d.chosen, expiresAt: iso(expiresAt), approval: null };
  const o = d.outcome;
  if (o) {
    const actionId = actionOf(d.decisionId, o.requestId);
    // Closed not-acted: by a person's decline (it names the request), or by the window's end.
    if (o.result === 'not-acted') return { ...base, state: actionId ? 'declined' : 'expired', actionId, result: o.result, resultAt: iso(o.at) };
    return { ...base, state: 'answered', actionId, result: o.result ?? (o.accepted ? 'accepted' : null), resultAt: iso(o.at) };
  }
  // Accepted on a card and held for a person: the one approval each ranked action's request may have.
  for (const c of d.candidates) {
    if (c.actionId === DO_NOTHING) continue;
    const item = await approvals.get(approvalIdOf(decisionRequestId(d.decisionId, c.actionId)));
    if (item) return { ...base, state: item.status === 'pending' ? 'awaiting-approval' : 'approval-decided', actionId: c.actionId, result: null, resultAt: null, approval: { id: item.id, status: item.status, decidedBy: item.decidedBy ?? null } };
  }
  return { ...base, state: now >= expiresAt ? 'expired' : 'open', actionId: null, result: null, resultAt: null };
}

/**
 * The customer's decisions of next-best-action in the look-back before `now`, and since the start
 * of the interaction the card is for (`interactionStart`, null for none), newest first: the ones
 * acted on or answered (at most EARLIER_SHOWN), and how many others nobody acted on. The card's own
 * decisions (`current`) are listed once acted on (accepted on this call), never counted as not
 * acted on (the card shows them). With none acted on, the newest of the others is listed, so a card
 * says plainly that the last recommendation expired or is still open.
 */
export async function earlierDecisions(
  source: { readonly records: Pick<RecordStore, 'listDecisions'>; readonly approvals: Pick<ApprovalQueue, 'get'> },
  customerId: string,
  now: number,
  current: ReadonlySet<string>,
  interactionStart: number | null = null,
): Promise<EarlierDecisions> {
  // From the interaction's start when that is earlier: a call held 15 minutes at 3,600× spans 37
  // world days, and an acceptance at its start fell out of the 14-day look-back before it ended.
  const from = Math.min(now - EARLIER_LOOKBACK_MS, interactionStart ?? Number.POSITIVE_INFINITY);
  // No upper bound: a decision dated a moment after `now` (another clock's) is still one of the customer's.
  const logged = await source.records.listDecisions({ customerId, from, limit: MAX_PAGE_SIZE });
  const made = logged.filter((d) => decisionSourceOf(d.decisionId) === 'nba').reverse().slice(0, EARLIER_READ);
  const acted: EarlierDecision[] = [];
  const idle: EarlierDecision[] = [];
  for (const d of made) {
    const e = await earlierDecision(d, now, source.approvals);
    if (e.state === 'open' || e.state === 'expired') {
      if (!current.has(d.decisionId)) idle.push(e);
    }
    else if (acted.length < EARLIER_SHOWN) acted.push(e);
  }
  if (acted.length === 0 && idle.length > 0) return { decisions: [idle[0]], notActedOn: idle.length - 1 };
  return { decisions: acted, notActedOn: idle.length };
}
