import { ok, rejected, transient, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import { TwinloopError, type ErrorCode } from '../../domain/errors.js';
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
 * What the guarded executor throws that asking again with the same request cannot change: a
 * request it refuses as written (BAD_INPUT), a customer or offering it does not know (NOT_FOUND),
 * an id naming another request (CONFLICT), a refusal (POLICY_DENIED, FORBIDDEN). The step fails
 * at once with it instead of spending its retries on the same answer; anything else (a busy
 * store, a bug) is retried, and a back end holding its acts is waited for.
 */
export const PERMANENT_REQUEST_ERRORS: ReadonlySet<ErrorCode> = new Set(['BAD_INPUT', 'NOT_FOUND', 'CONFLICT', 'POLICY_DENIED', 'FORBIDDEN']);

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
      let r: GuardedResult;
      try {
        r = await guarded().execute({ ...request, id: ctx.idempotencyKey, params });
      } catch (err) {
        if (err instanceof TwinloopError && PERMANENT_REQUEST_ERRORS.has(err.code)) return rejected(`${err.code}: ${err.message}`);
        throw err;
      }
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

/** Id of the step that withdraws an approval its workflow stopped waiting for. */
export const WITHDRAW_APPROVAL_STEP_ID = 'withdraw-approval';

/** The step that withdraws an approval (GuardedExecutor.withdraw): what became of it, withdrawn or decided meanwhile. */
export function withdrawApprovalStep(guarded: () => Pick<GuardedExecutor, 'withdraw'>): StepDefinition<{ approvalId: string; reason: string }, { status: GuardedResult['status']; reason: string; withdrawn: boolean }> {
  return {
    id: WITHDRAW_APPROVAL_STEP_ID,
    version: 1,
    semantics: 'at-least-once',
    async run({ approvalId, reason }): Promise<ConnectorResult<{ status: GuardedResult['status']; reason: string; withdrawn: boolean }>> {
      const r = await guarded().withdraw(approvalId, reason);
      return ok({ status: r.status, reason: r.reason, withdrawn: r.withdrawn });
    },
  };
}

/**
 * Waits for a pending approval's decision (delivered by `signalApprovalDecision`). The flow's wait
 * is on the world's clock and the approval's life on people's (decision 0028), so either may end
 * first: when the wait ends first, the flow withdraws the approval (nobody can approve an act
 * whose flow has gone) and goes on as `timed-out`, or, if it was decided meanwhile, with that
 * decision (an approved act was carried out). docs/policy.md, "Approvals".
 */
export async function awaitApproval(ctx: WorkflowContext, approvalId: string, timeoutMs: number, guarded: () => Pick<GuardedExecutor, 'withdraw'>): Promise<ApprovalDecision> {
  const minutes = Math.round(timeoutMs / 60_000);
  const waited = await ctx.waitForSignal<ApprovalDecision>(approvalSignalName(approvalId), {
    timeoutMs,
    fallback: { status: 'timed-out', reason: `no decision within ${minutes} minutes` },
  });
  if (!waited.timedOut) return waited.payload;
  const reason = `workflow ${ctx.workflowId} stopped waiting for it after ${minutes} minutes of its clock, so nothing would carry it out; ask for the action again if it is still wanted`;
  const after = await ctx.step(withdrawApprovalStep(guarded), { approvalId, reason }, { key: `${WITHDRAW_APPROVAL_STEP_ID}:${approvalId}` });
  return after.withdrawn ? { status: 'timed-out', reason: after.reason } : { status: after.status, reason: after.reason };
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
