import { z } from 'zod';
import { REFUSAL_SUBJECTS } from '../../domain/connectors/connector-result.js';
import { APPROVAL_FALLBACKS, GUARDRAILS, POLICY_MODES, RISK_CLASSES, actorSchema } from '../../decisioning/policy/index.js';
import { APPROVAL_STATUSES } from '../../store/governance-store.js';
import { AUDIT_ENTRY_TYPES } from '../../agents/governance/audit-trail.js';
import type { GuardedResult } from '../../agents/governance/guarded-executor.js';
import { ROLE_NAMES, roleAllows, type Role } from '../auth/roles.js';
import { jsonObject, list } from './api-schemas.js';

/** The answers of the action policy (docs/policy.md): a guarded result, an approval, the audit trail. */

/** What the policy made of an action request: always an answer with its reason, never a fault. */
export const guardedResult = z.object({
  status: z.enum(['executed', 'pending-approval', 'advised', 'refused', 'failed']),
  reason: z.string(),
  requestId: z.string(),
  approvalId: z.string().optional(),
  auditSeq: z.number().int().describe('Seq of the last audit entry written for this step'),
  retryable: z.boolean().optional().describe('For `failed`: whether the same request may succeed later'),
  about: z.enum(REFUSAL_SUBJECTS).optional().describe("For `failed` refused for good: what the back end's refusal is about, when its code says: the customer (customer_…: they have left) or the offer (unknown_offer, offer_…), which another offer may replace"),
  cost: z.number().optional().describe('What the action costs the operator, as priced and checked by the policy (absent when no verdict was needed)'),
  repeated: z.boolean().optional().describe('True when the request id had already been executed: this is its first answer, and nothing was done or charged again'),
  notBefore: z.number().optional().describe("When what holds the act back lifts by itself (ms, world time): on a refusal by the customer's quiet hours their end; on an approved act waiting for them (status pending-approval after the approval), when it is judged again and carried out"),
  expiresAt: z.number().optional().describe("For pending-approval waiting for a person: when the approval times out unanswered (ms, the server's wall clock: an approval waits in people's time)"),
  onTimeout: z.enum(APPROVAL_FALLBACKS).optional().describe('For pending-approval waiting for a person: what comes of the action if nobody decides in time'),
  approvers: z.array(z.enum(ROLE_NAMES as [Role, ...Role[]])).optional().describe('For pending-approval waiting for a person: the roles that may decide it (any holder but the person who asked: four eyes)'),
  verdict: z
    .object({
      verdict: z.enum(['execute', 'needs-approval', 'advise-only', 'deny']),
      mode: z.enum(POLICY_MODES),
      riskClass: z.enum(RISK_CLASSES),
      rule: z.string().nullable(),
      guardrail: z.enum(GUARDRAILS).optional(),
    })
    .optional(),
}).meta({ id: 'GuardedResult', description: "The action policy's answer to an action request" });

/** The roles that may approve or reject an action someone else asked for (`approvals:decide`). */
export const APPROVER_ROLES: readonly Role[] = ROLE_NAMES.filter((r) => roleAllows(r, 'approvals:decide'));

/**
 * A guarded result as the HTTP edge answers it: one waiting for a person names who may decide it,
 * so the asker (a care agent, who reads no approvals) is told whom it waits for. An approved act
 * waiting for the customer's quiet hours (`notBefore`) waits for nobody.
 */
export function guardedAnswer(r: GuardedResult): GuardedResult & { approvers?: Role[] } {
  return r.status === 'pending-approval' && r.approvalId !== undefined && r.notBefore === undefined ? { ...r, approvers: [...APPROVER_ROLES] } : r;
}

/** An approval with what, why and the evidence. */
export const approvalItem = z.object({
  id: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  request: jsonObject.describe('The action request exactly as it will execute when approved'),
  why: list(z.string()),
  riskClass: z.enum(RISK_CLASSES),
  rule: z.string().nullable(),
  evidence: jsonObject,
  requestedBy: actorSchema,
  createdAt: z.number().describe('ms since the epoch'),
  expiresAt: z.number().describe('ms since the epoch'),
  onTimeout: z.enum(APPROVAL_FALLBACKS),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
  reason: z.string().nullable(),
  addsTo: list(
    z.object({
      requestId: z.string(),
      status: z.enum(['executed', 'pending-approval', 'advised', 'refused', 'failed']).nullable().describe('Its status now; null when nothing was asked or kept under it'),
      reason: z.string().describe('Why, in words: waiting for a person since when, who rejected it and why, who approved it and why it is not carried out yet'),
      approvedBy: z.string().optional().describe('Who approved it, while it is approved and not carried out yet'),
    }),
  )
    .optional()
    .describe("The requests this one adds to (a top-up on a payment, request.params.addsTo), each as it stands now, not as its asker heard it: approved, it is carried out only if each was carried out or approved; one still waiting for a person is decided first (approving this one is 409 until then), and one rejected or not carried out makes this one refused (guardrail adds-to, decision 0093)"),
  outcome: z
    .object({ status: z.enum(['executed', 'pending-approval', 'advised', 'refused', 'failed']), reason: z.string() })
    .optional()
    .describe("What came of a decided approval (GET /approvals/:id): the approved action executed, or refused as at the approval with the policy's reason (judged once), a rejection, a timeout's fallback; absent while pending or not carried out yet"),
}).meta({ id: 'Approval' });

/** One hash-chained audit entry. */
export const auditRecord = z.object({
  seq: z.number().int(),
  at: z.number().describe('ms since the epoch, on the clock `clock` names'),
  clock: z.enum(['operator', 'wall']).describe("Which clock `at` is on: `operator`, the operator's (the sandbox world's time while it runs, else the latest event's); `wall`, real time (people's acts on keys, the policy and models)"),
  prevHash: z.string(),
  hash: z.string(),
  entry: jsonObject.describe(`Who did what to whom, why, and what came of it: type (${AUDIT_ENTRY_TYPES.join(', ')}), requestId, actor, action, why, outcome`),
});

const auditBreak = z.object({ kind: z.enum(['content', 'link', 'gap', 'head', 'fact']), seq: z.number().int(), message: z.string() });
/** The walk of the whole chain. */
export const auditVerification = z.union([
  z.object({ ok: z.literal(true), entries: z.number().int(), headSeq: z.number().int(), headHash: z.string() }),
  z.object({ ok: z.literal(false), entries: z.number().int(), firstBreak: auditBreak }),
]);
