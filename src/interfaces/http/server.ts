import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifySchemaCompiler, type FastifySerializerCompiler } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { valueNestsDeeperThan } from '../../domain/event-validation.js';
import { describeJsonError } from '../../domain/json-syntax.js';
import type { TwinDecorator } from '../../intelligence/live/live-intelligence.js';
import type { ExtraFields } from '../../twin/twin-query.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { ExtraAccess } from '../auth/access-table.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authRoutes } from './auth-routes.js';
import { errorBody, logServerError, sendError, writeServerError, type ServerErrorReporter } from './error-mapping.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_BUFFERED_BODY_BYTES, JSON_BODY_LIMIT } from './body-admission.js';
import { eventRoutes } from './event-routes.js';
import { monitorEventLoop, type EventLoopMonitor } from './event-loop-delay.js';
import { CORS_PREFLIGHT_ACCESS, installHardening, refusePrototypeKeys, type HardeningOptions } from './http-hardening.js';
import type { CustomerReach } from '../auth/customer-reach.js';
import { installAuth } from './http-auth.js';
import { JSON_PATCH, MERGE_PATCH } from './tmf/tmf-common.js';
import { guardPartitions } from './partition-routes.js';
import type { RouteModule } from './route-module.js';
import { twinRoutes, type PartitionedTwins } from './twin-routes.js';
import type { EventClockSource } from '../runtime/operator.js';

/** What any HTTP app of Twinloop is built with. */
export interface HttpAppOptions {
  version: string;
  /** pino logging of requests; off in tests. */
  logger?: boolean;
  /** Largest request body (default `DEFAULT_BODY_LIMIT`, 64 MB: ~200k events). */
  bodyLimit?: number;
  /**
   * Told of every answer 500 (a bug, never bad input or overload) with what was thrown; by default
   * it goes to the request log when logging is on, else as one JSON line to stderr.
   */
  onServerError?: ServerErrorReporter;
  /** Who is asking: every route but the public ones of the access table needs a credential it accepts. */
  auth: Authenticator;
  /** Access entries of routes this app adds beyond the operator's (a test's routes, a benchmark's baseline). */
  extraAccess?: ExtraAccess;
  /** CORS origins and the rate limit of acting routes (`http-hardening.ts`; defaults: no CORS, 600 a minute per caller). */
  hardening?: HardeningOptions;
  /** Which customers a segment-scoped key reaches (absent: such a key reaches none). */
  customerReach?: CustomerReach;
  /** A partition worker: whether it answers for a customer now (`guardPartitions`); absent: every customer is here. */
  answersFor?: (customerId: string) => boolean;
}

/** What the HTTP API over the twins is built on. */
export interface HttpServerOptions extends HttpAppOptions {
  twins: TwinService;
  /** Adds fields to every twin answer (e.g. live scores with reasons); called for current reads only. */
  decorateTwin?: TwinDecorator;
  /** Adds the response profile to a twin read as of a past time (the intelligence layer's `profileTwin`). */
  profileTwin?: TwinDecorator;
  /** Live scores `/twins` may filter on (the intelligence layer's `scoreFields`); default none. */
  scoreFields?: ExtraFields;
  /** A partition worker's twins: `GET /twins` lists its live partitions' in the partition order, by cursor (absent: every twin, by offset). */
  partitionedTwins?: PartitionedTwins;
  /** Where the event clock comes from (`GET /health`'s `clockSource`); default: the events sent in. */
  clockSource?: () => EventClockSource;
  /** The world's time (ms) acts are dated by, while a sandbox or a BSS runs (`GET /health`'s `worldClock`); default: none, the event clock is the time. */
  worldTime?: () => number | null;
  /** Share of the first start's history written to the log while it is written behind (`GET /health`'s `historyWritten`); default: none is. */
  historyWritten?: () => number | null;
  /** Why the first start's history cannot be written to the log in this run (`GET /health`'s `historyProblem`); default: none. */
  historyProblem?: () => string | null;
  /** Share of a restarted sandbox world rebuilt from its seed while it is (`GET /health`'s `worldRebuilt`); default: none is. */
  worldRebuilt?: () => number | null;
  /** Why the sandbox's back ends take no act now (`GET /health`'s `actsHeld`); default: they do. */
  actsHeld?: () => string | null;
  /** Bytes of event bodies received and worked on at once, past which `POST /events` answers 503 before reading (`admitBodies`; default two bodies of the limit). */
  maxBufferedBodyBytes?: number;
}

const DESCRIPTION =
  'Living customer twins for telecom operators: event intake, twins and their history, next-best-action, actions under policy, simulations, intents, workflows and MCP. Every error answers `{"error": {"code", "message"}}` with the message naming the field.';

/**
 * Answers are written as they are (the route's schema documents them; `test/http-contract.e2e.test.ts`
 * checks live answers against the document): a check on every answer would cost the hot routes
 * (`POST /decisions`, `GET /twins/:id`) time and add nothing the contract test does not catch.
 */
