import { z } from 'zod';
import { ok, rejected, transient } from '../../domain/connectors/connector-result.js';
import type { Order, OrderManagementConnector } from '../../domain/connectors/order-management.js';
import type { ProvisioningConnector, ProvisioningJob } from '../../domain/connectors/provisioning.js';
import { channelSchema } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { actorSchema } from '../../decisioning/policy/index.js';
import type { GuardedExecutor } from '../governance/guarded-executor.js';
import { stepFailureOf, type StepDefinition, type WorkflowContext, type WorkflowDefinition } from '../workflows/index.js';
import { awaitApproval, guardedActionStep, type GuardedOutcome } from './guarded-step.js';
import { PROVISIONING_POLL_RETRY, provisioningPollStep } from './provisioning-poll.js';

/**
 * Order fulfilment for an existing customer's plan change: validate → plan_change through the
 * guarded executor (it captures the order) → provisioning → wait for completion → confirmation.
 * The customer's own order is not a marketing action but still goes through the policy and the
 * audit trail, as a `plan_change` whose actor is the customer (`human`, the customer id) or the
 * staff member who keyed it in. On failure the saga cancels the order, and reverts the plan when
 * it had already been changed.
 */

/** Stable id of the order fulfilment workflow, stored in the journal. */
export const ORDER_FULFILMENT_WORKFLOW_ID = 'order-fulfilment';
/** Bump when the steps change; keep registering the old version while its runs are in flight. */
export const ORDER_FULFILMENT_WORKFLOW_VERSION = 1;
/** Stable step ids, stored in the journal. */
export const VALIDATE_ORDER_STEP_ID = 'validate-order';
export const REQUEST_PLAN_CHANGE_STEP_ID = 'request-plan-change';
export const CAPTURE_ORDER_STEP_ID = 'capture-order';
export const ACTIVATE_SERVICE_STEP_ID = 'activate-service';
export const AWAIT_PROVISIONING_STEP_ID = 'await-provisioning';
export const SEND_CONFIRMATION_STEP_ID = 'send-confirmation';
/** The order fulfilment flow's step ids, in the order they run. */
export const ORDER_FULFILMENT_STEPS = [
  VALIDATE_ORDER_STEP_ID,
  REQUEST_PLAN_CHANGE_STEP_ID,
  CAPTURE_ORDER_STEP_ID,
  ACTIVATE_SERVICE_STEP_ID,
  AWAIT_PROVISIONING_STEP_ID,
  SEND_CONFIRMATION_STEP_ID,
] as const;
/** How long a plan change waits for a human approval: the default policy's own 48 h timeout. */
export const DEFAULT_ORDER_APPROVAL_TIMEOUT_MS = 48 * 3_600_000;

const inputSchema = z.strictObject({
  customerId: z.string().min(1),
  planId: z.string().min(1),
  /** Where the order was placed (web self-service by default). */
  channel: channelSchema.default('web'),
  /** Who asks: the customer (default) or a staff member keying the order in. */
  actor: actorSchema.optional(),
});

/** What starts a run (validated once, at start). */
export type OrderFulfilmentInput = z.infer<typeof inputSchema>;

/** What the flow needs to know about the customer to validate the order. */
export interface CustomerStanding {
  active: boolean;
  /** The plan the customer is on now (null when unknown). */
  planId: string | null;
}

/** The flow's dependencies, passed explicitly. */
export interface OrderFulfilmentDeps {
  guarded: () => GuardedExecutor;
  orders: OrderManagementConnector;
  provisioning: ProvisioningConnector;
  /** The operator's plans (ids). */
  plans: readonly { id: string }[];
  /** Reads the customer's standing (e.g. from the twin); undefined for an unknown customer. */
  customer: (customerId: string) => Promise<CustomerStanding | undefined>;
  approvalTimeoutMs?: number;
}

