import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CANCEL_ORDER_SIGNAL, REQUEST_PLAN_CHANGE_STEP_ID, ACTIVATE_SERVICE_STEP_ID, type CancelOrderRequest, type OrderKind } from '../../../agents/flows/order-fulfilment-flow.js';
import type { WorkflowRun } from '../../../agents/workflows/index.js';
import { CHANNELS } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { BssProducts } from '../../../domain/connectors/bss-connectors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { idParams } from '../api-schemas.js';
import { actorFor, requireChannel, requireCustomer } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { requireRunReach } from '../workflow-routes.js';
import { apiRoot, MERGE_PATCH, mergePatchBody, partyCustomer, sendCreated, tmfErrors, tmfReadRoutes } from './tmf-common.js';
import { NEW_LINE_FLOW, namesApplicant, newLineInput, toTmfNewLine } from './tmf622-new-line.js';
import { TMF629_BASE } from './tmf629-mapping.js';
import { tmfSchema } from './tmf-spec.js';

type Json = Record<string, unknown>;

/** The base path of TMF622 (its specification's `basePath`, without the trailing slash). */
export const TMF622_BASE = '/tmf-api/productOrderingManagement/v4';
/** The flow a customer's order starts (agents/flows/order-fulfilment-flow.ts); a new line's starts onboarding (tmf622-new-line.ts). */
export const ORDER_FLOW = 'order-fulfilment';
const FLOW = ORDER_FLOW;
/** Whether a run is an order placed here: an order-fulfilment or onboarding run with an order's id. */
export const isOrderRun = (run: WorkflowRun): boolean => run.workflowId.startsWith(ORDER_PREFIX) && (run.definitionId === FLOW || run.definitionId === NEW_LINE_FLOW);
/** Ids of orders made here: the workflow run's id. */
export const ORDER_PREFIX = 'order-';
/** How long a cancellation waits for the flow to take it before answering `pendingCancellation` (it takes it within a poll). */
const CANCEL_WAIT_MS = 3_000;
/** The states an order ends in. */
const FINAL_STATES = ['completed', 'rejected', 'failed', 'cancelled'];

/** What the flow's input says of the order. */
interface OrderInput {
  customerId: string;
  kind?: OrderKind;
  planId?: string;
  addonId?: string;
  channel?: string;
}

/**
 * What the flow's run says of the order, as a TMF622 state: acknowledged → inProgress → completed /
 * rejected / failed / cancelled. A new line's onboarding ends completed, or failed with the step
 * that refused or failed (identity, credit, provisioning: the saga undid what it had done).
 */
function stateOf(run: WorkflowRun): { state: string; reason?: string } {
  const output = run.output as { outcome?: string; reason?: string } | null;
  if (run.status === 'failed') return { state: 'failed', reason: run.error ?? undefined };
  // Not yet taken up by the engine: acknowledged; taken up (running, waiting, compensating): in progress.
  if (run.status !== 'succeeded') return { state: run.status === 'pending' && run.createdAt === run.updatedAt ? 'acknowledged' : 'inProgress' };
  if (run.definitionId === NEW_LINE_FLOW) return { state: 'completed' };
  switch (output?.outcome) {
    case 'completed':
      return { state: 'completed' };
    case 'invalid':
    case 'refused':
    case 'advised':
      return { state: 'rejected', reason: `${output.outcome}: ${output.reason ?? ''}` };
    case 'cancelled':
      return { state: 'cancelled', reason: output.reason };
    case 'timed-out':
      return { state: 'cancelled', reason: `the approval timed out: ${output.reason ?? ''}` };
    default:
      return { state: 'failed', reason: `unknown outcome ${String(output?.outcome)}` };
  }
}

/** Each kind of order as TMF622 says it: the item's action, the order's category and description. */
const KIND_TMF: Record<OrderKind, { action: string; category: string; describe: (i: OrderInput) => string }> = {
  change_plan: { action: 'modify', category: 'planChange', describe: (i) => `Plan change to ${i.planId}` },
  add_addon: { action: 'add', category: 'addOn', describe: (i) => `Add-on ${i.addonId}` },
  terminate: { action: 'delete', category: 'termination', describe: () => 'Termination of the line' },
};

/** A customer's order (order fulfilment) as TMF622 has it: the customer, the one item of its kind. */
function customerOrder(input: OrderInput, state: string, customerRoot: string): Json {
  const tmf = KIND_TMF[input.kind ?? 'change_plan'];
  const offering = input.planId ?? input.addonId;
  return {
    category: tmf.category,
    description: tmf.describe(input),
    ...(input.channel ? { channel: [{ id: input.channel, role: 'salesChannel', '@referredType': 'Channel' }] } : {}),
    relatedParty: [{ id: input.customerId, href: `${customerRoot}/customer/${input.customerId}`, role: 'customer', '@referredType': 'Customer' }],
    productOrderItem: [
      {
        id: '1',
        quantity: 1,
        action: tmf.action,
        state,
        ...(offering ? { productOffering: { id: offering, name: offering, '@referredType': 'ProductOffering' } } : {}),
      },
    ],
  };
}

