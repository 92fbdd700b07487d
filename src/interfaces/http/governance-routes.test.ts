import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { governanceRoutes } from './governance-routes.js';
import { createHttpApp } from './server.js';

let auth: TestAuth;
beforeAll(async () => {
  auth = await openTestAuth();
});
afterAll(async () => {
  await auth.close();
});

describe('POST /actions', () => {
  it("refuses a body asserting the customer's yes (params.customerAccepted), naming the field and the way a person records it; nothing reaches the policy", async () => {
    const asked: unknown[] = [];
    const services = { guarded: { execute: async (r: unknown) => (asked.push(r), { status: 'executed', requestId: 'r1', reason: 'ok' }) } } as unknown as OperatorServices;
    const app = createHttpApp({ version: 'test', auth: auth.auth }, [governanceRoutes(services)]);
    const headers = { ...(await auth.bearer('supervisor', 'sam')), 'content-type': 'application/json' };
    const offer = { actionClass: 'offer', channel: 'call', customerId: 'C000001', params: { offerId: 'data-bonus' }, why: { summary: 'on the line' } };
    const refused = await app.inject({ method: 'POST', url: '/actions', headers, payload: JSON.stringify({ ...offer, params: { ...offer.params, customerAccepted: true } }) });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/params\.customerAccepted: not a field a request may carry.*POST \/decisions\/:id\/accept/);
    expect(asked).toEqual([]);
    const plain = await app.inject({ method: 'POST', url: '/actions', headers, payload: JSON.stringify(offer) });
    expect(plain.statusCode).toBe(200);
    expect(asked).toHaveLength(1);
    await app.close();
  });
});
