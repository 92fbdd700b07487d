import { ok, rejected, transient, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import type { ActionRequestInput } from '../../decisioning/policy/index.js';
import type { GuardedExecutor, GuardedResult } from '../governance/guarded-executor.js';
import type { StepDefinition, WorkflowContext } from '../workflows/index.js';

/**
 * How a workflow acts on a customer: every action goes through the guarded executor (policy,
 * budget, audit), never straight to a connector. The request id is the step's idempotency key, so
 * a step re-run after a crash asks with the same id and the connector (which receives the id as
 * its idempotency key) does not act twice.
 */

/** Name of the signal a workflow waits on for the decision of approval `approvalId`. */
export const approvalSignalName = (approvalId: string): string => `approval:${approvalId}`;

/** What a guarded action step answers (executed, pending approval, advised, refused, failed). */
export type GuardedOutcome = Pick<GuardedResult, 'status' | 'reason' | 'requestId' | 'approvalId' | 'auditSeq' | 'cost' | 'onAcceptance'> & {
  /** The guardrail that refused it (a contact rule such as `marketing-consent`, `budget`, a cap), on `refused`. */
  readonly guardrail?: string;
};

/**
 * A step that asks for an action. `executed`, `advised`, `refused` and `pending-approval` are all
 * answers the workflow handles (they are journaled as the step's result); only a failing executor
 * is transient, so it is retried with the same request id.
 */
export function guardedActionStep(id: string, guarded: () => Pick<GuardedExecutor, 'execute'>): StepDefinition<ActionRequestInput, GuardedOutcome> {
  return {
    id,
    version: 1,
    semantics: 'at-least-once',
    async run(request, ctx): Promise<ConnectorResult<GuardedOutcome>> {
      // The workflow id rides along so that an approval decided later can wake this workflow.
      const params = { ...(request.params ?? {}), workflowId: ctx.workflowId };
      const r = await guarded().execute({ ...request, id: ctx.idempotencyKey, params });
      // A back end's refusal is final; anything else that failed may pass on a later attempt.
      if (r.status === 'failed') return r.retryable === false ? rejected(r.reason) : transient(r.reason);
      const { status, reason, requestId, approvalId, auditSeq, cost } = r;
      return ok({ status, reason, requestId, approvalId, auditSeq, cost, ...(r.onAcceptance ? { onAcceptance: r.onAcceptance } : {}), ...(r.verdict?.guardrail ? { guardrail: r.verdict.guardrail } : {}) });
    },
  };
}

/** The decision of an approval as a workflow receives it. */
export interface ApprovalDecision {
  readonly status: GuardedResult['status'] | 'timed-out';
  readonly reason: string;
}

/**
 * Waits for a pending approval's decision (delivered by `signalApprovalDecision`); after
 * `timeoutMs` the workflow goes on as if it had been refused (the approval queue's own timeout
 * fallback decides what happens to the action itself).
 */
export async function awaitApproval(ctx: WorkflowContext, approvalId: string, timeoutMs: number): Promise<ApprovalDecision> {
  const waited = await ctx.waitForSignal<ApprovalDecision>(approvalSignalName(approvalId), {
    timeoutMs,
    fallback: { status: 'timed-out', reason: `no decision within ${Math.round(timeoutMs / 60_000)} minutes` },
  });
  return waited.payload;
}

/** Anything that can signal a workflow (the engine). */
export interface Signaller {
  signal(workflowId: string, name: string, payload: unknown): Promise<boolean>;
}

/**
 * Called by whoever decides approvals (HTTP, MCP, the timeout sweep): if the approved or refused
 * request came from a workflow, that workflow is woken with the outcome.
 */
export async function signalApprovalDecision(engine: Signaller, request: { params?: Record<string, unknown> }, approvalId: string, result: Pick<GuardedResult, 'status' | 'reason'>): Promise<boolean> {
  const workflowId = request.params?.workflowId;
  if (typeof workflowId !== 'string') return false;
  return engine.signal(workflowId, approvalSignalName(approvalId), { status: result.status, reason: result.reason } satisfies ApprovalDecision);
}
