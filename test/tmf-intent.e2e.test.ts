import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubListener } from './support/hub-listener.js';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { officialContract } from './support/tmf-contract.js';
import { until } from './support/until.js';

type Json = Record<string, unknown>;
const BASE = '/tmf-api/intentManagement/v5';

/**
 * TMF921 Intent Management v5 on the operator as `npm start` runs it: an intent created from
 * Twinloop's vocabulary and one from words, listed, read, accepted (planned by simulation over the
 * twins), its reports, withdrawn; changed by JSON Patch; the intent specifications; the hub's
 * intent and report events; refusals as TMF Errors. Every answer and event is checked with ajv
 * against the v5 definitions (src/interfaces/http/tmf/tmf921-spec.ts).
 */
describe('TMF921 Intent Management v5', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmf921-'));
  const contract = officialContract();
  const problems: string[] = [];
  let running: RunningOperator;
  let admin: { authorization: string };

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, definition: string, payload?: unknown, headers: Record<string, string> = admin, contentType = 'application/json') {
    const res = await fetch(`${running.base}${BASE}${url}`, { method, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': contentType }) }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : undefined) as Json & Json[];
    const what = `${method} ${url} → ${res.status}`;
    if (res.status >= 400) problems.push(...contract.check('TMF921', 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList('TMF921', definition, { headers: res.headers, body }, what));
    else if (res.status !== 204) problems.push(...contract.check('TMF921', definition, body, what));
    return { status: res.status, body, headers: res.headers };
  }
  /** An intent in Twinloop's vocabulary, as the v5 create form (Intent_FVO) asks: every JSON-LD node typed. */
  const structured = {
    '@type': 'Intent',
    name: 'Keep postpaid customers',
    description: 'Keep postpaid customers over the next 6 months',
    expression: {
      '@type': 'JsonLdExpression',
      iri: 'urn:example:intent:keep-postpaid',
      expressionValue: {
        '@context': { '@vocab': 'urn:twinloop:vocabulary:intent#' },
        '@type': 'TwinloopIntent',
        goal: 'retain',
        intentExpectation: [{ '@type': 'Expectation', id: 'e1', targetName: 'net_value', targetCondition: 'atLeast', targetValue: 0 }],
        segment: { '@type': 'Segment', named: ['postpaid'] },
        // Six months: on the small world no plan pays by a month's end (a plan counts the revenue kept to its horizon), and none is proposed then (decision 0087).
        horizon: { '@type': 'Horizon', amount: 6, unit: 'months' },
        budget: { '@type': 'Budget', amount: 5000, currency: 'EUR' },
        policyMode: 'approve',
      },
    },
  };

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    const key = await running.operator.auth.keys.create({ subject: 'tmf921-admin', role: 'admin' }, 'test');
    admin = { authorization: `Bearer ${key.key}` };
  }, 180_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates an intent from its expression, reads and lists it; the create form is checked against Intent_FVO', async () => {
    expect(contract.check('TMF921', 'Intent_FVO', structured, 'the request')).toEqual([]);
    const created = await call('POST', '/intent', 'Intent', structured);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get('location')).toBe(created.body.href);
    expect(created.body).toMatchObject({ '@type': 'Intent', name: 'Keep postpaid customers', lifecycleStatus: 'proposed', context: 'retain' });
    const value = (created.body.expression as Json).expressionValue as Json;
    expect(value).toMatchObject({ '@type': 'TwinloopIntent', goal: 'retain', segment: { '@type': 'Segment', named: ['postpaid'] }, budget: { '@type': 'Budget', amount: 5000, currency: 'EUR' } });
    // What is answered can be sent back as it is: the expression meets the create form too.
    expect(contract.check('TMF921', 'IntentExpression_FVO', created.body.expression, 'answered expression')).toEqual([]);

    const id = String(created.body.id);
    expect((await call('GET', `/intent/${id}?fields=lifecycleStatus`, 'Intent')).body).toEqual({ id, href: created.body.href, '@type': 'Intent', lifecycleStatus: 'proposed' });
    const listed = await call('GET', '/intent?lifecycleStatus=proposed&limit=50', 'Intent');
    expect(listed.status).toBe(200);
    expect((listed.body as Json[]).map((i) => i.id)).toContain(id);
    expect(Number(listed.headers.get('x-total-count'))).toBeGreaterThanOrEqual(1);

    const words = await call('POST', '/intent', 'Intent', { '@type': 'Intent', name: 'in words', expression: { '@type': 'JsonLdExpression', iri: 'urn:example:words', expressionValue: { '@type': 'TwinloopIntentText', text: 'keep high-value customers at risk this month, budget 20000' } } });
    expect(words.status, JSON.stringify(words.body)).toBe(201);
    expect(((words.body.expression as Json).expressionValue as Json).segment).toMatchObject({ named: expect.arrayContaining(['high-value', 'at-risk']) });
    expect(problems).toEqual([]);
  });

  it('refuses what it cannot read as a TMF Error naming the attribute', async () => {
    const turtle = await call('POST', '/intent', 'Intent', { '@type': 'Intent', name: 't', expression: { '@type': 'TurtleExpression', iri: 'urn:x', expressionValue: '@prefix icm: <http://example/> .' } });
    expect(turtle.status).toBe(400);
    expect(turtle.body.message).toMatch(/^expression\.@type: "TurtleExpression"/);
    const nameless = await call('POST', '/intent', 'Intent', { '@type': 'Intent', expression: structured.expression });
    expect(nameless.status).toBe(400);
    expect(nameless.body.message).toMatch(/name/);
    const badGoal = await call('POST', '/intent', 'Intent', { ...structured, expression: { ...structured.expression, expressionValue: { ...structured.expression.expressionValue, goal: 'conquer' } } });
    expect(badGoal.status).toBe(400);
    expect(badGoal.body.message).toMatch(/goal/);
    const stray = await call('POST', '/intent', 'Intent', { ...structured, expression: { ...structured.expression, expressionValue: { ...structured.expression.expressionValue, colour: 'red' } } });
    expect(stray.body.message).toMatch(/^expression\.expressionValue\.colour: /);
    expect((await call('GET', '/intent/intent-none', 'Intent')).status).toBe(404);
    const anonymous = await call('GET', '/intent', 'Intent', undefined, {});
    expect(anonymous.status).toBe(401);
    expect(problems).toEqual([]);
  });

  it('accepts an intent (planned by simulation after the answer), reports its history, and withdraws one', async () => {
    const id = String((await call('POST', '/intent', 'Intent', structured)).body.id);
    expect((await call('PATCH', `/intent/${id}`, 'Intent', { name: 'renamed' })).body.message).toMatch(/^name: only lifecycleStatus changes here/);
    expect((await call('PATCH', `/intent/${id}`, 'Intent', { lifecycleStatus: 'achieved' })).status).toBe(400);
    const accepted = await call('PATCH', `/intent/${id}`, 'Intent', { lifecycleStatus: 'accepted' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.lifecycleStatus).toBe('planning');
    // Planning runs after the answer: its end is a report (planned, or plan-failed with the reason).
    const reports = await until(async () => {
      const r = await call('GET', `/intent/${id}/intentReport`, 'IntentReport');
      return (r.body as Json[]).some((x) => x.name === 'planned' || x.name === 'plan-failed') ? r : undefined;
    }, 180_000).catch(() => {
      throw new Error(`waited 180 s for intent ${id} to be planned (a report "planned" or "plan-failed")`);
    });
    const list = reports.body as Json[];
    expect(list.map((r) => r.name).slice(0, 3)).toEqual(['created', 'accepted', 'planning']);
    expect(list.map((r) => r.id)).toEqual(list.map((_, n) => String(n + 1)));
    const newest = list[list.length - 1];
    expect(newest.name).toBe('planned');
    expect((newest.expression as Json).expressionValue).toMatchObject({ '@type': 'TwinloopIntentReport', event: 'planned', progress: { '@type': 'Progress', planSelection: expect.any(String) } });
    expect(newest.intent).toMatchObject({ '@type': 'IntentRef', id });
    expect((await call('GET', `/intent/${id}/intentReport/1`, 'IntentReport')).body).toMatchObject({ id: '1', name: 'created' });
    expect((await call('GET', `/intent/${id}/intentReport/999`, 'IntentReport')).status).toBe(404);

    expect((await call('DELETE', `/intent/${id}`, 'Intent')).status).toBe(204);
    expect((await call('GET', `/intent/${id}`, 'Intent')).body.lifecycleStatus).toBe('cancelled');
    expect((await call('DELETE', `/intent/${id}`, 'Intent')).status).toBe(409);
    expect((await call('PATCH', `/intent/${id}`, 'Intent', { lifecycleStatus: 'accepted' })).status).toBe(409);
    expect(problems).toEqual([]);
  }, 240_000);
  it('serves the intent specifications an intent can follow; each intent names its own', async () => {
    const specs = await call('GET', '/intentSpecification', 'IntentSpecification');
    expect(specs.status).toBe(200);
    expect((specs.body as Json[]).map((x) => x.id).sort()).toEqual(['TwinloopIntent', 'TwinloopIntentText']);
    const one = await call('GET', '/intentSpecification/TwinloopIntent', 'IntentSpecification');
    expect(one.body).toMatchObject({ '@type': 'IntentSpecification', lifecycleStatus: 'Active', expressionSpecification: { '@type': 'ExpressionSpecification', expressionLanguage: 'JSON-LD' } });
    // Its characteristics are the vocabulary's attributes, as the intent service validates them.
    const chars = one.body.specCharacteristic as Json[];
    expect(chars.map((c) => c.name)).toEqual(['goal', 'intentExpectation', 'segment', 'horizon', 'budget', 'constraints', 'policyMode']);
    expect(chars.find((c) => c.name === 'goal')).toMatchObject({ valueType: 'string', minCardinality: 1, characteristicValueSpecification: expect.arrayContaining([expect.objectContaining({ value: 'retain' })]) });
    expect(chars.find((c) => c.name === 'budget')).toMatchObject({ minCardinality: 0 });
    expect((await call('GET', '/intentSpecification/TwinloopIntentText?fields=name', 'IntentSpecification')).body).toEqual({ id: 'TwinloopIntentText', href: expect.stringMatching(/\/intentSpecification\/TwinloopIntentText$/), '@type': 'IntentSpecification', name: expect.any(String) });
    expect((await call('GET', '/intentSpecification/Nope', 'IntentSpecification')).status).toBe(404);
    const created = await call('POST', '/intent', 'Intent', structured);
    expect(created.body.intentSpecification).toMatchObject({ '@type': 'EntityRef', id: 'TwinloopIntent', href: expect.stringMatching(/\/intentSpecification\/TwinloopIntent$/) });
    expect(problems).toEqual([]);
  });

  it('changes an intent with a JSON Patch (application/json-patch+json): test then replace lifecycleStatus; other attributes and failed tests are refused', async () => {
    const id = String((await call('POST', '/intent', 'Intent', structured)).body.id);
    const patch = (ops: unknown) => call('PATCH', `/intent/${id}`, 'Intent', ops, admin, 'application/json-patch+json');
    expect(contract.check('TMF921', 'JsonPatchOperations', [{ op: 'replace', path: '/lifecycleStatus', value: 'cancelled' }], 'the request')).toEqual([]);
    const failedTest = await patch([{ op: 'test', path: '/lifecycleStatus', value: 'accepted' }, { op: 'replace', path: '/lifecycleStatus', value: 'cancelled' }]);
    expect(failedTest).toMatchObject({ status: 409, body: { message: expect.stringMatching(/^\[0\] test \/lifecycleStatus: /) } });
    expect((await call('GET', `/intent/${id}?fields=lifecycleStatus`, 'Intent')).body.lifecycleStatus).toBe('proposed');
    expect((await patch([{ op: 'replace', path: '/name', value: 'x' }])).body.message).toMatch(/^name: only lifecycleStatus changes here/);
    expect((await patch([{ op: 'jump', path: '/name' }])).body.message).toMatch(/^\[0\]\.op: /);
    expect((await patch([{ op: 'remove', path: '/nothing/here' }])).status).toBe(400);
    // A patch document sent as a merge patch is said to be one.
    expect((await call('PATCH', `/intent/${id}`, 'Intent', [{ op: 'replace', path: '/lifecycleStatus', value: 'cancelled' }])).body.message).toMatch(/json-patch\+json/);
    const done = await patch([{ op: 'test', path: '/lifecycleStatus', value: 'proposed' }, { op: 'replace', path: '/lifecycleStatus', value: 'cancelled' }]);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.lifecycleStatus).toBe('cancelled');
    expect(problems).toEqual([]);
  });

  it("tells a hub listener of intents created and changed, and of each report, with the standard events, until it unregisters", async () => {
    const l = await hubListener();
    const reg = await call('POST', '/hub', 'Hub', { '@type': 'Hub', callback: l.url });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ '@type': 'Hub', callback: l.url, id: expect.any(String) });
    expect(reg.headers.get('location')).toMatch(new RegExp(`/hub/${String(reg.body.id)}$`));
    const id = String((await call('POST', '/intent', 'Intent', structured)).body.id);
    expect((await call('PATCH', `/intent/${id}`, 'Intent', { lifecycleStatus: 'cancelled' })).status).toBe(200);
    const about = (e: Json) => ((e.event as Json).intent as Json | undefined)?.id === id || (((e.event as Json).intentReport as Json | undefined)?.intent as Json | undefined)?.id === id;
    const mine = () => l.got.filter(about);
    await until(async () => (mine().length >= 4 ? true : undefined), 30_000, () => `four events of intent ${id} at the listener (got ${JSON.stringify(mine().map((e) => e.eventType))})`);
    expect(mine().map((e) => e.eventType).sort()).toEqual(['IntentCreateEvent', 'IntentReportCreateEvent', 'IntentReportCreateEvent', 'IntentStatusChangeEvent']);
    expect(mine().find((e) => e.eventType === 'IntentStatusChangeEvent')).toMatchObject({ '@type': 'IntentStatusChangeEvent', event: { intent: { lifecycleStatus: 'cancelled' } } });
    expect(mine().filter((e) => e.eventType === 'IntentReportCreateEvent').map((e) => ((e.event as Json).intentReport as Json).name)).toEqual(['created', 'cancelled']);
    for (const e of mine()) problems.push(...contract.check('TMF921', String(e.eventType), e, String(e.eventType)));
    expect((await call('DELETE', `/hub/${String(reg.body.id)}`, 'Hub')).status).toBe(204);
    expect((await call('DELETE', `/hub/${String(reg.body.id)}`, 'Hub')).status).toBe(404);
    // Unregistered, it hears no more: an intent made now reaches only a listener registered after it.
    const after = String((await call('POST', '/intent', 'Intent', structured)).body.id);
    const l2 = await hubListener();
    const reg2 = await call('POST', '/hub', 'Hub', { '@type': 'Hub', callback: l2.url, query: 'eventType=IntentCreateEvent' });
    const last = String((await call('POST', '/intent', 'Intent', structured)).body.id);
    await until(async () => (l2.got.some((e) => ((e.event as Json).intent as Json).id === last) ? true : undefined), 30_000, `intent ${last}'s IntentCreateEvent at the second listener`);
    expect(l2.got.map((e) => e.eventType)).toEqual(['IntentCreateEvent']);
    expect(l.got.filter((e) => JSON.stringify(e).includes(after) || JSON.stringify(e).includes(last))).toEqual([]);
    await call('DELETE', `/hub/${String(reg2.body.id)}`, 'Hub');
    await Promise.all([l.close(), l2.close()]);
    expect(problems).toEqual([]);
  });
});
