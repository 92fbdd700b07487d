import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { summarizeVersion, type RegisteredModel } from '../../intelligence/live/churn-model-service.js';
import { trainOverWorkers } from './gateway-training.js';
import { trainRequest, versionSummary } from './model-routes.js';
import { forwardedHeaders } from './gateway-fanout.js';
import { askWorkers, everyPartitionOnce, WORKER_TIMEOUT_MS } from '../runtime/worker-fanout.js';
import { decodePartitionCursor, encodePartitionCursor, mergePartitionPages } from '../../twin/partition-order.js';
import { decodeRankCursor, encodeRankCursor, mergeRankedPages, sortOf } from '../../twin/ranked-order.js';
import { refuseOffset, twinCursorQuery } from './twin-routes.js';
import { twinCursorPage } from './twin-schemas.js';
import { PARTITION_COUNT } from '../../domain/partitions.js';
import { CUSTOMER_ROUTES, type CustomerRoute } from '../auth/access-table.js';
import type { Gateway } from '../runtime/gateway.js';
import type { PartitionOwner } from '../../store/partition-leases.js';
import { RAW_TYPES, recordsFromBytes } from './event-routes.js';
import { mergePopulationRisks } from '../../intelligence/live/population-risk.js';
import { populationAnswer, WORKER_NOTE } from './population-routes.js';
import type { HardeningOptions } from './http-hardening.js';
import { createHttpApp } from './server.js';
import { intentsNeedThePopulation } from '../../agents/intents/intents-refused.js';
import { TMF921_BASE } from './tmf/tmf921-mapping.js';

const publishedAnswer = z.object({
  published: z.number().int().describe('Records the broker now holds, each on its customer\'s partition; each worker answers them in its intake (bad ones parked as its dead letters)'),
  partitions: z.number().int().describe('Partitions the records went to'),
  rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })).describe('Records refused here, before publishing (bytes that are not UTF-8)'),
});

const ownersAnswer = z.object({
  owners: z.array(z.object({ partition: z.number().int(), workerId: z.string(), url: z.string(), since: z.number() })),
  unowned: z.array(z.number().int()),
});

export interface GatewayServerOptions {
  readonly version: string;
  readonly logger?: boolean;
  readonly hardening?: HardeningOptions;
}

/**
 * The gateway's HTTP API (`--role gateway`, decision 0012; not yet listening): `POST /events`
 * publishes each record on its customer's partition; every route about one customer (the
 * access table's CUSTOMER_ROUTES naming it in the path or the body) is passed to the worker that
 * owns the customer's partition now, with the caller's credential (the worker authenticates
 * again against the same keys); while the partition has no owner, or its owner is moving it or
 * cannot be reached, the answer is 503 with Retry-After, never another worker's stale twin.
 * `GET /population` is added up over the workers, `GET /twins` merged from their pages (by
 * cursor) and `POST /models/train` trains on the rows each builds for its customers; workflows
 * (churn prevention, campaigns), the campaigns' reports and the approval queue go to any worker,
 * which reaches the others itself, and an approval's decision to its customer's owner; other routes spanning the population are not served here yet (docs/scale.md).
 */
