import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actionRequestSchema, actorSchema } from '../../decisioning/policy/index.js';
import { TwinloopError } from '../../domain/errors.js';
import { withAddsTo } from '../../agents/governance/approval-adds-to.js';
import type { ApprovalItem } from '../../agents/governance/approval-queue.js';
import { auditClockOf } from '../../agents/governance/audit-trail.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { errors, idParams, list, pageLimit } from './api-schemas.js';
import { approvalItem, auditRecord, auditVerification, guardedAnswer, guardedResult } from './governance-schemas.js';
import { actorFor, reachedOnly, reachedPage, requireActionChannel, requireCustomer } from './http-auth.js';
import type { RouteModule } from './route-module.js';

/** What POST /actions answers a body that asserts the customer's yes, in params or as the request's field. */
const NO_CUSTOMER_YES = "not a field a request may carry: the customer's yes on the line is recorded by the person serving them with POST /decisions/:id/accept (the assist desktop's Accept)";
const actionBody = actionRequestSchema
  .extend({
    // Every action asked over HTTP is for a customer: said at the edge, not found missing by the policy.
    customerId: z.string().min(1).max(200).describe('The customer the action is for, e.g. C000001'),
    actor: actorSchema.optional().describe("Who asks: always the credential's holder; a body may name only the caller itself"),
    // The request's typed field is set only by the one builder of a decision's request, for the person who accepted it.
    customerAccepted: z.never({ error: NO_CUSTOMER_YES }).optional().describe('Never in a body: the customer’s yes is recorded with POST /decisions/:id/accept'),
  })
  .meta({ examples: [{ actionClass: 'credit', channel: 'call', customerId: 'C000001', cost: 10, why: { summary: 'billed twice in May' } }] });
const approvalDecision = z
  .strictObject({ by: z.string().min(1).max(200).optional().describe("Who decides: always the credential's holder; a body may name only the caller itself"), reason: z.string().min(1).max(2000) })
  .meta({ examples: [{ reason: 'within goodwill guidelines' }] });
const auditQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional().describe('Oldest first: entries with a greater seq (default 0)'),
    order: z.enum(['oldest', 'newest']).default('oldest').describe('newest: the latest entries first, paged backwards with `before`'),
    before: z.coerce.number().int().min(1).optional().describe('With order=newest: entries with a smaller seq (the last page\'s smallest)'),
    q: z.string().min(1).max(200).optional().describe('With order=newest: only entries whose content contains this text (case-insensitive; customer, actor, type, request id…), over the whole trail'),
    limit: pageLimit(100),
  })
  .superRefine((q, ctx) => {
    if (q.order === 'oldest' && (q.before !== undefined || q.q !== undefined))
      ctx.addIssue({ code: 'custom', path: [q.before !== undefined ? 'before' : 'q'], message: 'before and q page the trail newest first: add order=newest' });
    if (q.order === 'newest' && q.after !== undefined) ctx.addIssue({ code: 'custom', path: ['after'], message: 'after pages oldest first: use before with order=newest' });
  })
  .meta({ examples: [{ after: '0', limit: '100' }, { order: 'newest', before: '500', q: 'C000001', limit: '100' }] });

/** A customer id where a record names one. */
const customerIdIn = (o: { customerId?: unknown } | undefined): string | undefined => (typeof o?.customerId === 'string' ? o.customerId : undefined);
/** The customer an approval's request acts on. */
const approvalCustomer = (item: { request: Record<string, unknown> }) => customerIdIn(item.request as { customerId?: unknown });

/** A key held to segments sees and decides only its customers' approvals (one that names no customer is none of them). */
function requireApprovalCustomer(req: FastifyRequest, item: { id: string; request: Record<string, unknown> }): void {
  if (!req.identity?.scope.segments) return;
  const customerId = approvalCustomer(item);
  if (customerId === undefined) throw new TwinloopError('FORBIDDEN', `${req.identity.subject}'s credential is scoped to the segments ${req.identity.scope.segments.join(', ')}; approval ${item.id} names no customer, so it needs a key without segments`);
  requireCustomer(req, customerId);
}

