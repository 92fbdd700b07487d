import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeSimulation } from '../../agents/intents/fake-simulation.js';
import { createIntentService } from '../../agents/intents/intent-service.js';
import { memoryDocuments } from '../../store/document-store.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { intentRoutes } from './intent-routes.js';
import { tmf921Routes } from './tmf/tmf921-routes.js';
import { createHttpApp } from './server.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import { createPlanExecutor } from '../../agents/flows/intent-execution.js';
import { startStandingOf } from '../auth/start-standing.js';

const PROPOSED = {
  name: 'Keep high-value prepaid customers at risk',
  goal: 'retain',
  intentExpectation: [{ id: 'e1', targetName: 'retained_customers', targetCondition: 'atLeast', targetValue: 50 }],
  segment: { named: ['high-value', 'prepaid', 'at-risk'] },
  horizon: { amount: 1, unit: 'months' },
  budget: { amount: 5000, currency: 'EUR' },
  policyMode: 'autonomous',
};

/** An OpenAI-compatible endpoint that proposes PROPOSED for any text. */
let llm: Server;
// Open mode on loopback: these tests are about what the routes do; the access matrix test checks who may call them.
let local: TestAuth;
beforeAll(async () => {
  local = await openTestAuth('insecure-local');
  llm = createServer((req, res) => {
    req.resume().on('end', () => {
      const content = JSON.stringify(PROPOSED);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] }));
    });
  });
  await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
  process.env.TWINLOOP_LLM_BASE_URL = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
  process.env.TWINLOOP_LLM_API_KEY = 'k';
  process.env.TWINLOOP_LLM_MODEL = 'm';
});
afterAll(async () => {
  delete process.env.TWINLOOP_LLM_BASE_URL;
  delete process.env.TWINLOOP_LLM_API_KEY;
  delete process.env.TWINLOOP_LLM_MODEL;
  await new Promise<void>((r) => llm.close(() => r()));
  await local.close();
});

function app() {
  let executed = 0;
  const intents = createIntentService({
    store: memoryDocuments(),
    simulate: createFakeSimulation(),
    execute: async () => ({ executionId: `run-${++executed}` }),
    observe: async () => ({ asOf: Date.now(), values: {}, spend: 0 }),
  });
  const server = createHttpApp({ version: 'test', auth: local.auth }, [intentRoutes({ intents } as unknown as OperatorServices)]);
  return { server, executions: () => executed };
}

describe('POST /intents', () => {
  it('stores a language model proposal as proposed and runs nothing until a person accepts it', async () => {
    const { server, executions } = app();
    const r = await server.inject({ method: 'POST', url: '/intents', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'keep the valuable prepaid ones', llm: true, accept: true }) });
    expect(r.statusCode).toBe(201);
    const body = r.json() as { intent: { id: string; lifecycleStatus: string; source: { kind: string } }; proposal: { rawText: string } };
    expect(body.intent).toMatchObject({ lifecycleStatus: 'proposed', source: { kind: 'llm' } });
    expect(body.proposal.rawText).toContain('high-value');
    expect(executions()).toBe(0);
    const accepted = await server.inject({ method: 'POST', url: `/intents/${body.intent.id}/accept` });
    expect(accepted.statusCode).toBe(202);
  });

  it('answers an accepted intent at once, in planning, while its plans are simulated; the report follows it to its plan, or to its failure with the reason', async () => {
    // A simulation that ends only when the test opens the gate: the answers must come before it does.
    const gate: { open?: () => void; fault?: Error } = {};
    let shut = new Promise<void>((r) => (gate.open = r));
    let simulating = 0;
    const fake = createFakeSimulation();
    const intents = createIntentService({
      store: memoryDocuments(),
      simulate: async (plan) => {
        simulating++;
        await shut;
        if (gate.fault) throw gate.fault;
        return fake(plan);
      },
      execute: async () => ({ executionId: 'run-1' }),
      observe: async () => ({ asOf: Date.now(), values: {}, spend: 0 }),
    });
    const server = createHttpApp({ version: 'test', auth: local.auth }, [intentRoutes({ intents } as unknown as OperatorServices)]);
    const post = (payload: unknown) => server.inject({ method: 'POST', url: '/intents', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    const report = async (id: string) => (await server.inject({ method: 'GET', url: `/intents/${id}/report` })).json() as { lifecycleStatus: string; inProgress?: string; planSelection?: string; failureReason?: string };
    const releaseAll = async () => {
      gate.open!();
      await intents.settled();
      shut = new Promise<void>((r) => (gate.open = r));
    };

    const created = await post({ text: 'keep at-risk customers in the next 3 months, budget 50000', accept: true });
    expect(created.statusCode, created.body).toBe(201);
    const id = (created.json() as { intentId: string }).intentId;
    expect(created.json()).toMatchObject({ intentId: id, lifecycleStatus: 'planning', inProgress: 'planning' });
    expect(simulating).toBeGreaterThan(0); // its simulation is under way, and unanswered
    expect(await report(id)).toMatchObject({ lifecycleStatus: 'planning', inProgress: 'planning' });
    await releaseAll();
    const planned = await report(id);
    expect(planned).toMatchObject({ lifecycleStatus: 'planned', planSelection: 'meets-expectations' });
    expect(planned.inProgress).toBeUndefined();

    // Accepting a proposed intent answers 202 at once too; a planning that fails says why on the intent.
    const proposed = (await post({ text: 'keep at-risk customers in the next 3 months, budget 40000' })).json() as { intent: { id: string } };
    const accepted = await server.inject({ method: 'POST', url: `/intents/${proposed.intent.id}/accept` });
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(accepted.json()).toMatchObject({ lifecycleStatus: 'planning', inProgress: 'planning' });
    gate.fault = new Error('no churn model is serving yet');
    await releaseAll();
    expect(await report(proposed.intent.id)).toMatchObject({ lifecycleStatus: 'failed', failureReason: 'planning failed: no churn model is serving yet', planSelection: 'no-plan' });
    await server.close();
  });

  it('parses the documented phrasings without a model, and names what it does not understand', async () => {
    const { server } = app();
    const ok = await server.inject({ method: 'POST', url: '/intents', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'keep high-value prepaid customers at risk this month, budget 50000' }) });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ intent: { lifecycleStatus: 'proposed', budget: { amount: 50000 } } });
    const bad = await server.inject({ method: 'POST', url: '/intents', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'make the customers purple' }) });
    expect(bad.statusCode).toBe(400);
  });
});