const serializeAsIs: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/** Checks a request part against its zod schema; a request without a body (Fastify passes `null`) is checked as `undefined`, which an optional body accepts. */
const validateAgainstSchema: FastifySchemaCompiler<z.ZodType> = (route) => {
  const check = validatorCompiler(route);
  return route.httpPart === 'body' ? (data) => check(data === null ? undefined : data) : check;
};

/**
 * How deep a JSON body may nest. The deepest request the API takes (an action policy document, a
 * TMF resource) nests about ten levels; a much deeper one only attacks the code that walks it
 * (validators, copies, merges recurse and overflow the stack: a 500), so it is refused unread.
 */
const MAX_BODY_DEPTH = 32;

/** Parses a JSON body; an empty one is no body (`undefined`), a malformed, too deep one or one with a prototype key a BAD_INPUT. */
function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `body: malformed JSON ${describeJsonError(body, err)}`, { cause: err });
  }
  if (valueNestsDeeperThan(parsed, MAX_BODY_DEPTH)) throw new TwinloopError('BAD_INPUT', `body: nested more than ${MAX_BODY_DEPTH} levels deep; no request of this API nests that deep`);
  refusePrototypeKeys(body, parsed);
  return parsed;
}

const isZod = (schema: unknown): schema is z.ZodType => schema instanceof z.ZodType;

/**
 * The document without the named schemas nothing refers to: every named schema is generated in an
 * input and an output form, and most are used in only one of them.
 */
function withoutUnusedSchemas(doc: { paths?: unknown; components?: { schemas?: Record<string, unknown> } }): unknown {
  const schemas = doc.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        const name = key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', '') : undefined;
        if (name !== undefined && !used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        } else visit(value);
      }
    }
  };
  visit(doc.paths);
  return { ...doc, components: { ...doc.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) } };
}

/**
 * How long a plugin may take to load (Fastify's default is 10 s). The first start's backfill runs
 * on the same thread while the server loads its plugins, and on a shared two-core machine at
 * load 28 a plugin's few turns of the event loop took longer than 10 s: the first `npm start` of
 * the default world stopped with ERR_AVVIO_PLUGIN_TIMEOUT ('@fastify/cookie'). Two minutes still
 * ends a start whose plugin truly hangs.
 */
const PLUGIN_TIMEOUT_MS = 120_000;

/**
 * The HTTP edge every route module runs in (not yet listening): every request authenticated and
 * authorised from the access table before its body is read (`installAuth`; a route without an
 * entry is refused at start), requests validated against each route's zod schemas, bad input
 * answered 400 naming the field through `sendError`, the OpenAPI document made from the schemas
 * and served at `/openapi.json`, signing in and the API keys (`authRoutes`).
 */
export function createHttpApp(options: HttpAppOptions, modules: readonly RouteModule[]): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, pluginTimeout: PLUGIN_TIMEOUT_MS }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validateAgainstSchema);
  app.setSerializerCompiler(serializeAsIs);
  // A JSON body only with a JSON content type: a text/plain POST, which any web page may send
  // without a preflight, is answered 415 and never read (POST /events alone takes raw NDJSON).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // JSON merge patch (RFC 7386) and JSON Patch (RFC 6902) are JSON too: the TMF APIs' PATCH bodies.
  app.addContentTypeParser(['application/json', MERGE_PATCH, JSON_PATCH], { parseAs: 'string', bodyLimit: Math.min(JSON_BODY_LIMIT, options.bodyLimit ?? JSON_BODY_LIMIT) }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  const report = options.onServerError ?? (options.logger ? logServerError : writeServerError);
  app.setErrorHandler((err, req, reply) => {
    sendError(reply, err);
    if (reply.statusCode === 500) report(err, req);
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send(errorBody(req.url, 404, 'NOT_FOUND', `no route ${req.method} ${req.url}; see /openapi.json`)));
  // Before any route is added, so that each is checked against the access table as it is.
  // With CORS on, its preflight route answers browsers before they send a credential: it carries no data.
  const extraAccess = { ...options.extraAccess, ...(options.hardening?.corsOrigins?.length ? CORS_PREFLIGHT_ACCESS : {}) };
  installAuth(app, options.auth, extraAccess, options.customerReach);
  installHardening(app, options.hardening ?? {}, extraAccess);
  if (options.answersFor) guardPartitions(app, options.answersFor);

  // A route whose body is not a zod schema (`POST /events` reads raw text) documents it as JSON Schema.
  void app.register(fastifySwagger, {
    openapi: { openapi: '3.1.0', info: { title: 'Twinloop API', version: options.version, description: DESCRIPTION } },
    transform: (route) => {
      const body = (route.schema as { body?: unknown } | undefined)?.body;
      if (body === undefined || isZod(body)) return jsonSchemaTransform(route);
      const transformed = jsonSchemaTransform({ ...route, schema: { ...route.schema, body: undefined } });
      return { ...transformed, schema: { ...transformed.schema, body } };
    },
    transformObject: jsonSchemaTransformObject,
  });
  // Registered after the document's plugin, so that it sees every route.
  void app.register(async (scope) => {
    const api = scope.withTypeProvider<ZodTypeProvider>();
    let document: unknown;
    api.get('/openapi.json', { schema: { hide: true } }, async () => (document ??= withoutUnusedSchemas(app.swagger())));
    for (const add of [authRoutes(options.auth), ...modules]) add(api);
  });
  return app;
}

const clockSourceSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('events') }),
    z.object({ kind: z.literal('sandbox'), phase: z.enum(['backfilling', 'live', 'failed']), speed: z.number().describe('Simulated ms per real ms while live') }),
  ])
  .describe("Where eventClock's time comes from: the sandbox's simulated world (backfilling its history, then live), or the events sent in");

