import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCapabilities } from '../src/interfaces/mcp/mcp-bindings.js';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';

/**
 * Work that needs a churn model (a simulation, an intent's planning) asked while none serves is
 * refused at once, saying that no churn model serves and when one will, with nothing stored: it was
 * answered 202 (a simulation) or accepted (an intent) and failed a moment later.
 */
describe('asked for work that needs a churn model while none serves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-no-model-'));
  let operator: Operator;
  let app: FastifyInstance;
  let auth: { authorization: string; 'content-type': string };

  let running: BareOperator | undefined;

  beforeAll(async () => {
    running = await startBareOperator(dir);
    ({ operator, app } = running);
    // No history: the start trains nothing.
    await operator.scored;
    auth = { authorization: `Bearer ${(await operator.auth.keys.create({ subject: 'mia', role: 'admin' }, 'no-model test')).key}`, 'content-type': 'application/json' };
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses POST /simulations at once (503, naming the model and how to get one), storing no run', async () => {
    const scenario = { kind: 'retention_campaign', name: 'top 10', horizonMonths: 3, targeting: { rank: 'churn_value', k: 10 }, offer: { id: 'retain-10', discountPct: 10, months: 6 } };
    const res = await app.inject({ method: 'POST', url: '/simulations', headers: auth, payload: JSON.stringify(scenario) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toMatch(/^no churn model serves: not enough history to train a churn model yet; train one \(POST \/models\/train, or twinloop model train-twins\), then ask again/);
    // Asking again does not mend it by itself: no Retry-After.
    expect(res.headers['retry-after']).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/simulations', headers: auth })).json()).toEqual([]);
  });

  it('refuses an intent accepted at its creation or later, storing nothing accepted; a proposed one is kept', async () => {
    const text = 'keep high-value customers at risk this month, budget 5000';
    const accepted = await app.inject({ method: 'POST', url: '/intents', headers: auth, payload: JSON.stringify({ text, accept: true }) });
    expect([accepted.statusCode, accepted.json().error?.message]).toEqual([503, expect.stringMatching(/^no churn model serves: /)]);
    expect((await app.inject({ method: 'GET', url: '/intents', headers: auth })).json()).toEqual([]);
    const proposed = await app.inject({ method: 'POST', url: '/intents', headers: auth, payload: JSON.stringify({ text }) });
    expect(proposed.statusCode).toBe(201);
    const id = proposed.json().intent.id as string;
    const accept = await app.inject({ method: 'POST', url: `/intents/${id}/accept`, headers: auth, payload: '{}' });
    expect([accept.statusCode, accept.json().error?.message]).toEqual([503, expect.stringMatching(/^no churn model serves: /)]);
    expect((await app.inject({ method: 'GET', url: `/intents/${id}`, headers: auth })).json().intent.lifecycleStatus).toBe('proposed');
  });

  it('refuses a churn-prevention run at its start, whoever starts it, with the one refusal the scan, a simulation and MCP give too', async () => {
    const input = { periodId: 'p-no-model', scanAt: Date.parse('2026-12-01T09:00:00Z'), horizonMs: 30 * 86_400_000, budget: 100, offer: { offerId: 'retain-10', cost: 5 } };
    const res = await app.inject({ method: 'POST', url: '/workflows/churn-prevention/start', headers: auth, payload: JSON.stringify({ input }) });
    expect([res.statusCode, res.json().error?.message]).toEqual([503, expect.stringMatching(/^no churn model serves: /)]);
    const refusal = { code: 'UNAVAILABLE', message: res.json().error.message as string };
    // Started in process, as an intent's plan or the proactive schedule starts one.
    await expect(operator.services.workflows.start('churn-prevention', input)).rejects.toMatchObject(refusal);
    expect((await app.inject({ method: 'GET', url: '/workflows?definition=churn-prevention', headers: auth })).json()).toEqual([]);
    // The scan a run would make (a worker's pages for the gateway), and the tools an agent calls over MCP.
    await expect(operator.churnHere.scan([], ['retain-10'])).rejects.toMatchObject(refusal);
    const scenario = { kind: 'retention_campaign', name: 'top 10', horizonMonths: 3, targeting: { rank: 'churn_value', k: 10 }, offer: { id: 'retain-10', discountPct: 10, months: 6 } };
    await expect(mcpCapabilities(operator.services).simulate(scenario, 1_000)).rejects.toMatchObject(refusal);
  });
});