export function createGatewayServer(gateway: Gateway, options: GatewayServerOptions): FastifyInstance {
  return createHttpApp({ auth: gateway.auth, version: options.version, logger: options.logger, hardening: options.hardening }, [
    (app) => {
      app.get('/health', { schema: { response: { 200: z.object({ status: z.literal('ok'), role: z.literal('gateway') }) } } }, async () => ({ status: 'ok' as const, role: 'gateway' as const }));
      app.get('/partitions/owners', { schema: { response: { 200: ownersAnswer } } }, async () => {
        const owners = await gateway.owners();
        const owned = new Set(owners.map((o) => o.partition));
        return { owners, unowned: Array.from({ length: PARTITION_COUNT }, (_, p) => p).filter((p) => !owned.has(p)) };
      });
      void app.register(async (scope) => {
        scope.removeContentTypeParser(['application/json', 'text/plain']);
        scope.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
        scope.post('/events', { schema: { response: { 202: publishedAnswer } } }, async (req, reply) => {
          const records = recordsFromBytes(req.body as Buffer, req.headers['content-type']);
          const rejected: { index: number; reason: string }[] = [];
          const texts: string[] = [];
          records.forEach((r, index) => {
            if ('text' in r && r.refused) rejected.push({ index, reason: r.refused });
            else texts.push('text' in r ? r.text : (JSON.stringify(r.value) ?? 'null'));
          });
          const counts = await gateway.publisher.publish(texts);
          return reply.status(202).send({ published: texts.length, partitions: counts.size, rejected });
        });
      });
      let training: { asked: string; model: Promise<RegisteredModel> } | null = null;
      app.post('/models/train', { schema: { summary: 'Train a churn model over the workers (each builds its sampled customers\' rows from the shared log, the gateway fits once) and register it: champion when there is none, else challenger; workers serve the champion', body: trainRequest, response: { 201: versionSummary } } }, async (req, reply) => {
        // One training at a time: the same request again waits for the running one's result rather than
        // doubling the work; another (other horizon or cutoffs) is refused, never answered with a model it did not ask for.
        const asked = JSON.stringify(req.body ?? {});
        if (training && training.asked !== asked) throw new TwinloopError('CONFLICT', `a training with other settings is running (${training.asked}); ask again when it ends`);
        if (!training) {
          const model = trainOverWorkers(gateway, forwardedHeaders(req), req.body ?? {}).finally(() => (training = null));
          training = { asked, model };
        }
        return reply.status(201).send({ ...summarizeVersion((await training.model).info), promotion: null });
      });
      app.get('/twins', { schema: { summary: 'List twins over the workers, merged in the partition order (or ranked by `sort=-churn`) and paged by cursor, filtered on features and live scores (`field.op=value`, docs/filters.md)', querystring: twinCursorQuery, response: { 200: twinCursorPage } } }, async (req) => twinsOverWorkers(gateway, req, req.query));
      app.get('/population', { schema: { summary: 'The population at a glance, added up over the workers (each partition counted once)', response: { 200: populationAnswer } } }, async (req) => populationOverWorkers(gateway, forwardedHeaders(req)));
      for (const [key, how] of Object.entries(CUSTOMER_ROUTES) as [string, CustomerRoute][]) {
        if (typeof how === 'string' || 'query' in how) continue;
        const [method, url] = key.split(' ');
        app.route({ method: method as 'GET' | 'POST', url, handler: (req, reply) => forward(gateway, how, req, reply) });
      }
      for (const key of APPROVAL_DECISIONS) {
        const [method, url] = key.split(' ');
        app.route({ method: method as 'POST', url, handler: (req, reply) => forwardApprovalDecision(gateway, req, reply) });
      }
      // Intents are planned over the whole population, not fanned out over the workers yet: said so, rather than 404.
      for (const key of INTENT_PLANNING_ROUTES) {
        const [method, url] = key.split(' ');
        app.route({ method: method as 'POST' | 'PATCH', url, handler: async () => { throw intentsNeedThePopulation(); } });
      }
      for (const key of ANY_WORKER_ROUTES) {
        const [method, url] = key.split(' ');
        app.route({ method: method as 'GET' | 'POST' | 'PUT', url, handler: (req, reply) => forwardToAnyWorker(gateway, req, reply) });
      }
    },
  ]);
}

/**
 * Routes answered by any worker, passed to one: the durable workflows, whose runs are in the shared
 * journal and run on whichever worker claims them (a churn-prevention run and a managed campaign
 * reach every worker's customers themselves, docs/scale.md), the campaigns' reports (their state
 * is in the shared store; the churn they read is asked of each customer's owner) and people's
 * holds on them, and the action policy they act under, kept in the shared store.
 */
const ANY_WORKER_ROUTES = [
  'POST /workflows/:definition/start',
  'GET /workflows',
  'GET /workflows/:id',
  'GET /workflows/:id/steps',
  'GET /churn-prevention/runs',
  'GET /churn-prevention/runs/:id',
  'GET /churn-prevention/policy',
  'GET /campaigns',
  'GET /campaigns/:id',
  'POST /campaigns/:id/pause',
  'POST /campaigns/:id/resume',
  'POST /campaigns/:id/stop',
  'GET /approvals',
  'GET /approvals/:id',
  'GET /policy',
  'PUT /policy',
] as const;

