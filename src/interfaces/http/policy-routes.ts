import { z } from 'zod';
import { DEFAULT_ACTION_POLICY } from '../../decisioning/policy/index.js';
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
const policyChange = z
  .strictObject({
    policy: document,
    reason: z.string().min(1).max(2000).describe('why the policy changes: kept in its history and the audit trail'),
    basedOn: z.number().int().min(0).optional().describe('the version this change was edited from: 409 when another change landed since'),
  })
  .meta({ examples: [{ policy: { ...DEFAULT_ACTION_POLICY, fallbackMode: 'advise' }, reason: 'credits above 10 need a supervisor', basedOn: 0 }] });
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
          summary: 'Put a new action policy in force (the whole document, with a reason); it judges the next request, no restart; 400 names the wrong field',
          body: policyChange,
          response: { 200: policyVersion, ...errors(400, 409) },
        },
      },
      async (req) => services.actionPolicy.set({ document: req.body.policy, reason: req.body.reason, basedOn: req.body.basedOn }, actorFor(req)),
    );
    app.get(
      '/policy/history',
      { schema: { summary: 'Every version of the action policy, newest first (the built-in default is version 0)', querystring: historyQuery, response: { 200: list(policyVersion), ...errors(400) } } },
      async (req) => services.actionPolicy.history(req.query.limit),
    );
  };
}
