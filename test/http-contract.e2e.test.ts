import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { HUB_BASES } from '../src/interfaces/http/tmf/tmf-hub-routes.js';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { officialContract } from './support/tmf-contract.js';
import { until } from './support/until.js';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

/** `GET /twins/{id}` for a request to `/twins/C000001?at=…`, given the document's paths. */
function operationOf(doc: OpenApi, method: string, url: string): string {
  const path = url.split('?')[0];
  const segments = path.split('/');
  const found = Object.keys(doc.paths).find((p) => {
    const parts = p.split('/');
    return parts.length === segments.length && parts.every((part, i) => part === segments[i] || /^\{.+\}$/.test(part)) && doc.paths[p][method.toLowerCase()];
  });
  if (!found) throw new Error(`no documented operation for ${method} ${path}`);
  return `${method} ${found}`;
}

/**
 * The HTTP edge's contract: the operator as `npm start` assembles it (small sandbox world), every
 * documented route called with real input, and every answer checked against the OpenAPI document
 * the server generates from its route schemas — status declared, body valid. A route added without
 * schemas, or never called here, fails.
 */
describe('the HTTP API answers as its OpenAPI document says', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-contract-'));
  let running: RunningOperator;
  let operator: Operator;
  let base: string;
  let doc: OpenApi;
  const called = new Set<string>();
  const problems: string[] = [];
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  /** The admin key the operator's first start made. */
  let admin: Record<string, string> = {};

  /** Calls the route, checks the answer against the document, and returns its status and body. */
  async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json & Json[] }> {
    const res = await fetch(`${base}${url}`, {
      method,
      // An empty header value leaves the header out (`authorization: ''`: a caller without a credential).
      headers: Object.fromEntries(Object.entries({ ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }).filter(([, v]) => v !== '')),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const key = operationOf(doc, method, url);
    called.add(key);
    const [, path] = key.split(' ');
    const declared = doc.paths[path][method.toLowerCase()].responses[String(res.status)];
    if (!declared) {
      problems.push(`${method} ${url}: answered ${res.status}, which ${key} does not declare (${text.slice(0, 200)})`);
      return { status: res.status, body: {} as Json & Json[] };
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0];
    const schema = declared.content?.[type]?.schema;
    if (res.status !== 204 && !schema) problems.push(`${method} ${url}: answered ${res.status} as ${type}, for which ${key} declares no schema`);
    if (type !== 'application/json' || !schema) return { status: res.status, body: {} as Json & Json[] };
    const parsed = JSON.parse(text) as Json & Json[];
    const id = `${key} ${res.status}`;
    if (!validators.has(id)) validators.set(id, ajv.compile({ ...schema, components: doc.components }));
    const validate = validators.get(id)!;
    if (!validate(parsed)) problems.push(`${method} ${url} → ${res.status}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('; ')}`);
    return { status: res.status, body: parsed };
  }

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    ({ operator, base } = running);
    admin = { authorization: `Bearer ${operator.firstAdminKey!.key}` };
    doc = (await (await fetch(`${base}/openapi.json`, { headers: admin })).json()) as OpenApi;
  }, 240_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares a schema for every answer of every route', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const statuses = Object.keys(op.responses);
        expect(statuses.length, `${method.toUpperCase()} ${path} declares no answer`).toBeGreaterThan(0);
        for (const s of statuses.filter((x) => x !== '204')) {
          const content = op.responses[s].content ?? {};
          expect(Object.values(content).some((c) => c.schema), `${method.toUpperCase()} ${path} ${s} has no schema`).toBe(true);
        }
      }
    }
  });

  it('answers every route as documented, success and refusal alike', async () => {
    // The twins, their history, the intake.
    expect((await call('GET', '/health')).status).toBe(200);
    // The sandbox's clock runs ahead of the wall clock: events of "now" are at its time.
    const now = new Date(operator.world!.clock.now()).toISOString();
    const events = [
      { id: 'ct-r1', kind: 'customer', customerId: 'CT-1', time: now, source: 'contract', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' } },
      { id: 'ct-i1', kind: 'interaction', customerId: 'CT-1', time: now, source: 'contract', v: 1, data: { channel: 'web', intent: 'configure_bundle', phase: 'start', context: { plan: 'max-50' } } },
    ];
    expect((await call('POST', '/events', events)).body).toMatchObject({ accepted: 2 });
    // At once: the context holds an interaction for 24 simulated hours, half a minute of wall clock here.
    await expect.poll(async () => (await call('GET', '/customers/CT-1/context')).body, { timeout: 10_000 }).toMatchObject({ customerId: 'CT-1', channels: { web: { intent: 'configure_bundle' } } });
    expect((await call('GET', '/customers/NOBODY/context')).status).toBe(404);
    expect((await call('POST', '/events', '{"id": "x"}\n{not json', { 'content-type': 'application/x-ndjson' })).body).toMatchObject({ rejected: 2 });
    expect((await call('POST', '/events', '[{', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await call('GET', '/dead-letters?limit=5')).status).toBe(200);
    const list = (await call('GET', '/twins?churned.eq=0&active_plans.gte=1&limit=300')).body as unknown as { items: { customerId: string }[] };
    expect(list.items.length).toBeGreaterThan(10);
    const customerId = list.items[0].customerId;
    expect((await call('GET', '/twins?nonsense.gt=1')).status).toBe(400);
    expect((await call('GET', '/twins?limit=0')).status).toBe(400);
    expect((await call('GET', `/twins/${customerId}`)).body).toMatchObject({ customerId, scores: { churn: {} } });
    expect((await call('GET', `/twins/${customerId}?at=${encodeURIComponent(new Date(Date.now() - 30 * 86_400_000).toISOString())}`)).status).toBe(200);
    expect((await call('GET', '/twins/NOBODY')).status).toBe(404);
    expect((await call('GET', `/twins/${customerId}?at=yesterday`)).status).toBe(400);
    expect((await call('GET', `/twins/${customerId}/timeline?limit=3`)).status).toBe(200);
    expect((await call('GET', '/population')).body).toMatchObject({ twins: expect.any(Number), risk: { bands: expect.any(Array) } });
    // One process holds every partition (decision 0012); its check against the log runs while the sandbox still sends, so only its shape is asserted here.
    expect((await call('GET', '/partitions')).body).toMatchObject({ workerId: 'all', partitions: expect.any(Array) });
    expect((await call('POST', '/partitions/verify')).body).toMatchObject({ partitions: expect.any(Array), identical: expect.any(Number) });
    expect((await call('GET', `/twins/${customerId}/diff?from=${encodeURIComponent(new Date(Date.now() - 60 * 86_400_000).toISOString())}`)).status).toBe(200);
    expect((await call('GET', `/twins/${customerId}/diff`)).status).toBe(400);

    // Models.
    const models = (await call('GET', '/models')).body as unknown as { items: { id: string }[] };
    const champion = models.items[0].id;
    expect((await call('GET', `/models/${champion}`)).status).toBe(200);
    expect((await call('GET', '/models/nope')).status).toBe(404);
    expect((await call('POST', '/models/train', { horizonDays: 0 })).status).toBe(400);
    expect((await call('POST', '/models/train', { cutoffs: 3 })).status).toBe(201);
    expect((await call('POST', `/models/${champion}/promote`)).status).toBe(400);
    expect((await call('POST', `/models/${champion}/promote`, { reason: 'the contract test keeps it serving' })).status).toBe(200);

    // Assist.
    expect((await call('GET', `/assist/cards/${customerId}?channel=call`)).status).toBe(200);
    expect((await call('GET', `/assist/cards/${customerId}?channel=web`)).status).toBe(400);
    expect((await call('GET', '/assist/stream?channel=web&agentId=a')).status).toBe(400);
    const aborter = new AbortController();
    const stream = await fetch(`${base}/assist/stream?channel=call&agentId=contract`, { signal: aborter.signal, headers: admin });
    called.add('GET /assist/stream');
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(doc.paths['/assist/stream'].get.responses['200'].content).toHaveProperty('text/event-stream');
    aborter.abort();
    // The console's pages are not API (left out of the document); `npm test` builds them first.
    expect((await fetch(`${base}/console/assist`)).headers.get('content-type')).toMatch(/^text\/html/);

    // Decisions and the catalogue: made for customers on a call with the person deciding (a call held a week of the
    // world's time), so no hour of the world's day puts the offers under quiet hours (decision 0050).
    const worldNow = Date.parse(((await call('GET', '/health')).body as unknown as { worldClock: string }).worldClock);
    const onCall = list.items.slice(0, 60).map(({ customerId: id }, i) => ({ id: `contract-call-${i}`, kind: 'interaction', customerId: id, time: new Date(worldNow).toISOString(), source: 'contact-centre', v: 1, data: { channel: 'call', intent: 'billing_question', phase: 'start', endsBy: new Date(worldNow + 7 * 86_400_000).toISOString() } }));
    expect((await call('POST', '/events', onCall)).status).toBe(200);
    let decision: { decisionId: string; customerId: string; chosen: string } | undefined;
    for (const { customerId: id } of list.items.slice(0, 60)) {
      const d = (await call('POST', '/decisions', { customerId: id, channel: 'call', reason: 'billing_question', explain: true })).body as unknown as { decisionId: string; customerId: string; chosen: string };
      if (d.chosen !== 'do-nothing') {
        decision = d;
        break;
      }
    }
    expect(decision, 'some customer of the world has an offer worth making').toBeDefined();
    expect((await call('POST', '/decisions', { customerId, channel: 'fax' })).status).toBe(400);
    expect((await call('POST', '/decisions', { customerId, channel: 'app', execute: true })).status).toBe(200);
    const accepted = await call('POST', `/decisions/${decision!.decisionId}/accept`, {});
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect((await call('POST', '/decisions/none/accept', {})).status).toBe(404);
    // Declining asks why; a decline with a reason is kept (another decision for the customer who had an offer).
    const again = (await call('POST', '/decisions', { customerId: decision!.customerId, channel: 'call', reason: 'billing_question' })).body as unknown as { decisionId: string; ranked: { actionId: string }[] };
    const declinable = again.ranked.find((r) => r.actionId !== 'do-nothing') ?? again.ranked[0];
    expect((await call('POST', `/decisions/${again.decisionId}/decline`, { actionId: declinable.actionId, reason: '' })).status).toBe(400);
    const declined = await call('POST', `/decisions/${again.decisionId}/decline`, { actionId: declinable.actionId, reason: 'the contract test declines it' });
    expect(declined.status === 200 || (declinable.actionId === 'do-nothing' && declined.status === 400), JSON.stringify(declined.body)).toBe(true);
    expect((await call('POST', '/decisions/none/decline', { actionId: 'x', reason: 'gone' })).status).toBe(404);
    // A policy judged on the decision log: the default one, and a name no policy has (400 naming those there are).
    expect((await call('GET', '/decisions/evaluation?policy=greedy')).status).toBe(200);
    expect((await call('GET', '/decisions/evaluation?policy=nope')).status).toBe(400);
    expect((await call('GET', `/twins/${decision!.customerId}/what-if?channel=call&reason=billing_question`)).status).toBe(200);
    expect((await call('GET', `/twins/${customerId}/what-if?channel=fax`)).status).toBe(400);
    expect((await call('GET', '/twins/NOBODY/what-if')).status).toBe(404);
    const catalogue = (await call('GET', '/catalogue')).body as Json;
    expect((await call('PUT', '/catalogue', catalogue)).status).toBe(200);
    expect((await call('PUT', '/catalogue', { productOffering: [{ id: 'x' }] })).status).toBe(400);
    expect((await call('GET', '/productOffering')).status).toBe(200);
    expect((await call('GET', '/productOffering/retain-10')).status).toBe(200);
    expect((await call('GET', '/productOffering/nope')).status).toBe(404);
    const bonus = { name: 'Data bonus', actionClass: 'offer', productOfferingPrice: { priceType: 'oneTime' }, treatments: [{ id: 't', name: 'T', message: '5 GB on us' }], eligibility: 'months_over_allowance_3m >= 1' };
    expect((await call('PUT', '/productOffering/contract-bonus', bonus)).status).toBe(200);
    expect((await call('DELETE', '/productOffering/contract-bonus')).status).toBe(204);
    expect((await call('DELETE', '/productOffering/contract-bonus')).status).toBe(404);
    // The same catalogue as TMF620 (test/tmf-catalog.e2e.test.ts checks it against the official specification).
    const tmf = '/tmf-api/productCatalogManagement/v4';
    expect((await call('GET', `${tmf}/productOffering?lifecycleStatus=Active&fields=name&limit=2`)).status).toBe(200);
    expect((await call('GET', `${tmf}/productOffering?limit=0`)).status).toBe(400);
    expect((await call('GET', `${tmf}/productOffering/retain-10`)).status).toBe(200);
    expect((await call('GET', `${tmf}/productOffering/nope`)).status).toBe(404);
    const tmfBonus = { name: 'TMF bonus', actionClass: 'offer', productOfferingPrice: [{ id: 'p', priceType: 'oneTime' }], treatments: [{ id: 't', name: 'T', message: '5 GB on us' }] };
    expect((await call('POST', `${tmf}/productOffering`, tmfBonus)).status).toBe(201);
    expect((await call('POST', `${tmf}/productOffering`, { description: 'no name' })).status).toBe(400);
    expect((await call('PATCH', `${tmf}/productOffering/tmf-bonus`, { description: 'patched' })).status).toBe(200);
    expect((await call('PATCH', `${tmf}/productOffering/nope`, { description: 'patched' })).status).toBe(404);
    expect((await call('DELETE', `${tmf}/productOffering/tmf-bonus`)).status).toBe(204);
    expect((await call('DELETE', `${tmf}/productOffering/tmf-bonus`)).status).toBe(404);
    const written: Record<string, Json> = {
      productOfferingPrice: { name: 'Contract price', priceType: 'oneTime', price: { unit: 'EUR', value: 1 } },
      productSpecification: { name: 'Contract spec' },
      category: { name: 'Contract category', parentId: 'offer' },
      catalog: { name: 'Contract catalog', category: [{ id: 'offer' }] },
    };
    for (const [collection, body] of Object.entries(written)) {
      const items = (await call('GET', `${tmf}/${collection}`)).body as Json[];
      expect((await call('GET', `${tmf}/${collection}/${String(items[0].id)}`)).status).toBe(200);
      expect((await call('GET', `${tmf}/${collection}/nope`)).status).toBe(404);
      // Written through TMF620 beside the offerings (test/tmf-catalog.e2e.test.ts checks them against the official specification).
      const made = await call('POST', `${tmf}/${collection}`, body);
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      expect((await call('POST', `${tmf}/${collection}`, { ...body, id: String(made.body.id) })).status).toBe(409);
      expect((await call('POST', `${tmf}/${collection}`, { description: 'no name' })).status).toBe(400);
      expect((await call('PATCH', `${tmf}/${collection}/${String(made.body.id)}`, { description: 'patched' })).status).toBe(200);
      expect((await call('PATCH', `${tmf}/${collection}/${String(made.body.id)}`, { name: 42 })).status).toBe(400);
      expect((await call('PATCH', `${tmf}/${collection}/nope`, { description: 'patched' })).status).toBe(404);
      expect((await call('DELETE', `${tmf}/${collection}/${String(made.body.id)}`)).status).toBe(204);
      expect((await call('DELETE', `${tmf}/${collection}/nope`)).status).toBe(404);
    }
    expect((await call('PATCH', `${tmf}/category/offer`, { description: 'x' })).status).toBe(409);
    expect((await call('DELETE', `${tmf}/category/offer`)).status).toBe(409);
    expect((await call('GET', `${tmf}/schema/TwinloopProductOffering`)).status).toBe(200);
    expect((await call('GET', `${tmf}/schema/Nope`)).status).toBe(400);
    // The twins as TMF629 Customers and TMF637 Products (test/tmf-customer.e2e.test.ts checks them against the official specifications).
    const tmfCustomers = (await call('GET', '/tmf-api/customerManagement/v4/customer?churn.gte=0&limit=2')).body as Json[];
    expect((await call('GET', `/tmf-api/customerManagement/v4/customer/${String(tmfCustomers[0].id)}`)).status).toBe(200);
    expect((await call('GET', '/tmf-api/customerManagement/v4/customer/nope')).status).toBe(404);
    expect((await call('GET', '/tmf-api/customerManagement/v4/customer?nope.gt=1')).status).toBe(400);
    // A CRM registers and changes a customer (test/tmf-customer.e2e.test.ts checks them against the official specification).
    const crm = { name: 'Contract Test', engagedParty: { id: 'p-1', '@referredType': 'Individual' }, characteristic: [{ name: 'billing', value: 'postpaid' }, { name: 'paymentMethod', value: 'card' }], contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'c@example.org' } }] };
    const registered = await call('POST', '/tmf-api/customerManagement/v4/customer', crm);
    expect(registered.status).toBe(201);
    expect((await call('POST', '/tmf-api/customerManagement/v4/customer', { ...crm, id: String(registered.body.id) })).status).toBe(409);
    expect((await call('POST', '/tmf-api/customerManagement/v4/customer', { ...crm, characteristic: [] })).status).toBe(400);
    expect((await call('PATCH', `/tmf-api/customerManagement/v4/customer/${String(registered.body.id)}`, { contactMedium: null })).status).toBe(200);
    expect((await call('PATCH', '/tmf-api/customerManagement/v4/customer/nope', { name: 'x' })).status).toBe(404);
    expect((await call('DELETE', `/tmf-api/customerManagement/v4/customer/${String(registered.body.id)}`)).status).toBe(405);
    expect((await call('DELETE', '/tmf-api/customerManagement/v4/customer/nope')).status).toBe(404);
    const tmfProducts = (await call('GET', `/tmf-api/productInventory/v4/product?relatedParty.id=${String(tmfCustomers[0].id)}`)).body as Json[];
    expect((await call('GET', `/tmf-api/productInventory/v4/product/${String(tmfProducts[0].id)}`)).status).toBe(200);
    expect((await call('GET', '/tmf-api/productInventory/v4/product/nope')).status).toBe(404);

    // Network alarms in through TMF642 (test/tmf-alarm.e2e.test.ts checks them against the official specification).
    const alarmApi = '/tmf-api/alarmManagement/v4/alarm';
    const alarm = { sourceSystemId: 'nms', externalAlarmId: 'A-1', state: 'raised', alarmType: 'qualityOfServiceAlarm', perceivedSeverity: 'minor', probableCause: 'congestion', alarmedObjectType: 'Cell', alarmedObject: { id: 'cell-1' }, alarmRaisedTime: new Date(Date.now() - 60_000).toISOString() };
    const raised = await call('POST', alarmApi, alarm);
    expect(raised.status).toBe(201);
    const alarmNo = String((raised.body as Json).id);
    expect((await call('POST', alarmApi, { ...alarm, externalAlarmId: 'A-2', perceivedSeverity: 'loud' })).status).toBe(400);
    expect((await call('GET', `${alarmApi}?state=raised`)).status).toBe(200);
    expect((await call('GET', `${alarmApi}/${alarmNo}`)).status).toBe(200);
    expect((await call('GET', `${alarmApi}/999999`)).status).toBe(404);
    expect((await call('PATCH', `${alarmApi}/${alarmNo}`, { state: 'cleared' })).status).toBe(200);
    // Service operations: the alarm with its treatment, and the suspected incidents.
    await expect.poll(async () => ((await call('GET', '/service-operations/incidents?limit=5')).body as unknown as { items: { externalAlarmId: string | null }[] }).items.map((i) => i.externalAlarmId), { timeout: 10_000 }).toContain('A-1');
    expect((await call('GET', '/service-operations/incidents?limit=0')).status).toBe(400);
    // One alarm's treatment, customer by customer (with why any is not told or paid).
    expect((await call('GET', `/service-operations/incidents/alarm-${alarmNo}`)).status).toBe(200);
    expect((await call('GET', '/service-operations/incidents/alarm-999999')).status).toBe(404);
    expect((await call('GET', '/service-operations/anomalies?state=open')).status).toBe(200);
    expect((await call('GET', '/service-operations/anomalies?state=maybe')).status).toBe(400);
    expect((await call('POST', '/service-operations/anomalies/anomaly-999999/confirm', { reason: 'seen on the OSS dashboards' })).status).toBe(404);
    expect((await call('POST', '/service-operations/anomalies/anomaly-999999/dismiss', { reason: '' })).status).toBe(400);
    expect((await call('POST', '/service-operations/anomalies/anomaly-999999/confirm', { reason: 'x', severity: 'apocalyptic' })).status).toBe(400);
    expect((await call('PATCH', `${alarmApi}/999999`, { state: 'cleared' })).status).toBe(404);

    // Actions under policy, approvals, the audit trail.
    const ask = (cost: number) => call('POST', '/actions', { actionClass: 'credit', channel: 'call', customerId, cost, why: { summary: 'billing error' } });
    const supervisor = { authorization: `Bearer ${String((await call('POST', '/keys', { subject: 'supervisor-3', role: 'supervisor' })).body.key)}` };
    expect((await ask(5)).body).toMatchObject({ status: 'executed' });
    const pending = (await ask(50)).body as unknown as { approvalId: string };
    const second = (await ask(40)).body as unknown as { approvalId: string };
    expect((await call('POST', '/actions', { actionClass: 'credit' })).status).toBe(400);
    expect((await call('GET', '/approvals')).status).toBe(200);
    expect((await call('GET', `/approvals/${pending.approvalId}`)).status).toBe(200);
    expect((await call('GET', '/approvals/none')).status).toBe(404);
    expect((await call('POST', `/approvals/${pending.approvalId}/approve`, { reason: 'my own' })).status).toBe(403);
    expect((await call('POST', `/approvals/${pending.approvalId}/approve`, { reason: 'ok' }, supervisor)).status).toBe(200);
    expect((await call('POST', `/approvals/${second.approvalId}/reject`, { by: 'supervisor-3', reason: 'not justified' }, supervisor)).status).toBe(200);
    expect((await call('POST', `/approvals/${second.approvalId}/reject`, {}, supervisor)).status).toBe(400);
    expect((await call('GET', '/audit?limit=20')).status).toBe(200);
    expect((await call('GET', '/audit/verify')).body).toMatchObject({ ok: true });

    // Simulations.
    const scenario = { kind: 'retention_campaign', name: 'top 100', horizonMonths: 3, draws: 20, targeting: { rank: 'churn_value', k: 100 }, offer: { id: 'retain-10', discountPct: 10, months: 6 } };
    const run = (await call('POST', '/simulations', scenario)).body as unknown as { id: string };
    expect((await call('POST', '/simulations', { kind: 'retention_campaign' })).status).toBe(400);
    await until(async () => ((await operator.services.simulations.get(run.id)).status === 'running' ? undefined : true), 60_000);
    expect((await call('GET', `/simulations/${run.id}`)).body).toMatchObject({ status: 'succeeded' });
    expect((await call('GET', '/simulations')).status).toBe(200);
    expect((await call('POST', `/simulations/${run.id}/cancel`)).status).toBe(409);
    expect((await call('GET', '/simulations/none')).status).toBe(404);

    // Intents.
    // The small world has almost no prepaid customer (at-risk is its riskiest 10 %): planning for them is refused with the count and the nearest segments that hold enough.
    // An accepted intent is answered at once, in planning; its report follows the planning to its end.
    const planned = (id: string) =>
      until(async () => {
        const report = (await call('GET', `/intents/${id}/report`)).body;
        return report.inProgress === undefined ? report : undefined;
      }, 180_000, `intent ${id}'s planning to end`);
    const nobody = await call('POST', '/intents', { text: 'keep high-value prepaid customers at risk this month, budget 5000', accept: true });
    expect(nobody.status).toBe(201);
    expect(nobody.body).toMatchObject({ lifecycleStatus: 'planning', inProgress: 'planning' });
    expect(await planned(String(nobody.body.intentId))).toMatchObject({ lifecycleStatus: 'failed', planSelection: 'no-plan', shortfalls: [expect.stringMatching(/"high-value, prepaid, at-risk" holds (no active customer|1 active customer, fewer|\d+ active customers, fewer)[^;]*; (nearest segments that hold enough|no segment nearby holds 100; the largest nearby): "[^"]+" \(\d+\)/)] });
    // Six months: a plan counts the revenue kept to its horizon, and on the small world none pays by this month's end (no plan is proposed then).
    const text = 'keep high-value customers in the next 6 months, budget 5000';
    const proposed = (await call('POST', '/intents', { text })).body as unknown as { intent: { id: string } };
    expect((await call('POST', '/intents', { text, accept: true })).status).toBe(201);
    expect((await call('POST', '/intents', { text: 'make the customers purple' })).status).toBe(400);
    expect((await call('GET', '/intents')).status).toBe(200);
    const id = proposed.intent.id;
    expect((await call('GET', `/intents/${id}`)).status).toBe(200);
    expect((await call('GET', '/intents/none')).status).toBe(404);
    expect((await call('POST', `/intents/${id}/accept`)).status).toBe(202);
    expect(await planned(id)).toMatchObject({ segment: { description: 'high-value', size: expect.any(Number) } });
    // In approve mode the caller approves the plan: a body cannot name someone else, and who created the intent cannot (four eyes).
    expect((await call('POST', `/intents/${id}/execute`, { approvedBy: 'marketing-lead' })).status).toBe(403);
    expect((await call('POST', `/intents/${id}/execute`)).status).toBe(403);
    expect((await call('POST', `/intents/${id}/execute`, undefined, supervisor)).status).toBe(200);
    expect((await call('POST', `/intents/${id}/check`)).status).toBe(200);
    expect((await call('POST', `/intents/${id}/cancel`)).status).toBe(200);
    expect((await call('POST', `/intents/${id}/check`)).status).toBe(409);

    // Workflows and the sandbox's shop front.
    const applicant = (await call('POST', '/sandbox/applicants')).body;
    const staged = await call('POST', '/sandbox/scenarios/care-example', {});
    expect(staged.status).toBe(201);
    expect((await call('POST', '/sandbox/scenarios/care-example', { customerId: 'C999999' })).status).toBe(404);
    expect((await call('POST', '/sandbox/scenarios/care-example', { customer: 'C000001' })).status).toBe(400);
    // The running server's anomaly detection judged against the world's truth: the backfilled history, then the live span from its end.
    const judged = (await call('GET', '/sandbox/assurance')).body as unknown as { liveFrom: string; history: { to: string; suspicions: number }; live: { from: string; suspicions: number } };
    expect(judged.history.to).toBe(judged.liveFrom);
    expect(judged.live.from).toBe(judged.liveFrom);
    // The live churn model against its ceiling: recorded once a model serves the live world, refused (409) before.
    expect([200, 409]).toContain((await call('GET', '/sandbox/churn-ceiling')).status);
    expect((await call('POST', '/workflows/onboarding/start', { applicant })).status).toBe(201);
    const care = (await call('POST', '/workflows/customer-care/start', { input: { customerId, channel: 'call' }, workflowId: 'contract-care' })).body as unknown as { workflowId: string };
    expect((await call('POST', '/workflows/customer-care/start', { input: { customerId, channel: 'call' }, workflowId: 'contract-care' })).status).toBe(200);
    expect((await call('POST', '/workflows/customer-care/start', { input: { channel: 'call' } })).status).toBe(400);
    expect((await call('GET', '/workflows?limit=5')).status).toBe(200);
    expect((await call('GET', '/workflows?status=sleeping')).status).toBe(400);
    expect((await call('GET', `/workflows/${care.workflowId}`)).status).toBe(200);
    expect((await call('GET', '/workflows/none')).status).toBe(404);
    const steps = await call('GET', `/workflows/${care.workflowId}/steps`);
    expect(steps.status).toBe(200);
    expect(Array.isArray(steps.body)).toBe(true);
    expect((await call('GET', '/workflows/none/steps')).status).toBe(404);
    expect([200, 409]).toContain((await call('POST', `/workflows/${care.workflowId}/signals/agent-decision`, { decision: 'decline' })).status);
    expect((await call('POST', '/workflows/none/signals/agent-decision', {})).status).toBe(404);
    expect((await call('POST', `/workflows/${care.workflowId}/signals/approval:apr-1`, {})).status).toBe(403);
    // A campaign with bad input: 400 naming the field, not a 500 with a raw dump.
    const badCampaign = await call('POST', '/workflows/campaign-management/start', { campaignId: 'c1', variants: [{ id: 'v', offerId: 'retain-10', channel: 'fax' }], budget: 10, endAt: 0 });
    expect(badCampaign.status).toBe(400);
    expect(badCampaign.body).toMatchObject({ error: { message: expect.stringMatching(/variants\[0\]\.channel: expected one of .*, got "fax"/) } });
    // A campaign: its page's data, and a person's pause and resume with a reason.
    const endAt = Date.now() + 365 * 86_400_000;
    const campaign = { campaignId: 'contract-cmp', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 50, audience: [], endAt };
    expect((await call('POST', '/workflows/campaign-management/start', { input: campaign })).body).toMatchObject({ workflowId: 'campaign-contract-cmp', created: true });
    // One run per campaign id: a second start is 409 naming its state; one naming an offer the catalogue has not, 400 naming it.
    expect(await call('POST', '/workflows/campaign-management/start', { input: campaign })).toMatchObject({ status: 409, body: { error: { message: expect.stringMatching(/^campaign contract-cmp is running \(run campaign-contract-cmp/) } } });
    expect(await call('POST', '/workflows/campaign-management/start', { input: { ...campaign, campaignId: 'contract-cmp-2', variants: [{ id: 'a', offerId: 'retain-99', channel: 'app' }] } })).toMatchObject({
      status: 400,
      body: { error: { message: 'variants.0.offerId: no offering "retain-99" in the catalogue (variant a); GET /productOffering lists them' } },
    });
    // Whom it may contact is said, not assumed (a campaign of the whole base holds its control out of every other flow), and it ends in the future.
    const { audience: _all, ...unsaid } = campaign;
    expect(await call('POST', '/workflows/campaign-management/start', { input: { ...unsaid, campaignId: 'contract-cmp-3' } })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^audience: say whom the campaign may contact/) } } });
    expect(await call('POST', '/workflows/campaign-management/start', { input: { ...campaign, campaignId: 'contract-cmp-4', endAt: 1000 } })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^endAt: 1970-01-01T00:00:01.000Z is not after the world's time now/) } } });
    expect((await call('GET', '/workflows/campaign-contract-cmp-4')).status).toBe(404);
    expect(((await call('GET', '/campaigns')).body as unknown as { campaignId: string }[]).some((c) => c.campaignId === 'contract-cmp')).toBe(true);
    expect((await call('GET', '/campaigns/contract-cmp')).status).toBe(200);
    expect((await call('GET', '/campaigns/none')).status).toBe(404);
    expect((await call('POST', '/campaigns/contract-cmp/pause', { reason: ' ' })).status).toBe(400);
    expect((await call('POST', '/campaigns/contract-cmp/pause', { reason: 'the contract test holds it' })).status).toBe(200);
    expect((await call('POST', '/campaigns/contract-cmp/pause', { reason: 'again' })).status).toBe(409);
    expect((await call('POST', '/campaigns/contract-cmp/resume', { reason: 'the contract test lets it go' })).status).toBe(200);
    expect((await call('POST', '/campaigns/none/resume', { reason: 'x' })).status).toBe(404);
    expect((await call('POST', '/campaigns/contract-cmp/stop', {})).status).toBe(400);
    expect((await call('POST', '/campaigns/contract-cmp/stop', { reason: 'the contract test ends it' })).body).toMatchObject({ campaignId: 'contract-cmp', workflowId: 'campaign-contract-cmp' });
    expect((await call('POST', '/campaigns/none/stop', { reason: 'x' })).status).toBe(404);
    // Once the run has ended, the list says who stopped it and why, not "succeeded".
    let ended: { status: string; ended: string | null } | undefined;
    for (let i = 0; i < 100 && ended?.status !== 'succeeded'; i++) {
      ended = ((await call('GET', '/campaigns')).body as unknown as { campaignId: string; status: string; ended: string | null }[]).find((c) => c.campaignId === 'contract-cmp');
      if (ended?.status !== 'succeeded') await new Promise((r) => setTimeout(r, 100));
    }
    expect(ended).toMatchObject({ status: 'succeeded', ended: expect.stringMatching(/^stopped by .*: the contract test ends it$/) });

    // The action policy: read, set with a reason (in force at once), refused naming the field, its history.
    const actionPolicy = (await call('GET', '/policy')).body as unknown as { version: number; document: Record<string, unknown> };
    expect(actionPolicy).toMatchObject({ version: 0, changedBy: null });
    expect((await call('PUT', '/policy', { policy: { ...actionPolicy.document, fallbackMode: 'never' }, reason: 'x' })).body).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringMatching(/fallbackMode/) } });
    // The same rules again make no version: the answer is the version in force, unchanged.
    expect((await call('PUT', '/policy', { policy: actionPolicy.document, reason: 'the same rules, on record', basedOn: 0 })).body).toMatchObject({ version: 0, unchanged: true });
    expect(((await call('GET', '/policy/history?limit=5')).body as unknown as unknown[]).length).toBe(1);

    // The churn prevention policy is the action policy's churnPrevention section: set with the rest
    // (versioned), read at the old route too, refused naming the field or the unknown offer.
    const churnPolicy = (await call('GET', '/churn-prevention/policy')).body as Record<string, unknown>;
    expect(churnPolicy).toEqual(actionPolicy.document.churnPrevention);
    expect(churnPolicy).toMatchObject({ offers: ['retain-10', 'data-bonus'], cadenceDays: 30 });
    const withChurn = (churnPrevention: Record<string, unknown>) => ({ policy: { ...actionPolicy.document, churnPrevention }, reason: 'churn prevention from 0.1' });
    expect((await call('PUT', '/policy', withChurn({ ...churnPolicy, floor: 0.1, offers: ['retain-10', 'retain-25'] }))).body).toMatchObject({ version: 1, unchanged: false });
    expect((await call('GET', '/churn-prevention/policy')).body).toMatchObject({ floor: 0.1, offers: ['retain-10', 'retain-25'] });
    expect((await call('PUT', '/policy', withChurn({ ...churnPolicy, floor: 2 }))).body).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringMatching(/at churnPrevention\.floor: /) } });
    expect((await call('PUT', '/policy', withChurn({ ...churnPolicy, offers: ['free-phone'] }))).body).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringMatching(/churnPrevention\.offers\[0\]: no offer "free-phone" in the catalogue/) } });
    expect((await call('GET', '/churn-prevention/runs?limit=5')).status).toBe(200);
    expect((await call('GET', '/churn-prevention/runs/none')).status).toBe(404);

    // TMF622: an order starts the order-fulfilment flow; its state follows the run (checked against the official specification too).
    const orders = '/tmf-api/productOrderingManagement/v4';
    const official = officialContract();
    const orderFor = (planId: string) => ({ relatedParty: [{ id: customerId, role: 'customer', '@referredType': 'Customer' }], productOrderItem: [{ id: '1', action: 'modify', productOffering: { id: planId } }], channel: [{ id: 'web' }] });
    const onPlan = operator.twins.engine.view(customerId)?.products.find((p) => p.kind === 'plan' && p.status === 'active')?.productId;
    const placed = await call('POST', `${orders}/productOrder`, orderFor(operator.world!.config.plans.find((p) => p.id !== onPlan)!.id));
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ state: expect.stringMatching(/^(acknowledged|inProgress|completed)$/), relatedParty: [{ id: customerId }] });
    // A plan the BSS does not sell is refused at the edge (400 naming it); one the customer is on already is taken and rejected by the flow, saying why.
    expect(await call('POST', `${orders}/productOrder`, orderFor('no-such-plan'))).toMatchObject({ status: 400, body: { message: expect.stringMatching(/"no-such-plan" is not a plan the BSS sells; one of /) } });
    const unknownPlan = (await call('POST', `${orders}/productOrder`, orderFor(onPlan!))).body;
    const rejected = await until(async () => {
      const read = (await call('GET', `${orders}/productOrder/${String(unknownPlan.id)}`)).body;
      return read.state === 'rejected' ? read : undefined;
    }, 30_000);
    expect((rejected.note as Json[])[0].text).toMatch(/already_on_plan/);
    problems.push(...official.check('TMF622', 'ProductOrder', placed.body, 'POST productOrder'), ...official.check('TMF622', 'ProductOrder', rejected, 'GET productOrder'));
    const listed = (await call('GET', `${orders}/productOrder?state=rejected&fields=state`)).body;
    expect(listed.map((o) => o.id)).toContain(unknownPlan.id);
    // Cancelling: a finished order is past it (409); the placed one, waiting for its approval, is cancelled.
    expect((await call('PATCH', `${orders}/productOrder/${String(unknownPlan.id)}`, { state: 'cancelled' }, { 'content-type': 'application/merge-patch+json' })).status).toBe(409);
    const cancelTask = await call('POST', `${orders}/cancelProductOrder`, { productOrder: { id: placed.body.id }, cancellationReason: 'contract test' });
    expect(cancelTask.status).toBe(201);
    problems.push(...official.check('TMF622', 'CancelProductOrder', cancelTask.body, 'POST cancelProductOrder'));
    expect((await call('GET', `${orders}/productOrder/nope`)).status).toBe(404);
    expect((await call('POST', `${orders}/productOrder`, { productOrderItem: [{ id: '1', action: 'modify', productOffering: { id: 'x' } }] })).status).toBe(400);
    expect((await call('POST', `${orders}/productOrder`, { ...orderFor('x'), productOrderItem: [{ id: '1', action: 'add' }] })).body.message).toMatch(/name the add-on/);

    // TMF681: a message is an action under the policy; what a customer was sent reads back from the timeline.
    const messages = '/tmf-api/communicationManagement/v4/communicationMessage';
    const sent = await call('POST', messages, { content: 'Back to full speed.', messageType: 'sms', receiver: [{ id: customerId }], sender: { id: 'care-team' }, characteristic: [{ name: 'purpose', value: 'service' }] });
    expect(sent.status).toBe(201);
    const sentOne = await until(async () => {
      const read = await call('GET', `${messages}/${encodeURIComponent(String(sent.body.id))}`);
      return read.status === 200 ? read.body : undefined;
    }, 30_000);
    expect((await call('GET', `${messages}?receiver.id=${customerId}&fields=state`)).body.map((m) => m.id)).toContain(sentOne.id);
    expect((await call('GET', messages)).status).toBe(400);
    problems.push(...official.check('TMF681', 'CommunicationMessage', sent.body, 'POST communicationMessage'), ...official.check('TMF681', 'CommunicationMessage', sentOne, 'GET communicationMessage'));

    // TMF621: a ticket opened here is a ticket event on the twin; a customer's tickets read back from the timeline.
    const tickets = '/tmf-api/troubleTicket/v4/troubleTicket';
    const opened = await call('POST', tickets, { description: 'No data since noon', severity: 'high', ticketType: 'complaint', category: 'network', relatedParty: [{ id: customerId, role: 'customer', '@referredType': 'Customer' }] });
    expect(opened.status).toBe(201);
    expect((await call('GET', `${tickets}?relatedParty.id=${customerId}&status=acknowledged`)).body.map((t) => t.id)).toContain(opened.body.id);
    const ticketOne = (await call('GET', `${tickets}/${encodeURIComponent(String(opened.body.id))}`)).body;
    const ticketDone = await call('PATCH', `${tickets}/${encodeURIComponent(String(opened.body.id))}`, { status: 'resolved' });
    expect(ticketDone.body).toMatchObject({ status: 'resolved' });
    expect((await call('PATCH', `${tickets}/${customerId}:nope`, { status: 'resolved' })).status).toBe(404);
    expect((await call('GET', `${tickets}/nope`)).status).toBe(404);
    expect((await call('POST', tickets, { description: 'x', severity: 'low', ticketType: 'complaint', relatedParty: [{ id: customerId }] })).status).toBe(400);
    problems.push(...['TroubleTicket'].flatMap((d) => [...official.check('TMF621', d, opened.body, 'POST troubleTicket'), ...official.check('TMF621', d, ticketOne, 'GET troubleTicket'), ...official.check('TMF621', d, ticketDone.body, 'PATCH troubleTicket')]));
    // TMF921 v5: an intent from words, read, listed, its reports, refused changes, withdrawn.
    const v5 = '/tmf-api/intentManagement/v5/intent';
    const v5Intent = await call('POST', v5, { '@type': 'Intent', name: 'words', expression: { '@type': 'JsonLdExpression', iri: 'urn:x', expressionValue: { '@type': 'TwinloopIntentText', text: 'keep high-value customers this month, budget 1000' } } });
    expect(v5Intent.status).toBe(201);
    expect((await call('POST', v5, { '@type': 'Intent', name: 'x', expression: { '@type': 'TurtleExpression', iri: 'urn:x', expressionValue: '' } })).status).toBe(400);
    expect((await call('GET', `${v5}/${String(v5Intent.body.id)}`)).status).toBe(200);
    expect((await call('GET', `${v5}?limit=5`)).status).toBe(200);
    expect((await call('GET', `${v5}/nope`)).status).toBe(404);
    expect((await call('GET', `${v5}/${String(v5Intent.body.id)}/intentReport`)).status).toBe(200);
    expect((await call('GET', `${v5}/${String(v5Intent.body.id)}/intentReport/1`)).status).toBe(200);
    expect((await call('GET', `${v5}/${String(v5Intent.body.id)}/intentReport/9`)).status).toBe(404);
    expect((await call('PATCH', `${v5}/${String(v5Intent.body.id)}`, { name: 'other' })).status).toBe(400);
    expect((await call('PATCH', `${v5}/${String(v5Intent.body.id)}`, [{ op: 'test', path: '/lifecycleStatus', value: 'proposed' }], { 'content-type': 'application/json-patch+json' })).status).toBe(200);
    expect((await call('PATCH', `${v5}/${String(v5Intent.body.id)}`, [{ op: 'test', path: '/lifecycleStatus', value: 'achieved' }], { 'content-type': 'application/json-patch+json' })).status).toBe(409);
    expect((await call('PATCH', `${v5}/${String(v5Intent.body.id)}`, { lifecycleStatus: 'cancelled' })).status).toBe(200);
    expect((await call('PATCH', `${v5}/nope`, { lifecycleStatus: 'cancelled' })).status).toBe(404);
    expect((await call('DELETE', `${v5}/${String(v5Intent.body.id)}`)).status).toBe(409);
    expect((await call('DELETE', `${v5}/nope`)).status).toBe(404);
    expect((await call('GET', `${v5}Specification?fields=name`)).status).toBe(200);
    expect((await call('GET', `${v5}Specification/TwinloopIntent`)).status).toBe(200);
    expect((await call('GET', `${v5}Specification/nope`)).status).toBe(404);
    // The TMF notification hubs: register and unregister a listener on each; the parked deliveries.
    for (const hubBase of Object.values(HUB_BASES)) {
      const hubReg = await call('POST', `${hubBase}/hub`, { callback: 'http://127.0.0.1:9/listener', query: 'eventType=None' });
      expect(hubReg.status).toBe(201);
      expect((await call('POST', `${hubBase}/hub`, { callback: 'not a url' })).status).toBe(400);
      expect((await call('DELETE', `${hubBase}/hub/${String(hubReg.body.id)}`)).status).toBe(204);
      expect((await call('DELETE', `${hubBase}/hub/none`)).status).toBe(404);
    }
    expect((await call('GET', '/notifications/dead-letters?limit=5')).status).toBe(200);

    // Signing in, who am I, the keys; a caller without a credential or without the permission.
    expect((await call('GET', '/sign-in')).status).toBe(200);
    expect((await call('GET', '/auth/config')).body).toMatchObject({ methods: ['api-key'] });
    const made = (await call('POST', '/keys', { subject: 'viewer-1', role: 'viewer' })).body as unknown as { id: string; key: string };
    expect(made.key).toMatch(/^twl_/);
    expect((await call('POST', '/keys', { subject: 'x', role: 'emperor' })).status).toBe(400);
    expect((await call('GET', '/keys')).body.every((k) => !('key' in k) && !('hash' in k))).toBe(true);
    expect((await call('GET', '/auth/me', undefined, { authorization: `Bearer ${made.key}` })).body).toMatchObject({ subject: 'viewer-1', role: 'viewer' });
    expect((await call('GET', '/keys', undefined, { authorization: `Bearer ${made.key}` })).status).toBe(403);
    expect((await call('GET', '/twins?limit=1', undefined, { authorization: '' })).status).toBe(401);
    expect((await call('POST', '/auth/session', { key: made.key }, { authorization: '' })).status).toBe(200);
    expect((await call('POST', '/auth/session', { key: 'twl_nope' }, { authorization: '' })).status).toBe(401);
    expect((await call('DELETE', '/auth/session')).status).toBe(200);
    expect((await call('DELETE', `/keys/${made.id}`)).body).toMatchObject({ status: 'revoked' });
    expect((await call('DELETE', '/keys/none')).status).toBe(404);
    expect((await call('GET', '/auth/me', undefined, { authorization: `Bearer ${made.key}` })).status).toBe(401);

    // MCP over streamable HTTP.
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'contract', version: '1' } } };
    expect((await call('POST', '/mcp', initialize, { accept: 'application/json, text/event-stream' })).status).toBe(200);
    expect((await call('POST', '/mcp', '{not json')).status).toBe(400);
    expect((await call('GET', '/mcp')).status).toBe(405);
    expect((await call('DELETE', '/mcp')).status).toBe(405);

    expect(problems).toEqual([]);
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((op) => !called.has(op)), 'routes this test never calls: add them above').toEqual([]);
  }, 240_000);
});
