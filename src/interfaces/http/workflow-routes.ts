import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { RUN_STATUSES, STEP_STATUSES } from '../../store/workflow-journal.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { errors, idParams, isoTime, jsonObject, list, pageLimit } from './api-schemas.js';
import { CAMPAIGN_MANAGEMENT_WORKFLOW_ID, campaignInputSchema } from '../../agents/flows/campaign-management-flow.js';
import { campaignSends } from './campaign-routes.js';
import { actorFor, reachedOnly, requireChannel, requireCustomer, requirePermission } from './http-auth.js';
import { startPermissionOf } from '../auth/access-table.js';
import { auditRunStart, type StartedRun } from '../../agents/flows/run-start-audit.js';
import type { RouteModule } from './route-module.js';
import type { Assist } from '../../agents/assist/assist-service.js';
import { AGENT_DECISION_SIGNAL, careCaseYes } from '../../agents/flows/customer-care-flow.js';
import { customerYesOf } from './customer-yes-of.js';
import { churnPreventionPolicySchema, DEFAULT_CHURN_PREVENTION_POLICY } from '../../decisioning/policy/index.js';
import { LEFT_ALONE_REASONS } from '../../agents/flows/churn-prevention-policy.js';
import { churnRunReports } from '../../agents/flows/churn-prevention-report.js';
import { CHURN_PREVENTION_WORKFLOW_ID } from '../../agents/flows/churn-prevention-flow.js';

const listQuery = z.object({ status: z.enum(RUN_STATUSES).optional(), definitionId: z.string().min(1).max(128).optional(), limit: pageLimit(100) }).meta({ examples: [{ status: 'waiting', limit: '20' }] });
const run = z.object({
  workflowId: z.string(),
  definitionId: z.string(),
  definitionVersion: z.number().int(),
  status: z.enum(RUN_STATUSES),
  input: z.unknown().describe("The flow's input (docs/flows.md)"),
  output: z.unknown().describe("The flow's result once it succeeded, else null"),
  error: z.string().nullable(),
  parentId: z.string().nullable(),
  createdAt: z.number().describe('ms since the epoch'),
  updatedAt: z.number().describe('ms since the epoch'),
  stepsCompactedAt: z
    .number()
    .nullable()
    .describe("When the run's step records were compacted (it finished longer ago than the retention): its steps then list only those its views read; its result stays. Null before"),
  wakeAt: z.number().nullable().describe("When a waiting run wakes next, ms since the epoch on the operator's clock (its timer: a campaign's next tick; a signal may wake it sooner); null when it is not waiting"),
});
const step = z.object({
  key: z.string().describe("The step's key in the run (its id, or the key of a repeated step such as notice-0)"),
  stepId: z.string().describe('The stable step id (docs/flows.md)'),
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int(),
  output: z.unknown().describe("The step's result once it succeeded, else null"),
  error: z.string().nullable(),
  updatedAt: z.number().describe("ms since the epoch, on the operator's clock"),
});
const churnReport = z
  .object({
    periodId: z.string(),
    status: z.enum(['acted', 'nothing-to-do', 'refused-by-simulation']),
    reason: z.string().optional(),
    scanned: z.number().int(),
    contacted: z
      .array(
        z.object({
          customerId: z.string(),
          offerId: z.string(),
          route: z.enum(['digital', 'assisted']),
          cost: z.number().describe('What the contact cost when made'),
          requestId: z.string().optional().describe('An offer paid on acceptance: the request whose answer settles it'),
          onAcceptance: z.number().optional().describe('Its part paid only if the customer accepts'),
        }),
      )
      .readonly(),
    leftAlone: z.partialRecord(z.enum(LEFT_ALONE_REASONS), z.object({ count: z.number().int(), customerIds: z.array(z.string()).describe('The first 200') })),
    spend: z.number().describe('What its contacts cost when made, and its offers accepted since'),
    reserved: z.number().optional().describe('What its offers still waiting for an answer would cost if accepted: reserved in the budgets, released on a decline or after the answer window'),
    budget: z.number(),
    settings: z.object({ minChurn: z.number(), minValue: z.number(), budget: z.number(), controlShare: z.number(), offers: z.array(z.string()) }).optional(),
    simulation: z.array(z.object({ customers: z.number().int(), low: z.number(), mean: z.number(), simulationId: z.string().optional() })).readonly(),
    notClearlyPositive: z
      .array(z.object({ customerId: z.string(), mean: z.number(), low: z.number() }))
      .readonly()
      .optional()
      .describe('Customers the simulation check left out: their expected net value over the check horizon, mean and the low end of its 90 % interval (the first 200)'),
    auditSeq: z.number().int().optional().describe("The audit entry holding the report's counts"),
  })
  .meta({ id: 'ChurnRunReport' });
