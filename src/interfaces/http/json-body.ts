import type { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';

/** The server hands JSON bodies over as text (see server.ts); this parses one, naming the fault. */
export function jsonBody(body: unknown, example: string): unknown {
  if (body === undefined || body === null || (typeof body === 'string' && body.trim() === '')) return {};
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `body: malformed JSON; send e.g. ${example}`, { cause: err });
  }
}

/** Parses and validates a body with a zod schema; BAD_INPUT names the first wrong field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, example: string): z.infer<S> {
  const r = schema.safeParse(jsonBody(body, example));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new TwinloopError('BAD_INPUT', `${issue.path.join('.') || 'body'}: ${issue.message} (example: ${example})`);
}
