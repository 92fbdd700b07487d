import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CHANNELS } from '../../domain/events.js';
import { NOTIFICATION_CHANNELS } from '../../domain/connectors/notifications.js';
import { MESSAGE_PURPOSES } from '../../decisioning/policy/index.js';
import { toTwinloopError, TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import { MCP_CUSTOMER_TOOLS, MCP_TOOL_ACCESS, type McpToolName } from '../auth/access-table.js';
import { checkActionChannel, checkChannel, refuseCustomer, refuseSpanning, type CustomerReach } from '../auth/customer-reach.js';
import { actorOf, authorize, can, signedActorOf, type Identity } from '../auth/identity.js';
import { ACTING_PERMISSIONS } from '../auth/roles.js';
import { maskPersonal } from '../auth/personal-data.js';
import { mcpActionRequest, type McpCapabilities } from './mcp-capabilities.js';

/** How long `run_simulation` waits for a run before answering with its id and progress. */
const SIMULATION_WAIT_MS = 20_000;
/** Resources listed per `resources/list` call: an agent searches for the rest. */
const LISTED_TWINS = 50;

const json = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
  structuredContent: typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { items: value },
});

const failure = (message: string): CallToolResult => ({ content: [{ type: 'text', text: message }], isError: true });

/** The one way a tool error says what went wrong: `CODE: message`. */
const toolErrorText = (err: unknown): string => {
  const e = toTwinloopError(err);
  return `${e.code}: ${e.message}`;
};

/** Every tool answers through here: an exception becomes a tool error naming what went wrong. */
const answer = async (work: () => Promise<unknown>, missing?: string): Promise<CallToolResult> => {
  try {
    const value = await work();
    if (value === null && missing) return failure(missing);
    return json(value);
  } catch (err) {
    return failure(toolErrorText(err));
  }
};


/** What the SDK keeps of a registered tool, for the check of its arguments. */
interface RegisteredToolSchema {
  /** A zod object (the SDK builds it from the shape a tool registers, with the zod it imports). */
  readonly inputSchema?: { safeParseAsync?: (input: unknown) => Promise<{ success: true } | { success: false; error: z.ZodError }> };
}

/**
 * The SDK's check of a tool's arguments, its refusal said as every edge says one: `BAD_INPUT:
 * customerId: required: text` (domain/input-issues.ts), rather than zod's own words ("Invalid input:
 * expected string, received undefined at customerId"). Replaced on this server alone, falling back
 * to the SDK's answer for anything but a schema's refusal. Why a private method: the SDK (1.32) has
 * no public way to word the refusal. It checks the arguments with the very schema it lists for the
 * tool, before the handler runs, and words a failure itself; a looser registered schema checked in
 * the handler would list clients a tool without its arguments, and a CallTool handler of our own
 * would replace the SDK's whole dispatch (task support, output checks). An SDK without the method
 * stops the start here, saying so, rather than answer zod's words unnoticed (mcp-server.test.ts
 * asserts the wording).
 */
function sayArgumentProblems(server: McpServer): void {
  const sdk = server as unknown as { validateToolInput?: (tool: RegisteredToolSchema, args: unknown, name: string) => Promise<unknown> };
  if (typeof sdk.validateToolInput !== 'function') throw new TwinloopError('INTERNAL', "the MCP SDK no longer has McpServer.validateToolInput, which the server replaces to word a tool's argument problems (mcp-server.ts, sayArgumentProblems): adapt it to this SDK version");
  const check = sdk.validateToolInput.bind(server);
  sdk.validateToolInput = async (tool, args, name) => {
    const parse = tool.inputSchema?.safeParseAsync?.bind(tool.inputSchema);
    if (parse) {
      const parsed = await parse(args ?? {});
      // The SDK answers what this throws as the tool error's text (its message alone).
      if (!parsed.success) throw new Error(toolErrorText(new TwinloopError('BAD_INPUT', `${name}'s arguments: ${describeInputIssues(parsed.error.issues, args ?? {}, { whole: 'the arguments' })}`)));
    }
    return check(tool, args, name);
  };
}

const customerId = z.string().min(1).max(128).describe('Customer id, e.g. C000001');
const channel = z.enum(CHANNELS).describe('Channel of the contact');

/** What the edge serving the tools adds around each call. */
export interface McpEdge {
  /**
   * Called before each tool that acts (its permission is an acting one, as the acting HTTP
   * routes'); throws RATE_LIMITED past the caller's limit. Absent: no limit (an in-process server).
   */
  readonly countActing?: () => Promise<void>;
  /** Which customers a segment-scoped caller reaches (absent: such a caller reaches none). */
  readonly customers?: CustomerReach;
}

