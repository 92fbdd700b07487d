import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { llmConfigFromEnv, proposeIntentWithLlm } from '../../agents/intents/llm-intent-adapter.js';
import { TwinloopError } from '../../domain/errors.js';
import type { IntentRecord } from '../../agents/intents/intent-store.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { documentedAs, errors, idParams, list } from './api-schemas.js';
import { intentCheck, intentRecord, intentReport } from './intent-schemas.js';
import { actorFor, identityOf, requirePermission } from './http-auth.js';
import { signedActorOf } from '../auth/identity.js';
import { startPermissionOf } from '../auth/access-table.js';
import { CAMPAIGN_MANAGEMENT_WORKFLOW_ID } from '../../agents/flows/campaign-management-flow.js';
import type { RouteModule } from './route-module.js';

const createBody = z
  .object({
    text: z.string().min(1).max(2000).optional().describe('The intent in words (docs/intents.md lists the phrasings)'),
    intent: documentedAs('IntentDraftInput').optional().describe('A structured, TMF921-shaped intent'),
    accept: z.boolean().default(false).describe('Accept it at once: answered in planning; its plans are simulated in the background and, in autonomous mode, the chosen one runs (GET /intents/:id/report follows it)'),
    llm: z.boolean().default(false).describe('Have the configured language model propose the intent from `text`; it runs only after an explicit accept'),
  })
  .meta({ examples: [{ text: 'keep high-value prepaid customers at risk this month, budget 50000' }] });
const executeBody = z
  .strictObject({ approvedBy: z.string().min(1).max(200).optional().describe("Who approves the plan: always the credential's holder; a body may name only the caller itself") })
  .optional()
  .meta({ examples: [{ approvedBy: 'marketing-lead-2' }] });
const proposal = intentRecord.extend({ proposal: z.object({ model: z.string(), rawText: z.string() }), next: z.string() });

/**
 * Intents over HTTP: `POST /intents` with `{"text": "..."}` (the documented phrasings, see
 * docs/intents.md) or `{"intent": {...}}` (TMF921-shaped); `accept: true` accepts it and answers
 * at once with the intent in planning (as TMF921 does): the plans are simulated in the background
 * and, in autonomous mode, the chosen one runs. `GET /intents/:id/report` tracks it (`inProgress`).
 */
