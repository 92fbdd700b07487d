/**
 * OpenAPI paths of the operator's routes (decisions, catalogue, actions, approvals, audit,
 * simulations, intents, workflows, MCP), merged into `/openapi.json` by `openApiDocument`.
 */
const obj = { type: 'object' };
const ok = (description = 'OK', schema: object = obj) => ({ description, content: { 'application/json': { schema } } });
const error = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const body = (example: object) => ({ required: true, content: { 'application/json': { schema: obj, example } } });
const id = (name = 'id') => ({ name, in: 'path', required: true, schema: { type: 'string' } });

export const OPERATOR_OPENAPI_PATHS = {
  '/decisions': {
    post: {
      summary: 'Next-best-action: ranked actions with expected value, propensity and reasons; each discarded offer with the funnel step that removed it (docs/decisioning.md). `execute: true` carries out the chosen action under the policy.',
      requestBody: body({ customerId: 'C000001', channel: 'call', reason: 'billing_question' }),
      responses: { 200: ok('The decision'), 400: error, 404: error },
    },
  },
  '/decisions/{id}/accept': {
    post: { summary: 'A person accepted an action of a recent decision (e.g. on the assist card): it executes through the policy with that person as the actor', parameters: [id()], requestBody: body({ agentId: 'agent-17' }), responses: { 200: ok('The guarded result'), 404: error } },
  },
  '/catalogue': {
    get: { summary: 'The offer catalogue (TMF620 product offerings) with its version', responses: { 200: ok() } },
    put: { summary: 'Replace the catalogue; every problem is named with its path; `version` gives optimistic concurrency', requestBody: body({ productOffering: [] }), responses: { 200: ok(), 400: error, 409: error } },
  },
  '/productOffering': { get: { summary: 'The product offerings (TMF620)', responses: { 200: ok('Offerings', { type: 'array' }) } } },
  '/productOffering/{id}': {
    get: { summary: 'One product offering', parameters: [id()], responses: { 200: ok(), 404: error } },
    put: { summary: 'Create or replace a product offering (eligibility rules are parsed and checked)', parameters: [id()], requestBody: body({ name: 'Data bonus', actionClass: 'offer', eligibility: 'months_over_allowance_3m >= 1' }), responses: { 200: ok(), 400: error } },
    delete: { summary: 'Remove a product offering', parameters: [id()], responses: { 204: { description: 'Removed' }, 404: error } },
  },
  '/actions': {
    post: {
      summary: 'Ask to act on a customer. The policy answers executed, pending-approval, advised, refused (with the guardrail) or failed; always 200 with the reason (docs/policy.md)',
      requestBody: body({ actionClass: 'credit', channel: 'call', customerId: 'C000001', cost: 10, actor: { kind: 'human', id: 'agent-7' }, why: { summary: 'billing error' } }),
      responses: { 200: ok('The guarded result'), 400: error },
    },
  },
  '/approvals': { get: { summary: 'Pending approvals with what, why and the evidence', responses: { 200: ok('Approvals', { type: 'array' }) } } },
  '/approvals/{id}': { get: { summary: 'One approval', parameters: [id()], responses: { 200: ok(), 404: error } } },
  '/approvals/{id}/approve': { post: { summary: 'Approve: the action executes through the policy (caps and budgets still apply)', parameters: [id()], requestBody: body({ by: 'supervisor-3', reason: 'ok' }), responses: { 200: ok(), 404: error, 409: error } } },
  '/approvals/{id}/reject': { post: { summary: 'Reject with a reason', parameters: [id()], requestBody: body({ by: 'supervisor-3', reason: 'not justified' }), responses: { 200: ok(), 404: error, 409: error } } },
  '/audit': { get: { summary: 'Audit entries after a sequence number (hash-chained)', parameters: [{ name: 'after', in: 'query', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }], responses: { 200: ok('Entries', { type: 'array' }) } } },
  '/audit/verify': { get: { summary: 'Walks the hash chain; reports the first broken link', responses: { 200: ok() } } },
  '/simulations': {
    get: { summary: 'Simulation runs (without results)', responses: { 200: ok('Runs', { type: 'array' }) } },
    post: { summary: 'Start a simulation run (scenarios in docs/simulation.md); 202 with its id', requestBody: body({ kind: 'retention_campaign', name: 'top 1000', horizonMonths: 3, targeting: { rank: 'churn_value', k: 1000 }, offer: { id: 'retain-10', discountPct: 10, months: 6 } }), responses: { 202: ok('The run'), 400: error } },
  },
  '/simulations/{id}': { get: { summary: 'Status, progress, and results with 90 % intervals by segment', parameters: [id()], responses: { 200: ok(), 404: error } } },
  '/simulations/{id}/cancel': { post: { summary: 'Cancel a running simulation', parameters: [id()], responses: { 200: ok(), 409: error } } },
  '/intents': {
    get: { summary: 'Intents', responses: { 200: ok('Intents', { type: 'array' }) } },
    post: { summary: 'Create an intent from words or a TMF921-shaped intent; `accept: true` plans it by simulation (and runs it in autonomous mode)', requestBody: body({ text: 'keep high-value prepaid customers at risk this month, budget 50000' }), responses: { 201: ok(), 400: error } },
  },
  '/intents/{id}': { get: { summary: 'One intent with its plan and history', parameters: [id()], responses: { 200: ok(), 404: error } } },
  '/intents/{id}/report': { get: { summary: 'IntentReport: progress against each expectation, plan, spend against budget', parameters: [id()], responses: { 200: ok(), 404: error } } },
  '/intents/{id}/accept': { post: { summary: 'Accept a proposed intent: plan it (and run it in autonomous mode)', parameters: [id()], responses: { 200: ok(), 409: error } } },
  '/intents/{id}/execute': { post: { summary: 'Execute the chosen plan (approve mode needs approvedBy)', parameters: [id()], requestBody: body({ approvedBy: 'marketing-lead' }), responses: { 200: ok(), 403: error } } },
  '/intents/{id}/check': { post: { summary: 'Observe, assess, re-plan when off track', parameters: [id()], responses: { 200: ok() } } },
  '/intents/{id}/cancel': { post: { summary: 'Cancel an intent', parameters: [id()], responses: { 200: ok() } } },
  '/workflows': { get: { summary: 'Workflow runs (filter by status, definitionId)', responses: { 200: ok('Runs', { type: 'array' }) } } },
  '/workflows/{id}': { get: { summary: 'One workflow run with its journaled steps', parameters: [id()], responses: { 200: ok(), 404: error } } },
  '/workflows/{definition}/start': { post: { summary: 'Start a flow (onboarding, order-fulfilment, customer-care, churn-prevention, campaign-management, service-operations)', parameters: [id('definition')], requestBody: body({ input: { customerId: 'C000001', channel: 'call' } }), responses: { 200: ok(), 201: ok(), 400: error } } },
  '/workflows/{id}/signals/{name}': { post: { summary: 'Signal a waiting workflow (e.g. agent-decision on a care case)', parameters: [id(), id('name')], requestBody: body({ decision: 'accept', agentId: 'agent-17' }), responses: { 200: ok(), 404: error } } },
  '/sandbox/applicants': { post: { summary: 'The sandbox operator: draws the next applicant for a line, to onboard with POST /workflows/onboarding/start {"applicant": …}', responses: { 201: ok('An applicant') } } },
  '/mcp': { post: { summary: 'Model Context Protocol (streamable HTTP, stateless): the same tools as `twinloop mcp`', responses: { 200: ok('JSON-RPC answer') } } },
} as const;
