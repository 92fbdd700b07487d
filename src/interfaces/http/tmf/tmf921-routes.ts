import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../../domain/errors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { idParams } from '../api-schemas.js';
import { actorFor, identityOf } from '../http-auth.js';
import { signedActorOf } from '../../auth/identity.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, isJsonPatch, JSON_PATCH, MERGE_PATCH, mergePatchBody, selectFields, sendCreated, sendList, tmfErrors, tmfFieldsQuery, tmfListQuery, tmfReadRoutes } from './tmf-common.js';
import { applyJsonPatch, jsonPatchBody, type JsonPatchOperation } from './tmf-json-patch.js';
import { fromTmf921Intent, TMF921_BASE, toTmf921Intent, toTmf921Reports } from './tmf921-mapping.js';
import { intentSpecifications } from './tmf921-specification.js';
import { tmfRequired, tmfSchema } from './tmf-spec.js';

type Json = Record<string, unknown>;

/** The lifecycle moves a PATCH may ask for: accepting a proposed intent, or cancelling one. */
const PATCHABLE_STATUSES = ['accepted', 'cancelled'] as const;

/**
 * What a PATCH asks to change, as the attributes it sets: a merge patch is that already; a JSON
 * Patch is applied to the intent as answered and read as the top-level attributes it changed.
 */
function patchedAttributes(req: FastifyRequest, body: Json | JsonPatchOperation[], current: Json): Json {
  if (!isJsonPatch(req)) {
    if (Array.isArray(body)) throw new TwinloopError('BAD_INPUT', `a list of operations is a JSON Patch: send it as ${JSON_PATCH}, or an object of attributes as ${MERGE_PATCH}`);
    return body;
  }
  if (!Array.isArray(body)) throw new TwinloopError('BAD_INPUT', `a ${JSON_PATCH} body is a list of operations ([{"op": "replace", "path": "/lifecycleStatus", "value": "cancelled"}])`);
  const patched = applyJsonPatch(current, body);
  const keys = new Set([...Object.keys(current), ...Object.keys(patched)]);
  return Object.fromEntries([...keys].filter((k) => JSON.stringify(current[k]) !== JSON.stringify(patched[k])).map((k) => [k, patched[k] ?? null]));
}

/**
 * TMF921 Intent Management v5 at `/tmf-api/intentManagement/v5/`: the operator's intents (the
 * same ones `/intents`, the console and the MCP tools create) as the standard `Intent` resource,
 * and each intent's history as its `IntentReport`s. `POST intent` creates one from a
 * `JsonLdExpression` (Twinloop's intent vocabulary, or words for the parser); `PATCH` accepts it
 * (answered in `planning`: planned by simulation in the background, then run in autonomous mode) or cancels it; `DELETE`
 * withdraws it (cancelled, and kept: the audit trail and the reports still name it). Approving a
 * plan stays `POST /intents/{id}/execute`: a different permission from asking. See docs/tmf.md.
 */
