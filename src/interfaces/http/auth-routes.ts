import { z } from 'zod';
import { CHANNELS } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { newApiKeySchema } from '../auth/api-keys.js';
import { WHERE_KEYS_ARE, type Authenticator } from '../auth/authenticator.js';
import { describeIdentity } from '../auth/identity.js';
import { PERMISSION_NAMES, ROLE_NAMES } from '../auth/roles.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { SIGN_IN_PAGE } from '../console/sign-in-page.js';
import { errors, isoTime, list } from './api-schemas.js';
import { identityOf } from './http-auth.js';
import type { RouteModule } from './route-module.js';

const sessionBody = z.strictObject({ key: z.string().min(1).max(500).optional() }).optional().meta({ examples: [{ key: 'twl_…' }] });
const keyBody = newApiKeySchema.meta({ examples: [{ subject: 'alice', role: 'care_agent', channels: ['call'] }] });
const role = z.enum(ROLE_NAMES as [string, ...string[]]);
const identity = z.object({
  subject: z.string(),
  role,
  actorKind: z.enum(['human', 'agent', 'system']),
  permissions: list(z.enum(PERMISSION_NAMES as [string, ...string[]])),
  scope: z.object({ channels: list(z.enum(CHANNELS)).nullable(), segments: list(z.string()).nullable() }),
  via: z.enum(['api-key', 'oidc', 'session', 'local']),
  keyId: z.string().nullable(),
  expiresAt: isoTime.nullable(),
});
const keyInfo = z.object({
  id: z.string(),
  subject: z.string(),
  role,
  channels: list(z.enum(CHANNELS)).nullish(),
  segments: list(z.string()).nullish(),
  description: z.string().nullable(),
  createdAt: isoTime,
  createdBy: z.string(),
  expiresAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  revokedBy: z.string().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
const html = { description: 'HTML page', content: { 'text/html': { schema: z.string() } } };
/** `describeIdentity` answers a loose record; here it is the identity as documented. */
const described = (i: Parameters<typeof describeIdentity>[0]) => describeIdentity(i) as z.output<typeof identity>;

/**
 * Signing in and out, who am I, and the API keys over HTTP:
 * - `GET /sign-in`: the sign-in page (static);
 * - `GET /auth/config`: how a browser signs in here (keys; the OIDC provider and client id when one is configured);
 * - `POST /auth/session`: a key (body `{"key": …}`) or a bearer credential (header) for an HttpOnly,
 *   SameSite=Strict session cookie; `DELETE /auth/session` signs out;
 * - `GET /auth/me`: the caller's subject, role, permissions and scope (the console hides what the role may not use);
 * - `GET/POST /keys`, `DELETE /keys/:id`: list, create (the secret is in this answer only), revoke.
 */
export function authRoutes(auth: Authenticator): RouteModule {
  return (app) => {
    app.get('/sign-in', { schema: { summary: 'The sign-in page', response: { 200: html } } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(SIGN_IN_PAGE),
    );

    app.get(
      '/auth/config',
      {
        schema: {
          summary: 'How a browser signs in here',
          response: {
            200: z.object({
              methods: list(z.enum(['api-key', 'oidc'])),
              session: z.object({ cookie: z.string(), exchange: z.string() }),
              oidc: z.object({ issuer: z.string(), clientId: z.string().nullable(), audience: z.union([z.string(), list(z.string())]).optional(), flow: z.string() }).nullable(),
            }),
          },
        },
      },
      async () => ({
        methods: auth.oidc ? (['api-key', 'oidc'] as const) : (['api-key'] as const),
        session: { cookie: SESSION_COOKIE, exchange: 'POST /auth/session' },
        oidc: auth.oidc
          ? { issuer: auth.oidc.settings.issuer, clientId: auth.oidc.settings.clientId ?? null, audience: auth.oidc.settings.audience, flow: 'authorization_code+pkce' }
          : null,
      }),
    );

    app.post(
      '/auth/session',
      {
        schema: {
          summary: 'A key (body) or a bearer credential (header) for an HttpOnly, SameSite=Strict session cookie',
          body: sessionBody,
          response: { 200: identity.extend({ sessionExpiresAt: isoTime }), ...errors(400, 401) },
        },
      },
      async (req, reply) => {
        const key = req.body?.key;
        if (key !== undefined && req.headers.authorization !== undefined) throw new TwinloopError('BAD_INPUT', 'give the key in the body or a bearer credential in the Authorization header, not both');
        const authorization = key !== undefined ? `Bearer ${key}` : req.headers.authorization;
        if (authorization === undefined) throw new TwinloopError('UNAUTHENTICATED', 'nothing to sign in with: send {"key": "twl_…"}, or an OIDC token as "Authorization: Bearer <token>"');
        const who = await auth.authenticate({ authorization }).catch((err: unknown) => {
          // This is the sign-in: its refusal says what was wrong with the key, not to go and sign in (the page showing it is the sign-in page).
          if (err instanceof TwinloopError && err.code === 'UNAUTHENTICATED' && typeof err.context.reason === 'string') {
            throw new TwinloopError('UNAUTHENTICATED', `not signed in: ${err.context.reason}; sign in with another key (${WHERE_KEYS_ARE})`, { cause: err });
          }
          throw err;
        });
        const { value, expiresAt } = auth.sessions.seal(who, Date.now());
        void reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: 'auto', path: '/', expires: new Date(expiresAt) });
        return { ...described({ ...who, via: 'session', expiresAt }), sessionExpiresAt: new Date(expiresAt).toISOString() };
      },
    );

    app.delete('/auth/session', { schema: { summary: 'Sign out', response: { 200: z.object({ signedOut: z.literal(true) }) } } }, async (_req, reply) => {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { signedOut: true as const };
    });

    app.get('/auth/me', { schema: { summary: "The caller's subject, role, permissions and scope", response: { 200: identity, ...errors(401) } } }, async (req) => described(identityOf(req)));

    app.get('/keys', { schema: { summary: 'The API keys (never their secrets)', response: { 200: list(keyInfo), ...errors(401, 403) } } }, async () => auth.keys.list());
    app.post(
      '/keys',
      {
        schema: {
          summary: 'Create an API key: the secret is in this answer only',
          body: keyBody,
          response: { 201: keyInfo.extend({ key: z.string(), note: z.string() }), ...errors(400, 401, 403) },
        },
      },
      async (req, reply) => {
        const created = await auth.keys.create(req.body, identityOf(req).subject);
        return reply.status(201).send({ ...created.info, key: created.key, note: 'the key is shown this once; store it now' });
      },
    );
    app.delete(
      '/keys/:id',
      { schema: { summary: 'Revoke an API key at once', params: z.object({ id: z.string().min(1).max(200) }), response: { 200: keyInfo, ...errors(401, 403, 404) } } },
      async (req) => auth.keys.revoke(req.params.id, identityOf(req).subject),
    );
  };
}
