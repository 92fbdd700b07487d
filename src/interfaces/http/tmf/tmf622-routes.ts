import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { WorkflowRun } from '../../../agents/workflows/index.js';
import { CHANNELS } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { actorFor, requireChannel, requireCustomer } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, sendCreated, tmfErrors, tmfReadRoutes, partyCustomer } from './tmf-common.js';
import { TMF629_BASE } from './tmf629-mapping.js';
import { tmfSchema } from './tmf-spec.js';

type Json = Record<string, unknown>;

/** The base path of TMF622 (its specification's `basePath`, without the trailing slash). */
export const TMF622_BASE = '/tmf-api/productOrderingManagement/v4';
/** The flow an order starts (agents/flows/order-fulfilment-flow.ts). */
const FLOW = 'order-fulfilment';
/** Ids of orders made here: the workflow run's id. */
const ORDER_PREFIX = 'order-';

/** What the flow's run says of the order, as a TMF622 state: acknowledged → inProgress → completed / rejected / failed / cancelled. */
function stateOf(run: WorkflowRun): { state: string; reason?: string } {
  const output = run.output as { outcome?: string; reason?: string } | null;
  if (run.status === 'failed') return { state: 'failed', reason: run.error ?? undefined };
  if (run.status !== 'succeeded') return { state: run.createdAt === run.updatedAt ? 'acknowledged' : 'inProgress' };
  switch (output?.outcome) {
    case 'completed':
      return { state: 'completed' };
    case 'invalid':
    case 'refused':
    case 'advised':
      return { state: 'rejected', reason: `${output.outcome}: ${output.reason ?? ''}` };
    case 'timed-out':
      return { state: 'cancelled', reason: `the approval timed out: ${output.reason ?? ''}` };
    default:
      return { state: 'failed', reason: `unknown outcome ${String(output?.outcome)}` };
  }
}

/** An order-fulfilment run as a TMF622 ProductOrder. */
function toTmfOrder(run: WorkflowRun, root: string, customerRoot: string): Json {
  const input = run.input as { customerId: string; planId: string; channel?: string };
  const { state, reason } = stateOf(run);
  const done = ['completed', 'rejected', 'failed', 'cancelled'].includes(state);
  return {
    id: run.workflowId,
    href: `${root}/productOrder/${run.workflowId}`,
    category: 'planChange',
    description: `Plan change to ${input.planId}`,
    orderDate: new Date(run.createdAt).toISOString(),
    ...(done ? { completionDate: new Date(run.updatedAt).toISOString() } : {}),
    state,
    ...(reason ? { note: [{ text: reason, author: FLOW }] } : {}),
    ...(input.channel ? { channel: [{ id: input.channel, role: 'salesChannel', '@referredType': 'Channel' }] } : {}),
    relatedParty: [{ id: input.customerId, href: `${customerRoot}/customer/${input.customerId}`, role: 'customer', '@referredType': 'Customer' }],
    productOrderItem: [{ id: '1', quantity: 1, action: 'modify', state: state === 'acknowledged' ? 'acknowledged' : state, productOffering: { id: input.planId, name: input.planId, '@referredType': 'ProductOffering' } }],
    '@type': 'ProductOrder',
  };
}

/** The flow's input from a TMF622 ProductOrder: the customer, the one plan-change item, the channel. */
function orderInput(body: Json): { customerId: string; planId: string; channel?: string } {
  const parties = Array.isArray(body.relatedParty) ? (body.relatedParty as Json[]) : [];
  const customer = parties.find((p) => String(p.role ?? '').toLowerCase() === 'customer' || p['@referredType'] === 'Customer');
  if (!customer || typeof customer.id !== 'string') throw new TwinloopError('BAD_INPUT', 'relatedParty: name the customer ({"id": "C000123", "role": "customer", "@referredType": "Customer"})');
  const items = body.productOrderItem as Json[];
  const item = items[0];
  if (items.length !== 1 || item.action !== 'modify') {
    throw new TwinloopError('BAD_INPUT', 'productOrderItem: one item with action "modify" and the new plan as productOffering (a plan change) is what this API fulfils today; new lines, add-ons and terminations are not yet served');
  }
  const planId = (item.productOffering as Json | undefined)?.id;
  if (typeof planId !== 'string') throw new TwinloopError('BAD_INPUT', 'productOrderItem[0].productOffering.id: name the plan to change to');
  const channels = Array.isArray(body.channel) ? (body.channel as Json[]) : [];
  const channel = channels[0]?.id;
  if (channel !== undefined && !(CHANNELS as readonly unknown[]).includes(channel)) throw new TwinloopError('BAD_INPUT', `channel[0].id: "${String(channel)}" is not one of ${CHANNELS.join(', ')}`);
  return { customerId: customer.id, planId, ...(typeof channel === 'string' ? { channel } : {}) };
}

/**
 * TMF622 Product Ordering v4 at `/tmf-api/productOrderingManagement/v4/`: an inbound order starts
 * the order-fulfilment flow (a plan change, through the action policy, acting as the caller), and
 * the order's state follows the flow's run. Orders are the flow's runs: GET reads them back.
 */
export function tmf622Routes(s: Pick<OperatorServices, 'workflows'>): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF622_BASE);
  const customerRoot = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  const orders = async () => (await s.workflows.list({ definitionId: FLOW, limit: 1000 })).filter((r) => r.workflowId.startsWith(ORDER_PREFIX));
  return (app) => {
    app.post(
      `${TMF622_BASE}/productOrder`,
      {
        schema: {
          summary: 'TMF622: place a ProductOrder (a plan change: one item, action modify, the new plan as productOffering); it starts the order-fulfilment flow',
          body: tmfSchema('TMF622', 'ProductOrder_Create'),
          response: { 201: tmfSchema('TMF622', 'ProductOrder'), ...tmfErrors('TMF622', 400, 403) },
        },
      },
      async (req, reply) => {
        const input = { ...orderInput(req.body as Json), actor: actorFor(req) };
        requireCustomer(req, input.customerId);
        if (input.channel) requireChannel(req, input.channel);
        const { workflowId } = await s.workflows.start(FLOW, input, { workflowId: `${ORDER_PREFIX}${randomUUID()}` });
        const run = await s.workflows.get(workflowId);
        if (!run) throw new TwinloopError('INTERNAL', `order ${workflowId} was started but cannot be read back`);
        return sendCreated(reply, toTmfOrder(run, root(req), customerRoot(req)));
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
        const run = id.startsWith(ORDER_PREFIX) ? await s.workflows.get(id) : null;
        return run && run.definitionId === FLOW ? toTmfOrder(run, root(req), customerRoot(req)) : undefined;
      },
    });
  };
}
