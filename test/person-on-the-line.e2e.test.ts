import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';
import { openToEveryone } from './support/open-offers.js';
import { registerCustomers } from './support/customers.js';

/**
 * Who is on the line, over HTTP on the operator as `npm start` assembles it: `direction: inbound`
 * exempts a contact from the offer-pending rule, the caps and quiet hours only when a person
 * serves the customer on an assisted channel; an AI agent's key that says it is judged as
 * outbound. A key scoped to channels is checked on what the customer receives (an SMS is a web
 * contact), both channels named. The customer's yes is no field a body may carry. A person is on the
 * line only while the customer's context holds an interaction of that channel in progress.
 */
describe('a person on the line, and the channel the customer receives', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-on-the-line-'));
  let bare: BareOperator;
  const keys: Record<string, string> = {};
  const post = async (url: string, who: string, body: unknown) => {
    const res = await bare.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${keys[who]}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    return { status: res.statusCode, body: res.json() as { status?: string; reason?: string; verdict?: { guardrail?: string }; error?: { message: string } } };
  };

  beforeAll(async () => {
    bare = await startBareOperator(dir);
    const create = async (name: string, input: Record<string, unknown>) => (keys[name] = (await bare.operator.auth.keys.create(input, 'on-the-line test')).key);
    await create('admin', { subject: 'admin-1', role: 'admin' });
    await create('care', { subject: 'carla', role: 'care_agent' });
    await create('llm', { subject: 'llm-agent', role: 'ai_agent' });
    await create('careOnCalls', { subject: 'cora', role: 'care_agent', channels: ['call'] });
    await create('llmOnCalls', { subject: 'llm-calls', role: 'ai_agent', channels: ['call'] });
    await registerCustomers(bare.app, `Bearer ${keys.admin}`, [
      { id: 'C1', marketing: true },
      { id: 'C2', marketing: true },
    ]);
    // The offers asked below open to them, so that the contact rules alone answer.
    await openToEveryone(bare.operator.services.decisions, 'retain-10', 'data-bonus');
    // An offer put to C1 yesterday still awaits the answer: one offer at a time, for outbound contact.
    const presented = { id: 'C1-offer-1', kind: 'offer', customerId: 'C1', time: new Date(bare.operator.services.clock.now() - 86_400_000).toISOString(), source: 'crm', v: 1, data: { action: 'presented', offerId: 'data-bonus', channel: 'web' } };
    const sent = await bare.app.inject({ method: 'POST', url: '/events', headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' }, payload: [presented] });
    expect(sent.statusCode, sent.body).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await bare?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The rules a contact the customer is in is exempt from; which one refuses depends on the hour (quiet hours first). */
  const EXEMPT = ['offer-pending', 'quiet-hours'];
  const offer = (id: string) => ({ id, actionClass: 'discount', channel: 'call', customerId: 'C1', params: { offerId: 'retain-10', present: true, direction: 'inbound' }, why: { summary: 'on the line' } });

  it("judges an AI agent's key that says inbound as outbound (a second offer waits for the first's answer), naming why; a person on the call is exempt", async () => {
    const agent = await post('/actions', 'llm', offer('llm-1'));
    expect(agent.status, JSON.stringify(agent.body)).toBe(200);
    expect(agent.body.status).toBe('refused');
    expect(EXEMPT).toContain(agent.body.verdict?.guardrail);
    expect(agent.body.reason).toMatch(/judged as outbound although the request says direction inbound: .*asked by agent llm-agent, not a person/);
    // Saying nothing on a call does not make the agent's contact inbound either.
    const { direction: _d, ...unsaid } = offer('llm-2').params;
    const quiet = await post('/actions', 'llm', { ...offer('llm-2'), params: unsaid });
    expect(quiet.body.status).toBe('refused');
    expect(EXEMPT).toContain(quiet.body.verdict?.guardrail);
    // Once the operator's calls are seen (C2 calls in), a care agent saying they are on a call with C1 while no call of C1
    // is in progress reaches out: judged outbound, saying why.
    const other = { id: 'C2-call-1', kind: 'interaction', customerId: 'C2', time: new Date(bare.operator.services.clock.now()).toISOString(), source: 'contact-centre', v: 1, data: { channel: 'call', intent: 'billing', phase: 'start' } };
    const seen = await bare.app.inject({ method: 'POST', url: '/events', headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' }, payload: [other] });
    expect(seen.statusCode, seen.body).toBe(200);
    const noCall = await post('/actions', 'care', offer('care-0'));
    expect(noCall.body.status, JSON.stringify(noCall.body)).toBe('refused');
    expect(EXEMPT).toContain(noCall.body.verdict?.guardrail);
    expect(noCall.body.reason).toMatch(/judged as outbound: no call of C1 is in progress, so the customer is not in contact with carla/);
    // C1 calls in: the care agent serving them on the call is held back by no rule of outbound contact.
    const call = { id: 'C1-call-1', kind: 'interaction', customerId: 'C1', time: new Date(bare.operator.services.clock.now()).toISOString(), source: 'contact-centre', v: 1, data: { channel: 'call', intent: 'billing', phase: 'start' } };
    const rang = await bare.app.inject({ method: 'POST', url: '/events', headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' }, payload: [call] });
    expect(rang.statusCode, rang.body).toBe(200);
    const person = await post('/actions', 'care', offer('care-1'));
    expect(person.status).toBe(200);
    expect(EXEMPT, JSON.stringify(person.body)).not.toContain(person.body.verdict?.guardrail);
  });

  it('checks a key scoped to calls on the channel the customer receives: an SMS is a web contact, both named; a person sending it during the call stays on the call', async () => {
    const sms = { actionClass: 'communication', channel: 'call', customerId: 'C2', params: { purpose: 'care', notificationChannel: 'sms', body: 'As discussed' }, why: { summary: 'follow-up' } };
    for (const who of ['careOnCalls', 'llmOnCalls']) {
      const refused = await post('/actions', who, { ...sms, id: `${who}-sms` });
      expect(refused.status, who).toBe(403);
      expect(refused.body.error?.message).toMatch(/scoped to the channels call; the request says call, but the customer receives it by sms \(params\.notificationChannel\), a web contact: it may not act on web/);
    }
    // An AI agent saying the SMS answers a caller: nobody is on the line, the customer still gets an SMS.
    const agentInbound = await post('/actions', 'llmOnCalls', { ...sms, id: 'llm-sms-inbound', params: { ...sms.params, direction: 'inbound' } });
    expect(agentInbound.status).toBe(403);
    // The care agent on the call texting the customer they are talking to: part of the call.
    const person = await post('/actions', 'careOnCalls', { ...sms, id: 'cora-sms-inbound', params: { ...sms.params, direction: 'inbound' } });
    expect(person.status, JSON.stringify(person.body)).toBe(200);
    // An unscoped key is not held to a channel at all.
    expect((await post('/actions', 'care', { ...sms, id: 'carla-sms' })).status).toBe(200);
  });

  it('POST /actions refuses customerAccepted as the request’s field and in params, naming it and the accept route', async () => {
    const offer = { actionClass: 'offer', channel: 'call', customerId: 'C1', params: { offerId: 'data-bonus' }, why: { summary: 'on the line' } };
    for (const [who, body] of [
      ['care', { ...offer, customerAccepted: true }],
      ['llm', { ...offer, customerAccepted: true }],
      ['care', { ...offer, params: { ...offer.params, customerAccepted: true } }],
    ] as const) {
      const refused = await post('/actions', who, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error?.message).toMatch(/^(params\.)?customerAccepted: not a field a request may carry: .*POST \/decisions\/:id\/accept/);
    }
  });

  it("knows as soon as it is restarted the calls in progress before: the one going on is the care agent's contact, the one that ended is not", async () => {
    // C1 hangs up; C2 is still on the call it began in the first test. Then the server restarts.
    const hungUp = { id: 'C1-call-1-end', kind: 'interaction', customerId: 'C1', time: new Date(bare.operator.services.clock.now()).toISOString(), source: 'contact-centre', v: 1, data: { channel: 'call', intent: 'billing', phase: 'end' } };
    const ended = await bare.app.inject({ method: 'POST', url: '/events', headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' }, payload: [hungUp] });
    expect(ended.statusCode, ended.body).toBe(200);
    await bare.close();
    bare = await startBareOperator(dir);
    // The twins' checkpoint carried the day's interactions: no read back of the log to wait for (it answered 503 until then).
    const asked = (id: string, customerId: string) => post('/actions', 'care', { ...offer(id), customerId });
    // C1's call ended before the restart: the care agent reaches out, judged outbound (C1's offer awaits its answer).
    const noCall = await asked('care-r1', 'C1');
    expect(noCall.status, JSON.stringify(noCall.body)).toBe(200);
    expect(noCall.body.status, JSON.stringify(noCall.body)).toBe('refused');
    expect(noCall.body.reason).toMatch(/judged as outbound: no call of C1 is in progress/);
    // C2's call goes on: its context says so, and the care agent on it is held back by no rule of outbound contact.
    const context = await bare.app.inject({ method: 'GET', url: '/customers/C2/context', headers: { authorization: `Bearer ${keys.admin}` } });
    expect(context.json().channels.call, context.body).toMatchObject({ phase: 'start', inProgress: true });
    const onCall = await asked('care-r2', 'C2');
    expect(onCall.status, JSON.stringify(onCall.body)).toBe(200);
    expect(EXEMPT, JSON.stringify(onCall.body)).not.toContain(onCall.body.verdict?.guardrail);
  });
});
