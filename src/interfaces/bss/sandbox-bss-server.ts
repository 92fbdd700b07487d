import { TwinloopError } from '../../domain/errors.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { ConnectorResult } from '../../domain/connectors/connector-result.js';
import type { SandboxWorld } from '../../sandbox/index.js';
import {
  BSS_PATHS,
  IDEMPOTENCY_HEADER,
  adjustmentBody,
  cancelProductOrderBody,
  communicationMessageBody,
  creditCheckBody,
  deliveryBody,
  identityClaimBody,
  notificationRequestOf,
  orderRequestOf,
  productOrderBody,
  serviceOrderBody,
  tmfAlarm,
  tmfAlarmNumber,
  tmfCommunicationMessage,
  tmfProductOrder,
  tmfServiceOrder,
  tmfTroubleTicket,
  troubleTicketBody,
  troubleTicketRequestOf,
} from './bss-wire.js';

/** What `twinloop sandbox serve` answers with. */
export interface SandboxBssServerOptions {
  world: SandboxWorld;
  /** When given, every call but `/health` must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Simulated time per real time now (0 while the history is backfilled), for `GET /sandbox/clock`. */
  speed: () => number;
  /** What it runs at once live. */
  liveSpeed?: number;
  logger?: boolean;
}

/** The HTTP status of a back end's refusal: what is unknown is 404, an order past the point of the call 409, any other 422. */
const refusalStatus = (reason: string): number => (reason.startsWith('unknown_') ? 404 : reason.startsWith('order_') ? 409 : 422);
const REASON_PHRASE: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** The TMF Error body (TMF630): `code` is the back end's reason, what a connector reports. */
function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.status(status).send({ code, reason: REASON_PHRASE[status] ?? 'Error', message, status: String(status), '@type': 'Error' });
}

/**
 * Answers a back end's result: ok → `status` with the resource (and `Location` on 201); transient →
 * 503 with `Retry-After` (504 for a timeout), which a connector retries; rejected → 4xx, which it does not.
 */
function answer<T>(reply: FastifyReply, r: ConnectorResult<T>, status: 200 | 201, resource: (value: T) => Record<string, unknown>): FastifyReply {
  if (r.status === 'transient') {
    const s = r.reason === 'timeout' ? 504 : 503;
    reply.header('retry-after', String(Math.max(1, Math.ceil((r.retryAfterMs ?? 1000) / 1000))));
    return sendError(reply, s, r.reason, `the back end did not answer (${r.reason}); retry with the same ${IDEMPOTENCY_HEADER}`);
  }
  if (r.status === 'rejected') return sendError(reply, refusalStatus(r.reason), r.reason, `the back end refused the call: ${r.reason}`);
  const body = resource(r.value);
  if (status === 201 && typeof body.href === 'string') reply.header('location', body.href);
  return reply.status(status).send(body);
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The sandbox operator's BSS back ends as HTTP APIs (TMF622, TMF641, TMF681, TMF621, TMF642 and the small
 * APIs of `bss-wire.ts`), for Twinloop's HTTP connectors in another process. It stands in front of
 * the same back ends the in-process sandbox uses (`world.backends`): their latency, failures and
 * idempotency are the sandbox's; this layer only carries the idempotency key and maps the answers.
 */