/**
 * Actions, approvals and the audit trail over HTTP. `POST /actions` is the one door for asking
 * Twinloop to act on a customer; the policy answers executed, pending-approval, advised or
 * refused (200 in every case: a refusal is an answer, not a fault). Who asks and who approves is
 * the caller's credential (`actorFor`), never the body. On a partition worker an approval is
 * decided only where its customer's twin is (`decideApproval`: 503 with Retry-After elsewhere).
 */
export function governanceRoutes(services: OperatorServices): RouteModule {
  return (app) => {
    app.post(
      '/actions',
      {
        schema: {
          summary:
            'Ask to act on a customer. The policy answers executed, pending-approval, advised, refused (with the guardrail) or failed; always 200 with the reason (docs/policy.md). A money move (credit, compensation, discount, refund) without why.summary is 400; a customer without a twin 404',
          body: actionBody,
          response: { 200: guardedResult, ...errors(400, 404) },
        },
      },
      async (req) => {
        const asked = { ...req.body, actor: actorFor(req, req.body.actor) };
        requireActionChannel(req, asked);
        // The customer's yes is recorded by the person on the line (POST /decisions/:id/accept, the care flow's accept),
        // never asserted in a request's body: the back end would book it accepted without the customer's answer.
        if (req.body.params && Object.hasOwn(req.body.params, 'customerAccepted')) {
          throw new TwinloopError('BAD_INPUT', `params.customerAccepted: ${NO_CUSTOMER_YES}`);
        }
        return guardedAnswer(await services.guarded.execute(asked));
      },
    );
    // A top-up's approver reads the payment it adds to as it stands now (decision 0093).
    const now = (item: ApprovalItem) => withAddsTo(item, (id) => services.guarded.standingOf(id));
    app.get('/approvals', { schema: { summary: "Pending approvals with what, why and the evidence (a key held to segments: its customers' only)", response: { 200: list(approvalItem) } } }, async (req) =>
      Promise.all(reachedOnly(req, await services.approvals.listPending(500), approvalCustomer).map(now)),
    );
    const approvalOf = async (req: FastifyRequest, id: string) => {
      const item = await services.approvals.get(id);
      if (!item) throw new TwinloopError('NOT_FOUND', `no approval ${id}; GET /approvals lists the pending ones`);
      requireApprovalCustomer(req, item);
      return item;
    };
    app.get('/approvals/:id', { schema: { summary: 'One approval, with what came of it once decided', params: idParams, response: { 200: approvalItem, ...errors(404) } } }, async (req) => {
      const item = await now(await approvalOf(req, req.params.id));
      const outcome = await services.guarded.approvalOutcome(item.id);
      return outcome ? { ...item, outcome: { status: outcome.status, reason: outcome.reason } } : item;
    });
    for (const verb of ['approve', 'reject'] as const) {
      app.post(
        `/approvals/:id/${verb}`,
        {
          schema: {
            summary: verb === 'approve' ? 'Approve: the action executes through the policy (caps and budgets still apply)' : 'Reject with a reason',
            params: idParams,
            body: approvalDecision,
            response: { 200: guardedResult, ...errors(400, 403, 404, 409, 503) },
          },
        },
        async (req) => {
          await approvalOf(req, req.params.id);
          return services.decideApproval(req.params.id, { approve: verb === 'approve', by: actorFor(req, req.body.by), reason: req.body.reason });
        },
      );
    }
    app.get(
      '/audit',
      {
        schema: {
          summary: 'Audit entries (hash-chained): oldest first after a seq, or newest first before a seq, optionally only those containing a text',
          querystring: auditQuery,
          response: { 200: list(auditRecord), ...errors(400) },
        },
      },
      async (req) => {
        const { after, order, before, q, limit } = req.query;
        return reachedPage(req, {
          limit,
          cursor: order === 'newest' ? before : after,
          read: async (cursor, n) => (await services.audit.read(order === 'newest' ? { newestFirst: true, beforeSeq: cursor, contains: q, limit: n } : { afterSeq: cursor, limit: n })).map((r) => ({ ...r, clock: auditClockOf(r) })),
          cursorOf: (r) => r.seq,
          customerOf: (r) => customerIdIn((r.entry as { action?: { customerId?: unknown } }).action),
        });
      },
    );
    app.get('/audit/verify', { schema: { summary: 'Walks the hash chain; reports the first broken link', response: { 200: auditVerification } } }, async () => services.audit.verify());
  };
}
