import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { MCP_TOOL_ACCESS } from '../auth/access-table.js';
import type { Identity } from '../auth/identity.js';
import { ROLE_NAMES, roleAllows } from '../auth/roles.js';
import type { ActionRequestInput, McpCapabilities } from './mcp-capabilities.js';
import { createMcpServer } from './mcp-server.js';

function fakeCapabilities(log: ActionRequestInput[]): McpCapabilities {
  const twin = { customerId: 'C1', scores: { churn: { probability: 0.4 } } };
  return {
    readTwin: async (id) => (id === 'C1' ? twin : null),
    explainChurn: async (id) => (id === 'C1' ? twin.scores.churn : null),
    searchTwins: async () => ({ total: 1, items: [twin] }),
    recommend: async (id, ctx) => ({ customerId: id, context: ctx, ranked: [] }),
    simulate: async () => ({ id: 'S1', status: 'done' }),
    simulationRun: async (id) => (id === 'S1' ? { id, status: 'done' } : null),
    createIntent: async (input) => ({ id: 'I1', status: 'proposed', input }),
    intentReport: async () => null,
    requestAction: async (req) => {
      log.push(req);
      return req.actionClass === 'credit' && (req.amount ?? 0) > 100
        ? { status: 'refused', reason: 'credit above the 100 cap (rule credits.cap)' }
        : { status: 'executed', reason: 'autonomous on app (rule offers.digital)' };
    },
    listApprovals: async () => [],
    decideApproval: async () => ({ status: 'rejected' }),
    listTwinIds: async () => ['C1'],
  };
}

/** An AI agent's service account, as an `ai_agent` key authenticates it. */
const BOT: Identity = { subject: 'care-bot', role: 'ai_agent', scope: {}, via: 'api-key' };

async function connect(caps: McpCapabilities, caller: Identity = BOT): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(caps, 'test', caller).connect(serverSide);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
  return client;
}