/**
 * Approvals decided through the gateway: the queue is in the shared store (any worker lists it),
 * but a decision carries the action out, so it goes to the owner of the approval's customer, whose
 * guarded executor judges it where the twin is (contact rules, price), as a request about one
 * customer does; an approval that names no customer goes to the worker that read it (its
 * decision is carried out where the queue entry was found).
 */
const APPROVAL_DECISIONS = ['POST /approvals/:id/approve', 'POST /approvals/:id/reject'] as const;

/** Routes that state or plan an intent: refused over the workers with why (a worker refuses them too, `intentsOnAShare`). */
// TMF921's PATCH accepts an intent (lifecycleStatus "accepted"), which plans it: refused like POST /intents/:id/accept.
const INTENT_PLANNING_ROUTES = ['POST /intents', 'POST /intents/:id/accept', 'POST /intents/:id/check', `POST ${TMF921_BASE}/intent`, `PATCH ${TMF921_BASE}/intent/:id`] as const;

/** Passes a request about one customer to its partition's owner and its answer back. */
async function forward(gateway: Gateway, how: { params: string } | { body: string }, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const id = 'params' in how ? (req.params as Record<string, unknown>)[how.params] : (req.body as Record<string, unknown> | undefined)?.[how.body];
  if (typeof id !== 'string' || id === '') throw new TwinloopError('BAD_INPUT', `${'params' in how ? 'path' : 'body'}: ${'params' in how ? how.params : how.body} must name a customer`);
  return passTo(gateway, await gateway.ownerFor(id), `customer ${id}'s partition`, req, reply);
}

/** Passes a request any worker answers to one of them (the first in the routing table). */
async function forwardToAnyWorker(gateway: Gateway, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  return passTo(gateway, await anyWorker(gateway), 'partitions', req, reply);
}

/** The worker that answers routes any worker may answer: the owner of the lowest partition; 503 with Retry-After while none owns one. */
async function anyWorker(gateway: Gateway): Promise<PartitionOwner> {
  const owner = [...(await gateway.owners())].sort((a, b) => a.partition - b.partition)[0];
  if (!owner) throw new TwinloopError('UNAVAILABLE', 'no worker owns a partition now (they are starting, or all died); retry', { context: { retryAfterSeconds: 1 } });
  return owner;
}

/**
 * Passes an approval's decision to its customer's owner (read from any worker with the caller's
 * credential, so a key that may not see it gets that answer); one that names no customer to the
 * worker that read it (the routing table is read once for both).
 */
async function forwardApprovalDecision(gateway: Gateway, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const id = (req.params as { id: string }).id;
  const reader = await anyWorker(gateway);
  const [item] = await askWorkers<{ request?: { customerId?: unknown } }>(gateway, { method: 'GET', pathAndQuery: `/approvals/${encodeURIComponent(id)}`, headers: forwardedHeaders(req) }, [reader.url]);
  const customerId = item?.request?.customerId;
  if (typeof customerId === 'string' && customerId !== '') return passTo(gateway, await gateway.ownerFor(customerId), `customer ${customerId}'s partition`, req, reply);
  return passTo(gateway, reader, 'partitions', req, reply);
}

/** Passes the request to `owner` and its answer back; 503 with Retry-After when it does not answer. */
async function passTo(gateway: Gateway, owner: PartitionOwner, what: string, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const headers = forwardedHeaders(req);
  let answer: Response;
  try {
    answer = await fetch(new URL(req.url, owner.url), {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' || req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(WORKER_TIMEOUT_MS),
    });
  } catch (err) {
    gateway.forgetOwners();
    throw new TwinloopError('UNAVAILABLE', `the worker owning ${what} (${owner.workerId} at ${owner.url}) did not answer (${(err as Error).message}); its partitions move to another worker; retry`, { context: { retryAfterSeconds: 1 } });
  }
  // A worker that no longer answers for the partition said so: read the owners again next time.
  if (answer.status === 503) gateway.forgetOwners();
  for (const h of ['content-type', 'retry-after']) {
    const v = answer.headers.get(h);
    if (v) void reply.header(h, v);
  }
  void reply.header('x-twinloop-worker', owner.workerId);
  return reply.status(answer.status).send(await answer.text());
}