/** `GET /health`: liveness and counts. */
/** An ISO time, or null for none (or a time that is not one). */
const isoOrNull = (ms: number | null): string | null => (ms !== null && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null);

function healthRoutes(twins: TwinService, clockSource: () => EventClockSource, worldTime: () => number | null, history: { written: () => number | null; problem: () => string | null; rebuilt: () => number | null; held: () => string | null }, loop: EventLoopMonitor): RouteModule {
  return (app) => {
    app.get(
      '/health',
      {
        schema: {
          summary: 'Liveness and counts',
          response: {
            200: z.object({
              status: z.literal('ok'),
              twins: z.number().int(),
              appliedSeq: z.number().int(),
              intakePending: z.number().int(),
              eventClock: z.string().nullable().describe('The latest event time applied (ISO), null before the first event'),
              worldClock: z
                .string()
                .nullable()
                .describe("The world's time (ISO) while a sandbox or a BSS runs: its clock, or the latest event if later; what acts, approvals and the audit trail are dated by, and what the console's header shows. The world's events reach the twins after it: `eventClock` trails it (by hours at 3,600x on a loaded machine). null without one"),
              clockSource: clockSourceSchema,
              historyWritten: z
                .number()
                .nullable()
                .describe("Share (0-1) of the first start's history written to the log while it is written behind from its seed (per-customer reads of the log answer 503 until it is all in); null when none is being written"),
              historyProblem: z
                .string()
                .nullable()
                .describe("Why the first start's history cannot be written to the log in this run, and the way out (decision 0021); null when it is written, being written, or there is none"),
              worldRebuilt: z
                .number()
                .nullable()
                .describe("Share (0-1) of the sandbox's world rebuilt from its seed after a restart while it is (the twins answer meanwhile; acts on its back ends answer 503 with Retry-After until it is back, decision 0025); null when none is being rebuilt"),
              actsHeld: z
                .string()
                .nullable()
                .describe("Why the sandbox's back ends take no act now (its first start's history loading, its world rebuilt after a restart) and when to ask again; null when they do"),
              eventLoopDelay: z
                .object({ p50Ms: z.number(), p99Ms: z.number(), maxMs: z.number().describe('The longest the event loop was held at once'), windowS: z.number().int() })
                .describe('How late the event loop ran over the last minute (windowS: the seconds covered): every request waited up to this on top of its own work'),
            }),
          },
        },
      },
      async () => ({
        status: 'ok' as const,
        twins: twins.engine.size,
        appliedSeq: twins.appliedSeq(),
        intakePending: twins.intake.pending,
        eventClock: twins.engine.eventClock ? new Date(twins.engine.eventClock).toISOString() : null,
        worldClock: isoOrNull(worldTime()),
        clockSource: clockSource(),
        historyWritten: history.written(),
        historyProblem: history.problem(),
        worldRebuilt: history.rebuilt(),
        actsHeld: history.held(),
        eventLoopDelay: loop.read(),
      }),
    );
  };
}

/** The HTTP API over a twin service (not yet listening): health, events, twins, then the route modules of later layers. */
export function createHttpServer(options: HttpServerOptions, modules: readonly RouteModule[] = []): FastifyInstance {
  const { twins } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const admission = { bodyLimit, maxBufferedBytes: options.maxBufferedBodyBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BODY_BYTES, bodyLimit) };
  const loop = monitorEventLoop();
  const app = createHttpApp(options, [healthRoutes(twins, options.clockSource ?? (() => ({ kind: 'events' })), options.worldTime ?? (() => null), { written: options.historyWritten ?? (() => null), problem: options.historyProblem ?? (() => null), rebuilt: options.worldRebuilt ?? (() => null), held: options.actsHeld ?? (() => null) }, loop), eventRoutes(twins, admission), twinRoutes(twins, options.decorateTwin, options.scoreFields, options.profileTwin, options.partitionedTwins), ...modules]);
  app.addHook('onClose', async () => loop.close());
  return app;
}
