import type { FastifyInstance } from 'fastify';

/** A group of routes (twins, decisions, intents…) added to the HTTP server by `createHttpServer`. */
export type RouteModule = (app: FastifyInstance) => void;
