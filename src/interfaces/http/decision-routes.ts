import { z } from 'zod';
import { channelSchema } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { DO_NOTHING } from '../../decisioning/decision-record.js';
import { decisionAnswer } from '../../decisioning/decision-answer.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { actionForDecision } from '../runtime/decision-actions.js';
import { jsonBody, parseBody } from './json-body.js';
import type { RouteModule } from './route-module.js';

const decideBody = z.strictObject({
  customerId: z.string().min(1).max(200),
  channel: channelSchema,
  reason: z.string().min(1).max(64).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  /** Execute the chosen action now (through the action policy); default false: recommend only. */
  execute: z.boolean().default(false),
  /** Also say, for each discarded offer, why in words (default: the step that removed it). */
  explain: z.boolean().default(false),
});
const acceptBody = z.strictObject({
  /** The action accepted (default: the decision's chosen one). */
  actionId: z.string().min(1).optional(),
  /** The person who accepted it on the desktop. */
  agentId: z.string().min(1).max(200),
});

/**
 * Next-best-action over HTTP: `POST /decisions` (the funnel's answer, optionally executed),
 * `POST /decisions/:id/accept` (a person accepted an action on the assist card: it executes
 * through the policy with that person as the actor), and the offer catalogue as TM Forum TMF620
 * product offerings (`/productOffering`, `/catalogue`).
 */
export function decisionRoutes(services: () => OperatorServices): RouteModule {
  return (app) => {
    app.post('/decisions', async (req) => {
      const body = parseBody(decideBody, req.body, '{"customerId": "C000001", "channel": "call", "reason": "billing_question"}');
      const s = services();
      const decision = s.decisions.decide(body.customerId, body);
      const answer = decisionAnswer(decision, body.explain);
      if (!body.execute || decision.chosen.actionId === DO_NOTHING) return answer;
      const request = actionForDecision(s, decision, decision.chosen.actionId, { kind: 'system', id: 'next-best-action' });
      return { ...answer, execution: await s.guarded.execute(request) };
    });
    app.post<{ Params: { id: string } }>('/decisions/:id/accept', async (req) => {
      const body = parseBody(acceptBody, req.body, '{"agentId": "agent-17"}');
      const s = services();
      const decision = s.decisions.get(req.params.id);
      if (!decision) throw new TwinloopError('NOT_FOUND', `no recent decision ${req.params.id}; decide again with POST /decisions`);
      const actionId = body.actionId ?? decision.chosen.actionId;
      if (actionId === DO_NOTHING) throw new TwinloopError('BAD_INPUT', 'the decision chose to do nothing; name an actionId of its ranked actions to accept one');
      if (!decision.ranked.some((r) => r.actionId === actionId)) {
        throw new TwinloopError('BAD_INPUT', `action ${actionId} is not among decision ${decision.decisionId}'s ranked actions (${decision.ranked.map((r) => r.actionId).join(', ')})`);
      }
      return s.guarded.execute(actionForDecision(s, decision, actionId, { kind: 'human', id: body.agentId }));
    });

    app.get('/catalogue', async () => {
      const { document, version } = services().decisions.catalogueDocument();
      return { ...document, version };
    });
    app.put('/catalogue', async (req) => {
      const doc = jsonBody(req.body, '{"productOffering": [...]}') as Record<string, unknown>;
      const { version, ...document } = doc;
      const saved = await services().decisions.replaceCatalogue(document, typeof version === 'number' ? version : undefined);
      return { ...saved.document, version: saved.version };
    });
    app.get('/productOffering', async () => services().decisions.catalogueDocument().document.productOffering);
    app.get<{ Params: { id: string } }>('/productOffering/:id', async (req) => {
      const found = services().decisions.catalogueDocument().document.productOffering.find((o) => (o as { id?: string }).id === req.params.id);
      if (!found) throw new TwinloopError('NOT_FOUND', `no product offering "${req.params.id}"; GET /productOffering lists them`);
      return found;
    });
    app.put<{ Params: { id: string } }>('/productOffering/:id', async (req) => {
      const offering = jsonBody(req.body, '{"id": "retain-10", "name": "...", "actionClass": "discount", ...}') as Record<string, unknown>;
      if (offering.id !== undefined && offering.id !== req.params.id) throw new TwinloopError('BAD_INPUT', `body id "${String(offering.id)}" differs from the path's "${req.params.id}"`);
      await services().decisions.putOffering({ ...offering, id: req.params.id });
      return services().decisions.catalogueDocument().document.productOffering.find((o) => (o as { id?: string }).id === req.params.id);
    });
    app.delete<{ Params: { id: string } }>('/productOffering/:id', async (req, reply) => {
      await services().decisions.deleteOffering(req.params.id);
      return reply.status(204).send();
    });
  };
}
