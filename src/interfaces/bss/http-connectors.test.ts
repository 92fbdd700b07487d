import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisioningJob } from '../../domain/connectors/provisioning.js';
import { ArrayOutput, createSandboxWorld, loadWorldDocument, type SandboxWorld } from '../../sandbox/index.js';
import { createBssClient } from './bss-client.js';
import { BSS_PATHS, IDEMPOTENCY_HEADER } from './bss-wire.js';
import { httpConnectors } from './http-connectors.js';
import { createSandboxBssServer } from './sandbox-bss-server.js';

const instant = { latencyMs: { median: 0, sigma: 0 }, transientErrorRate: 0, permanentRejectionRate: 0 };
const BACKENDS = ['identityVerification', 'creditBureau', 'orderManagement', 'provisioning', 'billingAdjustments', 'notifications', 'networkAlarms', 'campaignDelivery'];

function world(): SandboxWorld {
  const cfg = loadWorldDocument({ extends: 'small', population: { customers: 200 }, backends: Object.fromEntries(BACKENDS.map((k) => [k, instant])) });
  const w = createSandboxWorld(cfg, 5, { latencyScale: 0 });
  w.generate(new ArrayOutput(), { days: 5 });
  return w;
}

const servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function listen(app: FastifyInstance): Promise<string> {
  servers.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

describe('HTTP connectors against the sandbox served over TMF APIs', () => {
  it('onboard an applicant across the wire: identity, credit, a TMF622 order, TMF641 activation, a TMF681 message; keys replay', async () => {
    const w = world();
    const url = await listen(createSandboxBssServer({ world: w, token: 'secret', speed: () => 0 }));
    const c = httpConnectors(createBssClient({ baseUrl: url, token: 'secret' }), { pollMs: 10 });
    const a = w.nextApplicant();
    const idv = await c.identityVerification.verify({ idempotencyKey: 'i-1', ...a });
    const credit = await c.creditBureau.check({ idempotencyKey: 'c-1', applicantId: a.applicantId, fullName: a.fullName, birthDate: a.birthDate });
    // The applicant's hidden truth decides; either way the answer crossed the wire as the back end gave it.
    expect(idv).toEqual(await w.backends.identityVerification.verify({ idempotencyKey: 'i-1', ...a }));
    expect(credit).toEqual(await w.backends.creditBureau.check({ idempotencyKey: 'c-1', applicantId: a.applicantId, fullName: a.fullName, birthDate: a.birthDate }));

    const order = await c.orderManagement.create({ idempotencyKey: 'o-1', order: { type: 'new_line', applicantId: a.applicantId, planId: a.preferredPlanId, segment: 'consumer', contractMonths: 12 } });
    expect(order).toMatchObject({ status: 'ok', value: { state: 'acknowledged', request: { type: 'new_line', applicantId: a.applicantId, planId: a.preferredPlanId, segment: 'consumer', contractMonths: 12 } } });
    if (order.status !== 'ok') return;
    expect(await c.orderManagement.create({ idempotencyKey: 'o-1', order: { type: 'new_line', applicantId: a.applicantId, planId: a.preferredPlanId } })).toEqual(order);

    const completed = new Promise<ProvisioningJob>((resolve) => c.provisioning.onCompletion(resolve));
    const job = await c.provisioning.activate({ idempotencyKey: 'p-1', orderId: order.value.orderId });
    expect(job).toMatchObject({ status: 'ok', value: { orderId: order.value.orderId, state: 'pending' } });
    const done = await completed;
    expect(done).toMatchObject({ state: 'completed', orderId: order.value.orderId });
    expect(done.customerId).toMatch(/^C/);
    expect((await c.orderManagement.get(order.value.orderId)).status === 'ok').toBe(true);
    // The new line is a customer of the world: its events are waiting for the intake.
    expect(w.takePendingEvents().filter((e) => e.customerId === done.customerId).map((e) => e.kind)).toEqual(['customer', 'subscription']);

    const sent = await c.notifications.send({ idempotencyKey: 'n-1', customerId: done.customerId!, channel: 'sms', purpose: 'service', body: 'welcome' });
    expect(sent).toMatchObject({ status: 'ok', value: { customerId: done.customerId, channel: 'sms' } });
    c.close();
  });

  it('a refusal is a 4xx answered as rejected with the back end reason; a bad body is a 400 naming the field', async () => {
    const w = world();
    const url = await listen(createSandboxBssServer({ world: w, speed: () => 0 }));
    const c = httpConnectors(createBssClient({ baseUrl: url }));
    expect(await c.creditBureau.check({ idempotencyKey: 'x', applicantId: 'NOBODY', fullName: 'N', birthDate: '1990-01-01' })).toEqual({ status: 'rejected', reason: 'no_credit_file' });
    expect(await c.orderManagement.get('ORD-404')).toEqual({ status: 'rejected', reason: 'unknown_order' });
    expect(await c.orderManagement.create({ idempotencyKey: 'y', order: { type: 'change_plan', customerId: 'C000001', planId: 'no-such-plan' } })).toEqual({ status: 'rejected', reason: 'unknown_plan' });
    const res = await fetch(url + BSS_PATHS.adjustment, { method: 'POST', headers: { 'content-type': 'application/json', [IDEMPOTENCY_HEADER]: 'z' }, body: JSON.stringify({ kind: 'credit', customerId: 'C000001', amount: -5, reason: 'x' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'bad_request', message: expect.stringContaining('amount'), '@type': 'Error' });
    const noKey = await fetch(url + BSS_PATHS.adjustment, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'credit', customerId: 'C000001', amount: 5, reason: 'x' }) });
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ code: 'missing_idempotency_key' });
  });

  it('a credit crosses the wire once per key, for the amount sent', async () => {
    const w = world();
    const url = await listen(createSandboxBssServer({ world: w, speed: () => 0 }));
    const c = httpConnectors(createBssClient({ baseUrl: url }));
    const first = await c.billingAdjustments.credit({ idempotencyKey: 'cr-1', customerId: 'C000001', amount: 7.5, reason: 'goodwill' });
    expect(first).toMatchObject({ status: 'ok', value: { kind: 'credit', value: 7.5, customerId: 'C000001' } });
    expect(await c.billingAdjustments.credit({ idempotencyKey: 'cr-1', customerId: 'C000001', amount: 7.5, reason: 'goodwill' })).toEqual(first);
    const out = new ArrayOutput();
    w.generate(out, { days: 40 });
    const bill = out.events.find((e) => e.kind === 'bill' && e.customerId === 'C000001');
    expect(bill?.kind === 'bill' && bill.data.lines.filter((l) => l.type === 'credit').map((l) => l.amount)).toEqual([-7.5]);
  });

  it('the sandbox token is required when set', async () => {
    const url = await listen(createSandboxBssServer({ world: world(), token: 'secret', speed: () => 0 }));
    const c = httpConnectors(createBssClient({ baseUrl: url, token: 'wrong' }));
    expect(await c.orderManagement.get('ORD-1')).toEqual({ status: 'rejected', reason: 'unauthenticated' });
  });
});

