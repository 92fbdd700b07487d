import type { Permission } from './roles.js';

/**
 * THE access table: every HTTP route and every MCP tool, and the one permission it needs. The
 * HTTP server refuses to register a route that is missing here, and the matrix test walks every
 * route and tool against every role, so a new route or tool without an entry fails CI.
 *
 * Adding a route? Add `'METHOD /path/:param': permission` below, with the path exactly as the
 * route registers it; pick an existing permission (roles.ts says who holds each) or add one
 * there and give it to the roles that need it. `public` is only for what carries no data (the
 * health probe, the console's static pages, the sign-in exchange); `signed-in` is for what any
 * authenticated caller may use whatever its role (who am I, the API's own description).
 */

/** What a route or tool needs: a permission, any signed-in caller, or nothing. */
export type Access = Permission | 'signed-in' | 'public';

/**
 * Where a route of these tables exists when not in every server: the sandbox's with a sandbox, the
 * gateway's routing table on a gateway, a worker's share of fanned-out work (a training's rows, a
 * churn-prevention run's candidates, check and actions, a campaign's audience and churn) on a partition worker. Undefined: every
 * server registers it. What the tests that walk the tables skip where the route is absent.
 */
export function routeOnlyOn(route: string): 'sandbox' | 'gateway' | 'worker' | undefined {
  if (/^[A-Z]+ \/sandbox\//.test(route)) return 'sandbox';
  if (route === 'GET /partitions/owners') return 'gateway';
  if (/^POST \/partitions\/(training\/|churn\/|campaigns\/|at-risk\/|actions$)/.test(route)) return 'worker';
  return undefined;
}

/** Route key → access. Keys are `METHOD /path` as registered (HEAD follows GET). */
export const ROUTE_ACCESS = {
  'GET /health': 'public',
  'GET /openapi.json': 'signed-in',

  // Signing in and out, and who am I (the console reads its permissions here).
  'GET /sign-in': 'public',
  'GET /auth/config': 'public',
  'POST /auth/session': 'public',
  'DELETE /auth/session': 'public',
  'GET /auth/me': 'signed-in',

  // Keys and the action policy.
  'GET /keys': 'keys:manage',
  'POST /keys': 'keys:manage',
  'DELETE /keys/:id': 'keys:manage',
  'GET /policy': 'policy:read',
  'PUT /policy': 'policy:write',
  'GET /policy/history': 'policy:read',

  // Events and twins.
  'POST /events': 'events:write',
  'GET /dead-letters': 'dead-letters:read',
  'GET /twins': 'twins:read',
  'GET /twins/:id': 'twins:read',
  'GET /twins/:id/timeline': 'twins:read',
  'GET /twins/:id/diff': 'twins:read',
  'GET /customers/:id/context': 'twins:read',
  // TM Forum TMF629 Customer and TMF637 Product Inventory: the twins (docs/tmf.md).
  'GET /tmf-api/customerManagement/v4/customer': 'twins:read',
  'GET /tmf-api/customerManagement/v4/customer/:id': 'twins:read',
  'POST /tmf-api/customerManagement/v4/customer': 'customers:write',
  'PATCH /tmf-api/customerManagement/v4/customer/:id': 'customers:write',
  'DELETE /tmf-api/customerManagement/v4/customer/:id': 'customers:write',
  'GET /tmf-api/productInventory/v4/product': 'twins:read',
  'GET /tmf-api/productInventory/v4/product/:id': 'twins:read',
  // TM Forum TMF622 Product Ordering: an order starts the order-fulfilment flow (docs/tmf.md).
  'GET /tmf-api/productOrderingManagement/v4/productOrder': 'workflows:read',
  'GET /tmf-api/productOrderingManagement/v4/productOrder/:id': 'workflows:read',
  'POST /tmf-api/productOrderingManagement/v4/productOrder': 'workflows:start',
  'PATCH /tmf-api/productOrderingManagement/v4/productOrder/:id': 'workflows:start',
  'POST /tmf-api/productOrderingManagement/v4/cancelProductOrder': 'workflows:start',
  // TMF681 Communication: the messages sent a customer (their timeline), and sending one (an action under the policy).
  'GET /tmf-api/communicationManagement/v4/communicationMessage': 'twins:read',
  'GET /tmf-api/communicationManagement/v4/communicationMessage/:id': 'twins:read',
  'POST /tmf-api/communicationManagement/v4/communicationMessage': 'actions:request',
  // TMF621 Trouble Ticket: a customer's tickets (their timeline); opening or changing one (a ticket event on the twin) is for the people and adapters that act on customers.
  'GET /tmf-api/troubleTicket/v4/troubleTicket': 'twins:read',
  'GET /tmf-api/troubleTicket/v4/troubleTicket/:id': 'twins:read',
  'POST /tmf-api/troubleTicket/v4/troubleTicket': 'actions:request',
  'PATCH /tmf-api/troubleTicket/v4/troubleTicket/:id': 'actions:request',
  // TMF notification hubs: a listener gets what the API's readers may read; the parked deliveries are dead letters.
  'POST /tmf-api/troubleTicket/v4/hub': 'twins:read',
  'DELETE /tmf-api/troubleTicket/v4/hub/:id': 'twins:read',
  'POST /tmf-api/alarmManagement/v4/hub': 'alarms:read',
  'DELETE /tmf-api/alarmManagement/v4/hub/:id': 'alarms:read',
  'POST /tmf-api/productOrderingManagement/v4/hub': 'workflows:read',
  'DELETE /tmf-api/productOrderingManagement/v4/hub/:id': 'workflows:read',
  'POST /tmf-api/eventManagement/v4/hub': 'twins:read',
  'DELETE /tmf-api/eventManagement/v4/hub/:id': 'twins:read',
  'POST /tmf-api/productCatalogManagement/v4/hub': 'catalogue:read',
  'DELETE /tmf-api/productCatalogManagement/v4/hub/:id': 'catalogue:read',
  'POST /tmf-api/customerManagement/v4/hub': 'twins:read',
  'DELETE /tmf-api/customerManagement/v4/hub/:id': 'twins:read',
  'POST /tmf-api/productInventory/v4/hub': 'twins:read',
  'DELETE /tmf-api/productInventory/v4/hub/:id': 'twins:read',
  'POST /tmf-api/communicationManagement/v4/hub': 'twins:read',
  'DELETE /tmf-api/communicationManagement/v4/hub/:id': 'twins:read',
  'POST /tmf-api/intentManagement/v5/hub': 'intents:read',
  'DELETE /tmf-api/intentManagement/v5/hub/:id': 'intents:read',
  'GET /notifications/dead-letters': 'dead-letters:read',
  'GET /population': 'twins:read',
  // A partition worker's partitions and their check against the log (decision 0012; workers only).
  'GET /partitions': 'twins:read',
  'POST /partitions/verify': 'audit:read',
  // A churn model trained over the workers (POST /models/train at the gateway): each one's sample and rows.
  'POST /partitions/training/plan': 'models:train',
  'POST /partitions/training/rows': 'models:train',
  // A churn-prevention run or a campaign over the workers (docs/scale.md): each one's candidates and
  // check, a campaign's audience and churn, and the actions on its customers (these only from another
  // worker's own identity, checked by the route).
  'POST /partitions/churn/candidates': 'workflows:start',
  'POST /partitions/churn/check': 'workflows:start',
  'POST /partitions/campaigns/audience': 'workflows:start',
  'POST /partitions/campaigns/churned': 'workflows:start',
  'POST /partitions/actions': 'actions:request',
  // The population's at-risk level (decision 0092): each worker's riskiest scores read, and the level the gateway merged sent back.
  'POST /partitions/at-risk/scores': 'models:read',
  'POST /partitions/at-risk/level': 'models:train',
  // The gateway's routing table: which worker owns which partition now.
  'GET /partitions/owners': 'twins:read',

  // The operator console: its page and assets are static (the data comes from the routes below).
  'GET /': 'public',
  'GET /console': 'public',
  'GET /console/*': 'public',
  // The agent desktop's data: the stream and the cards.
  'GET /assist/cards/:customerId': 'assist:use',
  'GET /assist/stream': 'assist:use',

  // Campaigns: the managed campaigns' metrics, allocation and guardrails; a person's pause, resume and stop.
  'GET /campaigns': 'workflows:read',
  'GET /campaigns/:id': 'workflows:read',
  'POST /campaigns/:id/pause': 'campaigns:manage',
  'POST /campaigns/:id/resume': 'campaigns:manage',
  'POST /campaigns/:id/stop': 'campaigns:manage',

  // Models.
  'GET /models': 'models:read',
  'GET /models/:id': 'models:read',
  'POST /models/train': 'models:train',
  'POST /models/:id/promote': 'models:train',

  // Next-best-action and the catalogue. Executing a decision's choice (`execute: true`) also needs actions:request.
  'POST /decisions': 'decisions:make',
  'POST /decisions/:id/accept': 'actions:request',
  'POST /decisions/:id/decline': 'actions:request',
  // A decision policy judged on the decision log: aggregates only, no customer's record (who may read models may read it).
  'GET /decisions/evaluation': 'models:read',
  // A what-if for one customer: the decision's numbers per offering, not logged (who may ask for a decision may ask it).
  'GET /twins/:id/what-if': 'decisions:make',
  'GET /catalogue': 'catalogue:read',
  'PUT /catalogue': 'catalogue:write',
  'GET /productOffering': 'catalogue:read',
  'GET /productOffering/:id': 'catalogue:read',
  'PUT /productOffering/:id': 'catalogue:write',
  'DELETE /productOffering/:id': 'catalogue:write',

  // TM Forum TMF642 Alarm Management: network systems send their alarms in (docs/tmf.md).
  'GET /tmf-api/alarmManagement/v4/alarm': 'alarms:read',
  'GET /tmf-api/alarmManagement/v4/alarm/:id': 'alarms:read',
  'POST /tmf-api/alarmManagement/v4/alarm': 'alarms:write',
  'PATCH /tmf-api/alarmManagement/v4/alarm/:id': 'alarms:write',
  // Service operations: each alarm's treatment and the suspected incidents (anomaly detection).
  'GET /service-operations/incidents': 'alarms:read',
  'GET /service-operations/incidents/:alarmId': 'alarms:read',
  'GET /service-operations/anomalies': 'alarms:read',
  'POST /service-operations/anomalies/:id/confirm': 'alarms:write',
  'POST /service-operations/anomalies/:id/dismiss': 'alarms:write',

  // TM Forum TMF620 Product Catalog: the same catalogue (docs/tmf.md).
  'GET /tmf-api/productCatalogManagement/v4/productOffering': 'catalogue:read',
  'POST /tmf-api/productCatalogManagement/v4/productOffering': 'catalogue:write',
  'GET /tmf-api/productCatalogManagement/v4/productOffering/:id': 'catalogue:read',
  'PATCH /tmf-api/productCatalogManagement/v4/productOffering/:id': 'catalogue:write',
  'DELETE /tmf-api/productCatalogManagement/v4/productOffering/:id': 'catalogue:write',
  'GET /tmf-api/productCatalogManagement/v4/productOfferingPrice': 'catalogue:read',
  'GET /tmf-api/productCatalogManagement/v4/productOfferingPrice/:id': 'catalogue:read',
  'POST /tmf-api/productCatalogManagement/v4/productOfferingPrice': 'catalogue:write',
  'PATCH /tmf-api/productCatalogManagement/v4/productOfferingPrice/:id': 'catalogue:write',
  'DELETE /tmf-api/productCatalogManagement/v4/productOfferingPrice/:id': 'catalogue:write',
  'GET /tmf-api/productCatalogManagement/v4/productSpecification': 'catalogue:read',
  'GET /tmf-api/productCatalogManagement/v4/productSpecification/:id': 'catalogue:read',
  'POST /tmf-api/productCatalogManagement/v4/productSpecification': 'catalogue:write',
  'PATCH /tmf-api/productCatalogManagement/v4/productSpecification/:id': 'catalogue:write',
  'DELETE /tmf-api/productCatalogManagement/v4/productSpecification/:id': 'catalogue:write',
  'GET /tmf-api/productCatalogManagement/v4/category': 'catalogue:read',
  'GET /tmf-api/productCatalogManagement/v4/category/:id': 'catalogue:read',
  'POST /tmf-api/productCatalogManagement/v4/category': 'catalogue:write',
  'PATCH /tmf-api/productCatalogManagement/v4/category/:id': 'catalogue:write',
  'DELETE /tmf-api/productCatalogManagement/v4/category/:id': 'catalogue:write',
  'GET /tmf-api/productCatalogManagement/v4/catalog': 'catalogue:read',
  'GET /tmf-api/productCatalogManagement/v4/catalog/:id': 'catalogue:read',
  'POST /tmf-api/productCatalogManagement/v4/catalog': 'catalogue:write',
  'PATCH /tmf-api/productCatalogManagement/v4/catalog/:id': 'catalogue:write',
  'DELETE /tmf-api/productCatalogManagement/v4/catalog/:id': 'catalogue:write',
  'GET /tmf-api/productCatalogManagement/v4/schema/:id': 'signed-in',

  // Actions, approvals, audit.
  'POST /actions': 'actions:request',
  'GET /approvals': 'approvals:read',
  'GET /approvals/:id': 'approvals:read',
  'POST /approvals/:id/approve': 'approvals:decide',
  'POST /approvals/:id/reject': 'approvals:decide',
  'GET /audit': 'audit:read',
  'GET /audit/verify': 'audit:read',

  // Simulations.
  'GET /simulations': 'simulations:read',
  'POST /simulations': 'simulations:run',
  'GET /simulations/:id': 'simulations:read',
  'POST /simulations/:id/cancel': 'simulations:run',

  // Intents.
  'GET /intents': 'intents:read',
  'POST /intents': 'intents:write',
  'GET /intents/:id': 'intents:read',
  'GET /intents/:id/report': 'intents:read',
  'POST /intents/:id/accept': 'intents:write',
  'POST /intents/:id/execute': 'intents:approve',
  'POST /intents/:id/check': 'intents:write',
  'POST /intents/:id/cancel': 'intents:write',
  // TM Forum TMF921 Intent Management v5: the same intents as the standard resource, their history as IntentReports (docs/tmf.md).
  'GET /tmf-api/intentManagement/v5/intent': 'intents:read',
  'GET /tmf-api/intentManagement/v5/intent/:id': 'intents:read',
  'POST /tmf-api/intentManagement/v5/intent': 'intents:write',
  'PATCH /tmf-api/intentManagement/v5/intent/:id': 'intents:write',
  'DELETE /tmf-api/intentManagement/v5/intent/:id': 'intents:write',
  'GET /tmf-api/intentManagement/v5/intent/:intentId/intentReport': 'intents:read',
  'GET /tmf-api/intentManagement/v5/intent/:intentId/intentReport/:id': 'intents:read',
  'GET /tmf-api/intentManagement/v5/intentSpecification': 'intents:read',
  'GET /tmf-api/intentManagement/v5/intentSpecification/:id': 'intents:read',

  // Workflows.
  'GET /workflows': 'workflows:read',
  'GET /workflows/:id': 'workflows:read',
  'GET /workflows/:id/steps': 'workflows:read',
  'POST /workflows/:definition/start': 'workflows:start',
  'POST /workflows/:id/signals/:name': 'workflows:signal',
  'GET /churn-prevention/policy': 'policy:read',
  'GET /churn-prevention/runs': 'workflows:read',
  'GET /churn-prevention/runs/:id': 'workflows:read',

  // The sandbox operator's shop front.
  'POST /sandbox/applicants': 'sandbox:use',
  'POST /sandbox/scenarios/care-example': 'sandbox:use',
  'GET /sandbox/assurance': 'sandbox:use',
  'GET /sandbox/churn-ceiling': 'sandbox:use',

  // MCP over HTTP: connecting needs mcp:connect; each tool then needs its own permission (below).
  'POST /mcp': 'mcp:connect',
  'GET /mcp': 'mcp:connect',
  'DELETE /mcp': 'mcp:connect',
} as const satisfies Record<string, Access>;

/**
 * The routes that answer or act on customers, and how a key scoped to segments is held to its
 * customers on each (docs/security.md): `{ params | body: name }` names where the one customer
 * is (checked before the handler runs), `'filtered'` lists only the customers the key reaches,
 * `'handler'` checks the customer the route finds (a decision's), and `'spanning'` answers many
 * customers' records unfiltered: refused to a segment-scoped key. `{ query: name }` names customers
 * in a query parameter (comma-separated, each checked). A route not named here carries
 * no customer's record (the catalogue, models, the policy, aggregates of simulations and intents).
 */
export const CUSTOMER_ROUTES = {
  'GET /twins': 'filtered',
  'GET /twins/:id': { params: 'id' },
  'GET /twins/:id/timeline': { params: 'id' },
  'GET /twins/:id/diff': { params: 'id' },
  'GET /twins/:id/what-if': { params: 'id' },
  'GET /customers/:id/context': { params: 'id' },
  'GET /assist/cards/:customerId': { params: 'customerId' },
  'POST /decisions': { body: 'customerId' },
  'POST /decisions/:id/accept': 'handler',
  'POST /decisions/:id/decline': 'handler',
  'POST /actions': { body: 'customerId' },
  // Approvals and the audit trail: the customer each request acts on (one naming none is not theirs).
  'GET /approvals': 'filtered',
  'GET /approvals/:id': 'handler',
  'POST /approvals/:id/approve': 'handler',
  'POST /approvals/:id/reject': 'handler',
  'GET /audit': 'filtered',
  // Workflows: the customer a run's input names; a run over many customers or none (a campaign, a scan, an onboarding) is refused.
  'GET /workflows': 'filtered',
  'GET /workflows/:id': 'handler',
  'GET /workflows/:id/steps': 'handler',
  'POST /workflows/:definition/start': 'handler',
  'POST /workflows/:id/signals/:name': 'handler',
  // The TM Forum APIs: each item's customer (its relatedParty or receiver), listed before paging (tmf-common.ts).
  'GET /tmf-api/customerManagement/v4/customer': 'filtered',
  'GET /tmf-api/customerManagement/v4/customer/:id': { params: 'id' },
  // A new customer is in no segment yet: the handler refuses a key held to segments.
  'POST /tmf-api/customerManagement/v4/customer': 'handler',
  'PATCH /tmf-api/customerManagement/v4/customer/:id': { params: 'id' },
  'DELETE /tmf-api/customerManagement/v4/customer/:id': { params: 'id' },
  'GET /tmf-api/productInventory/v4/product': 'filtered',
  'GET /tmf-api/productInventory/v4/product/:id': 'handler',
  'GET /tmf-api/productOrderingManagement/v4/productOrder': 'filtered',
  'GET /tmf-api/productOrderingManagement/v4/productOrder/:id': 'handler',
  'POST /tmf-api/productOrderingManagement/v4/productOrder': 'handler',
  'PATCH /tmf-api/productOrderingManagement/v4/productOrder/:id': 'handler',
  'POST /tmf-api/productOrderingManagement/v4/cancelProductOrder': 'handler',
  'GET /tmf-api/communicationManagement/v4/communicationMessage': { query: 'receiver.id' },
  'GET /tmf-api/communicationManagement/v4/communicationMessage/:id': 'handler',
  'POST /tmf-api/communicationManagement/v4/communicationMessage': 'handler',
  // TMF621: a list names its customers (relatedParty.id, each checked); a ticket's id starts with its customer's.
  'GET /tmf-api/troubleTicket/v4/troubleTicket': { query: 'relatedParty.id' },
  'GET /tmf-api/troubleTicket/v4/troubleTicket/:id': 'handler',
  'POST /tmf-api/troubleTicket/v4/troubleTicket': 'handler',
  'PATCH /tmf-api/troubleTicket/v4/troubleTicket/:id': 'handler',
  // Acting on many customers at once, chosen by a rule or an audience over the whole base: refused to a
  // key held to segments, rather than narrowed behind its back (docs/security.md, "Scopes").
  'POST /intents': 'spanning',
  'POST /intents/:id/accept': 'spanning',
  'POST /intents/:id/execute': 'spanning',
  'POST /intents/:id/check': 'spanning',
  'POST /intents/:id/cancel': 'spanning',
  'POST /tmf-api/intentManagement/v5/intent': 'spanning',
  'PATCH /tmf-api/intentManagement/v5/intent/:id': 'spanning',
  'DELETE /tmf-api/intentManagement/v5/intent/:id': 'spanning',
  'POST /simulations': 'spanning',
  'POST /simulations/:id/cancel': 'spanning',
  'POST /campaigns/:id/pause': 'spanning',
  'POST /campaigns/:id/resume': 'spanning',
  'POST /campaigns/:id/stop': 'spanning',
  // Many customers' records that name them in ways no filter reads (raw records, streams, listeners, cells).
  'GET /dead-letters': 'spanning',
  'GET /notifications/dead-letters': 'spanning',
  'GET /assist/stream': 'spanning',
  // A churn prevention run's report names the customers it contacted and left alone, across segments.
  'GET /churn-prevention/runs': 'spanning',
  'GET /churn-prevention/runs/:id': 'spanning',
  // A worker's part of a churn-prevention run or a campaign over the workers: many customers, or one on another worker's behalf.
  'POST /partitions/churn/candidates': 'spanning',
  'POST /partitions/churn/check': 'spanning',
  'POST /partitions/campaigns/audience': 'spanning',
  'POST /partitions/campaigns/churned': 'spanning',
  'POST /partitions/actions': 'spanning',
  'POST /partitions/at-risk/scores': 'spanning',
  'POST /tmf-api/troubleTicket/v4/hub': 'spanning',
  'POST /tmf-api/eventManagement/v4/hub': 'spanning',
  'POST /tmf-api/productOrderingManagement/v4/hub': 'spanning',
  'POST /tmf-api/customerManagement/v4/hub': 'spanning',
  'POST /tmf-api/productInventory/v4/hub': 'spanning',
  'POST /tmf-api/communicationManagement/v4/hub': 'spanning',
  'GET /service-operations/incidents': 'spanning',
  'GET /service-operations/incidents/:alarmId': 'spanning',
  'GET /service-operations/anomalies': 'spanning',
  'POST /service-operations/anomalies/:id/confirm': 'spanning',
  'POST /service-operations/anomalies/:id/dismiss': 'spanning',
  'POST /sandbox/scenarios/care-example': 'spanning',
} as const satisfies Partial<Record<keyof typeof ROUTE_ACCESS, CustomerRoute>>;

/** How a route reaches customers (see CUSTOMER_ROUTES); `query` names customers comma-separated, each checked. */
export type CustomerRoute = { readonly params: string } | { readonly body: string } | { readonly query: string } | 'filtered' | 'handler' | 'spanning';

/** How the route reaches customers, or undefined when it carries no customer's record. */
export function customerRoute(method: string, url: string): CustomerRoute | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const table = CUSTOMER_ROUTES as Readonly<Record<string, CustomerRoute>>;
  const key = `${m} ${url}`;
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * The MCP tools that answer or act on customers: the one named by the argument `customerId`
 * (checked), a list filtered to the caller's customers, or many customers' records unfiltered
 * (refused to a segment-scoped key).
 */
export const MCP_CUSTOMER_TOOLS = {
  get_twin: 'customerId',
  explain_churn_risk: 'customerId',
  recommend_next_best_action: 'customerId',
  request_action: 'customerId',
  'resource:twin': 'customerId',
  search_twins: 'filtered',
  list_approvals: 'filtered',
  decide_approval: 'spanning',
  create_intent: 'spanning',
  run_simulation: 'spanning',
} as const;

/** Every MCP tool (and resource template) and the permission it needs. */
export const MCP_TOOL_ACCESS = {
  get_twin: 'twins:read',
  explain_churn_risk: 'twins:read',
  search_twins: 'twins:read',
  recommend_next_best_action: 'decisions:make',
  run_simulation: 'simulations:run',
  get_simulation: 'simulations:read',
  create_intent: 'intents:write',
  get_intent_report: 'intents:read',
  request_action: 'actions:request',
  list_approvals: 'approvals:read',
  decide_approval: 'approvals:decide',
  // The resource template twin://{customerId}.
  'resource:twin': 'twins:read',
} as const satisfies Record<string, Permission>;

/**
 * The permission starting each business flow needs, at every edge that starts one (`POST
 * /workflows/:definition/start` beyond its own workflows:start, an intent's plan, which runs as a
 * managed campaign): a flow for the one customer in front of a person (care, an order, a new line)
 * needs only workflows:start; one that spends a budget on many customers (a managed campaign, a
 * churn prevention run) is the marketers' and supervisors' (campaigns:manage, which also pauses
 * and stops it: who may start it may stop it); service operations, which tells every customer an
 * alarm touches, is network operations' (alarms:write, as the alarm that starts it). A flow not
 * named here (a test's, a benchmark's) needs workflows:start. docs/decisions/0047-who-starts-a-flow.md.
 */
export const WORKFLOW_START_ACCESS = {
  onboarding: 'workflows:start',
  'order-fulfilment': 'workflows:start',
  'customer-care': 'workflows:start',
  'churn-prevention': 'campaigns:manage',
  'campaign-management': 'campaigns:manage',
  'service-operations': 'alarms:write',
} as const satisfies Record<string, Permission>;

/** The permission starting a run of `definitionId` needs (WORKFLOW_START_ACCESS; workflows:start for a flow it does not name). */
export function startPermissionOf(definitionId: string): Permission {
  const table = WORKFLOW_START_ACCESS as Readonly<Record<string, Permission>>;
  return Object.hasOwn(table, definitionId) ? table[definitionId] : 'workflows:start';
}

/** An MCP tool or resource named in the table. */
export type McpToolName = keyof typeof MCP_TOOL_ACCESS;

/** Access entries of routes an app of its own adds (a test's, a benchmark's baseline), which the operator never serves. */
export type ExtraAccess = Readonly<Record<string, Access>>;

/** The access a route needs, or undefined when the route is not in the table nor in `extra` (HEAD follows GET). */
export function routeAccess(method: string, url: string, extra: ExtraAccess = {}): Access | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const table = ROUTE_ACCESS as Readonly<Record<string, Access>>;
  const key = `${m} ${url}`;
  if (Object.hasOwn(table, key)) return table[key];
  return Object.hasOwn(extra, key) ? extra[key] : undefined;
}
