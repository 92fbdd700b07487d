import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

/** The HTTP server as route modules see it: request and answer types inferred from each route's zod schemas. */
export type HttpApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/**
 * A group of routes (twins, decisions, intents…) added to the HTTP server by `createHttpServer`.
 * Every route declares zod schemas for its params, query, body and each answer (status → schema):
 * they validate the request and make the OpenAPI document at `/openapi.json`.
 */
export type RouteModule = (app: HttpApp) => void;