export function intentRoutes(s: OperatorServices): RouteModule {
  const { intents } = s;
  /** A record as answered: with where it stands now (awaiting approval, acting…), which its lifecycle status alone does not say. */
  const staged = (record: IntentRecord) => ({ ...record, stage: intents.stageOf(record) });
  /** Starts the intent's planning and answers its report as it is then: in planning, the plans to follow. */
  const planning = async (id: string) => {
    await intents.startPlanning(id);
    return intents.report(id);
  };
  return (app) => {
    app.post(
      '/intents',
      {
        schema: {
          summary:
            'Create an intent from words or a TMF921-shaped intent; `accept: true` accepts it and answers its report at once, in planning (`inProgress`): the plans are simulated in the background (and the chosen one runs in autonomous mode); GET /intents/:id/report follows it',
          body: createBody,
          response: { 201: z.union([proposal, intentRecord, intentReport]), ...errors(400, 503) },
        },
      },
      async (req, reply) => {
        const { text, intent, accept, llm } = req.body;
        // Kept with the role the credential holds now: an autonomous plan starts as its creator, later.
        const by = signedActorOf(identityOf(req));
        if (llm && text !== undefined) {
          // A language model may only propose: the validated intent is stored as proposed, shown, and
          // runs only after an explicit POST /intents/:id/accept.
          const config = llmConfigFromEnv();
          if (!config) throw new TwinloopError('BAD_INPUT', 'no language model is configured: set TWINLOOP_LLM_BASE_URL, TWINLOOP_LLM_API_KEY and TWINLOOP_LLM_MODEL, or send the text without "llm"');
          const proposed = await proposeIntentWithLlm(text, config, { id: `intent-${randomUUID()}` });
          if (!proposed.ok) throw new TwinloopError('BAD_INPUT', `the model's answer is not a valid intent: ${proposed.reason}`, { context: { issues: proposed.issues, rawText: proposed.rawText } });
          const record = await intents.createFromProposal(proposed.proposal, by);
          return reply.status(201).send({ ...record, proposal: { model: proposed.proposal.model, rawText: proposed.proposal.rawText }, next: `POST /intents/${record.intent.id}/accept to accept it` });
        }
        if (text !== undefined) {
          const r = await intents.createFromText(text, { accept, by });
          if (!r.ok) throw new TwinloopError('BAD_INPUT', `${r.reason}${r.suggestions.length ? `; try: ${r.suggestions.join(' | ')}` : ''}`);
          return reply.status(201).send(accept ? await planning(r.record.intent.id) : r.record);
        }
        if (intent !== undefined) {
          const record = await intents.createFromDraft(intent, { accept, by });
          return reply.status(201).send(accept ? await planning(record.intent.id) : record);
        }
        throw new TwinloopError('BAD_INPUT', 'send {"text": "..."} or {"intent": {...}}');
      },
    );
    app.get('/intents', { schema: { summary: 'Intents, each with where it stands (`stage`)', response: { 200: list(intentRecord) } } }, async () => (await intents.list()).map(staged));
    app.get('/intents/:id', { schema: { summary: 'One intent with its plan, history and where it stands (`stage`)', params: idParams, response: { 200: intentRecord, ...errors(404) } } }, async (req) => staged(await intents.get(req.params.id)));
    app.get(
      '/intents/:id/report',
      { schema: { summary: 'IntentReport: progress against each expectation, plan, spend against budget', params: idParams, response: { 200: intentReport, ...errors(404) } } },
      async (req) => intents.report(req.params.id),
    );
    app.post(
      '/intents/:id/accept',
      {
        schema: {
          summary: 'Accept a proposed intent: answers its report at once (202, in planning); its plans are simulated in the background (and the chosen one runs in autonomous mode); 409 when it expired while proposed (naming when)',
          params: idParams,
          response: { 202: intentReport, ...errors(404, 409, 503) },
        },
      },
      async (req, reply) => {
        await intents.accept(req.params.id);
        return reply.status(202).send(await planning(req.params.id));
      },
    );
    app.post(
      '/intents/:id/execute',
      { schema: { summary: 'Execute the chosen plan (in approve mode the caller approves it, and may not be who created the intent); 409 while its run is starting, once it executes it, or when the intent expired before its plan ran (naming when); 403 when the policy mode or four eyes refuse it', params: idParams, body: executeBody, response: { 200: intentRecord, ...errors(400, 403, 404, 409) } } },
      async (req) => {
        // Every plan runs as a managed campaign: its approver needs what starting one needs (the run acts as them).
        requirePermission(req, startPermissionOf(CAMPAIGN_MANAGEMENT_WORKFLOW_ID), "execute an intent's plan, which runs as a managed campaign");
        const r = await intents.execute(req.params.id, { approvedBy: actorFor(req, req.body?.approvedBy).id, approverRole: identityOf(req).role });
        // A refusal of the mode (POLICY_DENIED) or of four eyes (FORBIDDEN: who may not); an intent past its horizon is a CONFLICT thrown by the service (409, naming when it expired).
        if (!r.ok) throw new TwinloopError(r.forbidden ? 'FORBIDDEN' : 'POLICY_DENIED', r.reason);
        return staged(r.record);
      },
    );
    app.post('/intents/:id/check', { schema: { summary: 'Observe, assess, re-plan when off track', params: idParams, response: { 200: intentCheck, ...errors(404, 409) } } }, async (req) => intents.check(req.params.id));
    app.post('/intents/:id/cancel', { schema: { summary: 'Cancel an intent', params: idParams, response: { 200: intentRecord, ...errors(404, 409) } } }, async (req) =>
      staged(await intents.cancel(req.params.id, 'cancelled through the API')),
    );
  };
}
