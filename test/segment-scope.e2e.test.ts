import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_ROUTES, routeAccess, routeOnlyOn } from '../src/interfaces/auth/access-table.js';
import { bearerFor, segmentCustomer } from '../src/interfaces/auth/auth-fixtures.js';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';

type Json = Record<string, unknown>;
const TT = '/tmf-api/troubleTicket/v4/troubleTicket';
const MSG = '/tmf-api/communicationManagement/v4/communicationMessage';
const ORDER = '/tmf-api/productOrderingManagement/v4/productOrder';

const NOW = Date.now();

/**
 * A key held to segments on the operator as `npm start` assembles it (no sandbox; the customer
 * flows, which need a BSS, stood in for by flows that take the same inputs): the policy's
 * segment `business` holds C1, not C2. Everything C2 has (an approval, audit entries, a ticket, a
 * message, a care case, an order) is planted; then every GET route the server registers is walked
 * with an admin key held to `business`, every path parameter tried with each of C2's ids: no answer
 * may carry C2, while the unscoped admin's lists do (so the walk is not empty). Lists are filtered
 * (not refused), one record of another customer is 403 naming it, and what acts on many customers
 * at once is refused naming the segments.
 */
describe('a key held to segments, on every route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-scope-'));
  let running: BareOperator;
  let operator: Operator;
  let app: FastifyInstance;
  let routes: BareOperator['routes'];
  let admin: Json;
  let scoped: Json;
  const c2Ids = new Set<string>(['C2']);
  const c1 = { approval: '', workflow: '' };
  const c2 = { approval: '', workflow: '', ticket: '', order: '' };

  async function call(method: string, url: string, who: Json, payload?: unknown) {
    const res = await app.inject({ method: method as 'GET', url, headers: { ...who, ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) }, payload: payload === undefined ? undefined : JSON.stringify(payload) });
    let body: Json & Json[] = {} as Json & Json[];
    try {
      body = res.json();
    } catch {
      // A page or a stream.
    }
    return { status: res.statusCode, body, text: res.body, headers: res.headers };
  }
  const message = (b: Json) => String((b.error as Json | undefined)?.message ?? b.message ?? '');

  beforeAll(async () => {
    running = await startBareOperator(dir);
    ({ operator, app, routes } = running);
    // Without a sandbox there is no BSS for the customer flows to act on: stand-ins under their ids
    // take their inputs (the customer the run serves) and finish, which is all the edge reads.
    for (const id of ['customer-care', 'order-fulfilment']) {
      operator.services.workflows.register({ id, version: 1, parseInput: (raw) => raw, run: async (_ctx, input) => ({ outcome: 'completed', served: (input as Json).customerId }) });
    }
    admin = await bearerFor(operator.auth, { subject: 'scope-admin', role: 'admin' });
    // The policy gets a segment of business customers.
    const policy = (await call('GET', '/policy', admin)).body as unknown as { document: { segments: Json } };
    const document = { ...policy.document, segments: { ...policy.document.segments, business: { description: 'business accounts', all: [{ field: 'is_business', op: '==', value: 1 }] } } };
    expect((await call('PUT', '/policy', admin, { policy: document, reason: 'desks for business accounts' })).status).toBe(200);
    expect((await call('POST', '/events', admin, [segmentCustomer('C1', 'business', NOW), segmentCustomer('C2', 'consumer', NOW)])).body).toMatchObject({ accepted: 2 });
    scoped = await bearerFor(operator.auth, { subject: 'business-desk', role: 'admin', segments: ['business'] });

    // What each customer has: a credit waiting for approval (and its audit entries), a ticket, a message, a care case, an order.
    for (const [id, mine] of [['C1', c1], ['C2', c2]] as const) {
      const asked = await call('POST', '/actions', admin, { actionClass: 'credit', channel: 'call', customerId: id, params: { amount: 50 }, why: { summary: 'goodwill' } });
      expect(asked.body.status, JSON.stringify(asked.body)).toBe('pending-approval');
      mine.approval = String(asked.body.approvalId);
      const care = await call('POST', '/workflows/customer-care/start', admin, { input: { customerId: id, channel: 'call' }, workflowId: `care-${id}` });
      expect(care.status).toBe(201);
      mine.workflow = `care-${id}`;
    }
    const ticket = await call('POST', TT, admin, { description: 'billing question', severity: 'low', ticketType: 'complaint', category: 'billing', relatedParty: [{ id: 'C2', role: 'customer', '@referredType': 'Customer' }] });
    expect(ticket.status).toBe(201);
    c2.ticket = String(ticket.body.id);
    expect((await call('POST', MSG, admin, { content: 'Hello', messageType: 'SMS', receiver: [{ id: 'C2' }], sender: { id: 'care-team' }, characteristic: [{ name: 'purpose', value: 'service' }] })).status).toBe(201);
    for (const id of ['C1', 'C2']) {
      const order = await call('POST', ORDER, admin, { relatedParty: [{ id, role: 'customer', '@referredType': 'Customer' }], productOrderItem: [{ id: '1', action: 'modify', productOffering: { id: 'plan-x' } }], channel: [{ id: 'web' }] });
      expect(order.status).toBe(201);
      if (id === 'C2') c2.order = String(order.body.id);
    }
    for (const id of Object.values(c2)) c2Ids.add(id);
    const messages = (await call('GET', `${MSG}?receiver.id=C2`, admin)).body as Json[];
    for (const m of messages) c2Ids.add(String(m.id));
    const products = (await call('GET', '/tmf-api/productInventory/v4/product?relatedParty.id=C2', admin)).body as Json[];
    for (const p of products) c2Ids.add(String(p.id));
  }, 120_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never answers another customer on any route it may read, trying each of their ids on every path parameter', async () => {
    const leaks: string[] = [];
    const named = /\bC2\b/;
    const gets = routes.filter((r) => r.method === 'GET' && routeAccess('GET', r.url) !== 'public' && r.url !== '/mcp' && CUSTOMER_ROUTES[`GET ${r.url}` as keyof typeof CUSTOMER_ROUTES] !== 'spanning');
    expect(gets.length).toBeGreaterThan(40);
    for (const { url } of gets) {
      const params = url.match(/:[A-Za-z]+/g) ?? [];
      const paths = params.length === 0 ? [url] : [...c2Ids].map((id) => url.replace(/:[A-Za-z]+/g, encodeURIComponent(id)));
      for (const path of paths) {
        const a = await call('GET', path, scoped);
        if (a.status === 200 && named.test(a.text)) leaks.push(`${path} → ${a.text.slice(0, 160)}`);
      }
    }
    expect(leaks).toEqual([]);
    // The same lists hold C2 for a key without segments: the walk above saw C2's records and left them out.
    for (const list of ['/approvals', '/audit?order=newest', '/workflows', '/tmf-api/customerManagement/v4/customer', ORDER]) {
      expect((await call('GET', list, admin)).text, list).toMatch(named);
      const mine = await call('GET', list, scoped);
      expect(mine.status, list).toBe(200);
      expect(mine.text, list).toMatch(/\bC1\b/);
    }
  }, 120_000);

  it('lists only its customers (counts included), and reading or deciding one of another customer is 403 naming the customer and the segments', async () => {
    expect(((await call('GET', '/approvals', scoped)).body as unknown as Json[]).map((a) => a.id)).toEqual([c1.approval]);
    const customers = await call('GET', '/tmf-api/customerManagement/v4/customer', scoped);
    expect((customers.body as unknown as Json[]).map((c) => c.id)).toEqual(['C1']);
    expect(customers.headers['x-total-count']).toBe('1');
    // The twins' list counts the twins the key reaches, not the population (a newcomer read 25,156 with a desk's key).
    const twinList = (await call('GET', '/twins?limit=50', scoped)).body as unknown as { items: { customerId: string }[]; twinCount: number };
    expect({ ids: twinList.items.map((t) => t.customerId), twinCount: twinList.twinCount }).toEqual({ ids: ['C1'], twinCount: 1 });
    expect(((await call('GET', '/twins?limit=50', admin)).body as unknown as { twinCount: number }).twinCount).toBeGreaterThanOrEqual(2);
    expect(((await call('GET', '/workflows?definitionId=customer-care', scoped)).body as unknown as Json[]).map((r) => r.workflowId)).toEqual([c1.workflow]);
    expect(((await call('GET', '/workflows', scoped)).body as unknown as { input: Json }[]).map((r) => r.input.customerId)).toEqual(['C1', 'C1']);
    const outside = "business-desk's credential is scoped to the segments business; customer C2 is in none of them now";
    for (const [method, url, body] of [
      ['GET', `/approvals/${c2.approval}`],
      ['POST', `/approvals/${c2.approval}/approve`, { reason: 'looks fine' }],
      ['GET', `/workflows/${c2.workflow}`],
      ['GET', `/workflows/${c2.workflow}/steps`],
      ['POST', `/workflows/${c2.workflow}/signals/agent-decision`, { decision: 'accept' }],
      ['POST', '/workflows/customer-care/start', { input: { customerId: 'C2', channel: 'call' } }],
      ['GET', '/twins/C2/what-if?channel=call'],
      ['GET', `${TT}?relatedParty.id=C1,C2`],
      ['GET', `${TT}/${encodeURIComponent(c2.ticket)}`],
      ['PATCH', `${TT}/${encodeURIComponent(c2.ticket)}`, { status: 'resolved' }],
      ['POST', TT, { description: 'x', severity: 'low', ticketType: 'complaint', category: 'billing', relatedParty: [{ id: 'C2', role: 'customer', '@referredType': 'Customer' }] }],
      ['GET', `${ORDER}/${c2.order}`],
      ['POST', ORDER, { relatedParty: [{ id: 'C2', role: 'customer', '@referredType': 'Customer' }], productOrderItem: [{ id: '1', action: 'modify', productOffering: { id: 'plan-x' } }] }],
      ['POST', MSG, { content: 'Hi', messageType: 'SMS', receiver: [{ id: 'C2' }], sender: { id: 'x' }, characteristic: [{ name: 'purpose', value: 'service' }] }],
    ] as const) {
      const a = await call(method, url, scoped, body);
      expect(a.status, `${method} ${url}: ${a.text}`).toBe(403);
      expect(message(a.body), `${method} ${url}`).toBe(outside);
    }
    // The approval of C2 is still waiting: the refusal decided nothing.
    expect((await call('GET', `/approvals/${c2.approval}`, admin)).body.status).toBe('pending');
    // Its own customer's, it reads and decides.
    expect((await call('GET', `${TT}?relatedParty.id=C1`, scoped)).status).toBe(200);
    expect((await call('POST', `/approvals/${c1.approval}/reject`, scoped, { reason: 'not this month' })).body.status).toBe('refused');
  });

  it('is refused what acts on many customers at once (intents, simulations, campaigns, population flows), naming its segments', async () => {
    for (const [url, body] of [
      ['/intents', { text: 'retain high-risk customers' }],
      ['/simulations', { scenarios: [] }],
      ['/workflows/campaign-management/start', { input: {} }],
      ['/workflows/churn-prevention/start', { input: {} }],
      ['/campaigns/any/pause', { reason: 'x' }],
      // A new line's order: the applicant is in no segment yet.
      [ORDER, { relatedParty: [{ id: 'A1', role: 'applicant', '@referredType': 'Individual', name: 'A B', birthDate: '1980-01-01', documentType: 'passport', documentNumber: 'P1' }], productOrderItem: [{ id: '1', action: 'add' }] }],
    ] as const) {
      const a = await call('POST', url, scoped, body);
      expect(a.status, `${url}: ${a.text}`).toBe(403);
      expect(message(a.body), url).toMatch(/^business-desk's credential is scoped to the segments business; /);
    }
  });

  it('is refused every route the table marks as answering many customers unfiltered', async () => {
    const wrong: string[] = [];
    for (const [route, how] of Object.entries(CUSTOMER_ROUTES)) {
      // A sandbox's or a partition worker's routes are not on this server (routeOnlyOn).
      if (how !== 'spanning' || routeOnlyOn(route) !== undefined) continue;
      const [method, url] = route.split(' ');
      const a = await call(method, url.replace(/:[A-Za-z]+/g, 'any'), scoped, method === 'GET' ? undefined : {});
      if (a.status !== 403 || !/^business-desk's credential is scoped to the segments business; /.test(message(a.body))) wrong.push(`${route} → ${a.status} ${a.text.slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('makes no key scoped to a segment the policy does not have: 400 naming it and the known ones', async () => {
    const refused = await call('POST', '/keys', admin, { subject: 'nobody', role: 'marketer', segments: ['nonsense'] });
    expect(refused.status).toBe(400);
    expect(message(refused.body)).toMatch(/segments: "nonsense" is not a segment of the action policy in force, which has high_value, left, business/);
    expect(((await call('GET', '/keys', admin)).body as unknown as Json[]).some((k) => k.subject === 'nobody')).toBe(false);
    expect((await call('POST', '/keys', admin, { subject: 'somebody', role: 'marketer', segments: ['business'] })).status).toBe(201);
  });
});