const churnRun = z.object({
  workflowId: z.string(),
  status: z.enum(RUN_STATUSES).describe('A run that has acted waits (sleeps) until its horizon, then measures'),
  periodId: z.string().nullable(),
  scanAt: z.number().nullable().describe('ms since the epoch'),
  report: churnReport.nullable().describe('Null until the run has acted'),
  measured: z.unknown().describe('Treated vs control churn, once the run reached its horizon; else null'),
});
const started = z.object({
  workflowId: z.string(),
  created: z.boolean().describe('False: a run with this id already existed (start is idempotent)'),
  status: z.enum(RUN_STATUSES),
  firstTickAt: isoTime.optional().describe("A campaign: when its first tick contacts its audience, world time (its send hour, or the contact policy's hours: one started in quiet hours waits for their end)"),
  sends: z.string().optional().describe('A campaign: when its contacts go out, in words'),
});
const startBody = jsonObject
  .describe('{"input": {...}, "workflowId": "optional idempotent id"}, or the input itself; each flow validates its input (docs/flows.md)')
  .optional()
  .meta({ examples: [{ input: { customerId: 'C000001', channel: 'call' } }] });
const signalBody = z.unknown().describe("The signal's payload, e.g. an agent's decision on a care case").meta({ examples: [{ decision: 'accept' }] });

/** The customer a run serves, as its input names it (customer care, order fulfilment); undefined for a run over many or none yet. */
const runCustomer = (input: unknown): string | undefined => {
  const id = (input as { customerId?: unknown } | null)?.customerId;
  return typeof id === 'string' ? id : undefined;
};
/** The most runs a list reads for a segment-scoped caller, whose page then holds only their customers' runs. */
const SCOPED_RUN_SCAN = 1000;

/**
 * A key held to segments reaches a run only through its customer (and a key held to channels acts
 * only on those): a run over many customers or none (a campaign, a scan, an onboarding) is refused,
 * naming the run and the segments; starting one the same, before it starts.
 */
export function requireRunReach(req: FastifyRequest, what: string, input: unknown, acting: boolean): void {
  const identity = req.identity;
  const channel = (input as { channel?: unknown } | null)?.channel;
  if (acting && typeof channel === 'string') requireChannel(req, channel);
  if (!identity?.scope.segments) return;
  const customerId = runCustomer(input);
  if (customerId === undefined) {
    throw new TwinloopError('FORBIDDEN', `${identity.subject}'s credential is scoped to the segments ${identity.scope.segments.join(', ')}; ${what} names no one customer (it runs over many, or creates one), so it needs a key without segments`);
  }
  requireCustomer(req, customerId);
}

/**
 * Durable workflows over HTTP: list and read runs; start one of the registered flows; send a
 * signal (e.g. a human agent's decision on a care case, an external callback).
 */
