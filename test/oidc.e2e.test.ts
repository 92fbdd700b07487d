import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalOidcProvider, type LocalOidcProvider } from '../src/interfaces/auth/oidc-test-provider.js';
import { createOperatorServer } from '../src/interfaces/http/operator-server.js';
import { startOperator, type Operator } from '../src/interfaces/runtime/operator.js';

/**
 * The README's OpenID Connect set-up on the operator as `twinloop start --oidc-issuer URL
 * --oidc-audience twinloop --oidc-role-claim realm_access.roles --oidc-role-map crm-care=care_agent`
 * assembles it, against a local provider serving discovery and a JWKS: a token's subject and
 * mapped role are who is asking on every route; a token without a role, for another audience or
 * expired is refused; a browser session can be made from a token.
 */
describe('OpenID Connect on the running operator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-oidc-'));
  let idp: LocalOidcProvider;
  let operator: Operator;
  let app: FastifyInstance;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    idp = await createLocalOidcProvider();
    operator = await startOperator({
      store: { kind: 'sqlite', dataDir: join(dir, 'data') },
      auth: { mode: 'enforced', oidc: { issuer: idp.issuer, audience: 'twinloop', roleClaim: 'realm_access.roles', roleMap: { 'crm-care': 'care_agent' } } },
      retentionBudget: 0,
      log: () => {},
      warn: () => {},
    });
    app = createOperatorServer(operator, { version: 'test' });
    await app.ready();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await operator?.close();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes who is asking and their role from the provider's token, on every door", async () => {
    const care = await idp.token({ sub: 'u-42', realm_access: { roles: ['offline_access', 'crm-care'] } });
    const me = await app.inject({ url: '/auth/me', headers: as(care) });
    expect(me.json()).toMatchObject({ subject: 'oidc:u-42', role: 'care_agent', actorKind: 'human', via: 'oidc' });
    expect((await app.inject({ url: '/twins?limit=1', headers: as(care) })).statusCode).toBe(200);
    const denied = await app.inject({ method: 'PUT', url: '/policy', headers: { ...as(care), 'content-type': 'application/json' }, payload: { policy: {}, reason: 'x' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toMatch(/oidc:u-42 \(role care_agent\) may not PUT \/policy: it needs the permission policy:write/);
    const session = await app.inject({ method: 'POST', url: '/auth/session', headers: as(care) });
    expect(session.json()).toMatchObject({ subject: 'oidc:u-42', role: 'care_agent', via: 'session' });
    const cookie = String(session.headers['set-cookie']).split(';')[0];
    expect((await app.inject({ url: '/auth/me', headers: { cookie } })).json()).toMatchObject({ subject: 'oidc:u-42', role: 'care_agent' });
  });

  it('refuses a token without a Twinloop role (403 naming the claim), for another audience or expired (401)', async () => {
    const noRole = await app.inject({ url: '/twins', headers: as(await idp.token({ sub: 'u-43', realm_access: { roles: ['staff'] } })) });
    expect(noRole.statusCode).toBe(403);
    expect(noRole.json().error.message).toMatch(/carries no Twinloop role in the claim realm_access\.roles/);
    for (const options of [{ audience: 'other-api' }, { expiresIn: -3600 }, { foreignKey: true }]) {
      const refused = await app.inject({ url: '/twins', headers: as(await idp.token({ sub: 'u-44', realm_access: { roles: ['crm-care'] } }, options)) });
      expect(refused.statusCode, JSON.stringify(options)).toBe(401);
    }
  });
});
