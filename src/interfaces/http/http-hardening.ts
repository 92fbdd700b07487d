import { createHash } from 'node:crypto';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { TwinloopError } from '../../domain/errors.js';
import { routeAccess, type ExtraAccess } from '../auth/access-table.js';
import { ACTING_PERMISSIONS, type Permission } from '../auth/roles.js';
import { SIGN_IN_PAGE } from '../console/sign-in-page.js';

/**
 * The usual hardening of the HTTP edge, with the well-kept plugins: security headers (helmet,
 * with a content security policy the console and the sign-in page live within), CORS off unless
 * origins are configured, and a rate limit per caller on the routes that act. Keys that reach an
 * object's prototype (`__proto__`, `constructor`, `prototype`) are refused in bodies (`refusePrototypeKeys`)
 * and in query strings (here), naming the key.
 */

/** How the edge is hardened (all optional: the defaults are on and safe). */
export interface HardeningOptions {
  /** Origins allowed to call the API from a browser (CORS); absent or empty: none, no CORS headers sent. */
  readonly corsOrigins?: readonly string[];
  /** Requests per minute each caller may make to the routes that act; 0 turns the limit off. */
  readonly actingPerMinute?: number;
}

/**
 * Requests per minute per caller on acting routes by default: ten a second, far above what a
 * person clicks and what the console sends, low enough that a leaked key cannot drain a budget
 * or flood customers before someone revokes it.
 */
export const DEFAULT_ACTING_PER_MINUTE = 600;


/** The route CORS adds for preflight requests (registered only when origins are configured). */
export const CORS_PREFLIGHT_ACCESS: ExtraAccess = { 'OPTIONS *': 'public' };

/** Keys that reach an object's prototype when a program assigns them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The script of the sign-in page, allowed by its hash (the page is static, so the hash is fixed). */
function inlineScriptHashes(): string[] {
  return [...SIGN_IN_PAGE.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
}

/**
 * A parsed JSON body refused when any of its keys, at any depth, reaches a prototype: BAD_INPUT
 * naming the key and where it is. Only bodies whose text names such a key are walked.
 */
export function refusePrototypeKeys(text: string, parsed: unknown): void {
  if (!text.includes('__proto__') && !text.includes('constructor') && !text.includes('prototype')) return;
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) throw new TwinloopError('BAD_INPUT', `body: the key "${key}" (at ${at}) is refused: keys that reach an object's prototype are never accepted; rename or remove it`);
      walk((value as Record<string, unknown>)[key], at);
    }
  };
  walk(parsed, '');
}

/** Installs the headers, CORS and the rate limit; before any route is added. */
export function installHardening(app: FastifyInstance, options: HardeningOptions, extra: ExtraAccess = {}): void {
  // Built once: the headers are the same on every answer. (@fastify/helmet built helmet's
  // middleware again for every request, parsing the content security policy each time: ~6 % of a
  // bare route's CPU, BENCHMARKS.md.)
  const securityHeaders = helmet({
    // No upgrade-insecure-requests: a server reached over plain HTTP on a LAN (TLS ends at a proxy, or
    // nowhere on a laptop) would have its own pages' scripts and calls sent to an https:// that is not there.
    contentSecurityPolicy: { directives: { scriptSrc: ["'self'", ...inlineScriptHashes()], connectSrc: ["'self'"], upgradeInsecureRequests: null } },
    // The API answers JSON to other origins only through CORS, which decides who may read it.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  app.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (err) => done(err as Error | undefined)));
  const origins = options.corsOrigins ?? [];
  if (origins.length > 0) {
    void app.register(fastifyCors, { origin: [...origins], credentials: false, methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600 });
  }
  app.addHook('preValidation', async (req) => {
    const query = req.query as Record<string, unknown> | undefined;
    if (!query || typeof query !== 'object') return;
    for (const key of Object.keys(query)) {
      const name = key.split('.')[0];
      if (PROTOTYPE_KEYS.has(name)) throw new TwinloopError('BAD_INPUT', `query: the key "${key}" is refused: keys that reach an object's prototype are never accepted`);
    }
  });
  const perMinute = options.actingPerMinute ?? DEFAULT_ACTING_PER_MINUTE;
  if (perMinute <= 0) return;
  const acting = (req: FastifyRequest) => {
    const url = req.routeOptions.url;
    const access = url === undefined ? undefined : routeAccess(req.method, url, extra);
    return access !== undefined && ACTING_PERMISSIONS.has(access as Permission);
  };
  void app.register(fastifyRateLimit, {
    global: true,
    // After authentication: the limit is per caller (key, token subject or session), not per address.
    hook: 'preHandler',
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => (req.identity ? (req.identity.keyId ?? `${req.identity.via}:${req.identity.subject}`) : `ip:${req.ip}`),
    allowList: (req) => !acting(req) && !countedCalls.has(req),
    errorResponseBuilder: (_req, context) => rateLimited(context.max, context.ttl),
  });
}

/** The answer past the limit: what the limit is, and when to retry. */
function rateLimited(max: number, ttlMs: number): TwinloopError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new TwinloopError('RATE_LIMITED', `more than ${max} requests a minute to the routes and MCP tools that act, from this credential; retry in ${seconds} s`, {
    context: { retryAfterSeconds: seconds },
  });
}

/**
 * Requests whose MCP tool calls are counted: `POST /mcp` is one route for reading and acting tools
 * alike, so it is not an acting route itself; each acting tool call it carries is counted here.
 */
const countedCalls = new WeakSet<FastifyRequest>();

/**
 * Counts one acting call (an MCP tool that acts) made within `req` against the caller's limit:
 * the same counter as the acting routes, so a key's 600 a minute are 600 over HTTP and MCP
 * together. RATE_LIMITED past it; nothing when the limit is off.
 */
export async function countActingCall(req: FastifyRequest): Promise<void> {
  if (!req.server.hasDecorator('createRateLimit')) return;
  countedCalls.add(req);
  const check = await req.server.createRateLimit()(req);
  if (!check.isAllowed && check.isExceeded) throw rateLimited(check.max, check.ttl);
}
