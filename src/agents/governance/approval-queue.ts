import { createHash } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { ActionRequest, Actor, ApprovalFallback, RiskClass } from '../../decisioning/policy/index.js';
import type { ApprovalRecord, ApprovalStatus, GovernanceStore } from '../../store/governance-store.js';
import { keptRequestToday } from './kept-request.js';

/**
 * Actions waiting for a human: what is asked, why, the evidence, who asked, and until when. An
 * item is decided once (approve or reject, with who and why); when nobody decides in time it
 * expires into the fallback the policy declared (reject, or advise-only). Items live in the
 * governance store, so they survive a restart.
 */

/** A queued approval. */
export interface ApprovalItem {
  id: string;
  status: ApprovalStatus;
  /** The action request, exactly as it will execute when approved. */
  request: ActionRequest;
  /** Why it is asked, in words (the policy's reasons). */
  why: readonly string[];
  riskClass: RiskClass;
  /** The policy rule that asked for approval. */
  rule: string | null;
  /**
   * Evidence shown to the approver: the requester's (`request.why.evidence`: a simulation, a
   * decision) with the policy's judgement over it (approval-evidence.ts: the customer's facts it
   * judged and when, the amount, the budget lines); items queued before it was kept show the
   * requester's and the request's facts.
   */
  evidence: Record<string, unknown>;
  requestedBy: Actor;
  createdAt: number;
  expiresAt: number;
  /** What happens when nobody decides before `expiresAt`. */
  onTimeout: ApprovalFallback;
  decidedBy: string | null;
  decidedAt: number | null;
  reason: string | null;
}

/** What an approval request holds. */
export interface NewApproval {
  request: ActionRequest;
  why: readonly string[];
  riskClass: RiskClass;
  rule: string | null;
  timeoutMinutes: number;
  onTimeout: ApprovalFallback;
  /** What the approver is shown (approvalEvidence); absent: the requester's evidence and the request's facts. */
  evidence?: Record<string, unknown>;
}

/** The queue. */
export interface ApprovalQueue {
  /** Queues a pending item. */
  request(input: NewApproval): Promise<ApprovalItem>;
  get(id: string): Promise<ApprovalItem | null>;
  /** Decides a pending item (CONFLICT when already decided or expired; NOT_FOUND when unknown). */
  approve(id: string, by: string, reason: string): Promise<ApprovalItem>;
  reject(id: string, by: string, reason: string): Promise<ApprovalItem>;
  /**
   * Withdraws a pending item for whoever asked for it (a workflow that stopped waiting for it): it
   * ends `expired`, decided by WITHDRAWN_DECIDER with the reason, so nobody can approve an act
   * whose asker has gone (CONFLICT when it is decided already).
   */
  withdraw(id: string, reason: string): Promise<ApprovalItem>;
  /** Expires every pending item past its time; returns them (their fallback is for the caller to apply). */
  expireDue(): Promise<ApprovalItem[]>;
  /** Pending items, oldest first. */
  listPending(limit?: number): Promise<ApprovalItem[]>;
}

/** The id of the one approval a request id may have (asked again, it finds the same one). */
export const approvalIdOf = (requestId: string): string => `apr-${createHash('sha256').update(requestId).digest('hex').slice(0, 32)}`;

/** Who expires items: the system, not a person. */
export const TIMEOUT_DECIDER = 'system:approval-timeout';
/** Who withdraws an item its asker no longer waits for (approval-queue's `withdraw`). */
export const WITHDRAWN_DECIDER = 'system:approval-withdrawn';

interface Payload {
  request: ActionRequest;
  why: string[];
  riskClass: RiskClass;
  rule: string | null;
  onTimeout: ApprovalFallback;
  /** Absent on items queued before the evidence was kept. */
  evidence?: Record<string, unknown>;
}

function toItem(r: ApprovalRecord): ApprovalItem {
  const p = r.payload as unknown as Payload;
  return {
    id: r.id,
    status: r.status,
    // As today's code asks it (an item queued by an earlier version kept the customer's yes in params, where nothing reads it now).
    request: keptRequestToday(p.request),
    why: p.why,
    riskClass: p.riskClass,
    rule: p.rule,
    evidence: p.evidence ?? { ...(p.request.why.evidence ?? {}), facts: p.request.features },
    requestedBy: p.request.actor,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    onTimeout: p.onTimeout,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    reason: r.reason,
  };
}

