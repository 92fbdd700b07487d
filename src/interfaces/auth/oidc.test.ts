import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalOidcProvider, type LocalOidcProvider } from './oidc-test-provider.js';
import { claimAt, createOidcVerifier, roleFromClaim } from './oidc.js';

describe('OpenID Connect bearer tokens', () => {
  let idp: LocalOidcProvider;
  beforeAll(async () => {
    idp = await createLocalOidcProvider();
  });
  afterAll(() => idp.close());

  it('verifies a token against the JWKS found through discovery and takes the role from the claim', async () => {
    const verifier = createOidcVerifier({ issuer: idp.issuer, audience: 'twinloop' });
    const token = await idp.token({ sub: 'u-123', roles: ['unrelated', 'supervisor'] });
    expect(await verifier.verify(token)).toMatchObject({ ok: true, identity: { subject: 'oidc:u-123', role: 'supervisor', via: 'oidc' } });
  });

  it('reads a nested role claim through the role map', async () => {
    const verifier = createOidcVerifier({ issuer: idp.issuer, audience: 'twinloop', jwksUrl: idp.jwksUrl, roleClaim: 'realm_access.roles', roleMap: { 'crm-marketing': 'marketer' } });
    const token = await idp.token({ sub: 'u-9', realm_access: { roles: ['offline_access', 'crm-marketing'] } });
    expect(await verifier.verify(token)).toMatchObject({ ok: true, identity: { role: 'marketer' } });
  });

  it('refuses a token for another audience, from another issuer, expired, or signed by another key', async () => {
    const verifier = createOidcVerifier({ issuer: idp.issuer, audience: 'twinloop', jwksUrl: idp.jwksUrl });
    expect(await verifier.verify(await idp.token({ sub: 'a', roles: 'admin' }, { audience: 'other-api' }))).toMatchObject({ ok: false, reason: expect.stringMatching(/aud/) });
    expect(await verifier.verify(await idp.token({ sub: 'a', roles: 'admin' }, { issuer: 'https://evil.example' }))).toMatchObject({ ok: false, reason: expect.stringMatching(/iss/) });
    expect(await verifier.verify(await idp.token({ sub: 'a', roles: 'admin' }, { expiresIn: -3600 }))).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect(await verifier.verify(await idp.token({ sub: 'a', roles: 'admin' }, { foreignKey: true }))).toMatchObject({ ok: false });
    expect(await verifier.verify('not.a.jwt')).toMatchObject({ ok: false });
  });

  it('a valid token without a Twinloop role is forbidden, naming the claim', async () => {
    const verifier = createOidcVerifier({ issuer: idp.issuer, audience: 'twinloop', jwksUrl: idp.jwksUrl });
    expect(await verifier.verify(await idp.token({ sub: 'b', roles: ['staff'] }))).toMatchObject({ ok: false, forbidden: true, reason: expect.stringMatching(/roles/) });
  });

  it('checks its settings once', () => {
    expect(() => createOidcVerifier({ issuer: 'not a url', audience: 'x' })).toThrow(/issuer/);
    expect(() => createOidcVerifier({ issuer: idp.issuer, audience: 'x', roleMap: { g: 'root' as never } })).toThrow(/roleMap/);
  });

  it('reads claims by dotted path and roles from strings or arrays', () => {
    expect(claimAt({ a: { b: ['x'] } }, 'a.b')).toEqual(['x']);
    expect(claimAt({ a: 1 }, 'a.b')).toBeUndefined();
    expect(roleFromClaim('viewer admin', {})).toBe('viewer');
    expect(roleFromClaim(['x', 'y'], { y: 'ai_agent' })).toBe('ai_agent');
    expect(roleFromClaim(['__proto__', 'constructor'], {})).toBeUndefined();
  });
});
