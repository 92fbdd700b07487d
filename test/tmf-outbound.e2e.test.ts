import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningJob } from '../src/domain/connectors/provisioning.js';
import { createBssClient } from '../src/interfaces/bss/bss-client.js';
import { BSS_PATHS } from '../src/interfaces/bss/bss-wire.js';
import { httpConnectors } from '../src/interfaces/bss/http-connectors.js';
import { createSandboxBssServer } from '../src/interfaces/bss/sandbox-bss-server.js';
import type { TmfApi } from '../src/interfaces/http/tmf/tmf-spec.js';
import { ArrayOutput, createSandboxWorld, loadWorldDocument } from '../src/sandbox/index.js';
import { officialContract } from './support/tmf-contract.js';

const instant = { latencyMs: { median: 0, sigma: 0 }, transientErrorRate: 0, permanentRejectionRate: 0 };
const BACKENDS = ['identityVerification', 'creditBureau', 'orderManagement', 'provisioning', 'billingAdjustments', 'notifications', 'networkAlarms', 'campaignDelivery'];

/** Which official definition a request body and its answer must conform to, by TMF path. */
const CONTRACTS: { path: string; api: TmfApi; create: string; resource: string }[] = [
  { path: BSS_PATHS.productOrder, api: 'TMF622', create: 'ProductOrder_Create', resource: 'ProductOrder' },
  { path: BSS_PATHS.cancelProductOrder, api: 'TMF622', create: 'CancelProductOrder_Create', resource: 'CancelProductOrder' },
  { path: BSS_PATHS.serviceOrder, api: 'TMF641', create: 'ServiceOrder_Create', resource: 'ServiceOrder' },
  { path: BSS_PATHS.communicationMessage, api: 'TMF681', create: 'CommunicationMessage_Create', resource: 'CommunicationMessage' },
  { path: BSS_PATHS.troubleTicket, api: 'TMF621', create: 'TroubleTicket_Create', resource: 'TroubleTicket' },
  { path: BSS_PATHS.alarm, api: 'TMF642', create: 'Alarm_Create', resource: 'Alarm' },
];

/**
 * What Twinloop's HTTP connectors send a BSS, and what the sandbox's BSS answers, checked with ajv
 * against the official TM Forum specifications (TMF622, TMF641, TMF681, TMF621, TMF642): every
 * request body against the API's `…_Create` definition, every answer against the resource (or
 * `Error`). The two sides share their mappings (bss-wire.ts), so this is where the wire is held
 * to the standard rather than to itself.
 */
describe('the outbound TMF APIs conform to the official specifications', () => {
  const contract = officialContract();
  const seen: { method: string; path: string; status: number; request?: unknown; answer: unknown }[] = [];
  let app: FastifyInstance;
  let c: ReturnType<typeof httpConnectors>;
  let world: ReturnType<typeof createSandboxWorld>;

  beforeAll(async () => {
    world = createSandboxWorld(loadWorldDocument({ extends: 'small', population: { customers: 200 }, backends: Object.fromEntries(BACKENDS.map((k) => [k, instant])) }), 5, { latencyScale: 0 });
    world.generate(new ArrayOutput(), { days: 5 });
    app = createSandboxBssServer({ world, speed: () => 0 });
    app.addHook('onSend', async (req, reply, payload) => {
      seen.push({ method: req.method, path: req.url.split('?')[0], status: reply.statusCode, request: req.body, answer: typeof payload === 'string' ? JSON.parse(payload) : payload });
      return payload;
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    c = httpConnectors(createBssClient({ baseUrl: url }), { pollMs: 10 });
  });
  afterAll(async () => {
    c?.close();
    await app?.close();
  });

  it('every request and answer of onboarding, a plan change, a cancellation, messages, tickets and the alarm feed', async () => {
    const a = world.nextApplicant();
    const order = await c.orderManagement.create({ idempotencyKey: 'o-1', order: { type: 'new_line', applicantId: a.applicantId, planId: a.preferredPlanId, segment: 'consumer', contractMonths: 12, paymentMethod: 'card' } });
    expect(order.status).toBe('ok');
    if (order.status !== 'ok') return;
    const completed = new Promise<ProvisioningJob>((resolve) => c.provisioning.onCompletion(resolve));
    expect((await c.provisioning.activate({ idempotencyKey: 'p-1', orderId: order.value.orderId })).status).toBe('ok');
    const job = await completed;
    expect(job.state).toBe('completed');
    expect((await c.orderManagement.get(order.value.orderId)).status).toBe('ok');
    expect((await c.provisioning.status(job.provisioningId)).status).toBe('ok');
    const change = await c.orderManagement.create({ idempotencyKey: 'o-2', order: { type: 'change_plan', customerId: 'C000001', planId: world.config.plans[0].id } });
    if (change.status === 'ok') await c.orderManagement.cancel({ idempotencyKey: 'x-1', orderId: change.value.orderId });
    expect((await c.notifications.send({ idempotencyKey: 'n-1', customerId: 'C000002', channel: 'email', purpose: 'care', templateId: 'care-follow-up', body: 'How did we do?' })).status).toBe('ok');
    const ticket = await c.troubleTickets.open({ idempotencyKey: 't-1', customerId: 'C000003', ticketType: 'request', severity: 'medium', description: 'Complaint still open after 72 h', relatedEntity: [{ id: 'care-1', role: 'raisedBy', referredType: 'ActionRequest' }] });
    expect(ticket).toMatchObject({ status: 'ok', value: { ticketId: expect.stringMatching(/^TT-/), customerId: 'C000003', status: 'acknowledged' } });
    const incident = await c.troubleTickets.open({ idempotencyKey: 't-2', ticketType: 'incident', severity: 'critical', description: 'Site 4 down', relatedEntity: [{ id: 'alarm-1', role: 'alarm', referredType: 'Alarm' }] });
    expect(incident).toMatchObject({ status: 'ok', value: { status: 'acknowledged' } });
    expect(await c.troubleTickets.open({ idempotencyKey: 't-2', ticketType: 'incident', severity: 'critical', description: 'Site 4 down' })).toEqual(incident);
    expect((await c.networkAlarms.list({ idempotencyKey: 'r' })).status).toBe('ok');
    // A refusal's body is the API's Error.
    expect((await c.orderManagement.get('ORD-404')).status).toBe('rejected');

    const problems: string[] = [];
    for (const s of seen) {
      const k = CONTRACTS.find((x) => s.path === x.path || s.path.startsWith(`${x.path}/`));
      if (!k) continue;
      const what = `${s.method} ${s.path} → ${s.status}`;
      if (s.method === 'POST') problems.push(...contract.check(k.api, k.create, s.request, `${what} request`));
      if (s.status >= 400) problems.push(...contract.check(k.api, 'Error', s.answer, what));
      else if (Array.isArray(s.answer)) problems.push(...s.answer.flatMap((item, i) => contract.check(k.api, k.resource, item, `${what}[${i}]`)));
      else problems.push(...contract.check(k.api, k.resource, s.answer, what));
    }
    const checked = new Set(seen.filter((s) => CONTRACTS.some((x) => s.path === x.path || s.path.startsWith(`${x.path}/`))).map((s) => `${s.method} ${CONTRACTS.find((x) => s.path.startsWith(x.path))!.api}`));
    expect([...checked].sort()).toEqual(['GET TMF622', 'GET TMF641', 'GET TMF642', 'POST TMF621', 'POST TMF622', 'POST TMF641', 'POST TMF681']);
    expect(problems).toEqual([]);
  });
});
