import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';
import { registerCustomers } from './support/customers.js';

/**
 * A credit's approval threshold over HTTP, as the newcomer asked it (decision 0068): with the
 * README's ai_agent key, a credit under the threshold to a customer who already has one waiting for
 * a person is judged with it and waits for a person too, naming the sum and the earlier credit; once
 * that one is rejected (it moved nothing), the next small credit is judged alone. No back ends run
 * here, so a credit the policy lets through fails to reach one (and gives its room back).
 */
describe('a money threshold over a window, through POST /actions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-money-window-'));
  let bare: BareOperator;
  const keys: Record<string, string> = {};
  const post = async (url: string, who: string, body: unknown) => {
    const res = await bare.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${keys[who]}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    return { status: res.statusCode, body: res.json() as { status?: string; reason?: string; approvalId?: string; error?: { message: string } } };
  };
  const credit = (cost: number, summary: string) => ({ actionClass: 'credit', channel: 'call', customerId: 'C1', cost, why: { summary } });

  beforeAll(async () => {
    bare = await startBareOperator(dir);
    const create = async (name: string, input: Record<string, unknown>) => (keys[name] = (await bare.operator.auth.keys.create(input, 'money window test')).key);
    await create('admin', { subject: 'admin-1', role: 'admin' });
    await create('care', { subject: 'carla', role: 'care_agent' });
    await create('agent', { subject: 'ai_agent', role: 'ai_agent' });
    await create('supervisor', { subject: 'sam', role: 'supervisor' });
    await registerCustomers(bare.app, `Bearer ${keys.admin}`, [{ id: 'C1', marketing: false }]);
  }, 60_000);
  afterAll(async () => {
    await bare?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends an AI agent's credit of 9.99 to a person while a care agent's 50 for the same customer waits, naming the sum; once that is rejected the next is judged alone", async () => {
    const big = await post('/actions', 'care', credit(50, 'billed twice in May'));
    expect(big.body).toMatchObject({ status: 'pending-approval' });

    const split = await post('/actions', 'agent', credit(9.99, 'agent goodwill 1'));
    expect(split.status, JSON.stringify(split.body)).toBe(200);
    expect(split.body.status).toBe('pending-approval');
    expect(split.body.reason).toBe('cost 9.99 with the 50 of 1 earlier credit to C1 in the last 30 days comes to 59.99, above 10: a human approves first');
    const approval = await bare.app.inject({ method: 'GET', url: `/approvals/${split.body.approvalId}`, headers: { authorization: `Bearer ${keys.supervisor}` } });
    expect(JSON.stringify(approval.json())).toMatch(/earlier credits to C1 counted: 50 waiting for a person since .* by human:carla\)/);

    const rejected = await post(`/approvals/${big.body.approvalId}/reject`, 'supervisor', { reason: 'billed once' });
    expect(rejected.body.status).toBe('refused');
    // The 50 moved nothing; the 9.99 still waiting is what C1 may yet be given: 9.99 + 0.01 is 10, within the threshold.
    const next = await post('/actions', 'agent', credit(0.01, 'agent goodwill 2'));
    expect(next.body.status, JSON.stringify(next.body)).not.toBe('pending-approval');
    const over = await post('/actions', 'agent', credit(0.02, 'agent goodwill 3'));
    expect(over.body.status).toBe('pending-approval');
    expect(over.body.reason).toMatch(/cost 0\.02 with the 9\.99 of 1 earlier credit to C1 .* comes to 10\.01, above 10/);
  });
});
