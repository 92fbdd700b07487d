import type { FastifyReply } from 'fastify';
import { toTwinloopError, type ErrorCode } from '../../domain/errors.js';

/** The one table from error codes to HTTP status codes. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  OVERLOADED: 503,
  POLICY_DENIED: 403,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Turns anything thrown in a route into a JSON error answer with the mapped status. */
export function sendError(reply: FastifyReply, thrown: unknown): FastifyReply {
  const fastifyStatus = (thrown as { statusCode?: number }).statusCode;
  if (fastifyStatus && fastifyStatus >= 400 && fastifyStatus < 500 && !(thrown as { code?: string }).code?.match(/^[A-Z_]+$/)) {
    return reply.status(fastifyStatus).send({ error: { code: 'BAD_INPUT', message: (thrown as Error).message } });
  }
  const err = toTwinloopError(thrown);
  const status = fastifyStatus && fastifyStatus < 500 && err.code === 'INTERNAL' ? fastifyStatus : HTTP_STATUS[err.code];
  if (err.code === 'OVERLOADED' || err.code === 'UNAVAILABLE') {
    reply.header('Retry-After', String(err.context.retryAfterSeconds ?? 1));
  }
  const code = status < 500 && err.code === 'INTERNAL' ? 'BAD_INPUT' : err.code;
  return reply.status(status).send({ error: { code, message: err.message } });
}
