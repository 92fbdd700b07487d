import { describe, expect, it } from 'vitest';
import { appsForTests } from './app-fixtures.js';

/** Signing in (POST /auth/session), what the sign-in page shows of its answer. */
describe('the sign-in exchange', () => {
  const open = appsForTests();

  it('refuses a bad key saying what is wrong and where keys are, not to go and sign in at the page it is shown on', async () => {
    const { app } = await open();
    const res = await app.inject({ method: 'POST', url: '/auth/session', payload: { key: 'twl_nope' } });
    expect(res.statusCode).toBe(401);
    const { message } = res.json<{ error: { message: string } }>().error;
    expect(message).toMatch(/^not signed in: /);
    expect(message).toContain("sign in with another key (the first start wrote an admin key to the data dir's admin.key; `twinloop keys create` makes more)");
    expect(message).not.toContain('/sign-in');
    // Elsewhere, a request without a key is still sent to the sign-in page.
    const elsewhere = await app.inject({ method: 'GET', url: '/auth/me' });
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.json<{ error: { message: string } }>().error.message).toMatch(/or sign in at \/sign-in$/);
  });

  it('signs in with a good key', async () => {
    const { app, auth } = await open();
    const key = (await auth.bearer('viewer', 'vera')).authorization.slice('Bearer '.length);
    const res = await app.inject({ method: 'POST', url: '/auth/session', payload: { key } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ subject: 'vera', role: 'viewer' });
  });
});
