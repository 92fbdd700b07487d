import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TwinloopError, toTwinloopError, type ErrorCode } from '../../domain/errors.js';
import { describeInputIssues, type InputIssue, type InputIssueOptions } from '../../domain/input-issues.js';
import { JSON_BODY_LIMIT } from './body-admission.js';
import { isTmfPath, tmfErrorBody } from './tmf/tmf-common.js';

/** The one table from error codes to HTTP status codes. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  OVERLOADED: 503,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  POLICY_DENIED: 403,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** How the message names the fields of each part of the request: in the sender's words. */
const PART: Record<string, InputIssueOptions> = {
  body: { whole: 'the body' },
  querystring: { label: 'query parameter ', whole: 'the query string' },
  params: { label: 'path parameter ', whole: 'the path' },
  headers: { label: 'header ', whole: 'the headers' },
};
/** The request's part as it was sent (before the schema's coercions), where the received values are read. */
const SENT: Record<string, (req: FastifyRequest) => unknown> = { body: (r) => r.body, querystring: (r) => r.query, params: (r) => r.params, headers: (r) => r.headers };

/** The example a route's schema for `part` carries (`.meta({ examples })`), as the message shows it. */
function exampleOf(reply: FastifyReply, part: string): string | undefined {
  const schema = (reply.request.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
  const example = schema instanceof z.ZodType ? (schema.meta()?.examples as unknown[] | undefined)?.[0] : undefined;
  if (example === undefined) return undefined;
  if (part === 'querystring') return `${reply.request.routeOptions.url}?${new URLSearchParams(example as Record<string, string>)}`;
  return JSON.stringify(example);
}

/** A zod issue back from fastify's validation entry (its path was joined into `instancePath`). */
function issueOf(v: { keyword: string; instancePath: string; message?: string; params?: Record<string, unknown> }): InputIssue {
  const path = v.instancePath.split('/').slice(1).filter((k) => k !== '').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  return { ...v.params, code: v.keyword, path, message: v.message ?? 'invalid' } as InputIssue;
}

/**
 * A request that fails its route's schema, as a BAD_INPUT naming every field wrong in the sender's
 * words, what was expected and what came (domain/input-issues.ts): `query parameter limit: expected
 * a number, got "abc"; e.g. /twins?data_mb_30d.gt=1000&limit=20`.
 */
function validationError(reply: FastifyReply, err: { validation: { keyword: string; instancePath: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string }): TwinloopError {
  const part = err.validationContext ?? 'body';
  const sent = SENT[part]?.(reply.request);
  const problems = describeInputIssues(err.validation.map(issueOf), sent, PART[part] ?? { label: `${part} ` });
  const example = exampleOf(reply, part);
  return new TwinloopError('BAD_INPUT', `${problems}${example ? `; e.g. ${example}` : ''}`);
}

/** The error body: `{"error": {code, message}}`, or under `/tmf-api/` the TMF `Error` (code, reason, message, status). */
export function errorBody(url: string, status: number, code: ErrorCode, message: string): unknown {
  return isTmfPath(url) ? tmfErrorBody(status, code, message) : { error: { code, message } };
}

/** Turns anything thrown in a route into a JSON error answer with the mapped status. */
export function sendError(reply: FastifyReply, thrown: unknown): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(thrown)) thrown = validationError(reply, thrown);
  const fastifyStatus = (thrown as { statusCode?: number }).statusCode;
  if (fastifyStatus && fastifyStatus >= 400 && fastifyStatus < 500 && !(thrown instanceof TwinloopError)) {
    // Fastify's own refusals (an unsupported media type, a body over the limit…).
    if (fastifyStatus === 413) {
      const message = `${(thrown as Error).message}: a JSON body is at most ${JSON_BODY_LIMIT} bytes on every route but POST /events (which takes batches up to its own limit); send less`;
      return reply.status(413).send(errorBody(reply.request.url, 413, 'TOO_LARGE', message));
    }
    if (fastifyStatus === 415) {
      const sent = reply.request.headers['content-type'];
      const message = `${(thrown as Error).message}: ${sent ? `Content-Type "${sent}"` : 'no Content-Type'} is not read here; send the body as JSON with Content-Type application/json (POST /events also takes NDJSON as application/x-ndjson)`;
      return reply.status(415).send(errorBody(reply.request.url, 415, 'BAD_INPUT', message));
    }
    return reply.status(fastifyStatus).send(errorBody(reply.request.url, fastifyStatus, 'BAD_INPUT', (thrown as Error).message));
  }
  const err = toTwinloopError(thrown);
  const status = HTTP_STATUS[err.code];
  // No Retry-After for what asking again here never mends (context.retryable false: e.g. an intent on a partition worker).
  if ((err.code === 'OVERLOADED' || err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED') && err.context.retryable !== false) {
    reply.header('Retry-After', String(err.context.retryAfterSeconds ?? 1));
  }
  return reply.status(status).send(errorBody(reply.request.url, status, err.code, err.message));
}

/** Told of an answer 500 and what was thrown. */
export type ServerErrorReporter = (thrown: unknown, request: FastifyRequest) => void;

/** A 500 into the request log (pino), with the error's stack. */
export const logServerError: ServerErrorReporter = (thrown, request) => {
  request.log.error({ err: thrown }, `500 answering ${request.method} ${request.url}`);
};

/** A 500 as one JSON line on stderr, for a server running without a request log. */
export const writeServerError: ServerErrorReporter = (thrown, request) => {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  const line = { level: 'error', time: new Date().toISOString(), msg: `500 answering ${request.method} ${request.url}`, error: err.message, stack: err.stack };
  process.stderr.write(`${JSON.stringify(line)}\n`);
};