export function createSandboxBssServer(o: SandboxBssServerOptions): FastifyInstance {
  const app = Fastify({ logger: o.logger ?? false });
  const b = o.world.backends;
  const href = (req: FastifyRequest, path: string, id: string) => `${req.protocol}://${req.host}${path}/${encodeURIComponent(id)}`;

  app.addHook('onRequest', async (req, reply) => {
    if (!o.token || req.url === '/health') return;
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !sameSecret(given, o.token)) return sendError(reply, 401, 'unauthenticated', 'send the sandbox token as `Authorization: Bearer <token>` (twinloop sandbox serve --token)');
  });
  app.setErrorHandler((err, _req, reply) => sendError(reply, (err as { statusCode?: number }).statusCode === 400 ? 400 : 500, 'bad_request', (err as Error).message));
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url}`));

  /** Parses the body with its schema and reads the idempotency key; answers 400 naming what is wrong, else runs `f`. */
  const mutation =
    <S extends z.ZodType>(schema: S, f: (body: z.infer<S>, key: string, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const key = req.headers[IDEMPOTENCY_HEADER];
      if (typeof key !== 'string' || key === '') return sendError(reply, 400, 'missing_idempotency_key', `send an ${IDEMPOTENCY_HEADER} header: a repeated key has no further effect`);
      const parsed = schema.safeParse(req.body);
      if (!parsed.success) return sendError(reply, 400, 'bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
      return f(parsed.data, key, req, reply);
    };

  app.get('/health', async () => ({ status: 'ok', world: o.world.config.name, now: new Date(o.world.clock.now()).toISOString() }));
  app.get(BSS_PATHS.plans, async () => o.world.config.plans.map((p) => ({ id: p.id, name: p.name, monthlyPrice: p.monthlyPrice, dataAllowanceMb: p.dataAllowanceMb, voiceAllowanceMin: p.voiceAllowanceMin })));
  app.get(BSS_PATHS.addons, async () => o.world.config.addons.map((a) => ({ id: a.id, name: a.name, monthlyPrice: a.monthlyPrice })));
  app.get(BSS_PATHS.clock, async () => ({ now: new Date(o.world.clock.now()).toISOString(), speed: o.speed(), ...(o.liveSpeed ? { liveSpeed: o.liveSpeed } : {}) }));
  app.get(BSS_PATHS.stats, async () => b.stats());
  app.post(BSS_PATHS.applicants, async (_req, reply) => {
    const applicant = o.world.nextApplicant();
    // The draw is kept before the applicant leaves the process: a restart never draws them again.
    await o.world.journalFlushed();
    return reply.status(201).send(applicant);
  });

  // TMF622 Product Ordering
  app.post(
    BSS_PATHS.productOrder,
    mutation(productOrderBody, async (body, idempotencyKey, req, reply) => {
      const order = orderRequestOf(body);
      if (typeof order === 'string') throw new TwinloopError('BAD_INPUT', order);
      return answer(reply, await b.orderManagement.create({ idempotencyKey, order }), 201, (o) => tmfProductOrder(o, href(req, BSS_PATHS.productOrder, o.orderId)));
    }),
  );
  app.get<{ Params: { id: string } }>(`${BSS_PATHS.productOrder}/:id`, async (req, reply) => answer(reply, await b.orderManagement.get(req.params.id), 200, (order) => tmfProductOrder(order, href(req, BSS_PATHS.productOrder, order.orderId))));
  app.post(
    BSS_PATHS.cancelProductOrder,
    mutation(cancelProductOrderBody, async (body, idempotencyKey, req, reply) =>
      answer(reply, await b.orderManagement.cancel({ idempotencyKey, orderId: body.productOrder.id }), 201, (order) => ({
        id: `cancel-${order.orderId}`,
        href: href(req, BSS_PATHS.cancelProductOrder, `cancel-${order.orderId}`),
        state: 'done',
        productOrder: tmfProductOrder(order, href(req, BSS_PATHS.productOrder, order.orderId)),
        '@type': 'CancelProductOrder',
      })),
    ),
  );

  // TMF641 Service Ordering (service activation)
  app.post(
    BSS_PATHS.serviceOrder,
    mutation(serviceOrderBody, async (body, idempotencyKey, req, reply) => answer(reply, await b.provisioning.activate({ idempotencyKey, orderId: body.externalId }), 201, (job) => tmfServiceOrder(job, href(req, BSS_PATHS.serviceOrder, job.provisioningId)))),
  );
  app.get<{ Params: { id: string } }>(`${BSS_PATHS.serviceOrder}/:id`, async (req, reply) => answer(reply, await b.provisioning.status(req.params.id), 200, (job) => tmfServiceOrder(job, href(req, BSS_PATHS.serviceOrder, job.provisioningId))));

  // TMF681 Communication
  app.post(
    BSS_PATHS.communicationMessage,
    mutation(communicationMessageBody, async (body, idempotencyKey, req, reply) => {
      const request = notificationRequestOf(body);
      if (!request) return sendError(reply, 400, 'bad_request', 'characteristic purpose: one of service, care, marketing, retention');
      return answer(reply, await b.notifications.send({ idempotencyKey, ...request }), 201, (receipt) => tmfCommunicationMessage(receipt, body, href(req, BSS_PATHS.communicationMessage, receipt.notificationId)));
    }),
  );

  // TMF621 Trouble Ticket (the ticketing system)
  app.post(
    BSS_PATHS.troubleTicket,
    mutation(troubleTicketBody, async (body, idempotencyKey, req, reply) =>
      answer(reply, await b.troubleTickets.open({ idempotencyKey, ...troubleTicketRequestOf(body) }), 201, (t) => tmfTroubleTicket({ ...t, request: troubleTicketRequestOf(body) }, href(req, BSS_PATHS.troubleTicket, t.ticketId))),
    ),
  );
  app.get<{ Params: { id: string } }>(`${BSS_PATHS.troubleTicket}/:id`, async (req, reply) => {
    const t = b.troubleTickets.get(req.params.id);
    return t ? reply.send(tmfTroubleTicket(t, href(req, BSS_PATHS.troubleTicket, t.ticketId))) : sendError(reply, 404, 'unknown_ticket', `no trouble ticket ${req.params.id}`);
  });

  // TMF642 Alarm (the network's feed, read)
  app.get<{ Querystring: Record<string, string | undefined> }>(BSS_PATHS.alarm, async (req, reply) => {
    const state = req.query.state;
    if (state !== undefined && state !== 'raised' && state !== 'updated' && state !== 'cleared') return sendError(reply, 400, 'bad_request', 'state: one of raised, updated, cleared');
    const since = req.query['alarmChangedTime.gte'];
    if (since !== undefined && Number.isNaN(Date.parse(since))) return sendError(reply, 400, 'bad_request', 'alarmChangedTime.gte: an ISO 8601 time');
    return answer(reply, await b.networkAlarms.list({ idempotencyKey: 'read', since, state }), 200, (alarms) => alarms.map((a) => tmfAlarm(a, href(req, BSS_PATHS.alarm, String(tmfAlarmNumber(a.id))))) as unknown as Record<string, unknown>);
  });

  // Our own small APIs
  app.post(BSS_PATHS.identityVerification, mutation(identityClaimBody, async (claim, idempotencyKey, _req, reply) => answer(reply, await b.identityVerification.verify({ idempotencyKey, ...claim }), 201, (v) => ({ ...v }))));
  app.post(BSS_PATHS.creditCheck, mutation(creditCheckBody, async (who, idempotencyKey, _req, reply) => answer(reply, await b.creditBureau.check({ idempotencyKey, ...who }), 201, (r) => ({ ...r }))));
  app.post(
    BSS_PATHS.adjustment,
    mutation(adjustmentBody, async (a, idempotencyKey, _req, reply) =>
      answer(reply, a.kind === 'credit' ? await b.billingAdjustments.credit({ idempotencyKey, customerId: a.customerId, amount: a.amount, reason: a.reason }) : await b.billingAdjustments.discount({ idempotencyKey, customerId: a.customerId, percent: a.percent, months: a.months, reason: a.reason }), 201, (r) => ({ ...r })),
    ),
  );
  app.post(BSS_PATHS.delivery, mutation(deliveryBody, async (d, idempotencyKey, _req, reply) => answer(reply, await b.campaignDelivery.deliver({ idempotencyKey, ...d }), 201, (r) => ({ ...r }))));

  return app;
}
