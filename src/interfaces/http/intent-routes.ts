import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { llmConfigFromEnv, proposeIntentWithLlm } from '../../agents/intents/llm-intent-adapter.js';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { jsonBody, parseBody } from './json-body.js';
import type { RouteModule } from './route-module.js';

const executeBody = z.strictObject({ approvedBy: z.string().min(1).max(200).optional() });

/**
 * Intents over HTTP: `POST /intents` with `{"text": "..."}` (the documented phrasings, see
 * docs/intents.md) or `{"intent": {...}}` (TMF921-shaped); `accept: true` accepts it, plans it by
 * simulation and, in autonomous mode, executes the plan. `GET /intents/:id/report` tracks it.
 */
export function intentRoutes(services: () => OperatorServices): RouteModule {
  return (app) => {
    app.post('/intents', async (req, reply) => {
      const body = jsonBody(req.body, '{"text": "keep high-value prepaid customers at risk this month, budget 50000"}') as { text?: unknown; intent?: unknown; accept?: unknown; llm?: unknown };
      const intents = services().intents;
      const accept = body.accept === true;
      if (body.llm === true && typeof body.text === 'string') {
        // A language model may only propose: the validated intent is stored as proposed, shown, and
        // runs only after an explicit POST /intents/:id/accept.
        const config = llmConfigFromEnv();
        if (!config) throw new TwinloopError('BAD_INPUT', 'no language model is configured: set TWINLOOP_LLM_BASE_URL, TWINLOOP_LLM_API_KEY and TWINLOOP_LLM_MODEL, or send the text without "llm"');
        const proposed = await proposeIntentWithLlm(body.text, config, { id: `intent-${randomUUID()}` });
        if (!proposed.ok) throw new TwinloopError('BAD_INPUT', `the model's answer is not a valid intent: ${proposed.reason}`, { context: { issues: proposed.issues, rawText: proposed.rawText } });
        const record = await intents.createFromProposal(proposed.proposal);
        return reply.status(201).send({ ...record, proposal: { model: proposed.proposal.model, rawText: proposed.proposal.rawText }, next: `POST /intents/${record.intent.id}/accept to accept it` });
      }
      if (typeof body.text === 'string') {
        const r = await intents.createFromText(body.text, { accept });
        if (!r.ok) throw new TwinloopError('BAD_INPUT', `${r.reason}${r.suggestions.length ? `; try: ${r.suggestions.join(' | ')}` : ''}`);
        return reply.status(201).send(accept ? await intents.planAndRun(r.record.intent.id) : r.record);
      }
      if (body.intent !== undefined) {
        const record = await intents.createFromDraft(body.intent, { accept });
        return reply.status(201).send(accept ? await intents.planAndRun(record.intent.id) : record);
      }
      throw new TwinloopError('BAD_INPUT', 'send {"text": "..."} or {"intent": {...}}');
    });
    app.get('/intents', async () => services().intents.list());
    app.get<{ Params: { id: string } }>('/intents/:id', async (req) => services().intents.get(req.params.id));
    app.get<{ Params: { id: string } }>('/intents/:id/report', async (req) => services().intents.report(req.params.id));
    app.post<{ Params: { id: string } }>('/intents/:id/accept', async (req) => {
      await services().intents.accept(req.params.id);
      return services().intents.planAndRun(req.params.id);
    });
    app.post<{ Params: { id: string } }>('/intents/:id/execute', async (req) => {
      const body = parseBody(executeBody, req.body, '{"approvedBy": "marketing-lead-2"}');
      const r = await services().intents.execute(req.params.id, { approvedBy: body.approvedBy });
      if (!r.ok) throw new TwinloopError('POLICY_DENIED', r.reason);
      return r.record;
    });
    app.post<{ Params: { id: string } }>('/intents/:id/check', async (req) => services().intents.check(req.params.id));
    app.post<{ Params: { id: string } }>('/intents/:id/cancel', async (req) => services().intents.cancel(req.params.id, 'cancelled through the API'));
  };
}
