import { z } from 'zod';
import type { PolicyChange } from '../../agents/governance/action-policy-settings.js';
import { DEFAULT_ACTION_POLICY } from '../../decisioning/policy/index.js';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { errors, isoTime, jsonObject, list, pageLimit } from './api-schemas.js';
import { actorFor } from './http-auth.js';
import type { RouteModule } from './route-module.js';

// The document itself is checked by `parseActionPolicy` (the one validation of a policy, which
// names the wrong field, e.g. "rules.2.mode"); here it is a JSON object described in docs/policy.md.
const document = jsonObject.describe('the action policy document (docs/policy.md): fallbackMode, approval, segments, rules, budgets, contact');
const policyVersion = z
  .object({
    version: z.number().int().min(0).describe('0 is the built-in default; every change adds one'),
    document,
    changedBy: z.object({ kind: z.enum(['human', 'agent', 'system']), id: z.string() }).nullable(),
    reason: z.string(),
    changedAt: isoTime.nullable(),
  })
  .meta({ id: 'ActionPolicyVersion' });
const policySaved = policyVersion
  .extend({ unchanged: z.boolean().describe('true when the document sent is the one in force already: no new version was made, and this is the version in force') })
  .meta({ id: 'ActionPolicySaved' });
// Two spellings of a change: `{policy, reason, basedOn}`, or what `GET /policy` answered put back
// (edited or not) as it is: `{version, document, reason, …}`, its version the one it was edited from.
const policyChange = z
  .strictObject({
    policy: document.optional().describe('the new document (or give `document`, as GET /policy answers it)'),
    reason: z.string().min(1).max(2000).describe('why the policy changes: kept in its history and the audit trail'),
    basedOn: z.number().int().min(0).optional().describe('the version this change was edited from: 409 when another change landed since'),
    document: document.optional().describe("GET /policy's answer put back: the document, edited or not (the same document changes nothing)"),
    version: z.number().int().min(0).optional().describe("GET /policy's answer put back: the version it was read as (409 when another change landed since)"),
    changedBy: z.unknown().optional().describe("GET /policy's answer put back: ignored (the author is the credential's holder)"),
    changedAt: z.unknown().optional().describe("GET /policy's answer put back: ignored (the time is the server's)"),
  })
  .meta({ examples: [{ policy: { ...DEFAULT_ACTION_POLICY, fallbackMode: 'advise' }, reason: 'credits above 10 need a supervisor', basedOn: 0 }] });

/** The change a body asks for, in either spelling (BAD_INPUT when it gives both documents or none). */
function changeOf(body: z.infer<typeof policyChange>): PolicyChange {
  if (body.policy !== undefined && body.document !== undefined) throw new TwinloopError('BAD_INPUT', 'body: give the new document as `policy` or (GET /policy\'s answer put back) as `document`, not both');
  if (body.policy !== undefined) return { document: body.policy, reason: body.reason, basedOn: body.basedOn };
  if (body.document === undefined) throw new TwinloopError('BAD_INPUT', 'policy: the new document is missing; send {"policy": {…}, "reason": "…"} or put back what GET /policy answers, edited, with a new reason');
  return { document: body.document, reason: body.reason, basedOn: body.basedOn ?? body.version, readBack: true };
}
const historyQuery = z.object({ limit: pageLimit(100, 500) });

/**
 * The action policy over HTTP: `GET /policy` (the version in force), `PUT /policy` (a whole new
 * document with a reason; the next action request is judged by it), `GET /policy/history` (every
 * version, newest first, with who changed it and why).
 */
export function policyRoutes(services: OperatorServices): RouteModule {
  return (app) => {
    app.get('/policy', { schema: { summary: 'The action policy in force: its version, the document, who set it, when and why', response: { 200: policyVersion } } }, async () => services.actionPolicy.get());
    app.put(
      '/policy',
      {
        schema: {
          summary: "Put a new action policy in force (the whole document, with a reason); it judges the next request, no restart; 400 names the wrong field. GET /policy's answer may be put back as it is or edited with a new reason. The document in force sent again makes no version: `unchanged` true, with the version in force",
          body: policyChange,
          response: { 200: policySaved, ...errors(400, 409) },
        },
      },
      async (req) => services.actionPolicy.set(changeOf(req.body), actorFor(req)),
    );
    app.get(
      '/policy/history',
      { schema: { summary: 'Every version of the action policy, newest first (the built-in default is version 0)', querystring: historyQuery, response: { 200: list(policyVersion), ...errors(400) } } },
      async (req) => services.actionPolicy.history(req.query.limit),
    );
  };
}