/** An order's run (order fulfilment, or onboarding for a new line) as a TMF622 ProductOrder (its `href`s under `root` and `customerRoot`). */
export function toTmfOrder(run: WorkflowRun, root: string, customerRoot: string): Json {
  const { state, reason } = stateOf(run);
  const done = FINAL_STATES.includes(state);
  const { relatedParty, productOrderItem, ...about } = run.definitionId === NEW_LINE_FLOW ? toTmfNewLine(run, state, customerRoot) : customerOrder(run.input as OrderInput, state, customerRoot);
  return {
    id: run.workflowId,
    href: `${root}/productOrder/${run.workflowId}`,
    ...about,
    orderDate: new Date(run.createdAt).toISOString(),
    ...(done ? { completionDate: new Date(run.updatedAt).toISOString() } : {}),
    ...(state === 'cancelled' ? { cancellationDate: new Date(run.updatedAt).toISOString(), ...(reason ? { cancellationReason: reason } : {}) } : {}),
    state,
    ...(reason ? { note: [{ text: reason, author: run.definitionId }] } : {}),
    relatedParty,
    productOrderItem,
    '@type': 'ProductOrder',
  };
}

/**
 * What a TMF622 ProductOrder asks for: a new line for an applicant (the onboarding flow's input),
 * or for a customer the order-fulfilment flow's input: the customer, the one item (its kind from
 * its action), the channel.
 */
function orderInput(body: Json, products: BssProducts | undefined): { flow: typeof NEW_LINE_FLOW; input: ReturnType<typeof newLineInput> } | { flow: typeof FLOW; input: OrderInput & { kind: OrderKind } } {
  const parties = Array.isArray(body.relatedParty) ? (body.relatedParty as Json[]) : [];
  const items = body.productOrderItem as Json[];
  if (items.length !== 1) throw new TwinloopError('BAD_INPUT', `productOrderItem: one item per order (${items.length} given): a new line or an add-on (add), a plan change (modify) or the termination of the line (delete)`);
  const item = items[0];
  const channels = Array.isArray(body.channel) ? (body.channel as Json[]) : [];
  const channel = channels[0]?.id;
  if (channel !== undefined && !(CHANNELS as readonly unknown[]).includes(channel)) throw new TwinloopError('BAD_INPUT', `channel[0].id: "${String(channel)}" is not one of ${CHANNELS.join(', ')}`);
  if (namesApplicant(parties)) return { flow: NEW_LINE_FLOW, input: newLineInput(parties, item, channel as string | undefined) };
  const customer = parties.find((p) => String(p.role ?? '').toLowerCase() === 'customer' || p['@referredType'] === 'Customer');
  if (!customer || typeof customer.id !== 'string') throw new TwinloopError('BAD_INPUT', 'relatedParty: name the customer ({"id": "C000123", "role": "customer", "@referredType": "Customer"}), or for a new line the applicant (role "applicant")');
  const input = customerOrderInput(customer.id, item, channel as string | undefined);
  const unsold = products && unsoldOffering(input, products);
  if (unsold) throw new TwinloopError('BAD_INPUT', `productOrderItem[0].productOffering.id: ${unsold}`);
  return { flow: FLOW, input };
}

/**
 * Why a customer's order names something the BSS does not sell (a plan to change to, an add-on),
 * listing what it does; null when it sells it or does not say what it sells. Checked before the
 * order is taken: taken, it was answered 201 and rejected by the back end a moment later.
 */
export function unsoldOffering(input: Pick<OrderInput, 'planId' | 'addonId'> & { kind: OrderKind }, products: BssProducts): string | null {
  const price = (p: { monthlyPrice: number }) => `${p.monthlyPrice.toFixed(2)} a month`;
  if (input.kind === 'change_plan' && !products.plans.some((p) => p.id === input.planId)) {
    return `"${input.planId}" is not a plan the BSS sells; one of ${products.plans.map((p) => `${p.id} (${price(p)})`).join(', ')}`;
  }
  if (input.kind === 'add_addon' && products.addons && !products.addons.some((a) => a.id === input.addonId)) {
    const known = products.addons.length > 0 ? `one of ${products.addons.map((a) => `${a.id} (${a.name}, ${price(a)})`).join(', ')}` : 'it sells none';
    return `"${input.addonId}" is not an add-on the BSS sells; ${known}`;
  }
  return null;
}