describe('POST /intents/:id/execute', () => {
  it('refuses the person who created the intent as the approver of its plan (four eyes), naming them; another person approves it', async () => {
    const auth = await openTestAuth();
    try {
      const intents = createIntentService({ store: memoryDocuments(), simulate: createFakeSimulation(), execute: async () => ({ executionId: 'run-1' }), observe: async () => ({ asOf: Date.now(), values: {}, spend: 0 }) });
      const server = createHttpApp({ version: 'test', auth: auth.auth }, [intentRoutes({ intents } as unknown as OperatorServices)]);
      const mia = await auth.bearer('marketer', 'mia');
      const lou = await auth.bearer('supervisor', 'lou');
      const json = { 'content-type': 'application/json' };
      const created = await server.inject({ method: 'POST', url: '/intents', headers: { ...mia, ...json }, payload: JSON.stringify({ text: 'keep at-risk customers in the next 3 months, budget 50000', accept: true }) });
      expect(created.statusCode).toBe(201);
      const id = (created.json() as { intentId: string }).intentId;
      await intents.settled(); // planned in the background
      expect((await server.inject({ method: 'GET', url: `/intents/${id}`, headers: mia })).json()).toMatchObject({ createdBy: { kind: 'human', id: 'mia' }, intent: { lifecycleStatus: 'planned' }, plan: expect.anything() });
      const own = await server.inject({ method: 'POST', url: `/intents/${id}/execute`, headers: mia });
      expect(own.statusCode).toBe(403);
      expect(own.json().error.code).toBe('FORBIDDEN');
      expect(own.json().error.message).toMatch(/^mia created intent .* and may not approve its plan .* too; another person .* \(four eyes\)/);
      const other = await server.inject({ method: 'POST', url: `/intents/${id}/execute`, headers: lou });
      expect(other.statusCode).toBe(200);
      expect(other.json()).toMatchObject({ createdBy: { id: 'mia' }, intent: { lifecycleStatus: 'executing' } });
      await server.close();
    } finally {
      await auth.close();
    }
  });

  it("holds an AI agent's autonomous intent, accepted on creation, until a person approves its plan", async () => {
    const auth = await openTestAuth();
    try {
      const ran: string[] = [];
      const intents = createIntentService({ store: memoryDocuments(), simulate: createFakeSimulation(), execute: async ({ plan }) => (ran.push(plan.id), { executionId: 'run-1' }), observe: async () => ({ asOf: Date.now(), values: {}, spend: 0 }) });
      const server = createHttpApp({ version: 'test', auth: auth.auth }, [intentRoutes({ intents } as unknown as OperatorServices)]);
      const bot = await auth.bearer('ai_agent', 'bot');
      const lou = await auth.bearer('supervisor', 'lou');
      const json = { 'content-type': 'application/json' };
      const created = await server.inject({ method: 'POST', url: '/intents', headers: { ...bot, ...json }, payload: JSON.stringify({ text: 'keep at-risk customers in the next 3 months, budget 50000, autonomously', accept: true }) });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ policyMode: 'autonomous', lifecycleStatus: 'planning' });
      const id = (created.json() as { intentId: string }).intentId;
      await intents.settled();
      expect(ran).toEqual([]);
      // Planned, and waiting for a person: nothing left in progress on the server's side.
      expect((await server.inject({ method: 'GET', url: `/intents/${id}/report`, headers: lou })).json()).toMatchObject({ lifecycleStatus: 'planned', planSelection: expect.any(String), events: expect.arrayContaining([expect.objectContaining({ kind: 'execution-refused' })]) });
      expect((await server.inject({ method: 'GET', url: `/intents/${id}/report`, headers: lou })).json().inProgress).toBeUndefined();
      expect((await server.inject({ method: 'POST', url: `/intents/${id}/execute`, headers: bot })).statusCode).toBe(403);
      const approved = await server.inject({ method: 'POST', url: `/intents/${id}/execute`, headers: lou });
      expect(approved.statusCode, approved.body).toBe(200);
      expect(approved.json()).toMatchObject({ createdBy: { kind: 'agent', id: 'bot' }, intent: { lifecycleStatus: 'executing' } });
      expect(ran).toHaveLength(1);
      await server.close();
    } finally {
      await auth.close();
    }
  });
});

