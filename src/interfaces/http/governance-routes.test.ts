import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalQueue } from '../../agents/governance/approval-queue.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { governanceStoreForTests } from '../../agents/governance/governance-fixtures.js';
import { createGuardedExecutor } from '../../agents/governance/guarded-executor.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../decisioning/policy/index.js';
import { ManualClock } from '../../domain/clock.js';
import type { GovernanceStore } from '../../store/governance-store.js';
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
  it('answers an empty body 400 naming every field it needs in the sender\'s words, the customer included, and what came', async () => {
    const services = { guarded: { execute: async () => ({ status: 'executed', requestId: 'r1', reason: 'ok' }) } } as unknown as OperatorServices;
    const app = createHttpApp({ version: 'test', auth: auth.auth }, [governanceRoutes(services)]);
    const headers = { ...(await auth.bearer('supervisor', 'sam')), 'content-type': 'application/json' };
    const empty = await app.inject({ method: 'POST', url: '/actions', headers, payload: '{}' });
    expect(empty.statusCode).toBe(400);
    const message = empty.json().error.message as string;
    expect(message).toMatch(/^actionClass: required: one of offer, credit, .*; channel: required: one of web, app, call, chat, store, retail_partner; customerId: required: text; e\.g\. \{/);
    const wrong = await app.inject({ method: 'POST', url: '/actions', headers, payload: JSON.stringify({ actionClass: 'credit', channel: 'phone', customerId: 7, cost: -1 }) });
    expect(wrong.json().error.message).toMatch(/^channel: expected one of web, .*, got "phone"; customerId: expected text, got 7; cost: expected at least 0, got -1; e\.g\./);
    await app.close();
  });

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

let store: GovernanceStore;
governanceStoreForTests('approvals-route', (opened) => (store = opened));

describe('GET /approvals', () => {
  it("shows a top-up's approver the payment it adds to as it stands when they look, not as its asker heard it: waiting, then rejected with who and why", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 10, 10));
    const queue = createApprovalQueue(store, clock);
    const guarded = createGuardedExecutor({ policy: parseActionPolicy(DEFAULT_ACTION_POLICY), ledger: createBudgetLedger(store), queue, audit: createAuditTrail(store, clock), executor: async () => ({ ok: true }), clock });
    const services = { guarded, approvals: queue, decideApproval: (id: string, d: { approve: boolean; by: { kind: 'human'; id: string }; reason: string }) => (d.approve ? guarded.approve(id, d.by, d.reason) : guarded.reject(id, d.by, d.reason)) } as unknown as OperatorServices;
    const app = createHttpApp({ version: 'test', auth: auth.auth }, [governanceRoutes(services)]);
    const headers = await auth.bearer('supervisor', 'sam');
    const actor = { kind: 'agent' as const, id: 'service-operations' };
    const payment = await guarded.execute({ id: 'ALM-1:compensation:C1', actionClass: 'compensation', channel: 'app', customerId: 'C1', cost: 40, actor, why: { summary: 'outage' } });
    const topUp = await guarded.execute({ id: 'ALM-1:compensation-uplift-critical:C1', actionClass: 'compensation', channel: 'app', customerId: 'C1', cost: 5, params: { addsTo: [payment.requestId] }, actor, why: { summary: 'made critical' } });
    const read = async () => {
      const items = (await app.inject({ method: 'GET', url: '/approvals', headers })).json() as { id: string; addsTo?: unknown[] }[];
      return { listed: items.find((i) => i.id === topUp.approvalId)?.addsTo, own: (await app.inject({ method: 'GET', url: `/approvals/${topUp.approvalId}`, headers })).json().addsTo };
    };
    expect(await read()).toEqual({ listed: [{ requestId: payment.requestId, status: 'pending-approval', reason: expect.stringMatching(/^waiting for a person since /) }], own: [expect.objectContaining({ status: 'pending-approval' })] });
    // Approving the top-up first is refused: its payment is decided first.
    const early = await app.inject({ method: 'POST', url: `/approvals/${topUp.approvalId}/approve`, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ reason: 'ok' }) });
    expect(early.statusCode).toBe(409);
    await guarded.reject(payment.approvalId!, { kind: 'human', id: 'sue' }, 'not on the cell');
    const now = await read();
    expect(now.listed).toEqual([{ requestId: payment.requestId, status: 'refused', reason: 'rejected by sue: not on the cell' }]);
    expect(now.own).toEqual(now.listed);
    // An approval that adds to nothing says nothing of it.
    const plain = await guarded.execute({ id: 'ALM-2:compensation:C2', actionClass: 'compensation', channel: 'app', customerId: 'C2', cost: 40, actor, why: { summary: 'outage' } });
    expect((await app.inject({ method: 'GET', url: `/approvals/${plain.approvalId}`, headers })).json()).not.toHaveProperty('addsTo');
    await app.close();
  });
});