export function workflowRoutes(s: OperatorServices, assist: Pick<Assist, 'contexts' | 'contactOf'>): RouteModule {
  const { workflows } = s;
  return (app) => {
    app.get(
      '/workflows',
      { schema: { summary: `Workflow runs, newest first (filter by status, definitionId); a key held to segments: its customers' runs among the newest ${SCOPED_RUN_SCAN}`, querystring: listQuery, response: { 200: list(run), ...errors(400) } } },
      async (req) => {
        if (!req.identity?.scope.segments) return workflows.list(req.query);
        return reachedOnly(req, await workflows.list({ ...req.query, limit: SCOPED_RUN_SCAN }), (r) => runCustomer(r.input)).slice(0, req.query.limit);
      },
    );
    const runOf = async (req: FastifyRequest, id: string, acting = false) => {
      const found = await workflows.get(id);
      if (!found) throw new TwinloopError('NOT_FOUND', `no workflow run ${id}; GET /workflows lists them`);
      requireRunReach(req, `workflow run ${id}`, found.input, acting);
      return found;
    };
    app.get('/workflows/:id', { schema: { summary: 'One workflow run: status, input, output or error', params: idParams, response: { 200: run, ...errors(404) } } }, async (req) => runOf(req, req.params.id));
    app.get(
      '/workflows/:id/steps',
      { schema: { summary: "A run's journaled steps in order, each with its result (e.g. service operations: the affected customers, each notice batch)", params: idParams, response: { 200: list(step), ...errors(404) } } },
      async (req) => {
        await runOf(req, req.params.id);
        const steps = await workflows.steps(req.params.id);
        if (!steps) throw new TwinloopError('NOT_FOUND', `no workflow run ${req.params.id}; GET /workflows lists them`);
        return steps;
      },
    );
    app.post(
      '/workflows/:definition/start',
      {
        schema: {
          summary:
            'Start a flow (onboarding, order-fulfilment, customer-care, churn-prevention, campaign-management, service-operations); 201 when created, 200 when a run with that id existed. A flow over many customers needs its own permission too (campaign-management and churn-prevention: campaigns:manage; service-operations: alarms:write), else 403 naming it; who started it is audited. A campaign runs once per campaignId (its run id is campaign-<campaignId>): starting one whose run exists is 409 naming its state; one naming an offer not in the catalogue is 400',
          params: z.object({ definition: z.string().min(1).max(128) }),
          body: startBody,
          response: { 200: started, 201: started, ...errors(400, 403, 404, 409, 503) },
        },
      },
      async (req, reply) => {
        const body = req.body ?? {};
        // {"input": {...}, "workflowId": "..."} or the input itself.
        const wrapped = 'input' in body;
        const input = wrapped ? body.input : body;
        const workflowId = wrapped && typeof body.workflowId === 'string' ? body.workflowId : undefined;
        // Each flow names who may start it (a campaign spends a budget: campaigns:manage, as its stop), beyond the route's workflows:start.
        const needs = startPermissionOf(req.params.definition);
        requirePermission(req, needs, `start a ${req.params.definition} run`);
        requireRunReach(req, `a ${req.params.definition} run`, input, true);
        // Who started a flow over many customers is audited (a campaign's page lists it among its
        // adjustments), before the run is written: a crash between cannot lose it.
        const by = actorFor(req);
        const beforeCreate = needs !== 'workflows:start' ? (run: StartedRun) => auditRunStart(s.audit, by, run, `started through POST /workflows/${req.params.definition}/start`) : undefined;
        const result = await workflows.start(req.params.definition, input ?? {}, { workflowId, ...(beforeCreate ? { beforeCreate } : {}) });
        // A campaign says when its contacts go out: one started at night contacts nobody until the quiet hours end.
        const run = req.params.definition === CAMPAIGN_MANAGEMENT_WORKFLOW_ID ? await workflows.get(result.workflowId) : undefined;
        if (run) {
          const plan = campaignSends(s, campaignInputSchema.parse(run.input), run.createdAt);
          return reply.status(result.created ? 201 : 200).send({ ...result, firstTickAt: new Date(plan.firstTickAt).toISOString(), sends: plan.sends });
        }
        return reply.status(result.created ? 201 : 200).send(result);
      },
    );
    app.post(
      '/workflows/:id/signals/:name',
      {
        schema: {
          summary: 'Signal a waiting workflow (e.g. agent-decision on a care case); approval outcomes come only from the approval queue',
          params: z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) }),
          body: signalBody,
          response: { 200: z.object({ delivered: z.literal(true) }), ...errors(403, 404, 409) },
        },
      },
      async (req) => {
        // Approval outcomes reach a workflow only from the approval queue (POST /approvals/:id/approve).
        if (req.params.name.startsWith('approval:')) throw new TwinloopError('POLICY_DENIED', `signal ${req.params.name} is reserved for approval decisions; decide the approval with POST /approvals/${req.params.name.slice(9)}/approve or /reject`);
        // The one answering is the caller, never the payload's agentId, and is what the credential says
        // (agentKind): a care case acts as that person, and only a person's accept is the customer's yes.
        const payload = req.body ?? {};
        if (req.identity?.scope.segments || req.identity?.scope.channels) await runOf(req, req.params.id, true);
        const signer = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? actorFor(req, (payload as { agentId?: string }).agentId) : undefined;
        // A care case's accept by a person is the customer's yes only as the desktop's is (decision
        // 0050), judged now, when the person answers; a caller's own word on it is never taken.
        const { customerYes: _claimed, ...own } = (signer ? payload : {}) as { customerYes?: unknown };
        const yes = signer?.kind === 'human' && req.params.name === AGENT_DECISION_SIGNAL && (payload as { decision?: unknown }).decision === 'accept' ? await careCaseYes(workflows, req.params.id, (decision) => customerYesOf(req, signer, assist, decision)) : undefined;
        const signed = signer ? { ...own, agentId: signer.id, agentKind: signer.kind, ...(yes ? { customerYes: yes } : {}) } : payload;
        const delivered = await workflows.signal(req.params.id, req.params.name, signed);
        if (!delivered) {
          const found = await workflows.get(req.params.id);
          throw found
            ? new TwinloopError('CONFLICT', `workflow run ${req.params.id} is ${found.status}; only a run that has not finished takes signals`)
            : new TwinloopError('NOT_FOUND', `no workflow run ${req.params.id}; GET /workflows lists them`);
        }
        return { delivered: true as const };
      },
    );
    const policy = churnPreventionPolicySchema.meta({ id: 'ChurnPreventionPolicy', examples: [DEFAULT_CHURN_PREVENTION_POLICY] });
    // A read alias of the action policy's churnPrevention section, which is changed with the rest of
    // the document (PUT /policy, versioned and audited); the PUT this route had is gone.
    app.get(
      '/churn-prevention/policy',
      { schema: { summary: "Proactive churn prevention's policy (the action policy's churnPrevention section, read only: change it with PUT /policy): churn-risk floor, value floor, budget per run, offer set, cadence, control share", response: { 200: policy } } },
      async () => s.churnPolicy.get(),
    );
    // Read with what the offers' answers settled since the run wrote its report.
    const reports = churnRunReports(workflows, CHURN_PREVENTION_WORKFLOW_ID, (id) => s.settlements.get(id));
    app.get(
      '/churn-prevention/runs',
      { schema: { summary: 'Proactive churn prevention runs, newest first, each with its report once it has acted (whom it contacted, whom it left alone and why)', querystring: z.object({ limit: pageLimit(20) }), response: { 200: list(churnRun), ...errors(400) } } },
      async (req) => reports.list(req.query.limit),
    );
    app.get(
      '/churn-prevention/runs/:id',
      { schema: { summary: "One churn prevention run's report: contacted (offer, route, cost), left alone by reason (count and first ids), spend, settings, the simulation check; measured churn once at its horizon", params: idParams, response: { 200: churnRun, ...errors(404) } } },
      async (req) => reports.get(req.params.id),
    );
  };
}
