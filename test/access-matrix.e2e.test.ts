import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeAccess, routeOnlyOn, ROUTE_ACCESS, startPermissionOf, WORKFLOW_START_ACCESS } from '../src/interfaces/auth/access-table.js';
import { bearerFor } from '../src/interfaces/auth/auth-fixtures.js';
import { actorKindOf, ROLE_NAMES, roleAllows, type Role } from '../src/interfaces/auth/roles.js';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { DEFAULT_ACTION_POLICY } from '../src/decisioning/policy/index.js';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';
import { registerCustomers, type NewCustomer } from './support/customers.js';
import { openToEveryone } from './support/open-offers.js';

type Answer = { status: number; code?: string; message: string };

/**
 * Who may call what, on the operator as `npm start` assembles it (no sandbox: nothing moves under
 * the test): every route the server registers is walked with a key of every role and with none,
 * and each answer is checked against the access table — allowed: neither 401 nor a refusal for a
 * permission; denied: 403 naming the role and the permission; anonymous: 401 (public routes
 * aside). Then the attacks of issue 12, each of which now fails to do harm.
 */
describe('the access matrix: every route × every role', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-matrix-'));
  let running: BareOperator;
  let operator: Operator;
  let app: FastifyInstance;
  let routes: BareOperator['routes'];
  /** The Authorization header of each role's key. */
  const keys = new Map<Role, { authorization: string }>();

  /** Calls as a role (its key), anonymously, or with a key's secret. */
  async function call(method: string, url: string, who: Role | 'anonymous' | string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const credential = who === 'anonymous' ? {} : (keys.get(who as Role) ?? { authorization: `Bearer ${who}` });
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...credential, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    // The API's error body, or the TMF Error body under /tmf-api/.
    let parsed: { error?: { code?: string; message?: string }; code?: string; message?: string } = {};
    try {
      parsed = res.json();
    } catch {
      // Not JSON (a page, a stream): its status says enough.
    }
    return { status: res.statusCode, code: parsed.error?.code ?? parsed.code, message: parsed.error?.message ?? parsed.message ?? '' };
  }

  beforeAll(async () => {
    running = await startBareOperator(dir);
    ({ operator, app, routes } = running);
    for (const role of ROLE_NAMES) keys.set(role, await bearerFor(operator.auth, { subject: `${role.replace(/_/g, '-')}-1`, role }));
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has an entry for every route the server registers', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(routes.filter((r) => routeAccess(r.method, r.url) === undefined)).toEqual([]);
    // Every entry names a route that exists (the sandbox's routes, /sandbox/…, only with a sandbox;
    // the gateway's routing table only on a gateway, test/scale.e2e.test.ts; a worker's share of a
    // training and of a churn-prevention run only on a worker, test/scale-training.e2e.test.ts and
    // test/scale-churn.e2e.test.ts).
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(Object.keys(ROUTE_ACCESS).filter((k) => !registered.has(k) && routeOnlyOn(k) === undefined)).toEqual([]);
  });

  it('answers each role as the table says, on every route', async () => {
    const wrong: string[] = [];
    for (const { method, url } of routes) {
      const access = routeAccess(method, url)!;
      // Path parameters get a made-up id; a body that does nothing (every acting route refuses it or finds nothing).
      const path = url.replace(/:[A-Za-z]+/g, 'matrix-none').replace('*', 'matrix-page');
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const anonymous = await call(method, path, 'anonymous', body);
      // A public route may refuse a credential it is given (signing in with nothing), never ask for one.
      const askedForCredential = anonymous.status === 401 && /no credential/.test(anonymous.message);
      if (access === 'public' ? askedForCredential : !askedForCredential) wrong.push(`${method} ${url} anonymous → ${anonymous.status} ${anonymous.message}`);
      if (access === 'public') continue;
      for (const role of ROLE_NAMES) {
        const allowed = access === 'signed-in' || roleAllows(role, access);
        const a = await call(method, path, role, body);
        const refusedForPermission = a.status === 403 && a.code === 'FORBIDDEN' && /needs the permission/.test(a.message);
        if (allowed && (a.status === 401 || refusedForPermission)) wrong.push(`${method} ${url} as ${role}: allowed, answered ${a.status} ${a.message}`);
        if (!allowed && !(refusedForPermission && a.message.includes(`role ${role}`) && a.message.includes(access as string))) wrong.push(`${method} ${url} as ${role}: denied, answered ${a.status} ${a.message}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('starts a flow over many customers only for a role holding its own permission, 403 naming it, and audits who started it', async () => {
    // The newcomer's case: a care agent started a campaign that spends money, then could not stop it.
    const endAt = Date.now() + 365 * 86_400_000;
    const campaign = (campaignId: string) => ({ input: { campaignId, variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 2000, audience: [], controlShare: 0, endAt } });
    const wrong: string[] = [];
    for (const role of ROLE_NAMES) {
      for (const [definition, body] of [
        ['campaign-management', campaign(`matrix-${role}`)],
        ['churn-prevention', { input: {}, workflowId: `matrix-churn-${role}` }],
        ['service-operations', { input: { alarm: {} } }],
      ] as const) {
        const a = await call('POST', `/workflows/${definition}/start`, role, body);
        const needs = roleAllows(role, 'workflows:start') ? startPermissionOf(definition) : 'workflows:start';
        const refused = a.status === 403 && a.message.includes(`role ${role}`) && a.message.includes(`needs the permission ${needs}`);
        if (roleAllows(role, 'workflows:start') && roleAllows(role, startPermissionOf(definition))) {
          if (a.status === 403) wrong.push(`${definition} as ${role}: allowed, answered ${a.status} ${a.message}`);
        } else if (!refused) wrong.push(`${definition} as ${role}: denied (${needs}), answered ${a.status} ${a.message}`);
      }
    }
    expect(wrong).toEqual([]);
    // Nothing was started for those refused: a care agent's and network operations' campaigns do not exist.
    for (const role of ['care_agent', 'network_ops', 'viewer'] as const) expect(await operator.services.workflows.get(`campaign-matrix-${role}`)).toBeNull();
    // The marketer's campaign runs, and the trail says who started it (the campaign page lists it with its adjustments).
    expect((await operator.services.workflows.get('campaign-matrix-marketer'))?.definitionId).toBe('campaign-management');
    const page = (await app.inject({ method: 'GET', url: '/campaigns/matrix-marketer', headers: keys.get('marketer') })).json() as { adjustments: { event: string; by: string }[] };
    expect(page.adjustments).toContainEqual(expect.objectContaining({ event: 'campaign.started', by: 'marketer-1' }));
    // Who may start one may stop it: the marketer does.
    expect((await call('POST', '/campaigns/matrix-marketer/stop', 'marketer', { reason: 'matrix test' })).status).toBe(200);
  });

  it("gives whoever can make an intent's plan run the permission its campaign needs to start", () => {
    // An intent's plan runs as a managed campaign, acting as its approver (intents:approve) or, in
    // autonomous mode, its owner: a person who may create intents (an AI agent's plan waits for a person).
    const needs = startPermissionOf('campaign-management');
    const runsPlans = ROLE_NAMES.filter((r) => roleAllows(r, 'intents:approve') || (roleAllows(r, 'intents:write') && actorKindOf(r) === 'human'));
    expect(runsPlans.length).toBeGreaterThan(0);
    expect(runsPlans.filter((r) => !roleAllows(r, needs))).toEqual([]);
    // And the flows the table names are the flows the operator has (a new flow must say who starts it).
    expect(Object.keys(WORKFLOW_START_ACCESS).sort()).toEqual(['campaign-management', 'churn-prevention', 'customer-care', 'onboarding', 'order-fulfilment', 'service-operations']);
  });

  const register = (customers: readonly NewCustomer[]) => registerCustomers(app, keys.get('admin')!.authorization, customers);

  it("turns away each attack of issue 12's first paragraph", async () => {
    // The customer the actions below are asked for (an action for a customer with no twin is 404 before any of them).
    await register([{ id: 'C1', marketing: false }]);
    // An anonymous caller approves, deletes an offering, runs an intent plan: 401, and nothing changed.
    expect((await call('POST', '/approvals/any/approve', 'anonymous', { by: 'me', reason: 'x' })).status).toBe(401);
    expect((await call('DELETE', '/productOffering/retain-10', 'anonymous')).status).toBe(401);
    expect((await call('POST', '/intents/any/execute', 'anonymous', { approvedBy: 'anyone-at-all' })).status).toBe(401);
    expect(operator.services.decisions.catalogue.offers.some((o) => o.id === 'retain-10')).toBe(true);
    // A text/plain POST, as any web page can send without a preflight: no credential, no action.
    expect((await call('POST', '/actions', 'anonymous', '{"actionClass":"credit","channel":"web","cost":5}', { 'content-type': 'text/plain' })).status).toBe(401);
    // Even with a credential, an acting route reads JSON only under a JSON content type.
    expect((await call('POST', '/actions', 'admin', '{"actionClass":"credit","channel":"web","customerId":"C1","params":{"amount":5}}', { 'content-type': 'text/plain' })).status).toBe(415);
    // A viewer deletes an offering: 403 naming the permission.
    expect((await call('DELETE', '/productOffering/retain-10', 'viewer')).message).toMatch(/needs the permission catalogue:write/);
    // An AI agent claims to be a person (to turn advice into an executed offer) or names someone else.
    const claimed = await call('POST', '/actions', 'ai_agent', { actionClass: 'offer', channel: 'app', customerId: 'C1', params: { offerId: 'retain-10' }, actor: { kind: 'human', id: 'ai-agent-1' } });
    expect(claimed).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(claimed.message).toMatch(/the credential is agent ai-agent-1's/);
    expect((await call('POST', '/actions', 'care_agent', { actionClass: 'credit', channel: 'call', customerId: 'C1', cost: 1, actor: { kind: 'human', id: 'supervisor-1' }, why: { summary: 'goodwill' } })).status).toBe(403);
    // A care agent asks for a credit above the approval threshold: it waits; they cannot approve it, nor can its requester when a supervisor.
    const asked = await call('POST', '/actions', 'supervisor', { actionClass: 'credit', channel: 'call', customerId: 'C1', params: { amount: 50 }, why: { summary: 'goodwill' } });
    expect(asked.status).toBe(200);
    const pending = (await app.inject({ method: 'GET', url: '/approvals', headers: keys.get('supervisor') })).json() as { id: string; request: { actor: { id: string } } }[];
    const mine = pending.find((p) => p.request.actor.id === 'supervisor-1');
    expect(mine, JSON.stringify(pending)).toBeDefined();
    expect((await call('POST', `/approvals/${mine!.id}/approve`, 'care_agent', { reason: 'x' })).message).toMatch(/needs the permission approvals:decide/);
    // Nor may a care agent read the queue or one approval (other customers' facts and evidence): only who decides them.
    expect((await call('GET', '/approvals', 'care_agent')).message).toMatch(/needs the permission approvals:read/);
    expect((await call('GET', `/approvals/${mine!.id}`, 'care_agent')).status).toBe(403);
    expect((await call('POST', `/approvals/${mine!.id}/approve`, 'ai_agent', { reason: 'x' })).status).toBe(403);
    const own = await call('POST', `/approvals/${mine!.id}/approve`, 'supervisor', { reason: 'x' });
    // Four eyes refuses who asks, as a missing permission does (FORBIDDEN: the CLI's exit 9), not the action policy (POLICY_DENIED).
    expect(own).toMatchObject({ status: 403, code: 'FORBIDDEN', message: expect.stringMatching(/four eyes/) });
    // cost 1 with params.amount 400: the price is set once, from the amount moved; above the hard cap → refused.
    expect((await call('POST', '/actions', 'admin', { actionClass: 'credit', channel: 'call', customerId: 'C1', cost: 1, params: { amount: 400 }, why: { summary: 'goodwill' } })).message).toMatch(/cost 1 disagrees with the price 400/);
    const priced = await app.inject({ method: 'POST', url: '/actions', headers: { ...keys.get('admin'), 'content-type': 'application/json' }, payload: { actionClass: 'credit', channel: 'call', customerId: 'C1', params: { amount: 400 }, why: { summary: 'goodwill' } } });
    expect(priced.json()).toMatchObject({ status: 'refused' });
    // Personal data of applicants: not for anyone who cannot name themselves.
    expect((await call('GET', '/workflows', 'anonymous')).status).toBe(401);
    expect((await call('GET', '/dead-letters', 'anonymous')).status).toBe(401);
    // A key scoped to calls acts on calls only.
    const callsOnly = await operator.auth.keys.create({ subject: 'call-desk', role: 'care_agent', channels: ['call'] }, 'matrix test');
    const web = await call('POST', '/actions', callsOnly.key, { actionClass: 'credit', channel: 'web', customerId: 'C1', params: { amount: 5 }, why: { summary: 'goodwill' } });
    expect(web).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(web.message).toMatch(/scoped to the channels call; it may not act on web/);
    expect((await call('POST', '/actions', callsOnly.key, { actionClass: 'credit', channel: 'call', customerId: 'C1', params: { amount: 5 }, why: { summary: 'goodwill' } })).status).toBe(200);
    // A revoked key opens nothing.
    const temp = await operator.auth.keys.create({ subject: 'temp', role: 'admin' }, 'matrix test');
    expect((await call('GET', '/twins', temp.key)).status).toBe(200);
    await operator.auth.keys.revoke(temp.info.id, 'matrix test');
    expect((await call('GET', '/twins', temp.key)).message).toMatch(/revoked/);
  });

  it('delivers no offer to a customer without marketing consent through POST /actions or MCP request_action, naming the rule', async () => {
    // Quiet hours off, so the test means the same at any hour of the day (they are checked before consent).
    await operator.services.actionPolicy.set({ document: { ...DEFAULT_ACTION_POLICY, contact: { quietHours: null } }, reason: 'consent test: no quiet hours' }, { kind: 'human', id: 'admin-1' });
    await register([{ id: 'C-NO', marketing: false }, { id: 'C-YES', marketing: true }]);
    // The offer open to everyone, so that consent alone tells the two customers apart.
    await openToEveryone(operator.services.decisions, 'data-bonus');
    const offer = (customerId: string) => ({ actionClass: 'offer', channel: 'app', customerId, params: { offerId: 'data-bonus' } });
    const overHttp = async (customerId: string) => (await app.inject({ method: 'POST', url: '/actions', headers: { ...keys.get('admin'), 'content-type': 'application/json' }, payload: offer(customerId) })).json() as { status: string; reason: string; verdict?: { guardrail?: string } };
    let n = 0;
    const overMcp = async (customerId: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { ...keys.get('admin'), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        payload: { jsonrpc: '2.0', id: ++n, method: 'tools/call', params: { name: 'request_action', arguments: { customerId, actionClass: 'offer', channel: 'app', offerId: 'data-bonus', reason: 'consent test', idempotencyKey: `consent-${customerId}-${n}` } } },
      });
      const { result } = res.json() as { result: { structuredContent: { status: string; reason: string; verdict?: { guardrail?: string } }; isError?: boolean; content: { text: string }[] } };
      return result.isError ? { status: 'tool-error', reason: result.content[0].text } : result.structuredContent;
    };
    for (const ask of [overHttp, overMcp]) {
      const refused = await ask('C-NO');
      expect(refused).toMatchObject({ status: 'refused', verdict: { guardrail: 'marketing-consent' } });
      expect(refused.reason).toMatch(/^contact rule marketing-consent: no marketing consent/);
      // The control: the customer who consented passes the contact rules (no back end here carries it out).
      expect((await ask('C-YES')).verdict?.guardrail).toBeUndefined();
    }
    // A customer with no twin here is no customer: refused before the policy, 404 over HTTP and a tool error over MCP
    // (on the old code it reached the policy, and an offer or a credit went on to the connector).
    const nobody = await app.inject({ method: 'POST', url: '/actions', headers: { ...keys.get('admin'), 'content-type': 'application/json' }, payload: { actionClass: 'credit', channel: 'call', customerId: 'C-NOBODY', params: { amount: 5 }, why: { summary: 'goodwill' } } });
    expect({ status: nobody.statusCode, body: nobody.json() }).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.stringMatching(/^no customer C-NOBODY: no twin holds them/) } } });
    expect(await overMcp('C-NOBODY')).toMatchObject({ status: 'tool-error', reason: expect.stringMatching(/^NOT_FOUND: no customer C-NOBODY: no twin holds them/) });
    // A money move without its reason: 400 naming the field, over HTTP and MCP alike.
    const unsaid = await app.inject({ method: 'POST', url: '/actions', headers: { ...keys.get('admin'), 'content-type': 'application/json' }, payload: { actionClass: 'credit', channel: 'call', customerId: 'C-YES', params: { amount: 5 } } });
    expect({ status: unsaid.statusCode, body: unsaid.json() }).toMatchObject({ status: 400, body: { error: { code: 'BAD_INPUT', message: expect.stringMatching(/^Invalid action request at why\.summary: required for a credit, which moves money/) } } });
  });
});