/**
 * The Twinloop MCP server: tools to read twins, explain churn, recommend next-best actions, run
 * simulations, create intents and read their reports, request actions (through the action
 * policy) and handle approvals; twins as resources. Annotations say the truth: only tools that
 * change nothing are read-only; `request_action` is destructive.
 *
 * The server serves one caller (`caller`, who the MCP request's credential names): each tool
 * answers only if the caller's role holds the permission the access table gives it (a tool error
 * `FORBIDDEN` naming role and permission otherwise), and the caller is the actor of every action
 * and approval, as over HTTP.
 */
export function createMcpServer(caps: McpCapabilities, version: string, caller: Identity, edge: McpEdge = {}): McpServer {
  const server = new McpServer({ name: 'twinloop', version });
  sayArgumentProblems(server);
  const actor = actorOf(caller);
  const allow = (tool: McpToolName) => authorize(caller, MCP_TOOL_ACCESS[tool], `use the MCP tool ${tool}`);
  // A caller without personal:read gets answers with personal data masked, as over HTTP.
  const mask = can(caller, 'personal:read') ? (v: unknown) => v : maskPersonal;
  // A key scoped to segments reaches their customers only, as over HTTP (MCP_CUSTOMER_TOOLS).
  const within = () => (caller.scope.segments ? (edge.customers?.within(caller) ?? (() => false)) : undefined);
  const reach = (tool: McpToolName, args: Record<string, unknown>) => {
    const how = (MCP_CUSTOMER_TOOLS as Partial<Record<McpToolName, string>>)[tool];
    if (!caller.scope.segments || how === undefined || how === 'filtered') return;
    if (how === 'spanning') return refuseSpanning(caller, `the MCP tool ${tool}`);
    const customerId = String(args.customerId);
    if (!edge.customers) refuseCustomer(caller, customerId);
    edge.customers.check(caller, customerId);
  };
  const guarded = (tool: McpToolName, work: () => Promise<unknown>, missing?: string, args: Record<string, unknown> = {}) =>
    answer(async () => {
      allow(tool);
      reach(tool, args);
      if (typeof args.channel === 'string') checkChannel(caller, args.channel);
      if (ACTING_PERMISSIONS.has(MCP_TOOL_ACCESS[tool])) await edge.countActing?.();
      return mask(await work());
    }, missing);

  server.registerTool(
    'get_twin',
    {
      title: 'Read a customer twin',
      description: 'The living twin of one customer: profile, products, usage, billing, tickets, features and live scores (churn with reasons, lifetime value).',
      inputSchema: { customerId },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (a) => guarded('get_twin', () => caps.readTwin(a.customerId), `NOT_FOUND: no twin for customer ${a.customerId}; search_twins lists existing ones`, a),
  );
  server.registerTool(
    'explain_churn_risk',
    {
      title: 'Explain churn risk',
      description: 'Churn probability within the model horizon, its plausible interval, and the features that raise or lower it (TreeSHAP contributions in words).',
      inputSchema: { customerId },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (a) => guarded('explain_churn_risk', () => caps.explainChurn(a.customerId), `NOT_FOUND: no twin for customer ${a.customerId}`, a),
  );
  server.registerTool(
    'search_twins',
    {
      title: 'Search twins',
      description: 'Twins whose features or live scores match filters such as {"is_prepaid": "1", "tenure_days.gte": "365", "churn.gt": "0.5"} (operators .eq .ne .gt .gte .lt .lte; fields: the features in docs/models.md, and the scores churn, clv and at_risk, 1 for the riskiest tenth).',
      inputSchema: {
        filters: z.record(z.string(), z.string()).default({}),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100).default(20),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (a) => guarded('search_twins', () => caps.searchTwins(a.filters, a.offset, a.limit, within())),
  );
  server.registerTool(
    'recommend_next_best_action',
    {
      title: 'Recommend next-best action',
      description:
        'Runs the decision funnel (eligibility, applicability, suitability, contact policy, arbitration) for a customer in a context; answers the ranked actions with expected value and, for each discarded offer, the step that removed it. The decision is logged; nothing is executed.',
      inputSchema: { customerId, channel, reason: z.string().max(64).optional().describe('Why the customer is in contact, e.g. billing_question') },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (a) => guarded('recommend_next_best_action', () => caps.recommend(a.customerId, { channel: a.channel, reason: a.reason, asker: actor }), undefined, a),
  );
  server.registerTool(
    'run_simulation',
    {
      title: 'Run a simulation',
      description: `Simulates scenarios (offer_launch, price_change, retention_campaign, network_improvement; see docs/simulation.md) over the twin population; waits up to ${SIMULATION_WAIT_MS / 1000} s, then answers the run (result or progress and its id for get_simulation). Changes nothing but stores the run.`,
      inputSchema: { scenario: z.record(z.string(), z.unknown()).describe('A scenario document or {"scenarios": [...]}') },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (a) => guarded('run_simulation', () => caps.simulate(a.scenario, SIMULATION_WAIT_MS)),
  );
  server.registerTool(
    'get_simulation',
    {
      title: 'Read a simulation run',
      description: 'Status, progress and (when done) results with 90 % intervals of a simulation run.',
      inputSchema: { id: z.string().min(1) },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (a) => guarded('get_simulation', () => caps.simulationRun(a.id), `NOT_FOUND: no simulation run ${a.id}`),
  );
  server.registerTool(
    'create_intent',
    {
      title: 'Create an intent',
      description:
        'Turns an operator intent ("keep high-value prepaid customers at risk this month, budget 50000") or a structured TMF921-shaped intent into a proposed intent with its interpretation. With accept=true it is accepted and its report answered at once, in planning (inProgress: "planning"): its plans are simulated in the background, and the chosen one is executed through the workflows under the action policy when the intent is autonomous and a person approves (an agent approves nothing); follow it with get_intent_report.',
      inputSchema: { text: z.string().max(500).optional(), intent: z.record(z.string(), z.unknown()).optional(), accept: z.boolean().default(false) },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (a) => guarded('create_intent', () => caps.createIntent({ text: a.text, intent: a.intent, accept: a.accept, by: signedActorOf(caller) })),
  );
  server.registerTool(
    'get_intent_report',
    {
      title: 'Read an intent report',
      description: 'Progress of an intent against each expectation, its plan, spend against budget and its history (planned, executed, re-planned).',
      inputSchema: { id: z.string().min(1) },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (a) => guarded('get_intent_report', () => caps.intentReport(a.id), `NOT_FOUND: no intent ${a.id}`),
  );
  server.registerTool(
    'request_action',
    {
      title: 'Request an action on a customer',
      description:
        'Asks to execute an action (offer, credit, discount, plan_change, communication). The action policy answers: executed, pending-approval (a human must approve), advised (recommend only) or refused, always with the policy reason. Same idempotencyKey and request, same answer; the key with another request is an idempotency conflict.',
      inputSchema: {
        customerId,
        actionClass: z.enum(['offer', 'credit', 'discount', 'plan_change', 'communication']),
        channel,
        offerId: z.string().optional(),
        amount: z.number().min(0).optional().describe('Credit amount or discount percent'),
        purpose: z.enum(MESSAGE_PURPOSES).optional().describe("A communication's purpose, required for one: marketing and retention need the customer's marketing consent; service and legal notices always go"),
        notificationChannel: z.enum(NOTIFICATION_CHANNELS).optional().describe('The channel a communication goes out on (default sms); the contact rules judge it there'),
        message: z.string().min(1).max(2000).optional().describe("A communication's words"),
        reason: z.string().min(1).max(500).describe('Why: shown to approvers and kept in the audit trail'),
        idempotencyKey: z.string().min(1).max(200).describe('Required: names this request. The same key with the same request answers as the first time (nothing is done twice); with another request (another amount, customer, reason…) it is refused as an idempotency conflict: use a new key'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    async (a) =>
      guarded(
        'request_action',
        async () => {
          // Scoped to channels: checked on what the customer receives too (an SMS asked on a call is a web contact).
          checkActionChannel(caller, mcpActionRequest({ ...a, actor }));
          return caps.requestAction({ ...a, actor });
        },
        undefined,
        a,
      ),
  );
  server.registerTool(
    'list_approvals',
    {
      title: 'List approvals',
      description: 'Pending approval requests with what, why and the evidence.',
      inputSchema: {},
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () =>
      guarded('list_approvals', async () => {
        // A key held to segments: its customers' approvals only, as over HTTP.
        const keep = within();
        const all = await caps.listApprovals();
        if (!keep) return all;
        return all.filter((item) => {
          const id = (item as { request?: { customerId?: unknown } }).request?.customerId;
          return typeof id === 'string' && keep(id);
        });
      }, undefined, {}),
  );
  server.registerTool(
    'decide_approval',
    {
      title: 'Approve or reject',
      description: 'Approves or rejects a pending approval with a reason, as the caller. Only a person decides (an AI agent\'s key may not use this tool), and never on a request they made themselves (four eyes).',
      inputSchema: { id: z.string().min(1), approve: z.boolean(), reason: z.string().min(1).max(500) },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    async (a) => guarded('decide_approval', () => caps.decideApproval(a.id, { approve: a.approve, reason: a.reason, by: actor }), undefined, a),
  );

  server.registerResource(
    'twin',
    new ResourceTemplate('twin://{customerId}', {
      list: async () => {
        allow('resource:twin');
        const keep = within();
        return {
          resources: (await caps.listTwinIds(LISTED_TWINS)).filter((id) => !keep || keep(id)).map((id) => ({ uri: `twin://${id}`, name: `twin ${id}`, mimeType: 'application/json' })),
        };
      },
    }),
    { title: 'Customer twin', description: 'The twin of one customer with live scores', mimeType: 'application/json' },
    async (uri, vars) => {
      allow('resource:twin');
      const id = String(vars.customerId);
      reach('resource:twin', { customerId: id });
      const twin = await caps.readTwin(id);
      if (twin === null) throw new Error(`no twin for customer ${id}`);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(twin) }] };
    },
  );
  return server;
}