describe("an intent's plan starts as its approver or owner, checked where it starts", () => {
  it("refuses an autonomous plan whose owner lost campaigns:manage since, with the reason on the intent's stage, nothing started; a supervisor's execute starts it as them", async () => {
    const auth = await openTestAuth();
    try {
      const started: string[] = [];
      const engine = {
        start: async (_definitionId: string, _input: unknown, o?: { workflowId?: string }) => (started.push(o!.workflowId!), { workflowId: o!.workflowId!, created: true, status: 'pending' as const }),
        get: async () => null,
      };
      // The server's executor: every start checked against the keys as they are when it starts.
      const execute = createPlanExecutor({ engine, now: () => Date.now(), mayStart: (by, definitionId) => startStandingOf(auth.records, by, definitionId) });
      const intents = createIntentService({ store: memoryDocuments(), simulate: createFakeSimulation(), execute, observe: async () => ({ asOf: Date.now(), values: {}, spend: 0 }) });
      const server = createHttpApp({ version: 'test', auth: auth.auth }, [intentRoutes({ intents } as unknown as OperatorServices)]);
      const json = { 'content-type': 'application/json' };
      const mia = await auth.bearer('marketer', 'mia');
      const lou = await auth.bearer('supervisor', 'lou');
      const create = async () => {
        const r = await server.inject({ method: 'POST', url: '/intents', headers: { ...mia, ...json }, payload: JSON.stringify({ text: 'keep at-risk customers in the next 3 months, budget 50000, autonomously' }) });
        expect(r.statusCode, r.body).toBe(201);
        return (r.json() as { intent: { id: string } }).intent.id;
      };
      // While mia holds campaigns:manage, her autonomous plan starts as her once planned.
      const first = await create();
      await intents.accept(first);
      await intents.planAndRun(first);
      expect(started).toEqual([`campaign-${(await intents.get(first)).plan!.plan.id}`]);

      // Then her marketer key is revoked and she is given a care agent's: the next plan is hers no more to start.
      const second = await create();
      expect((await server.inject({ method: 'GET', url: `/intents/${second}`, headers: mia })).json()).toMatchObject({ createdBy: { kind: 'human', id: 'mia' }, createdByRole: 'marketer' });
      const miaKey = (await auth.auth.keys.list()).find((k) => k.subject === 'mia')!;
      await auth.auth.keys.revoke(miaKey.id, 'admin');
      await auth.bearer('care_agent', 'mia');
      await intents.accept(second);
      // As the server runs it after the planning (or planWaiting at a restart), in the background, with no request at hand.
      await intents.planAndRun(second);
      expect(started).toHaveLength(1);
      const refused = (await server.inject({ method: 'GET', url: `/intents/${second}`, headers: lou })).json() as { intent: { lifecycleStatus: string }; stage: { summary: string }; events: { kind: string; detail: string }[] };
      expect(refused.intent.lifecycleStatus).toBe('planned');
      const reason = /^plan \S+ is not started as human mia: mia holds care_agent now \(active key [0-9a-f]+\), without the permission campaigns:manage; a campaign-management run needs campaigns:manage; a person who holds it executes the plan \(POST \/intents\/.+\/execute\)$/;
      expect(refused.events.at(-1)).toMatchObject({ kind: 'execution-refused', detail: expect.stringMatching(reason) });
      expect(refused.stage.summary).toContain('mia holds care_agent now');
      // Her key alone gone (none active): said so.
      for (const k of (await auth.auth.keys.list()).filter((x) => x.subject === 'mia' && x.status === 'active')) await auth.auth.keys.revoke(k.id, 'admin');
      expect(await startStandingOf(auth.records, { kind: 'human', id: 'mia', role: 'marketer' }, 'campaign-management')).toMatchObject({ ok: false, reason: expect.stringMatching(/^mia's API keys are [0-9a-f]+ revoked .*, [0-9a-f]+ revoked .*: mia holds no role now; a campaign-management run needs campaigns:manage$/) });

      // A supervisor's execute starts it as the supervisor, checked the same way.
      const approved = await server.inject({ method: 'POST', url: `/intents/${second}/execute`, headers: lou });
      expect(approved.statusCode, approved.body).toBe(200);
      expect(started).toHaveLength(2);
      await server.close();
    } finally {
      await auth.close();
    }
  });

  it('judges a creator no API key names (an OIDC identity, the local admin) by the role their credential held when they acted', async () => {
    const auth = await openTestAuth();
    try {
      expect(await startStandingOf(auth.records, { kind: 'human', id: 'oidc:ana', role: 'marketer' }, 'campaign-management')).toEqual({ ok: true });
      expect(await startStandingOf(auth.records, { kind: 'human', id: 'oidc:ana', role: 'care_agent' }, 'campaign-management')).toEqual({ ok: false, reason: 'oidc:ana acted with role care_agent, without the permission campaigns:manage a campaign-management run needs' });
      expect(await startStandingOf(auth.records, { kind: 'human', id: 'oidc:ana' }, 'service-operations')).toMatchObject({ ok: false, reason: expect.stringContaining('no role was recorded') });
      expect(await startStandingOf(auth.records, undefined, 'campaign-management')).toMatchObject({ ok: false, reason: expect.stringContaining('nobody is recorded') });
    } finally {
      await auth.close();
    }
  });
});

describe('an intent past its horizon before its plan ran', () => {
  it('is 409 naming when it expired, on /intents and on TMF921 alike (the one error table), after the sweep closed it', async () => {
    let now = Date.UTC(2025, 0, 12);
    const ran: string[] = [];
    const intents = createIntentService({
      store: memoryDocuments(),
      simulate: createFakeSimulation(),
      execute: async ({ plan }) => (ran.push(plan.id), { executionId: 'run-1' }),
      observe: async () => ({ asOf: now, values: {}, spend: 0 }),
      clock: () => now,
    });
    const server = createHttpApp({ version: 'test', auth: local.auth }, [intentRoutes({ intents } as unknown as OperatorServices), tmf921Routes({ intents } as unknown as OperatorServices)]);
    const json = { 'content-type': 'application/json' };
    const planned = await server.inject({ method: 'POST', url: '/intents', headers: json, payload: JSON.stringify({ text: 'keep high-value customers at risk this month, budget 5000', accept: true }) });
    const id = (planned.json() as { intentId: string }).intentId;
    const proposed = await server.inject({ method: 'POST', url: '/intents', headers: json, payload: JSON.stringify({ text: 'keep at-risk customers in the next 10 days' }) });
    const proposedId = (proposed.json() as { intent: { id: string } }).intent.id;
    await intents.settled();
    now = Date.UTC(2025, 1, 2); // "this month" ended on 02-01, the 10 days on 01-22
    expect((await intents.expireDue()).map((r) => r.intent.id)).toEqual([id]);
    const shown = await server.inject({ method: 'GET', url: `/intents/${id}` });
    expect(shown.json()).toMatchObject({ intent: { lifecycleStatus: 'failed' }, failure: { expiredAt: '2025-02-01T00:00:00.000Z' } });
    const executed = await server.inject({ method: 'POST', url: `/intents/${id}/execute` });
    expect(executed.statusCode, executed.body).toBe(409);
    expect(executed.json().error).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/expired at 2025-02-01T00:00:00.000Z, before its plan ran/) });
    const accepted = await server.inject({ method: 'POST', url: `/intents/${proposedId}/accept` });
    expect(accepted.statusCode, accepted.body).toBe(409);
    expect(accepted.json().error.message).toMatch(/expired at 2025-01-22T00:00:00.000Z while proposed/);
    const patched = await server.inject({ method: 'PATCH', url: `/tmf-api/intentManagement/v5/intent/${proposedId}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ lifecycleStatus: 'accepted' }) });
    expect(patched.statusCode, patched.body).toBe(409);
    expect(JSON.stringify(patched.json())).toMatch(/expired at 2025-01-22T00:00:00.000Z while proposed/);
    expect(ran).toEqual([]);
    await server.close();
  });
});
