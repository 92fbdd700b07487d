import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIGN_IN_PAGE } from '../console/sign-in-page.js';
import { appsForTests } from './app-fixtures.js';
import type { HardeningOptions } from './http-hardening.js';

describe('the hardened edge', () => {
  const opening = appsForTests();
  const open = (hardening: HardeningOptions = {}) =>
    opening({ hardening, extraAccess: { 'POST /t/act': 'actions:request', 'GET /t/read': 'twins:read' } }, [
      (a) => {
        a.post('/t/act', async (req) => ({ got: req.body ?? null }));
        a.get('/t/read', async () => ({ ok: true }));
      },
    ]);

  it('sends security headers; the content security policy lets the sign-in page run its own script only', async () => {
    const { app } = await open();
    const res = await app.inject({ method: 'GET', url: '/sign-in' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    const csp = String(res.headers['content-security-policy']);
    const script = /<script>([\s\S]*?)<\/script>/.exec(SIGN_IN_PAGE)![1];
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain("frame-ancestors 'self'");
  });

  it('sends no CORS headers unless an origin is configured, and then only to that origin', async () => {
    const preflight = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' };
    const closed = await open();
    const none = await closed.app.inject({ method: 'OPTIONS', url: '/t/act', headers: { origin: 'https://portal.example', ...preflight } });
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
    const { app } = await open({ corsOrigins: ['https://portal.example'] });
    const ok = await app.inject({ method: 'OPTIONS', url: '/t/act', headers: { origin: 'https://portal.example', ...preflight } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://portal.example');
    const other = await app.inject({ method: 'OPTIONS', url: '/t/act', headers: { origin: 'https://evil.example', ...preflight } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('limits each key on acting routes: 429 with Retry-After naming the limit; another key and reading routes go on', async () => {
    const { app, auth } = await open({ actingPerMinute: 3 });
    const alice = await auth.bearer('care_agent', 'alice');
    const bob = await auth.bearer('care_agent', 'bob');
    const act = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/t/act', headers: { ...headers, 'content-type': 'application/json' }, payload: '{}' });
    for (let i = 0; i < 3; i++) expect((await act(alice)).statusCode).toBe(200);
    const limited = await act(alice);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/more than 3 requests a minute/) } });
    expect((await act(bob)).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/t/read', headers: alice })).statusCode).toBe(200);
  });

  it('refuses keys that reach a prototype, in bodies and queries, naming them; the word as a value is fine', async () => {
    const { app, auth } = await open();
    const admin = await auth.bearer('admin');
    const post = (payload: string) => app.inject({ method: 'POST', url: '/t/act', headers: { ...admin, 'content-type': 'application/json' }, payload });
    const proto = await post('{"policy":{"rules":[{"__proto__":{"isAdmin":true}}]}}');
    expect(proto.statusCode).toBe(400);
    expect(proto.json().error.message).toMatch(/the key "__proto__" \(at policy\.rules\.0\.__proto__\)/);
    expect((await post('{"a":{"constructor":{"prototype":1}}}')).json().error.message).toMatch(/"constructor"/);
    expect((await post('{"note":"the constructor of __proto__"}')).json()).toEqual({ got: { note: 'the constructor of __proto__' } });
    const query = await app.inject({ method: 'GET', url: '/t/read?__proto__.gte=1', headers: admin });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.message).toMatch(/"__proto__.gte"/);
  });

  it('answers a JSON body over 1 MiB with 413 TOO_LARGE, before reading it', async () => {
    const { app, auth } = await open();
    const admin = await auth.bearer('admin');
    const res = await app.inject({ method: 'POST', url: '/t/act', headers: { ...admin, 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/at most 1048576 bytes/) });
  });

  it('answers a text/plain body with 415 naming the content type sent and the one expected', async () => {
    const { app, auth } = await open();
    const admin = await auth.bearer('admin');
    const res = await app.inject({ method: 'POST', url: '/t/act', headers: { ...admin, 'content-type': 'text/plain' }, payload: '{"a":1}' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/Content-Type "text\/plain".*application\/json/) });
  });
});
