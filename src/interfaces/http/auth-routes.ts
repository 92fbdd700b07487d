import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { Authenticator } from '../auth/authenticator.js';
import { describeIdentity } from '../auth/identity.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { SIGN_IN_PAGE } from '../console/sign-in-page.js';
import { identityOf } from './http-auth.js';
import { jsonBody, parseBody } from './json-body.js';

const sessionBody = z.strictObject({ key: z.string().min(1).max(500).optional() });

/**
 * Signing in and out, who am I, and the API keys over HTTP:
 * - `GET /sign-in`: the sign-in page (static);
 * - `GET /auth/config`: how a browser signs in here (keys; the OIDC provider and client id when one is configured);
 * - `POST /auth/session`: a key (body `{"key": …}`) or a bearer credential (header) for an HttpOnly,
 *   SameSite=Strict session cookie; `DELETE /auth/session` signs out;
 * - `GET /auth/me`: the caller's subject, role, permissions and scope (the console hides what the role may not use);
 * - `GET/POST /keys`, `DELETE /keys/:id`: list, create (the secret is in this answer only), revoke.
 */
export function authRoutes(auth: Authenticator): (app: FastifyInstance) => void {
  return (app) => {
    app.get('/sign-in', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(SIGN_IN_PAGE));

    app.get('/auth/config', async () => ({
      methods: auth.oidc ? ['api-key', 'oidc'] : ['api-key'],
      session: { cookie: SESSION_COOKIE, exchange: 'POST /auth/session' },
      oidc: auth.oidc
        ? { issuer: auth.oidc.settings.issuer, clientId: auth.oidc.settings.clientId ?? null, audience: auth.oidc.settings.audience, flow: 'authorization_code+pkce' }
        : null,
    }));

    app.post('/auth/session', async (req, reply) => {
      const body = parseBody(sessionBody, req.body, '{"key": "twl_…"}');
      if (body.key !== undefined && req.headers.authorization !== undefined) throw new TwinloopError('BAD_INPUT', 'give the key in the body or a bearer credential in the Authorization header, not both');
      const authorization = body.key !== undefined ? `Bearer ${body.key}` : req.headers.authorization;
      if (authorization === undefined) throw new TwinloopError('UNAUTHENTICATED', 'nothing to sign in with: send {"key": "twl_…"}, or an OIDC token as "Authorization: Bearer <token>"');
      const identity = await auth.authenticate({ authorization });
      const { value, expiresAt } = auth.sessions.seal(identity, Date.now());
      void reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: 'auto', path: '/', expires: new Date(expiresAt) });
      return { ...describeIdentity({ ...identity, via: 'session', expiresAt }), sessionExpiresAt: new Date(expiresAt).toISOString() };
    });

    app.delete('/auth/session', async (_req, reply) => {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { signedOut: true };
    });

    app.get('/auth/me', async (req) => describeIdentity(identityOf(req)));

    app.get('/keys', async () => auth.keys.list());
    app.post('/keys', async (req, reply) => {
      const created = await auth.keys.create(jsonBody(req.body, '{"subject": "alice", "role": "care_agent", "channels": ["call"]}'), identityOf(req).subject);
      return reply.status(201).send({ ...created.info, key: created.key, note: 'the key is shown this once; store it now' });
    });
    app.delete<{ Params: { id: string } }>('/keys/:id', async (req) => auth.keys.revoke(req.params.id, identityOf(req).subject));
  };
}