/** The order-fulfilment flow's input for a customer's one item. */
function customerOrderInput(customerId: string, item: Json, channel: string | undefined): OrderInput & { kind: OrderKind } {
  const offering = (item.productOffering as Json | undefined)?.id;
  const base = { customerId, ...(channel !== undefined ? { channel } : {}) };
  switch (item.action) {
    case 'modify':
      if (typeof offering !== 'string') throw new TwinloopError('BAD_INPUT', 'productOrderItem[0].productOffering.id: name the plan to change to');
      return { ...base, kind: 'change_plan', planId: offering };
    case 'add':
      if (typeof offering !== 'string') throw new TwinloopError('BAD_INPUT', 'productOrderItem[0].productOffering.id: name the add-on to add');
      return { ...base, kind: 'add_addon', addonId: offering };
    case 'delete':
      return { ...base, kind: 'terminate' };
    default:
      throw new TwinloopError('BAD_INPUT', `productOrderItem[0].action: "${String(item.action)}" is not served; use modify (a plan change), add (an add-on) or delete (end the line)`);
  }
}

/**
 * TMF622 Product Ordering v4 at `/tmf-api/productOrderingManagement/v4/`: an inbound order (a
 * plan change, an add-on, the termination of the line) starts the order-fulfilment flow, through
 * the action policy, acting as the caller; the order's state follows the flow's run. Orders are
 * the flow's runs: GET reads them back. An order may be cancelled (PATCH `state: cancelled`, or
 * `POST cancelProductOrder`) until its provisioning starts; after that the answer is a 409.
 */
