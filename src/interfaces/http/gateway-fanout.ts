import type { FastifyRequest } from 'fastify';

/** The request headers a worker needs to answer as it would directly: who asks, and what they send and accept. */
const FORWARDED = ['authorization', 'cookie', 'content-type', 'accept', 'origin'];

/** The caller's headers a worker needs to answer as it would directly. */
export function forwardedHeaders(req: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of FORWARDED) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  return headers;
}

