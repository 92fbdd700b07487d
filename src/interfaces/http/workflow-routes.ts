import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { jsonBody } from './json-body.js';
import type { RouteModule } from './route-module.js';

const listQuery = z.object({
  status: z.string().optional(),
  definitionId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * Durable workflows over HTTP: list and read runs; start one of the registered flows; send a
 * signal (e.g. a human agent's decision on a care case, an external callback).
 */
export function workflowRoutes(services: () => OperatorServices): RouteModule {
  return (app) => {
    app.get('/workflows', async (req) => {
      const q = listQuery.safeParse(req.query);
      if (!q.success) throw new TwinloopError('BAD_INPUT', `query: ${q.error.issues[0].message}`);
      return services().workflows.list(q.data as Parameters<OperatorServices['workflows']['list']>[0]);
    });
    app.get<{ Params: { id: string } }>('/workflows/:id', async (req) => {
      const run = await services().workflows.get(req.params.id);
      if (!run) throw new TwinloopError('NOT_FOUND', `no workflow run ${req.params.id}`);
      return run;
    });
    app.post<{ Params: { definition: string } }>('/workflows/:definition/start', async (req, reply) => {
      const body = jsonBody(req.body, '{"input": {...}, "workflowId": "optional-idempotent-id"}') as Record<string, unknown>;
      // {"input": {...}, "workflowId": "..."} or the input itself.
      const wrapped = 'input' in body;
      const input = wrapped ? body.input : body;
      const workflowId = wrapped && typeof body.workflowId === 'string' ? body.workflowId : undefined;
      const started = await services().workflows.start(req.params.definition, input ?? {}, { workflowId });
      return reply.status(started.created ? 201 : 200).send(started);
    });
    app.post<{ Params: { id: string; name: string } }>('/workflows/:id/signals/:name', async (req) => {
      // Approval outcomes reach a workflow only from the approval queue (POST /approvals/:id/approve).
      if (req.params.name.startsWith('approval:')) throw new TwinloopError('POLICY_DENIED', `signal ${req.params.name} is reserved for approval decisions; decide the approval with POST /approvals/${req.params.name.slice(9)}/approve or /reject`);
      const delivered = await services().workflows.signal(req.params.id, req.params.name, jsonBody(req.body, '{"decision": "accept"}'));
      if (!delivered) {
        const run = await services().workflows.get(req.params.id);
        throw run
          ? new TwinloopError('CONFLICT', `workflow run ${req.params.id} is ${run.status}; only a run that has not finished takes signals`)
          : new TwinloopError('NOT_FOUND', `no workflow run ${req.params.id}; GET /workflows lists them`);
      }
      return { delivered };
    });
  };
}