export function tmf921Routes(s: Pick<OperatorServices, 'intents'>): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF921_BASE);
  const intent = tmfSchema('TMF921', 'Intent');
  const report = tmfSchema('TMF921', 'IntentReport');
  const required = tmfRequired('TMF921', 'Intent');
  const intentParams = z.object({ intentId: z.string().min(1).max(200) });
  const reportsOf = async (req: FastifyRequest, id: string) => {
    const record = await s.intents.get(id);
    return toTmf921Reports(record, await s.intents.report(id), root(req));
  };
  return (app) => {
    app.post(
      `${TMF921_BASE}/intent`,
      {
        schema: {
          summary: 'TMF921 v5: create an Intent; its expression is a JsonLdExpression whose value is a TwinloopIntent (goal, intentExpectation, segment, horizon, budget, constraints, policyMode) or a TwinloopIntentText (text); created proposed',
          body: tmfSchema('TMF921', 'Intent_FVO'),
          querystring: tmfFieldsQuery,
          response: { 201: intent, ...tmfErrors('TMF921', 400) },
        },
      },
      async (req, reply) => {
        const wanted = fromTmf921Intent(req.body as Json);
        const by = signedActorOf(identityOf(req));
        let record;
        if (wanted.kind === 'text') {
          const r = await s.intents.createFromText(wanted.text, { by });
          if (!r.ok) throw new TwinloopError('BAD_INPUT', `expression.expressionValue.text: ${r.reason}${r.suggestions.length ? `; try: ${r.suggestions.join(' | ')}` : ''}`);
          record = r.record;
        } else record = await s.intents.createFromDraft(wanted.draft, { by });
        return sendCreated(reply, selectFields(toTmf921Intent(record, root(req)), req.query.fields, required));
      },
    );
    app.get(
      `${TMF921_BASE}/intent`,
      { schema: { summary: 'TMF921 v5: list Intents (attribute filters, fields, offset/limit)', querystring: tmfListQuery, response: { 200: z.array(intent), ...tmfErrors('TMF921', 400) } } },
      async (req, reply) => sendList(reply, (await s.intents.list()).map((r) => toTmf921Intent(r, root(req))), req.query, required),
    );
    app.get(
      `${TMF921_BASE}/intent/:id`,
      { schema: { summary: 'TMF921 v5: one Intent', params: idParams, querystring: tmfFieldsQuery, response: { 200: intent, ...tmfErrors('TMF921', 400, 404) } } },
      async (req) => selectFields(toTmf921Intent(await s.intents.get(req.params.id), root(req)), req.query.fields, required),
    );
    app.patch(
      `${TMF921_BASE}/intent/:id`,
      {
        schema: {
          summary: `TMF921 v5: change an Intent's lifecycleStatus with a JSON merge patch (${MERGE_PATCH}) or a JSON Patch (${JSON_PATCH}, e.g. a test of the status, then a replace): "accepted" (a proposed intent: planned by simulation, then run in autonomous mode) or "cancelled"`,
          params: idParams,
          querystring: tmfFieldsQuery,
          body: z.union([mergePatchBody, jsonPatchBody]),
          response: { 200: intent, ...tmfErrors('TMF921', 400, 404, 409, 503) },
        },
      },
      async (req) => {
        const id = req.params.id;
        const current = await s.intents.get(id);
        const changes = patchedAttributes(req, req.body, toTmf921Intent(current, root(req)));
        const other = Object.keys(changes).find((k) => k !== 'lifecycleStatus' && !(k === '@type' && changes[k] === 'Intent'));
        if (other) throw new TwinloopError('BAD_INPUT', `${other}: only lifecycleStatus changes here (${PATCHABLE_STATUSES.join(' or ')}); for another intent, POST ${TMF921_BASE}/intent`);
        // A JSON Patch that changes nothing (tests alone) answers the intent as it is.
        if (isJsonPatch(req) && changes.lifecycleStatus === undefined) return selectFields(toTmf921Intent(current, root(req)), req.query.fields, required);
        const to = changes.lifecycleStatus;
        if (!PATCHABLE_STATUSES.includes(to as (typeof PATCHABLE_STATUSES)[number])) throw new TwinloopError('BAD_INPUT', `lifecycleStatus: "${String(to)}" cannot be asked for; send ${PATCHABLE_STATUSES.join(' or ')}`);
        let record = current;
        if (to === 'cancelled') record = await s.intents.cancel(id, `cancelled through TMF921 by ${actorFor(req).id}`);
        else if (current.intent.lifecycleStatus !== 'accepted') {
          await s.intents.accept(id);
          // Planning simulates the plans over the segment (minutes on a large world): the answer
          // says `planning`, and the plan (or the failure with its reason) follows in the background.
          record = await s.intents.startPlanning(id);
        }
        return selectFields(toTmf921Intent(record, root(req)), req.query.fields, required);
      },
    );
    app.delete(
      `${TMF921_BASE}/intent/:id`,
      { schema: { summary: 'TMF921 v5: withdraw an Intent (cancelled; kept, with its reports, for the audit trail)', params: idParams, response: { 204: z.undefined().describe('Withdrawn'), ...tmfErrors('TMF921', 404, 409) } } },
      async (req, reply) => {
        await s.intents.cancel(req.params.id, `withdrawn through TMF921 by ${actorFor(req).id}`);
        return reply.status(204).send();
      },
    );
    tmfReadRoutes(app, { api: 'TMF921', base: TMF921_BASE, collection: 'intentSpecification', definition: 'IntentSpecification', all: (req) => intentSpecifications(root(req)) });
    app.get(
      `${TMF921_BASE}/intent/:intentId/intentReport`,
      { schema: { summary: "TMF921 v5: an Intent's reports, one per entry of its history, oldest first; the newest carries the progress now", params: intentParams, querystring: tmfListQuery, response: { 200: z.array(report), ...tmfErrors('TMF921', 400, 404) } } },
      async (req, reply) => sendList(reply, await reportsOf(req, req.params.intentId), req.query, tmfRequired('TMF921', 'IntentReport')),
    );
    app.get(
      `${TMF921_BASE}/intent/:intentId/intentReport/:id`,
      { schema: { summary: "TMF921 v5: one of an Intent's reports", params: intentParams.extend({ id: z.string().min(1).max(20) }), querystring: tmfFieldsQuery, response: { 200: report, ...tmfErrors('TMF921', 400, 404) } } },
      async (req) => {
        const found = (await reportsOf(req, req.params.intentId)).find((r) => r.id === req.params.id);
        if (!found) throw new TwinloopError('NOT_FOUND', `intent ${req.params.intentId} has no report "${req.params.id}"; GET ${TMF921_BASE}/intent/${req.params.intentId}/intentReport lists them`);
        return selectFields(found, req.query.fields, tmfRequired('TMF921', 'IntentReport'));
      },
    );
  };
}