describe('the BSS client', () => {
  it('retries 5xx and timeouts with the same idempotency key, then answers transient; never retries a 4xx', async () => {
    const seen: { path: string; key: unknown }[] = [];
    const app = Fastify();
    let flaky = 0;
    app.post('/flaky', async (req, reply) => {
      seen.push({ path: '/flaky', key: req.headers[IDEMPOTENCY_HEADER] });
      return ++flaky < 3 ? reply.status(503).send({ code: 'unavailable' }) : reply.status(201).send({ ok: 1 });
    });
    app.post('/down', async (req, reply) => {
      seen.push({ path: '/down', key: req.headers[IDEMPOTENCY_HEADER] });
      return reply.status(500).send({ code: 'boom' });
    });
    app.post('/slow', async (req) => {
      seen.push({ path: '/slow', key: req.headers[IDEMPOTENCY_HEADER] });
      await new Promise((r) => setTimeout(r, 1_000));
      return { ok: 1 };
    });
    app.post('/refused', async (req, reply) => {
      seen.push({ path: '/refused', key: req.headers[IDEMPOTENCY_HEADER] });
      return reply.status(422).send({ code: 'customer_not_active' });
    });
    const url = await listen(app);
    const client = createBssClient({ baseUrl: url, attempts: 3, backoffMs: 1, timeoutMs: 100 });
    const { z } = await import('zod');
    const answer = z.object({ ok: z.number() });
    expect(await client.call({ method: 'POST', path: '/flaky', body: {}, idempotencyKey: 'k1', answer })).toEqual({ status: 'ok', value: { ok: 1 } });
    expect(await client.call({ method: 'POST', path: '/down', body: {}, idempotencyKey: 'k2', answer })).toEqual({ status: 'transient', reason: 'boom' });
    expect(await client.call({ method: 'POST', path: '/slow', body: {}, idempotencyKey: 'k3', answer })).toEqual({ status: 'transient', reason: 'timeout' });
    expect(await client.call({ method: 'POST', path: '/refused', body: {}, idempotencyKey: 'k4', answer })).toEqual({ status: 'rejected', reason: 'customer_not_active' });
    const by = (p: string) => seen.filter((s) => s.path === p).map((s) => s.key);
    expect(by('/flaky')).toEqual(['k1', 'k1', 'k1']);
    expect(by('/down')).toEqual(['k2', 'k2', 'k2']);
    expect(by('/slow')).toEqual(['k3', 'k3', 'k3']);
    expect(by('/refused')).toEqual(['k4']);
  });

  it('refuses a URL that is not http(s) when built', () => {
    expect(() => createBssClient({ baseUrl: 'nats://x' })).toThrow(/http\(s\)/);
    expect(() => createBssClient({ baseUrl: 'not a url' })).toThrow(/not a URL/);
  });
});