/** How a run ended; every branch is explicit. */
export type OrderFulfilmentResult =
  | { outcome: 'completed'; orderId: string; planId: string; previousPlanId: string | null; confirmation: GuardedOutcome['status'] }
  | { outcome: 'invalid' | 'refused' | 'advised' | 'timed-out'; reason: string };

/** Checks an order against the customer's standing and the plans (pure); null when valid, else why not. */
export function orderProblem(input: Pick<OrderFulfilmentInput, 'planId'>, standing: CustomerStanding | undefined, plans: readonly { id: string }[]): string | null {
  if (!standing) return 'unknown_customer';
  if (!standing.active) return 'customer_not_active';
  if (!plans.some((p) => p.id === input.planId)) return `unknown_plan ${input.planId}`;
  if (standing.planId === input.planId) return `already_on_plan ${input.planId}`;
  return null;
}

/** Builds the order fulfilment workflow. */
export function orderFulfilmentWorkflow(deps: OrderFulfilmentDeps): WorkflowDefinition<OrderFulfilmentInput, OrderFulfilmentResult> {
  if (deps.plans.length === 0) throw new TwinloopError('BAD_INPUT', 'order fulfilment needs at least one plan');
  const approvalTimeoutMs = deps.approvalTimeoutMs ?? DEFAULT_ORDER_APPROVAL_TIMEOUT_MS;

  const validate: StepDefinition<OrderFulfilmentInput, { previousPlanId: string | null }> = {
    id: VALIDATE_ORDER_STEP_ID,
    version: 1,
    async run(input) {
      const standing = await deps.customer(input.customerId);
      const problem = orderProblem(input, standing, deps.plans);
      return problem ? rejected(problem) : ok({ previousPlanId: standing?.planId ?? null });
    },
  };

  const requestPlanChange = guardedActionStep(REQUEST_PLAN_CHANGE_STEP_ID, deps.guarded);

  // The executor created the order under the guarded request's id; asking again with the same
  // idempotency key returns that order (the connector contract), so nothing is ordered twice.
  const captureOrder: StepDefinition<{ requestId: string; customerId: string; planId: string }, Order> = {
    id: CAPTURE_ORDER_STEP_ID,
    version: 1,
    run: (r) => deps.orders.create({ idempotencyKey: r.requestId, order: { type: 'change_plan', customerId: r.customerId, planId: r.planId } }),
    // A refused cancel (the order is already in provisioning or done) is final.
    compensate: async (_r, order, ctx) => (order ? deps.orders.cancel({ orderId: order.orderId, idempotencyKey: ctx.idempotencyKey }) : undefined),
  };

  type Revert = { customerId: string; previousPlanId: string | null; orderId: string; channel: OrderFulfilmentInput['channel'] };
  // Provisioning completes asynchronously, possibly after the flow stopped polling. So the undo
  // belongs to the activation request, not to the wait: it looks where the job stands (waiting, on
  // the poll's schedule, while it is pending) and, once the plan was changed, changes it back
  // through the policy like any plan change (the default policy queues it for a human, who sees
  // it as a rollback). The revert's id is the run's, so it is asked for once whatever retries it.
  const activate: StepDefinition<{ orderId: string; revert: Revert }, ProvisioningJob> = {
    id: ACTIVATE_SERVICE_STEP_ID,
    version: 1,
    retry: PROVISIONING_POLL_RETRY,
    run: (r, ctx) => deps.provisioning.activate({ orderId: r.orderId, idempotencyKey: ctx.idempotencyKey }),
    async compensate(r, job, ctx) {
      if (!job || !r.revert.previousPlanId) return undefined;
      const now = await deps.provisioning.status(job.provisioningId);
      if (now.status !== 'ok') return now;
      if (now.value.state === 'pending') return transient('provisioning_pending');
      if (now.value.state !== 'completed') return undefined;
      const g = await deps.guarded().execute({
        id: `${ctx.workflowId}:revert-plan`,
        actionClass: 'plan_change',
        channel: r.revert.channel,
        customerId: r.revert.customerId,
        domain: 'orders',
        params: { planId: r.revert.previousPlanId, rollbackOf: r.revert.orderId, provision: true },
        actor: { kind: 'system', id: ORDER_FULFILMENT_WORKFLOW_ID },
        why: { summary: `rollback of order ${r.revert.orderId}: a later step failed` },
      });
      return g.status === 'failed' ? transient(g.reason) : ok(g);
    },
  };

  const awaitProvisioning = provisioningPollStep<{ provisioningId: string }>(AWAIT_PROVISIONING_STEP_ID, deps.provisioning, 'provisioning');

  const confirm = { ...guardedActionStep(SEND_CONFIRMATION_STEP_ID, deps.guarded), retry: { maxAttempts: 5 } };

  /** The plan change as the policy sees it, and the path its answer leads to. */
  async function authorise(ctx: WorkflowContext, input: OrderFulfilmentInput, previousPlanId: string | null): Promise<{ requestId: string } | OrderFulfilmentResult> {
    const asked = await ctx.step(requestPlanChange, {
      actionClass: 'plan_change',
      channel: input.channel,
      customerId: input.customerId,
      domain: 'orders',
      params: { planId: input.planId, previousPlanId, provision: false },
      actor: input.actor ?? { kind: 'human', id: input.customerId },
      why: { summary: `customer order: change plan to ${input.planId}` },
    });
    switch (asked.status) {
      case 'executed':
        return { requestId: asked.requestId };
      case 'pending-approval': {
        const decision = await awaitApproval(ctx, asked.approvalId!, approvalTimeoutMs);
        if (decision.status === 'executed') return { requestId: asked.requestId };
        return { outcome: decision.status === 'timed-out' ? 'timed-out' : 'refused', reason: decision.reason };
      }
      case 'advised':
        return { outcome: 'advised', reason: asked.reason };
      default:
        return { outcome: 'refused', reason: asked.reason };
    }
  }

  return {
    id: ORDER_FULFILMENT_WORKFLOW_ID,
    version: ORDER_FULFILMENT_WORKFLOW_VERSION,
    parseInput(raw) {
      const parsed = inputSchema.safeParse(raw);
      if (!parsed.success) throw new TwinloopError('BAD_INPUT', `order fulfilment input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; send { customerId, planId, channel?, actor? }`);
      return parsed.data;
    },
    async run(ctx, input) {
      let previousPlanId: string | null;
      try {
        ({ previousPlanId } = await ctx.step(validate, input));
      } catch (err) {
        // Only a refusal of the order is "invalid"; a lookup that kept failing is an outage, not a verdict.
        if (stepFailureOf(err)?.kind !== 'rejected') throw err;
        return { outcome: 'invalid', reason: err instanceof Error ? err.message : String(err) };
      }
      const authorised = await authorise(ctx, input, previousPlanId);
      if ('outcome' in authorised) return authorised;
      const order = await ctx.step(captureOrder, { requestId: authorised.requestId, customerId: input.customerId, planId: input.planId });
      const job = await ctx.step(activate, { orderId: order.orderId, revert: { customerId: input.customerId, previousPlanId, orderId: order.orderId, channel: input.channel } });
      await ctx.step(awaitProvisioning, { provisioningId: job.provisioningId });
      // A contract change the customer is not told about does not stand: if the confirmation
      // fails for good the run fails and the plan is changed back.
      const confirmation = await ctx.step(confirm, {
        actionClass: 'communication',
        channel: input.channel,
        customerId: input.customerId,
        domain: 'orders',
        params: { purpose: 'service', templateId: 'plan-change-confirmed', notificationChannel: 'sms', orderId: order.orderId, planId: input.planId },
        actor: { kind: 'agent', id: ORDER_FULFILMENT_WORKFLOW_ID },
        why: { summary: `confirmation of order ${order.orderId}` },
      });
      return { outcome: 'completed', orderId: order.orderId, planId: input.planId, previousPlanId, confirmation: confirmation.status };
    },
  };
}
