import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { jsonBody, parseBody } from './json-body.js';
import type { RouteModule } from './route-module.js';

const decisionBody = z.strictObject({ by: z.string().min(1).max(200), reason: z.string().min(1).max(2000) });
const auditQuery = z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

/**
 * Actions, approvals and the audit trail over HTTP. `POST /actions` is the one door for asking
 * Twinloop to act on a customer; the policy answers executed, pending-approval, advised or
 * refused (200 in every case: a refusal is an answer, not a fault).
 */
export function governanceRoutes(services: () => OperatorServices): RouteModule {
  return (app) => {
    app.post('/actions', async (req) => services().guarded.execute(jsonBody(req.body, '{"actionClass": "credit", "channel": "call", "customerId": "C000001", "cost": 10, "actor": {"kind": "human", "id": "agent-7"}}')));
    app.get('/approvals', async () => services().approvals.listPending(500));
    app.get<{ Params: { id: string } }>('/approvals/:id', async (req) => {
      const item = await services().approvals.get(req.params.id);
      if (!item) throw new TwinloopError('NOT_FOUND', `no approval ${req.params.id}; GET /approvals lists the pending ones`);
      return item;
    });
    for (const verb of ['approve', 'reject'] as const) {
      app.post<{ Params: { id: string } }>(`/approvals/:id/${verb}`, async (req) => {
        const body = parseBody(decisionBody, req.body, '{"by": "supervisor-3", "reason": "within goodwill guidelines"}');
        return services().decideApproval(req.params.id, { approve: verb === 'approve', by: { kind: 'human', id: body.by }, reason: body.reason });
      });
    }
    app.get('/audit', async (req) => {
      const q = auditQuery.safeParse(req.query);
      if (!q.success) throw new TwinloopError('BAD_INPUT', `query: ${q.error.issues[0].message}; use ?after=SEQ&limit=N`);
      return services().audit.read({ afterSeq: q.data.after, limit: q.data.limit });
    });
    app.get('/audit/verify', async () => services().audit.verify());
  };
}
