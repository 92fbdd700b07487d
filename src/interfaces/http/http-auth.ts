import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TwinloopError } from '../../domain/errors.js';
import { customerRoute, routeAccess, type ExtraAccess } from '../auth/access-table.js';
import { checkActionChannel, checkChannel, refuseCustomer, refuseSpanning, type CustomerReach } from '../auth/customer-reach.js';
import type { Authenticator } from '../auth/authenticator.js';
import { actorOf, authorize, can, type Identity } from '../auth/identity.js';
import { maskPersonal } from '../auth/personal-data.js';
import type { Actor } from '../../decisioning/policy/index.js';
import type { Permission } from '../auth/roles.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { errorAnswer } from './api-schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set before any handler of a route that is not public. */
    identity: Identity | null;
    /** The customers a segment-scoped caller reaches (set for such a caller only). */
    customerReach: CustomerReach | null;
  }
}

/**
 * The one place where the HTTP API checks who is asking and whether they may: every route is
 * looked up in the access table (`auth/access-table.ts`) when it is registered (a route missing
 * from the table is refused at start, so it cannot ship by mistake) and on every request, before
 * its body is read: anonymous → 401, a role without the route's permission → 403 naming both.
 * Answers to a caller without `personal:read` leave with their personal data masked.
 */
export function installAuth(app: FastifyInstance, auth: Authenticator, extra: ExtraAccess = {}, reach?: CustomerReach): void {
  void app.register(fastifyCookie);
  app.decorateRequest('identity', null);
  app.decorateRequest('customerReach', null);
  app.addHook('onRoute', (route) => {
    let guarded = false;
    for (const method of [route.method].flat()) {
      const access = routeAccess(method, route.url, extra);
      if (access === undefined) {
        throw new TwinloopError('INTERNAL', `route ${method} ${route.url} has no entry in the access table; add '${method} ${route.url}': '<permission>' to src/interfaces/auth/access-table.ts (docs/security.md says how to choose)`);
      }
      guarded ||= access !== 'public';
    }
    // The document says what every guarded route may answer a caller without a credential or a permission.
    const schema = route.schema as { response?: Record<string, unknown>; hide?: boolean } | undefined;
    if (guarded && schema && !schema.hide) schema.response = { 401: errorAnswer, 403: errorAnswer, ...schema.response };
  });
  app.addHook('onRequest', async (req) => {
    const url = req.routeOptions.url;
    // An unknown path still needs a caller we can name: nobody learns which paths exist anonymously.
    const access = url === undefined ? 'signed-in' : routeAccess(req.method, url, extra);
    if (access === undefined) throw new TwinloopError('INTERNAL', `route ${req.method} ${url} has no entry in the access table`);
    if (access === 'public') return;
    const identity = await auth.authenticate({
      authorization: req.headers.authorization,
      sessionCookie: req.cookies?.[SESSION_COOKIE],
      remoteAddress: req.socket.remoteAddress,
    });
    if (identity.via === 'session') checkSameOrigin(req);
    req.identity = identity;
    if (access !== 'signed-in') authorize(identity, access, `${req.method} ${url}`);
    // A route answering or acting on many customers unfiltered is refused to a segment-scoped key before its body is read.
    if (identity.scope.segments && url !== undefined && customerRoute(req.method, url) === 'spanning') refuseSpanning(identity, `${req.method} ${url}`);
  });
  // A key scoped to segments reaches only their customers: the one a route names is checked once
  // its params and body are read (CUSTOMER_ROUTES), a route answering many unfiltered is refused.
  app.addHook('preHandler', async (req) => {
    const identity = req.identity;
    if (!identity?.scope.segments) return;
    req.customerReach = reach ?? null;
    const url = req.routeOptions.url;
    const how = url === undefined ? undefined : customerRoute(req.method, url);
    if (how === undefined || how === 'filtered' || how === 'handler' || how === 'spanning') return;
    if ('query' in how) {
      const named = (req.query as Record<string, unknown> | undefined)?.[how.query];
      for (const id of [named ?? []].flat().flatMap((v) => String(v).split(','))) requireCustomer(req, id);
      return;
    }
    const from = 'params' in how ? (req.params as Record<string, unknown>)[how.params] : (req.body as Record<string, unknown> | undefined)?.[how.body];
    if (typeof from === 'string') requireCustomer(req, from);
  });
  // Personal data (names, birth dates, documents, addresses, contact details) only for roles that
  // need it: every JSON answer, error answers included, of a caller without personal:read is masked here.
  app.addHook('preSerialization', async (req: FastifyRequest, _reply: unknown, payload: unknown) => (req.identity && !can(req.identity, 'personal:read') ? maskPersonal(payload) : payload));
}

/**
 * A browser session acting: the request must come from this server's own pages. SameSite=Strict
 * already keeps other sites' requests from carrying the cookie; this also refuses a request whose
 * Origin names another site (defence in depth for older browsers).
 */
