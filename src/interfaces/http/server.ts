import Fastify, { type FastifyInstance } from 'fastify';
import type { TwinDecorator } from '../../intelligence/live/live-intelligence.js';
import type { ExtraFields } from '../../twin/twin-query.js';
import type { TwinService } from '../../twin/twin-service.js';
import { sendError } from './error-mapping.js';
import { registerEventRoutes } from './event-routes.js';
import { openApiDocument } from './openapi.js';
import type { RouteModule } from './route-module.js';
import { registerTwinRoutes } from './twin-routes.js';

/** What the base HTTP server is built on. */
export interface HttpServerOptions {
  twins: TwinService;
  version: string;
  /** pino logging of requests; off in tests. */
  logger?: boolean;
  /** Largest request body; a 64 MB batch is ~200k events. */
  bodyLimit?: number;
  /** Adds fields to every twin answer (e.g. live scores with reasons); called for current reads only. */
  decorateTwin?: TwinDecorator;
  /** Live scores `/twins` may filter on (the intelligence layer's `scoreFields`); default none. */
  scoreFields?: ExtraFields;
}

/** Builds the HTTP API (not yet listening). */
export function createHttpServer(options: HttpServerOptions, modules: readonly RouteModule[] = []): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024 });
  // Event bodies are split and parsed record by record by the intake, so one bad record cannot fail the batch.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, _req, reply) => sendError(reply, err));
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}; see /openapi.json` } }));

  const { twins } = options;
  app.get('/health', async () => ({
    status: 'ok',
    twins: twins.engine.size,
    appliedSeq: twins.appliedSeq(),
    intakePending: twins.intake.pending,
    eventClock: twins.engine.eventClock ? new Date(twins.engine.eventClock).toISOString() : null,
  }));
  const doc = openApiDocument(options.version);
  app.get('/openapi.json', async () => doc);
  registerEventRoutes(app, twins);
  registerTwinRoutes(app, twins, options.decorateTwin, options.scoreFields);
  for (const add of modules) add(app);
  return app;
}
