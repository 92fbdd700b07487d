import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { testPort } from './support/test-port.js';
import { until } from './support/until.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');


/**
 * The operator as a person and an agent use it: `npm start`'s server on a small sandbox world,
 * driven over HTTP and over MCP (the SDK's own client, on streamable HTTP and through
 * `twinloop mcp` on stdio).
 */
describe('the running operator: decisions, actions under policy, approvals, simulations, intents, MCP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-operator-'));
  /** Chosen in beforeAll (a port no other test server uses). */
  let port = 0;
  let base = '';
  let server: ChildProcess | undefined;
  /** The admin key the first start wrote to the data dir (0600). */
  let key = '';
  const auth = () => ({ authorization: `Bearer ${key}` });
  /** Keys the admin makes: an AI agent's service account and a supervisor. */
  const as: Record<'bot' | 'supervisor', { authorization: string }> = { bot: { authorization: '' }, supervisor: { authorization: '' } };
  const post = async (path: string, body: unknown, who: { authorization: string } = auth()) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...who }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const get = async (path: string) => (await (await fetch(`${base}${path}`, { headers: auth() })).json()) as unknown;

  beforeAll(async () => {
    port = await testPort();
    base = `http://127.0.0.1:${port}`;
    const args = [BIN, 'start', '--port', String(port), '--data-dir', join(dir, 'data'), '--world', 'small', '--customers', '800', '--months', '6'];
    let output = '';
    server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    await until(async () => (output.includes('live scores: serving') ? true : undefined), 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}; server said:\n${output}`);
    });
    key = readFileSync(join(dir, 'data', 'admin.key'), 'utf8').trim();
    expect(output).toContain(`/sign-in#key=${key}`);
    for (const [who, subject, role] of [['bot', 'care-bot', 'ai_agent'], ['supervisor', 'supervisor-3', 'supervisor']] as const) {
      const made = await post('/keys', { subject, role });
      as[who] = { authorization: `Bearer ${String(made.body.key)}` };
    }
  }, 120_000);
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers nobody without a credential but the health probe', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const anonymous = await fetch(`${base}/twins?limit=1`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { message: string } }).error.message).toMatch(/admin\.key/);
    expect((await fetch(`${base}/actions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(401);
    expect((await fetch(`${base}/twins?limit=1`, { headers: { authorization: 'Bearer twl_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status).toBe(401);
  });

  it('makes a key per person from the CLI on the same machine (it finds the admin key in the data dir)', async () => {
    const made = await new Promise<string>((done, fail) =>
      execFile(process.execPath, [BIN, 'keys', 'create', '--subject', 'carol', '--role', 'viewer', '--json', '--data-dir', join(dir, 'data')], (err, stdout, stderr) => (err ? fail(new Error(stderr)) : done(stdout))),
    );
    const carol = { authorization: `Bearer ${(JSON.parse(made) as { key: string }).key}` };
    expect((await fetch(`${base}/twins?limit=1`, { headers: carol })).status).toBe(200);
    const refused = await fetch(`${base}/keys`, { headers: carol });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/carol \(role viewer\) may not GET \/keys: it needs the permission keys:manage/);
  });

  it('ranks actions with reasons, and a person accepting one on a call executes it under the policy', async () => {
    // No quiet hours while it runs: a person reaching out with no call in progress is bound by them (fb14644), and the
    // world's clock, near the wall's, sat in them for half the day: every offer worth making was held then.
    const put = async (document: unknown, basedOn: number, reason: string) =>
      (await fetch(`${base}/policy`, { method: 'PUT', headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify({ policy: document, reason, basedOn }) })).json() as Promise<{ version: number }>;
    const inForce = (await get('/policy')) as { document: { contact?: Record<string, unknown> }; version: number };
    const quiet = await put({ ...inForce.document, contact: { ...(inForce.document.contact ?? {}), quietHours: null } }, inForce.version, 'e2e: a decision at any hour of the world');
    const list = (await get('/twins?churned.eq=0&limit=300')) as { items: { customerId: string }[] };
    let decision: { decisionId: string; chosen: string; ranked: { actionId: string; reasons: string[] }[]; discarded: { step: string }[] } | undefined;
    for (const { customerId } of list.items) {
      const d = (await post('/decisions', { customerId, channel: 'call', reason: 'billing_question', explain: true })).body as typeof decision;
      if (d && d.chosen !== 'do-nothing') {
        decision = d;
        break;
      }
    }
    expect(decision, 'some customer of the world has an offer worth making').toBeDefined();
    expect(decision!.ranked.at(-1)?.actionId ?? '').toBeDefined();
    expect(decision!.ranked.some((r) => r.actionId === 'do-nothing')).toBe(true);
    expect(decision!.ranked[0].reasons.length).toBeGreaterThan(0);
    // Without `explain` the answer is compact: the choice and why, the best three (and the chosen), no sentences, the counts.
    const compact = (await post('/decisions', { customerId: (decision as unknown as { customerId: string }).customerId, channel: 'call', reason: 'billing_question' })).body as {
      choice: { reason: string };
      ranked: { reasons?: string[] }[];
      rankedCount: number;
      discarded?: unknown;
      discardedCount: number;
    };
    expect(compact.choice.reason).toMatch(/^(exploit|explore|guarded): /);
    expect(compact.ranked.length).toBeLessThanOrEqual(Math.min(4, compact.rankedCount));
    expect(compact.ranked.every((r) => r.reasons === undefined) && compact.discarded === undefined).toBe(true);
    expect(compact.rankedCount + compact.discardedCount).toBe(decision!.ranked.length + decision!.discarded.length);
    const accepted = await post(`/decisions/${decision!.decisionId}/accept`, {});
    expect(accepted.status).toBe(200);
    expect(['executed', 'pending-approval'], JSON.stringify(accepted.body)).toContain(accepted.body.status);
    // The policy as it was, for the tests after.
    await put(inForce.document, quiet.version, 'e2e: quiet hours back');
  });

  it('routes actions through the policy: small credit executes, a bigger one waits for approval, above the cap is refused; the audit chain verifies', async () => {
    const list = (await get('/twins?churned.eq=0&limit=1')) as { items: { customerId: string }[] };
    const customerId = list.items[0].customerId;
    const ask = (cost: number) => post('/actions', { actionClass: 'credit', channel: 'call', customerId, cost, why: { summary: 'billing complaint' } }, as.bot);
    expect((await ask(5)).body.status).toBe('executed');
    const pending = (await ask(50)).body;
    expect(pending.status).toBe('pending-approval');
    const approvals = (await get('/approvals')) as { id: string }[];
    expect(approvals.map((a) => a.id)).toContain(pending.approvalId);
    // The agent approves nothing, a body cannot name another approver, a supervisor may.
    expect((await post(`/approvals/${String(pending.approvalId)}/approve`, { reason: 'mine' }, as.bot)).status).toBe(403);
    const forgedBy = await post(`/approvals/${String(pending.approvalId)}/approve`, { by: 'supervisor-9', reason: 'ok' }, as.supervisor);
    expect(forgedBy.status).toBe(403);
    expect(JSON.stringify(forgedBy.body)).toContain('the actor is always who the credential names');
    const approved = await post(`/approvals/${String(pending.approvalId)}/approve`, { reason: 'long-standing customer' }, as.supervisor);
    expect(approved.body.status).toBe('executed');
    const refused = (await ask(500)).body;
    expect(refused).toMatchObject({ status: 'refused' });
    expect(String(refused.reason)).toMatch(/cap/);
    expect(await get('/audit/verify')).toMatchObject({ ok: true });
    // An approval's outcome reaches a workflow only from the approval queue, never as a forged signal.
    const forged = await post('/workflows/any-run/signals/approval:apr-1', { status: 'executed', reason: 'forged' });
    expect(forged.status).toBe(403);
  });

  it('runs a simulation with intervals, and turns an intent in plain words into a proposed intent', async () => {
    const started = await post('/simulations', {
      kind: 'retention_campaign',
      name: 'top 100 by churn x value',
      horizonMonths: 3,
      draws: 20,
      targeting: { rank: 'churn_value', k: 100 },
      offer: { id: 'retain-10', discountPct: 10, months: 6 },
    });
    expect(started.status).toBe(202);
    const run = await until(async () => {
      const r = (await get(`/simulations/${String(started.body.id)}`)) as { status: string; results?: { overall: { netValue: { mean: number; p05: number; p95: number } } }[] };
      return r.status === 'running' ? undefined : r;
    }, 60_000);
    expect(run.status).toBe('succeeded');
    const net = run.results![0].overall.netValue;
    expect(net.p05).toBeLessThanOrEqual(net.mean);
    expect(net.p95).toBeGreaterThanOrEqual(net.mean);
    const intent = await post('/intents', { text: 'keep high-value prepaid customers at risk this month, budget 5000' });
    expect(intent.status).toBe(201);
    expect(intent.body).toMatchObject({ intent: { lifecycleStatus: 'proposed', budget: { amount: 5000 } } });
  });

  it('onboards an applicant of the sandbox end to end as a durable workflow', async () => {
    const applicant = (await post('/sandbox/applicants', {})).body;
    expect(applicant).toMatchObject({ applicantId: expect.any(String) });
    const started = await post('/workflows/onboarding/start', { applicant });
    expect(started.status).toBe(201);
    const run = await until(async () => {
      const r = (await get(`/workflows/${String(started.body.workflowId)}`)) as { status: string; output: { customerId?: string } | null; error: string | null };
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    }, 60_000);
    // An applicant may be refused (invalid identity, fraud); either way the run ends and says why.
    if (run.status === 'succeeded') expect(run.output?.customerId).toBeTruthy();
    else expect(run.error).toBeTruthy();
  });

  it('serves the same tools over MCP (streamable HTTP and stdio), and the policy binds the agent too', async () => {
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: auth() } }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['get_twin', 'recommend_next_best_action', 'run_simulation', 'create_intent', 'request_action', 'list_approvals']));
    const list = (await get('/twins?churned.eq=0&limit=1')) as { items: { customerId: string }[] };
    const customerId = list.items[0].customerId;
    const twin = await client.callTool({ name: 'get_twin', arguments: { customerId } });
    expect(twin.isError).toBeFalsy();
    expect(twin.structuredContent).toMatchObject({ customerId });
    // search_twins takes the filters of /twins, live scores included, and finds the same twins.
    const risky = (await get('/twins?churn.gte=0&is_prepaid=0&limit=5')) as { items: { customerId: string; scores: { churn: number } }[] };
    expect(risky.items).toHaveLength(5);
    expect(risky.items.every((t) => t.scores.churn >= 0)).toBe(true);
    const found = await client.callTool({ name: 'search_twins', arguments: { filters: { 'churn.gte': '0', is_prepaid: '0' }, limit: 5 } });
    expect(found.isError).toBeFalsy();
    expect((found.structuredContent as { items: { customerId: string }[] }).items.map((t) => t.customerId)).toEqual(risky.items.map((t) => t.customerId));
    const typo = await client.callTool({ name: 'search_twins', arguments: { filters: { 'churm.gt': '0.5' } } });
    expect(typo.isError).toBe(true);
    expect(JSON.stringify(typo.content)).toMatch(/unknown field \\"churm\\"; known fields: .*churn, clv/);
    const refused = await client.callTool({
      name: 'request_action',
      arguments: { customerId, actionClass: 'credit', channel: 'app', amount: 500, reason: 'the agent tries a big credit', idempotencyKey: 'e2e-1' },
    });
    expect(refused.structuredContent).toMatchObject({ status: 'refused' });
    const pending = await client.callTool({
      name: 'request_action',
      arguments: { customerId, actionClass: 'credit', channel: 'app', amount: 50, reason: 'goodwill', idempotencyKey: 'e2e-2' },
    });
    expect(pending.structuredContent).toMatchObject({ status: 'pending-approval' });
    const selfApproval = await client.callTool({ name: 'decide_approval', arguments: { id: (pending.structuredContent as { approvalId: string }).approvalId, approve: true, reason: 'looks fine' } });
    expect(selfApproval.isError).toBe(true);
    expect(JSON.stringify(selfApproval.content)).toMatch(/FORBIDDEN: .*may not approve it too; another person must \(four eyes\)/);
    await client.close();

    const stdio = new Client({ name: 'e2e-stdio', version: '1' });
    await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--url', base], env: { ...process.env, TWINLOOP_API_KEY: key } as Record<string, string> }));
    const viaStdio = await stdio.listTools();
    expect(viaStdio.tools.length).toBe(tools.length);
    await stdio.close();
  });
});
