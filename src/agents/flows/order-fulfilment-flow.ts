import { z } from 'zod';
import { ok, rejected, transient } from '../../domain/connectors/connector-result.js';
import type { Order, OrderManagementConnector, OrderRequest } from '../../domain/connectors/order-management.js';
import type { ProvisioningConnector, ProvisioningJob } from '../../domain/connectors/provisioning.js';
import { channelSchema } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import { actorSchema, type KnownActionClass } from '../../decisioning/policy/index.js';
import type { GuardedExecutor } from '../governance/guarded-executor.js';
import { stepFailureOf, type StepDefinition, type WorkflowContext, type WorkflowDefinition } from '../workflows/index.js';
import { awaitApproval, guardedActionStep, type GuardedOutcome } from './guarded-step.js';
import { PROVISIONING_POLL_RETRY, provisioningPollStep } from './provisioning-poll.js';

/**
 * Order fulfilment for an existing customer's order: a plan change, an add-on or the termination
 * of the line. validate → the action through the guarded executor (`plan_change`, `addon`,
 * `termination`; it captures the order) → provisioning → wait for completion → confirmation (not
 * for a termination: the customer has left, the back end sends its own final letter).
 * The customer's own order is not a marketing action but still goes through the policy and the
 * audit trail, as an action whose actor is the customer (`human`, the customer id) or the
 * staff member who keyed it in. On failure the saga cancels the order, and reverts the plan when
 * it had already been changed. Until provisioning starts the order may be cancelled: the
 * `cancel-order` signal is looked for before the action is asked for and again before the order
 * is activated (a pending approval is rejected by whoever cancels, which wakes the wait).
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
/** Cancels the back-end order of an order cancelled after its action executed (not part of the happy path). */
export const CANCEL_CAPTURED_STEP_ID = 'cancel-captured-order';
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
/** The signal that cancels an order not yet in provisioning; its payload is a `CancelOrderRequest`. */
export const CANCEL_ORDER_SIGNAL = 'cancel-order';

/** What an order asks for (a new line is onboarding's). */
export const ORDER_KINDS = ['change_plan', 'add_addon', 'terminate'] as const;
/** One of the order kinds. */
export type OrderKind = (typeof ORDER_KINDS)[number];

/** Who cancelled an order and why (the `cancel-order` signal's payload). */
export interface CancelOrderRequest {
  by: string;
  reason: string;
}

const inputSchema = z
  .strictObject({
    customerId: z.string().min(1),
    /** Runs started before there were kinds are plan changes. */
    kind: z.enum(ORDER_KINDS).default('change_plan'),
    /** The plan to change to (change_plan). */
    planId: z.string().min(1).optional(),
    /** The add-on ordered (add_addon). */
    addonId: z.string().min(1).optional(),
    /** Where the order was placed (web self-service by default). */
    channel: channelSchema.default('web'),
    /** Who asks: the customer (default) or a staff member keying the order in. */
    actor: actorSchema.optional(),
  })
  .refine((i) => i.kind !== 'change_plan' || i.planId !== undefined, { path: ['planId'], message: 'a plan change names the plan' })
  .refine((i) => i.kind !== 'add_addon' || i.addonId !== undefined, { path: ['addonId'], message: 'an add-on order names the add-on' });

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
  | { outcome: 'completed'; kind?: OrderKind; orderId: string; planId?: string; addonId?: string; previousPlanId: string | null; confirmation: GuardedOutcome['status'] | 'none' }
  | { outcome: 'invalid' | 'refused' | 'advised' | 'timed-out' | 'cancelled'; reason: string };

/** Checks an order against the customer's standing and the plans (pure); null when valid, else why not. */
export function orderProblem(input: Pick<OrderFulfilmentInput, 'planId'> & { kind?: OrderKind }, standing: CustomerStanding | undefined, plans: readonly { id: string }[]): string | null {
  if (!standing) return 'unknown_customer';
  if (!standing.active) return 'customer_not_active';
  if ((input.kind ?? 'change_plan') !== 'change_plan') return null;
  if (!plans.some((p) => p.id === input.planId)) return `unknown_plan ${input.planId}`;
  if (standing.planId === input.planId) return `already_on_plan ${input.planId}`;
  return null;
}

/** How each kind is asked of the policy and the back end, and what the customer is told. */
const KIND_ACTION: Record<OrderKind, { actionClass: KnownActionClass; what: (i: OrderFulfilmentInput) => string; confirmTemplate: string | null }> = {
  change_plan: { actionClass: 'plan_change', what: (i) => `change plan to ${i.planId}`, confirmTemplate: 'plan-change-confirmed' },
  add_addon: { actionClass: 'addon', what: (i) => `add ${i.addonId}`, confirmTemplate: 'addon-confirmed' },
  terminate: { actionClass: 'termination', what: () => 'end the line', confirmTemplate: null },
};