type Population = z.infer<typeof populationAnswer>;

/**
 * `GET /population` over the workers: each owner in the routing table answers for its live
 * partitions, naming them, with their twins' churn risk from the model it serves, and the gateway
 * adds them up. Unless the answers name every partition exactly once (one is moving, or the table
 * is a second old) and, when any is scored, all are scored by one model, it answers 503 with
 * Retry-After rather than a population missing a partition, holding one twice or mixing models.
 */
async function populationOverWorkers(gateway: Gateway, headers: Record<string, string>): Promise<Population> {
  const answers = await askWorkers<Population>(gateway, { method: 'GET', pathAndQuery: '/population', headers });
  const once = everyPartitionOnce(answers.map((a) => a.partitions ?? []));
  const asOf = answers.map((a) => a.asOf).filter((t): t is string => t !== null).sort().pop() ?? null;
  const base = { asOf, twins: answers.reduce((n, a) => n + a.twins, 0), partitions: [...once].sort((a, b) => a - b) };
  // The risk only when every worker scored its part with one model: a part missing would understate it.
  const risks = answers.map((a) => a.risk).filter((r) => r !== null);
  if (risks.length === 0) return { ...base, risk: null, note: answers.find((a) => a.note)?.note ?? WORKER_NOTE };
  const merged = risks.length === answers.length ? mergePopulationRisks(risks) : { conflict: `${answers.length - risks.length} of ${answers.length} workers serve no churn model yet` };
  if ('conflict' in merged) throw new TwinloopError('UNAVAILABLE', `the workers' churn risks cannot be added up now: ${merged.conflict} (a model promoted reaches every worker within a minute); retry`, { context: { retryAfterSeconds: 5 } });
  // The level read over every worker, when read off the scores of the model the parts are scored by
  // and served by every worker (each counts its customers at it); else not known yet (a worker
  // serving its own level until the gateway's comes counts at another level).
  const level = gateway.atRiskLevel();
  const servedEverywhere = level && level.modelId === merged.modelId && risks.every((r) => r.atRisk?.over === 'population' && r.atRisk.churn === level.churn);
  const atRisk = servedEverywhere ? { churn: level.churn, share: level.share, of: level.of, over: 'population' as const, customers: risks.reduce((n, r) => n + (r.atRisk?.customers ?? 0), 0) } : null;
  return { ...base, risk: { ...merged, atRisk } };
}

type CursorPage = z.infer<typeof twinCursorPage>;

/**
 * `GET /twins` over the workers: each lists its live partitions' twins after the cursor in the
 * partition order (the same filters, which each worker checks in the one filter vocabulary),
 * and the first `limit` of their pages merged are the page; its last twin is the next cursor.
 * The order is the customers', not the workers', so a partition that moves between two pages is
 * resumed at the same place by its new owner: no twin is skipped or repeated. Unless the
 * answers name every partition once, 503 with Retry-After.
 */
async function twinsOverWorkers(gateway: Gateway, req: FastifyRequest, query: z.infer<typeof twinCursorQuery>): Promise<CursorPage> {
  refuseOffset(query);
  const sort = query.sort === undefined ? undefined : sortOf(query.sort);
  // A cursor this gateway did not make is refused here, before asking anyone.
  if (query.cursor !== undefined) void (sort ? decodeRankCursor(query.cursor, sort) : decodePartitionCursor(query.cursor));
  const answers = await askWorkers<CursorPage>(gateway, { method: 'GET', pathAndQuery: req.url, headers: forwardedHeaders(req) });
  const partitions = everyPartitionOnce(answers.map((a) => a.partitions));
  const pages = answers.map((a) => ({ items: a.items, more: a.next !== null }));
  const twinCount = answers.reduce((n, a) => n + a.twinCount, 0);
  // Ranked: each worker's page after the same place in the ranked order, merged in it (the workers check the field).
  if (sort) {
    const merged = mergeRankedPages(pages, sort, query.limit);
    return { items: merged.items, next: merged.next && encodeRankCursor(sort, merged.next), twinCount, partitions };
  }
  const merged = mergePartitionPages(pages, query.limit);
  return { items: merged.items, next: merged.next && encodePartitionCursor(merged.next), twinCount, partitions };
}