export function tmf622Routes(s: Pick<OperatorServices, 'workflows' | 'decideApproval' | 'approvals' | 'products'>): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF622_BASE);
  const customerRoot = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  const orders = async () => {
    const runs = (await Promise.all([FLOW, NEW_LINE_FLOW].map((definitionId) => s.workflows.list({ definitionId, limit: 1000 })))).flat();
    return runs.filter(isOrderRun).sort((a, b) => b.createdAt - a.createdAt);
  };
  const orderRun = async (id: string) => {
    const run = id.startsWith(ORDER_PREFIX) ? await s.workflows.get(id) : null;
    return run && isOrderRun(run) ? run : null;
  };

  /** Cancels an order where its flow still can (before provisioning); CONFLICT where not. Answers the run as it then stands. */
  async function cancel(req: FastifyRequest, id: string, reason: string): Promise<WorkflowRun> {
    const run = await orderRun(id);
    if (!run) throw new TwinloopError('NOT_FOUND', `no ProductOrder "${id}"; GET ${TMF622_BASE}/productOrder lists them`);
    if (run.definitionId === NEW_LINE_FLOW) {
      throw new TwinloopError('CONFLICT', `order ${id} is a new line: onboarding runs its checks and provisioning to the end and cannot be cancelled; once completed, end the line with an order of action "delete" for the new customer`);
    }
    requireCustomer(req, (run.input as OrderInput).customerId);
    const { state } = stateOf(run);
    if (FINAL_STATES.includes(state)) throw new TwinloopError('CONFLICT', `order ${id} is ${state}: there is nothing left to cancel`);
    const steps = (await s.workflows.steps(id)) ?? [];
    if (steps.some((st) => st.stepId === ACTIVATE_SERVICE_STEP_ID)) throw new TwinloopError('CONFLICT', `order ${id} is in provisioning at the back end: it can no longer be cancelled`);
    const by = actorFor(req);
    await s.workflows.signal(id, CANCEL_ORDER_SIGNAL, { by: by.id, reason } satisfies CancelOrderRequest);
    // An order waiting for a person's approval: the approval is withdrawn (rejected by whoever cancels), which wakes the flow.
    const asked = steps.find((st) => st.stepId === REQUEST_PLAN_CHANGE_STEP_ID)?.output as { status?: string; approvalId?: string } | null | undefined;
    if (asked?.status === 'pending-approval' && asked.approvalId && (await s.approvals.get(asked.approvalId))?.status === 'pending') {
      await s.decideApproval(asked.approvalId, { approve: false, by, reason: `order ${id} cancelled: ${reason}` });
    }
    return s.workflows.waitFor(id, { timeoutMs: CANCEL_WAIT_MS }).catch(async () => (await s.workflows.get(id)) ?? run);
  }

  return (app) => {
    app.post(
      `${TMF622_BASE}/productOrder`,
      {
        schema: {
          summary:
            'TMF622: place a ProductOrder, one item. For a customer: modify (a plan change: the new plan as productOffering), add (an add-on as productOffering) or delete (end the line), which start the order-fulfilment flow; for an applicant (relatedParty role applicant, @type TwinloopApplicant: name, birthDate, documentType, documentNumber): add (a new line, the plan as productOffering), which starts onboarding',
          body: tmfSchema('TMF622', 'ProductOrder_Create'),
          response: { 201: tmfSchema('TMF622', 'ProductOrder'), ...tmfErrors('TMF622', 400, 403) },
        },
      },
      async (req, reply) => {
        const asked = orderInput(req.body as Json, s.products);
        let input: unknown;
        if (asked.flow === NEW_LINE_FLOW) {
          requireRunReach(req, 'a new line', asked.input, true);
          input = asked.input;
        } else {
          requireCustomer(req, asked.input.customerId);
          if (asked.input.channel) requireChannel(req, asked.input.channel);
          input = { ...asked.input, actor: actorFor(req) };
        }
        const { workflowId } = await s.workflows.start(asked.flow, input, { workflowId: `${ORDER_PREFIX}${randomUUID()}` });
        const run = await s.workflows.get(workflowId);
        if (!run) throw new TwinloopError('INTERNAL', `order ${workflowId} was started but cannot be read back`);
        return sendCreated(reply, toTmfOrder(run, root(req), customerRoot(req)));
      },
    );
    app.patch(
      `${TMF622_BASE}/productOrder/:id`,
      {
        schema: {
          summary: `TMF622: cancel an order with a JSON merge patch (${MERGE_PATCH}) {"state": "cancelled", "cancellationReason": "…"}; only before its provisioning starts (409 after)`,
          params: idParams,
          body: mergePatchBody,
          response: { 200: tmfSchema('TMF622', 'ProductOrder'), ...tmfErrors('TMF622', 400, 404, 409) },
        },
      },
      async (req) => {
        const patch = req.body as Json;
        const other = Object.keys(patch).filter((k) => k !== 'state' && k !== 'cancellationReason');
        if (other.length > 0) throw new TwinloopError('BAD_INPUT', `${other[0]}: an order changes only by being cancelled ({"state": "cancelled", "cancellationReason": "…"})`);
        if (patch.state !== 'cancelled') throw new TwinloopError('BAD_INPUT', `state: only "cancelled" may be set (found ${JSON.stringify(patch.state)})`);
        if (patch.cancellationReason !== undefined && typeof patch.cancellationReason !== 'string') throw new TwinloopError('BAD_INPUT', 'cancellationReason: a text');
        const run = await cancel(req, req.params.id, (patch.cancellationReason as string | undefined) ?? 'cancelled through TMF622');
        const order = toTmfOrder(run, root(req), customerRoot(req));
        return FINAL_STATES.includes(String(order.state)) ? order : { ...order, state: 'pendingCancellation' };
      },
    );
    app.post(
      `${TMF622_BASE}/cancelProductOrder`,
      {
        schema: {
          summary: 'TMF622: cancel an order (the task resource): done once the flow took it, inProgress while it is taking it; 409 once provisioning started',
          body: tmfSchema('TMF622', 'CancelProductOrder_Create'),
          response: { 201: tmfSchema('TMF622', 'CancelProductOrder'), ...tmfErrors('TMF622', 400, 404, 409) },
        },
      },
      async (req, reply) => {
        const body = req.body as { productOrder: { id: string }; cancellationReason?: string };
        const run = await cancel(req, body.productOrder.id, body.cancellationReason ?? 'cancelled through TMF622');
        const { state } = stateOf(run);
        const taskId = `${run.workflowId}-cancel`;
        const task: Json = {
          id: taskId,
          href: `${root(req)}/cancelProductOrder/${taskId}`,
          productOrder: { id: run.workflowId, href: `${root(req)}/productOrder/${run.workflowId}`, '@referredType': 'ProductOrder' },
          ...(body.cancellationReason ? { cancellationReason: body.cancellationReason } : {}),
          state: state === 'cancelled' ? 'done' : FINAL_STATES.includes(state) ? 'terminatedWithError' : 'inProgress',
          ...(state === 'cancelled' ? { effectiveCancellationDate: new Date(run.updatedAt).toISOString() } : {}),
          '@type': 'CancelProductOrder',
        };
        return sendCreated(reply, task);
      },
    );
    tmfReadRoutes(app, {
      api: 'TMF622',
      base: TMF622_BASE,
      collection: 'productOrder',
      definition: 'ProductOrder',
      customerOf: partyCustomer,
      all: async (req) => (await orders()).map((r) => toTmfOrder(r, root(req), customerRoot(req))),
      one: async (req, id) => {
        const run = await orderRun(id);
        return run ? toTmfOrder(run, root(req), customerRoot(req)) : undefined;
      },
    });
  };
}