function checkSameOrigin(req: FastifyRequest): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host !== req.headers.host) throw new TwinloopError('FORBIDDEN', `a signed-in browser request came from ${origin}, not from this server's pages; cross-site requests are refused`);
}

/** The caller of a route that is not public (INTERNAL when reached without authentication: a wiring fault). */
export function identityOf(req: FastifyRequest): Identity {
  if (!req.identity) throw new TwinloopError('INTERNAL', `${req.method} ${req.routeOptions.url ?? req.url} ran without an identity; is it marked public in the access table?`);
  return req.identity;
}

/**
 * A second permission a route needs for part of what it does (e.g. `POST /decisions` with
 * `execute: true` also acts, so it needs actions:request too); the same check and answer as the
 * route's own.
 */
export function requirePermission(req: FastifyRequest, permission: Permission, what: string): Identity {
  const identity = identityOf(req);
  authorize(identity, permission, what);
  return identity;
}

/**
 * Who acts, for a route that acts on someone's behalf: the caller's identity, never the body. A
 * body may still name the actor (older clients, the console) only as the caller itself: naming
 * anyone else, or claiming to be a person with an AI agent's key, is FORBIDDEN.
 */
export function actorFor(req: FastifyRequest, claimed?: string | { kind: string; id: string }): Actor {
  const actor = actorOf(identityOf(req));
  if (claimed === undefined) return actor;
  const named = typeof claimed === 'string' ? { kind: actor.kind, id: claimed } : claimed;
  if (named.id !== actor.id || named.kind !== actor.kind) {
    throw new TwinloopError('FORBIDDEN', `the body names ${named.kind} ${named.id}, but the credential is ${actor.kind} ${actor.id}'s: the actor is always who the credential names; leave the field out`, {
      context: { claimed: named, actor },
    });
  }
  return actor;
}

/** A key scoped to some channels acts on those only: FORBIDDEN naming the channel and the scope otherwise. */
export function requireChannel(req: FastifyRequest, channel: string): void {
  checkChannel(identityOf(req), channel);
}

/**
 * A key scoped to some channels acts on those only, judged on what the customer receives: the
 * request's channel and the one its message goes by (checkActionChannel), FORBIDDEN naming both.
 */
export function requireActionChannel(req: FastifyRequest, input: { readonly channel: string }): void {
  checkActionChannel(identityOf(req), input);
}

/** A key scoped to segments reads and acts on their customers only: FORBIDDEN naming the customer and the segments otherwise. */
export function requireCustomer(req: FastifyRequest, customerId: string): void {
  const identity = identityOf(req);
  if (!identity.scope.segments) return;
  // Without twins to judge by (an app of its own), a segment-scoped key reaches no one.
  if (!req.customerReach) refuseCustomer(identity, customerId);
  req.customerReach.check(identity, customerId);
}

/** The customers the caller reaches, as a predicate for a list; null when it reaches every one. */
export function customersWithin(req: FastifyRequest): ((customerId: string) => boolean) | null {
  const identity = identityOf(req);
  if (!identity.scope.segments) return null;
  return req.customerReach ? req.customerReach.within(identity) : () => false;
}

/**
 * The items of a list the caller reaches: every one for a caller not held to segments; else
 * those whose customer (`customerOf`) it reaches. An item of no customer (`customerOf` answers
 * undefined: a campaign's run, a key's audit entry) is left out for such a caller, who reaches
 * only their customers' records. Filter before paging, so pages and totals hold what is answered.
 */
export function reachedOnly<T>(req: FastifyRequest, items: readonly T[], customerOf: (item: T) => string | undefined): T[] {
  const within = customersWithin(req);
  if (within === null) return [...items];
  return items.filter((item) => {
    const id = customerOf(item);
    return id !== undefined && within(id);
  });
}

/** Most records a list scans for a segment-scoped caller before it answers a page shorter than asked. */
export const MAX_SCOPED_SCAN = 20_000;

/**
 * A page of a cursor-paged source (the audit trail) holding only what the caller reaches: pages
 * are read on from `cursor` until `limit` items are kept, the source ends, or `MAX_SCOPED_SCAN`
 * records were read (then the page is shorter, and the next one starts after its last item).
 */
export async function reachedPage<T>(
  req: FastifyRequest,
  o: { limit: number; cursor: number | undefined; read: (cursor: number | undefined, limit: number) => Promise<T[]>; cursorOf: (item: T) => number; customerOf: (item: T) => string | undefined },
): Promise<T[]> {
  if (customersWithin(req) === null) return o.read(o.cursor, o.limit);
  const kept: T[] = [];
  const batch = Math.max(o.limit, 500);
  let cursor = o.cursor;
  for (let scanned = 0; kept.length < o.limit && scanned < MAX_SCOPED_SCAN; ) {
    const page = await o.read(cursor, batch);
    scanned += page.length;
    for (const item of reachedOnly(req, page, o.customerOf)) if (kept.length < o.limit) kept.push(item);
    if (page.length < batch) break;
    cursor = o.cursorOf(page[page.length - 1]);
  }
  return kept;
}

