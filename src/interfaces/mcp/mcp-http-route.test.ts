import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import { customerReach } from '../auth/customer-reach.js';
import { createHttpApp } from '../http/server.js';
import type { McpCapabilities } from './mcp-capabilities.js';
import { mcpHttpRoutes } from './mcp-http-route.js';

/** Tools over a world of one customer: what they answer is not what these tests look at. */
const caps: McpCapabilities = {
  readTwin: async (id) => (id === 'C1' ? { customerId: 'C1' } : null),
  explainChurn: async () => null,
  searchTwins: async (_filters, _offset, _limit, keep) => ({ total: 0, items: ['C1', 'C2'].filter((id) => !keep || keep(id)) }),
  recommend: async (id) => ({ customerId: id, ranked: [] }),
  simulate: async () => ({ id: 'S1', status: 'done' }),
  simulationRun: async () => null,
  createIntent: async () => ({ id: 'I1' }),
  intentReport: async () => null,
  requestAction: async () => ({ status: 'executed', reason: 'autonomous' }),
  listApprovals: async () => [],
  decideApproval: async () => ({ status: 'rejected' }),
  listTwinIds: async () => ['C1'],
};

describe('MCP over HTTP', () => {
  const opened: { app: FastifyInstance; auth: TestAuth }[] = [];
  afterEach(async () => {
    for (const { app, auth } of opened.splice(0)) {
      await app.close();
      await auth.close();
    }
  });
  // The segment `business` holds C1, not C2.
  const reach = customerReach({ segments: () => new Map([['business', (f: Readonly<Record<string, number>>) => f.is_business === 1]]), fieldsOf: (id) => ({ is_business: id === 'C1' ? 1 : 0 }) });
  const open = async (actingPerMinute: number) => {
    const auth = await openTestAuth();
    const app = createHttpApp({ version: 'test', auth: auth.auth, hardening: { actingPerMinute }, extraAccess: { 'POST /t/act': 'actions:request' } }, [
      mcpHttpRoutes(caps, 'test', reach),
      (a) => void a.post('/t/act', async () => ({ ok: true })),
    ]);
    await app.ready();
    opened.push({ app, auth });
    return { app, auth };
  };
  let id = 0;
  const call = async (app: FastifyInstance, headers: Record<string, string>, name: string, args: Record<string, unknown>) => {
    const res = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      payload: { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: args } },
    });
    expect(res.statusCode).toBe(200);
    return res.json().result as { isError?: boolean; content: { text: string }[] };
  };
  const credit = (key: string) => ({ customerId: 'C1', actionClass: 'credit', channel: 'app', amount: 5, reason: 'goodwill', idempotencyKey: key });

  it('counts the tools that act against the same per-key limit as the acting routes; reading tools and other keys go on', async () => {
    const { app, auth } = await open(3);
    const bot = await auth.bearer('ai_agent', 'bot');
    expect((await call(app, bot, 'request_action', credit('k1'))).isError).toBeFalsy();
    expect((await call(app, bot, 'request_action', credit('k2'))).isError).toBeFalsy();
    // The HTTP acting route draws on the same three.
    expect((await app.inject({ method: 'POST', url: '/t/act', headers: { ...bot, 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(200);
    const limited = await call(app, bot, 'request_action', credit('k3'));
    expect(limited.isError).toBe(true);
    expect(limited.content[0].text).toMatch(/^RATE_LIMITED: more than 3 requests a minute to the routes and MCP tools that act, from this credential; retry in \d+ s/);
    expect((await call(app, bot, 'get_twin', { customerId: 'C1' })).isError).toBeFalsy();
    const other = await auth.bearer('ai_agent', 'other-bot');
    expect((await call(app, other, 'request_action', credit('k4'))).isError).toBeFalsy();
  });

  it('does not limit tools when the limit is off', async () => {
    const { app, auth } = await open(0);
    const bot = await auth.bearer('ai_agent', 'bot');
    for (let i = 0; i < 5; i++) expect((await call(app, bot, 'request_action', credit(`k${i}`))).isError).toBeFalsy();
  });

  it('holds a key scoped to segments and channels to its customers and channels, as over HTTP', async () => {
    const { app, auth } = await open(0);
    const made = await auth.auth.keys.create({ subject: 'scoped-bot', role: 'ai_agent', segments: ['business'], channels: ['app'] }, 'test');
    const bot = { authorization: `Bearer ${made.key}` };
    expect((await call(app, bot, 'get_twin', { customerId: 'C1' })).isError).toBeFalsy();
    const other = await call(app, bot, 'get_twin', { customerId: 'C2' });
    expect(other.isError).toBe(true);
    expect(other.content[0].text).toBe("FORBIDDEN: scoped-bot's credential is scoped to the segments business; customer C2 is in none of them now");
    expect(JSON.parse((await call(app, bot, 'search_twins', {})).content[0].text)).toMatchObject({ items: ['C1'] });
    expect((await call(app, bot, 'request_action', credit('s1'))).isError).toBeFalsy();
    const web = await call(app, bot, 'request_action', { ...credit('s2'), channel: 'web' });
    expect(web.content[0].text).toMatch(/^FORBIDDEN: scoped-bot's credential is scoped to the channels app; it may not act on web/);
    expect((await call(app, bot, 'request_action', { ...credit('s3'), customerId: 'C2' })).isError).toBe(true);
    expect((await call(app, bot, 'run_simulation', { scenario: {} })).content[0].text).toMatch(/^FORBIDDEN: .*the MCP tool run_simulation reaches customers outside them/);
    expect((await call(app, bot, 'create_intent', { text: 'retain high-risk customers' })).content[0].text).toMatch(/^FORBIDDEN: .*the MCP tool create_intent reaches customers outside them/);
  });
});