describe('MCP server', () => {
  it('marks exactly the tools that change nothing as read-only, and request_action as destructive', async () => {
    const client = await connect(fakeCapabilities([]));
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['get_twin', 'explain_churn_risk', 'search_twins', 'get_simulation', 'get_intent_report', 'list_approvals']) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(true);
    }
    for (const name of ['recommend_next_best_action', 'run_simulation', 'create_intent', 'request_action', 'decide_approval']) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(false);
    }
    expect(byName.get('request_action')?.annotations?.destructiveHint).toBe(true);
  });

  it('passes the policy answer through and names the agent as the actor', async () => {
    const log: ActionRequestInput[] = [];
    const client = await connect(fakeCapabilities(log));
    const r = await client.callTool({
      name: 'request_action',
      arguments: { customerId: 'C1', actionClass: 'credit', channel: 'app', amount: 500, reason: 'goodwill', idempotencyKey: 'k1' },
    });
    expect(r.structuredContent).toMatchObject({ status: 'refused', reason: expect.stringContaining('cap') });
    expect(log[0].actor).toEqual({ kind: 'agent', id: 'care-bot' });
  });

  it('checks a key scoped to channels on the channel the customer receives: an SMS asked on a call is a web contact, refused naming both; nothing is asked', async () => {
    const log: ActionRequestInput[] = [];
    const onCalls = await connect(fakeCapabilities(log), { subject: 'call-bot', role: 'ai_agent', scope: { channels: ['call'] }, via: 'api-key' });
    const sms = await onCalls.callTool({ name: 'request_action', arguments: { customerId: 'C1', actionClass: 'communication', channel: 'call', purpose: 'care', notificationChannel: 'sms', message: 'As discussed', reason: 'follow-up', idempotencyKey: 'k-sms' } });
    expect(sms.isError).toBe(true);
    expect(JSON.stringify(sms.content)).toMatch(/FORBIDDEN: call-bot's credential is scoped to the channels call; the request says call, but the customer receives it by sms \(params.notificationChannel\), a web contact: it may not act on web/);
    expect(log).toEqual([]);
    // A person's call-back (human_task) is a call: it goes to the policy.
    const task = await onCalls.callTool({ name: 'request_action', arguments: { customerId: 'C1', actionClass: 'communication', channel: 'call', purpose: 'care', notificationChannel: 'human_task', message: 'Call back', reason: 'follow-up', idempotencyKey: 'k-task' } });
    expect(task.isError ?? false).toBe(false);
    expect(log).toHaveLength(1);
  });

  it('creates intents as the caller: the agent is kept as who created it (so it can never approve its plan)', async () => {
    const client = await connect(fakeCapabilities([]));
    const r = await client.callTool({ name: 'create_intent', arguments: { text: 'keep at-risk customers' } });
    expect(r.structuredContent).toMatchObject({ input: { text: 'keep at-risk customers', by: { kind: 'agent', id: 'care-bot' } } });
  });

  it('lets each caller use only the tools its role allows, naming role and permission', async () => {
    const log: ActionRequestInput[] = [];
    const agent = await connect(fakeCapabilities(log));
    const approve = await agent.callTool({ name: 'decide_approval', arguments: { id: 'apr-1', approve: true, reason: 'fine' } });
    expect(approve.isError).toBe(true);
    expect(JSON.stringify(approve.content)).toMatch(/FORBIDDEN: care-bot \(role ai_agent\) may not use the MCP tool decide_approval: it needs the permission approvals:decide/);
    const viewer = await connect(fakeCapabilities(log), { subject: 'val', role: 'viewer', scope: {}, via: 'api-key' });
    const asked = await viewer.callTool({ name: 'request_action', arguments: { customerId: 'C1', actionClass: 'credit', channel: 'app', amount: 5, reason: 'x', idempotencyKey: 'k2' } });
    expect(asked.isError).toBe(true);
    expect(JSON.stringify(asked.content)).toContain('actions:request');
    expect(log).toEqual([]);
    expect((await viewer.callTool({ name: 'get_twin', arguments: { customerId: 'C1' } })).isError).toBeFalsy();
    // A person's key acts as that person.
    const person = await connect(fakeCapabilities(log), { subject: 'alice', role: 'care_agent', scope: {}, via: 'api-key' });
    await person.callTool({ name: 'request_action', arguments: { customerId: 'C1', actionClass: 'credit', channel: 'app', amount: 5, reason: 'x', idempotencyKey: 'k3' } });
    expect(log[0].actor).toEqual({ kind: 'human', id: 'alice' });
  });

  it('answers a tool error for an unknown twin and rejects bad arguments', async () => {
    const client = await connect(fakeCapabilities([]));
    const missing = await client.callTool({ name: 'get_twin', arguments: { customerId: 'NOPE' } });
    expect(missing.isError).toBe(true);
    expect(JSON.stringify(missing.content)).toContain('NOT_FOUND');
    const bad = await client.callTool({ name: 'request_action', arguments: { customerId: 'C1', actionClass: 'teleport', channel: 'app', reason: 'x', idempotencyKey: 'k' } });
    expect(bad.isError).toBe(true);
  });

  it('serves twins as resources', async () => {
    const client = await connect(fakeCapabilities([]));
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['twin://C1']);
    const read = await client.readResource({ uri: 'twin://C1' });
    expect(JSON.parse(String((read.contents[0] as { text: string }).text))).toMatchObject({ customerId: 'C1' });
  });

  it('answers every role as the access table says, on every tool (a tool without an entry fails here)', async () => {
    /** Arguments each tool accepts, so that what answers is the permission check, not the argument check. */
    const ARGS: Record<string, Record<string, unknown>> = {
      get_twin: { customerId: 'C1' },
      explain_churn_risk: { customerId: 'C1' },
      search_twins: {},
      recommend_next_best_action: { customerId: 'C1', channel: 'app' },
      run_simulation: { scenario: {} },
      get_simulation: { id: 'S1' },
      create_intent: { text: 'keep them' },
      get_intent_report: { id: 'I1' },
      request_action: { customerId: 'C1', actionClass: 'credit', channel: 'app', amount: 5, reason: 'x', idempotencyKey: 'k' },
      list_approvals: {},
      decide_approval: { id: 'A1', approve: false, reason: 'x' },
    };
    const { tools } = await (await connect(fakeCapabilities([]))).listTools();
    expect([...tools.map((t) => t.name), 'resource:twin'].sort()).toEqual(Object.keys(MCP_TOOL_ACCESS).sort());
    const wrong: string[] = [];
    for (const role of ROLE_NAMES) {
      const client = await connect(fakeCapabilities([]), { subject: `${role}-1`, role, scope: {}, via: 'api-key' });
      for (const { name } of tools) {
        const permission = MCP_TOOL_ACCESS[name as keyof typeof MCP_TOOL_ACCESS];
        const r = await client.callTool({ name, arguments: ARGS[name] });
        const text = JSON.stringify(r.content);
        const refused = r.isError === true && text.includes('FORBIDDEN') && text.includes(`role ${role}`) && text.includes(permission);
        if (roleAllows(role, permission) === refused) wrong.push(`${name} as ${role}: ${text.slice(0, 160)}`);
      }
      const read = client.readResource({ uri: 'twin://C1' });
      if (roleAllows(role, MCP_TOOL_ACCESS['resource:twin'])) await expect(read).resolves.toBeDefined();
      else await expect(read).rejects.toThrow(/twins:read/);
    }
    expect(wrong).toEqual([]);
  });
});

describe('MCP tool arguments', () => {
  it("are refused naming each field in the caller's words, what was expected and what came, as BAD_INPUT", async () => {
    const log: ActionRequestInput[] = [];
    const client = await connect(fakeCapabilities(log));
    const missing = await client.callTool({ name: 'get_twin', arguments: {} });
    expect(missing.isError).toBe(true);
    expect((missing.content as { text: string }[])[0].text).toBe("BAD_INPUT: get_twin's arguments: customerId: required: text");
    const wrong = await client.callTool({ name: 'request_action', arguments: { customerId: 'C1', actionClass: 'credit', channel: 'fax', amount: 'ten' } });
    expect((wrong.content as { text: string }[])[0].text).toMatch(/^BAD_INPUT: request_action's arguments: .*channel: expected one of web, app, call, chat, store, retail_partner, got "fax"/);
    expect(log).toEqual([]);
  });
});