/**
 * Four eyes (pure): why this actor may not approve this item, or null when they may. Only a
 * person approves (an AI agent or the system approves nothing, whoever asked), and never a
 * request they made themselves.
 */
export function fourEyesRefusal(item: Pick<ApprovalItem, 'id' | 'requestedBy'>, approver: Actor): string | null {
  if (approver.kind !== 'human') return `approval ${item.id}: ${approver.kind} ${approver.id} may not approve; only a person approves (an AI agent may request, never approve)`;
  if (item.requestedBy.kind === 'human' && item.requestedBy.id === approver.id) return `approval ${item.id}: ${approver.id} asked for this action and may not approve it too; another person must (four eyes)`;
  return null;
}

function checkDecider(by: string, reason: string): void {
  if (typeof by !== 'string' || by.trim() === '') throw new TwinloopError('BAD_INPUT', 'an approval decision names who decides (a staff id)');
  if (typeof reason !== 'string' || reason.trim() === '') throw new TwinloopError('BAD_INPUT', 'an approval decision gives a reason');
}

/** A queue over the governance store. */
export function createApprovalQueue(store: Pick<GovernanceStore, 'insertApproval' | 'getApproval' | 'listApprovals' | 'decideApproval'>, clock: Clock): ApprovalQueue {
  async function decide(id: string, status: 'approved' | 'rejected', by: string, reason: string): Promise<ApprovalItem> {
    checkDecider(by, reason);
    const current = await store.getApproval(id);
    if (current && current.status === 'pending' && current.expiresAt <= clock.now()) {
      // Too late: the item falls to its fallback (applied by `expireDue`) instead of being decided.
      throw new TwinloopError('CONFLICT', `approval "${id}" expired at ${new Date(current.expiresAt).toISOString()}; request the action again`);
    }
    return toItem(await store.decideApproval(id, { status, decidedBy: by, decidedAt: clock.now(), reason }));
  }
  return {
    async request(input) {
      // One approval per request: a request repeated (a workflow step re-run after a crash, a
      // retried API call) finds the approval it already asked for instead of queueing another.
      const id = approvalIdOf(input.request.id);
      const existing = await store.getApproval(id);
      if (existing) return toItem(existing);
      const now = clock.now();
      const payload: Payload = { request: input.request, why: [...input.why], riskClass: input.riskClass, rule: input.rule, onTimeout: input.onTimeout, ...(input.evidence ? { evidence: input.evidence } : {}) };
      const record: ApprovalRecord = {
        id,
        status: 'pending',
        createdAt: now,
        expiresAt: now + input.timeoutMinutes * 60_000,
        decidedBy: null,
        decidedAt: null,
        reason: null,
        payload: JSON.parse(JSON.stringify(payload)) as Record<string, unknown>,
      };
      await store.insertApproval(record);
      return toItem(record);
    },
    async get(id) {
      const r = await store.getApproval(id);
      return r ? toItem(r) : null;
    },
    approve: (id, by, reason) => decide(id, 'approved', by, reason),
    async withdraw(id, reason) {
      checkDecider(WITHDRAWN_DECIDER, reason);
      return toItem(await store.decideApproval(id, { status: 'expired', decidedBy: WITHDRAWN_DECIDER, decidedAt: clock.now(), reason }));
    },
    reject: (id, by, reason) => decide(id, 'rejected', by, reason),
    async expireDue() {
      const now = clock.now();
      const expired: ApprovalItem[] = [];
      for (const r of await store.listApprovals({ status: 'pending' })) {
        if (r.expiresAt > now) continue;
        try {
          expired.push(toItem(await store.decideApproval(r.id, { status: 'expired', decidedBy: TIMEOUT_DECIDER, decidedAt: now, reason: 'no decision before the deadline' })));
        } catch (err) {
          // Someone decided it meanwhile: theirs stands.
          if (!(err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
        }
      }
      return expired;
    },
    async listPending(limit) {
      return (await store.listApprovals({ status: 'pending', limit })).map(toItem);
    },
  };
}
