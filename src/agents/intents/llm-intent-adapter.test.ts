import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmConfigFromEnv, proposeIntentWithLlm, type LlmConfig } from './llm-intent-adapter.js';

const VALID = {
  name: 'Keep high-value prepaid customers at risk',
  goal: 'retain',
  intentExpectation: [{ id: 'e1', targetName: 'retained_customers', targetCondition: 'atLeast', targetValue: 500 }],
  segment: { named: ['high-value', 'prepaid', 'at-risk'] },
  horizon: { amount: 1, unit: 'months', alignTo: 'month_end' },
  budget: { amount: 50000, currency: 'EUR' },
};

/** A tiny OpenAI-compatible endpoint whose answer the test chooses per request (by the user text). */
let server: Server;
let config: LlmConfig;
const requests: { model: string; responseFormat: unknown; auth: string | undefined }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { model: string; response_format: unknown; messages: { role: string; content: string }[] };
      requests.push({ model: parsed.model, responseFormat: parsed.response_format, auth: req.headers.authorization });
      const user = parsed.messages.find((m) => m.role === 'user')?.content ?? '';
      if (user === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'boom' } }));
        return;
      }
      const content = user === 'prose' ? 'Sure! Here is your intent: keep them.' : user === 'invalid' ? JSON.stringify({ ...VALID, budget: { amount: -5, currency: 'EUR' } }) : user === 'fenced' ? '```json\n' + JSON.stringify(VALID) + '\n```' : JSON.stringify(VALID);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ id: 'c1', object: 'chat.completion', created: 0, model: parsed.model, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  config = { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'test-key', model: 'fake-model' };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('proposeIntentWithLlm', () => {
  it('returns a validated proposal, status proposed, with the raw text', async () => {
    const r = await proposeIntentWithLlm('keep high-value prepaid customers at risk this month', config, { id: 'i-1', now: 0 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.proposal.intent).toMatchObject({ id: 'i-1', lifecycleStatus: 'proposed', policyMode: 'approve', source: { kind: 'llm', model: 'fake-model' } });
    expect(r.proposal.intent.constraints.maxContactsPerCustomer).toBe(1);
    expect(JSON.parse(r.proposal.rawText)).toEqual(VALID);
    expect(requests.at(-1)).toEqual({ model: 'fake-model', responseFormat: { type: 'json_object' }, auth: 'Bearer test-key' });
  });

  it('accepts JSON wrapped in a Markdown fence', async () => {
    expect((await proposeIntentWithLlm('fenced', config, { id: 'i-2' })).ok).toBe(true);
  });

  it('says clearly when the model answers with prose instead of JSON', async () => {
    const r = await proposeIntentWithLlm('prose', config, { id: 'i-3' });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/not answer with valid JSON/), rawText: 'Sure! Here is your intent: keep them.' });
  });

  it('names the path of an invalid field in the model intent', async () => {
    const r = await proposeIntentWithLlm('invalid', config, { id: 'i-4' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/budget\.amount/);
    expect(r.issues[0].path).toBe('budget.amount');
  });

  it('throws UNAVAILABLE when the endpoint fails', async () => {
    await expect(proposeIntentWithLlm('fail', config, { id: 'i-5' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('llmConfigFromEnv', () => {
  it('is undefined when nothing is set and complete when all three are', () => {
    expect(llmConfigFromEnv({})).toBeUndefined();
    expect(llmConfigFromEnv({ TWINLOOP_LLM_BASE_URL: 'http://x/v1', TWINLOOP_LLM_API_KEY: 'k', TWINLOOP_LLM_MODEL: 'm' })).toEqual({ baseURL: 'http://x/v1', apiKey: 'k', model: 'm' });
  });
  it('names what is missing when half configured', () => {
    expect(() => llmConfigFromEnv({ TWINLOOP_LLM_BASE_URL: 'http://x/v1' })).toThrow(/TWINLOOP_LLM_API_KEY, TWINLOOP_LLM_MODEL/);
  });
});
