import type { FastifyInstance } from 'fastify';
import { TwinloopError } from '../../domain/errors.js';

/**
 * Largest JSON body of every route but `POST /events` (which reads its own, up to the body limit):
 * a policy, a catalogue or a scenario set is a few kilobytes; 1 MiB leaves room for a large
 * catalogue and refuses (413) the memory a client could otherwise make every route hold.
 */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** Largest request body by default; a 64 MB batch is ~200k events. */
export const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;
/**
 * Bytes of request bodies a route scope receives and works on at once by default: two bodies of
 * the largest size. A body in hand costs a few times its size while it is decoded and checked,
 * so this bounds the server's memory whatever the number of clients.
 */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 2 * DEFAULT_BODY_LIMIT;

/** How much request body a scope holds at once. */
export interface BodyAdmissionOptions {
  /** The largest body (Fastify answers 413 to a larger declared length before reading it). */
  bodyLimit: number;
  /** Bytes of bodies being received or worked on at once; at least `bodyLimit`. */
  maxBufferedBytes: number;
}

/**
 * Admits a request to the scope's routes only when its body fits in what is left of
 * `maxBufferedBytes`, counting a body by its declared Content-Length (a chunked one as the largest
 * allowed) from before it is read until its answer is sent or the connection drops. Past it the
 * request is answered 503 with Retry-After at once; its body is then read and dropped as it
 * arrives (never held), so the client sees the answer rather than a reset connection.
 */
export function admitBodies(scope: FastifyInstance, options: BodyAdmissionOptions): void {
  const { bodyLimit, maxBufferedBytes } = options;
  if (!(bodyLimit > 0) || !(maxBufferedBytes >= bodyLimit)) {
    throw new TwinloopError('BAD_INPUT', `maxBufferedBodyBytes (${maxBufferedBytes}) must be at least the body limit (${bodyLimit}), or no body of the largest size could be taken`);
  }
  let inHand = 0;
  scope.addHook('onRequest', async (request, reply) => {
    const declared = Number(request.headers['content-length']);
    const claim = Number.isFinite(declared) && declared >= 0 ? declared : bodyLimit;
    // Fastify refuses a declared length over the limit with 413 before reading; that costs nothing here.
    if (claim > bodyLimit) return;
    if (inHand + claim > maxBufferedBytes) {
      throw new TwinloopError('OVERLOADED', `the server is receiving ${inHand} bytes of request bodies, and ${claim} more would pass its ${maxBufferedBytes}; retry shortly`, {
        context: { retryAfterSeconds: 1 },
      });
    }
    inHand += claim;
    reply.raw.once('close', () => {
      inHand -= claim;
    });
  });
}