/** The back-end order of a customer's order. */
function orderRequestOf(r: { customerId: string; kind?: OrderKind; planId?: string; addonId?: string }): OrderRequest {
  if (r.kind === 'terminate') return { type: 'terminate', customerId: r.customerId };
  if (r.kind === 'add_addon') return { type: 'add_addon', customerId: r.customerId, addonId: r.addonId ?? '' };
  return { type: 'change_plan', customerId: r.customerId, planId: r.planId ?? '' };
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
  const captureOrder: StepDefinition<{ requestId: string; customerId: string; kind?: OrderKind; planId?: string; addonId?: string }, Order> = {
    id: CAPTURE_ORDER_STEP_ID,
    version: 1,
    run: (r) => deps.orders.create({ idempotencyKey: r.requestId, order: orderRequestOf(r) }),
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

  // A cancelled order's back-end order (captured when the action executed) is cancelled too.
  const cancelCaptured: StepDefinition<{ requestId: string; customerId: string; kind?: OrderKind; planId?: string; addonId?: string }, Order | null> = {
    id: CANCEL_CAPTURED_STEP_ID,
    version: 1,
    async run(r, ctx) {
      const order = await deps.orders.create({ idempotencyKey: r.requestId, order: orderRequestOf(r) });
      if (order.status !== 'ok') return order.status === 'rejected' ? ok(null) : order;
      return deps.orders.cancel({ orderId: order.value.orderId, idempotencyKey: ctx.idempotencyKey });
    },
  };

  /** Whether someone cancelled the order by now (looked for at `at`, journaled there). */
  async function cancelled(ctx: WorkflowContext, at: string): Promise<OrderFulfilmentResult | null> {
    const c = await ctx.waitForSignal<CancelOrderRequest | null>(CANCEL_ORDER_SIGNAL, { timeoutMs: 0, fallback: null, key: `${CANCEL_ORDER_SIGNAL}@${at}` });
    return c.payload ? { outcome: 'cancelled', reason: `cancelled by ${c.payload.by}: ${c.payload.reason}` } : null;
  }

  /** The order as the policy sees it, and the path its answer leads to. */
  async function authorise(ctx: WorkflowContext, input: OrderFulfilmentInput, previousPlanId: string | null): Promise<{ requestId: string } | OrderFulfilmentResult> {
    const kind = KIND_ACTION[input.kind];
    const params = input.kind === 'change_plan' ? { planId: input.planId, previousPlanId } : input.kind === 'add_addon' ? { addonId: input.addonId } : {};
    let asked: GuardedOutcome;
    try {
      asked = await ctx.step(requestPlanChange, {
        actionClass: kind.actionClass,
        channel: input.channel,
        customerId: input.customerId,
        domain: 'orders',
        params: { ...params, provision: false },
        actor: input.actor ?? { kind: 'human', id: input.customerId },
        why: { summary: `customer order: ${kind.what(input)}` },
      });
    } catch (err) {
      // The back end refused the order itself (an unknown add-on, one the customer has): the order is invalid.
      if (stepFailureOf(err)?.kind !== 'rejected') throw err;
      return { outcome: 'invalid', reason: err instanceof Error ? err.message : String(err) };
    }
    switch (asked.status) {
      case 'executed':
        return { requestId: asked.requestId };
      case 'pending-approval': {
        const decision = await awaitApproval(ctx, asked.approvalId!, approvalTimeoutMs, deps.guarded);
        if (decision.status === 'executed') return { requestId: asked.requestId };
        // Whoever cancels a waiting order rejects its approval: the order is cancelled, not refused.
        return (await cancelled(ctx, 'approval')) ?? { outcome: decision.status === 'timed-out' ? 'timed-out' : 'refused', reason: decision.reason };
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
      if (!parsed.success) throw new TwinloopError('BAD_INPUT', `order fulfilment input is invalid: ${describeInputIssues(parsed.error.issues, raw)}; send { customerId, kind?, planId? (change_plan), addonId? (add_addon), channel?, actor? }`);
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
      const early = await cancelled(ctx, 'validated');
      if (early) return early;
      const authorised = await authorise(ctx, input, previousPlanId);
      if ('outcome' in authorised) return authorised;
      const what = { requestId: authorised.requestId, customerId: input.customerId, kind: input.kind, planId: input.planId, addonId: input.addonId };
      const late = await cancelled(ctx, 'authorised');
      if (late) {
        await ctx.step(cancelCaptured, what);
        return late;
      }
      const order = await ctx.step(captureOrder, what);
      // Only a plan change can be undone (back to the previous plan); an add-on or a termination provisioned stands.
      const revertTo = input.kind === 'change_plan' ? previousPlanId : null;
      const job = await ctx.step(activate, { orderId: order.orderId, revert: { customerId: input.customerId, previousPlanId: revertTo, orderId: order.orderId, channel: input.channel } });
      await ctx.step(awaitProvisioning, { provisioningId: job.provisioningId });
      const template = KIND_ACTION[input.kind].confirmTemplate;
      if (!template) return { outcome: 'completed', kind: input.kind, orderId: order.orderId, previousPlanId, confirmation: 'none' };
      // A contract change the customer is not told about does not stand: if the confirmation
      // fails for good the run fails and the plan is changed back.
      const confirmation = await ctx.step(confirm, {
        actionClass: 'communication',
        channel: input.channel,
        customerId: input.customerId,
        domain: 'orders',
        params: { purpose: 'service', templateId: template, notificationChannel: 'sms', orderId: order.orderId, ...(input.planId ? { planId: input.planId } : {}), ...(input.addonId ? { addonId: input.addonId } : {}) },
        actor: { kind: 'agent', id: ORDER_FULFILMENT_WORKFLOW_ID },
        why: { summary: `confirmation of order ${order.orderId}` },
      });
      return { outcome: 'completed', kind: input.kind, orderId: order.orderId, ...(input.planId ? { planId: input.planId } : {}), ...(input.addonId ? { addonId: input.addonId } : {}), previousPlanId, confirmation: confirmation.status };
    },
  };
}
