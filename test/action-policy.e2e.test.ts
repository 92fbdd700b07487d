import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACTION_POLICY } from '../src/decisioning/policy/index.js';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';
import { registerCustomers } from './support/customers.js';

/**
 * The action policy as data, on the operator as `npm start` assembles it: an admin changes the
 * approval threshold of credits over HTTP and the very next request is judged by it (no restart),
 * with who and why in the history and the audit trail; a bad document is refused naming its field;
 * a viewer reads the policy but cannot change it. A restart with `--policy FILE` (the operator's
 * actionPolicyFile) puts the file in force once.
 */
describe('the action policy over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-policy-'));
  let running: BareOperator | undefined;
  let operator: Operator;
  let app: FastifyInstance;
  const start = async (options: Parameters<typeof startBareOperator>[1] = {}) => {
    running = await startBareOperator(dir, options);
    ({ operator, app } = running);
  };
  const keys: Record<string, string> = {};

  const call = async (method: 'GET' | 'PUT' | 'POST', url: string, who: string, body?: unknown) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, payload: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> & { error?: { message: string } } };
  };
  const credit = (amount: number) => call('POST', '/actions', 'supervisor', { actionClass: 'credit', channel: 'call', customerId: 'C1', params: { amount }, why: { summary: 'goodwill' } });
  const creditsApprovedAbove = (above: number) => ({
    ...DEFAULT_ACTION_POLICY,
    rules: (DEFAULT_ACTION_POLICY.rules ?? []).map((r) => (r.id === 'credits' ? { ...r, guardrails: { ...r.guardrails, approveAboveCost: above } } : r)),
  });

  beforeAll(async () => {
    await start();
    for (const role of ['admin', 'supervisor', 'viewer'] as const) keys[role] = (await operator.auth.keys.create({ subject: `${role}-1`, role }, 'policy test')).key;
    // The customer the credits are for: an action for a customer no twin holds is 404 before the policy.
    await registerCustomers(app, `Bearer ${keys.admin}`, [{ id: 'C1', marketing: false }]);
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a change takes effect on the next request, with who and why kept; bad documents and readers are refused', async () => {
    const start = await call('GET', '/policy', 'viewer');
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ version: 0, changedBy: null });
    // Today a credit of 20 waits for a person (approval above 10).
    expect((await credit(20)).body).toMatchObject({ status: 'pending-approval' });

    const bad = await call('PUT', '/policy', 'admin', { policy: { ...DEFAULT_ACTION_POLICY, rules: [{ id: 'c', actionClass: 'credit', mode: 'whenever' }] }, reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/rules\[0\]\.mode/);
    expect((await call('PUT', '/policy', 'admin', { policy: creditsApprovedAbove(50) })).status).toBe(400);
    const viewer = await call('PUT', '/policy', 'viewer', { policy: creditsApprovedAbove(50), reason: 'me too' });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error?.message).toMatch(/policy:write/);

    const set = await call('PUT', '/policy', 'admin', { policy: creditsApprovedAbove(50), reason: 'goodwill up to 50 is routine', basedOn: 0 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ version: 1, changedBy: { kind: 'human', id: 'admin-1' }, reason: 'goodwill up to 50 is routine' });
    // The next request: no approval any more (no back ends here, so the executed credit fails to reach one).
    expect((await credit(20)).body.status).not.toBe('pending-approval');
    expect((await credit(60)).body).toMatchObject({ status: 'pending-approval' });

    expect((await call('PUT', '/policy', 'admin', { policy: creditsApprovedAbove(5), reason: 'stale edit', basedOn: 0 })).status).toBe(409);
    // The same document saved again (keys in another order, another reason): no new version, said so.
    const again = await call('PUT', '/policy', 'admin', { reason: 'saved twice', policy: Object.fromEntries(Object.entries(creditsApprovedAbove(50)).reverse()) });
    expect([again.status, again.body]).toEqual([200, { ...set.body, unchanged: true }]);
    expect(set.body.unchanged).toBe(false);
    const history = await call('GET', '/policy/history', 'viewer');
    expect((history.body as unknown as { version: number; reason: string }[]).map((v) => [v.version, v.reason])).toEqual([
      [1, 'goodwill up to 50 is routine'],
      [0, expect.stringMatching(/built-in default/)],
    ]);
    const audit = (await call('GET', '/audit?limit=1000', 'admin')).body as unknown as { entry: { type: string; actor: { id: string }; why: { summary?: string } } }[];
    expect(audit.filter((r) => r.entry.type === 'policy.changed').map((r) => [r.entry.actor.id, r.entry.why.summary])).toEqual([['admin-1', 'goodwill up to 50 is routine']]);
    // A person's change is dated on the wall clock, and the answer says which clock each entry's time is on.
    expect((audit as unknown as { clock: string; entry: { type: string } }[]).map((r) => [r.entry.type, r.clock]).filter(([t]) => t === 'policy.changed' || t === 'action.requested')).toEqual(
      expect.arrayContaining([['policy.changed', 'wall'], ['action.requested', 'operator']]),
    );
  });

  it("what GET /policy answers can be PUT back as it is (nothing changes), or edited with a new reason; the document's version is the version", async () => {
    const read = await call('GET', '/policy', 'admin');
    expect((read.body.document as { version: number }).version).toBe(read.body.version);
    const same = await call('PUT', '/policy', 'admin', read.body);
    expect(same.status).toBe(200);
    expect(same.body).toEqual({ ...read.body, unchanged: true });
    const edited = { ...read.body, document: { ...(read.body.document as object), fallbackMode: 'approve' } };
    const stale = await call('PUT', '/policy', 'admin', edited);
    expect(stale.status).toBe(400);
    expect(stale.body.error?.message).toMatch(/^reason: still version \d+'s reason/);
    const next = await call('PUT', '/policy', 'admin', { ...edited, reason: 'what no rule covers waits for a person' });
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ version: (read.body.version as number) + 1, document: { version: (read.body.version as number) + 1, fallbackMode: 'approve' } });
    // Put back from a version no longer in force: refused, not overwritten.
    expect((await call('PUT', '/policy', 'admin', { ...edited, reason: 'late' })).status).toBe(409);
    expect((await call('PUT', '/policy', 'admin', { policy: DEFAULT_ACTION_POLICY, document: DEFAULT_ACTION_POLICY, reason: 'both' })).body.error?.message).toMatch(/not both/);
  });

  it('a restart with a policy file puts it in force once, and the same file again changes nothing', async () => {
    await running!.close();
    const file = { document: creditsApprovedAbove(30), path: 'ops-policy.json' };
    for (let i = 0; i < 2; i++) {
      await start({ actionPolicyFile: file });
      const now = await call('GET', '/policy', 'viewer');
      expect(now.body).toMatchObject({ version: 3, changedBy: { kind: 'system', id: 'twinloop-start' }, reason: expect.stringMatching(/ops-policy\.json/) });
      if (i === 0) await running!.close();
    }
  }, 120_000);

  it('refuses an action class it does not act on at the edge, writing nothing; a class no rule covers is only advised, to a person too', async () => {
    await registerCustomers(app, `Bearer ${keys.admin}`, [{ id: 'C123', marketing: true }]);
    const timelineKinds = async () => ((await call('GET', '/twins/C123/timeline', 'viewer')).body as unknown as { items: { event: { kind: string } }[] }).items.map((i) => i.event.kind);
    const auditOfC123 = async () => (await call('GET', '/audit?order=newest&q=C123', 'admin')).body as unknown as unknown[];
    for (const actionClass of ['credits', 'refund']) {
      const r = await call('POST', '/actions', 'supervisor', { id: `typo-${actionClass}`, actionClass, channel: 'call', customerId: 'C123', cost: 5, why: { summary: 'goodwill' } });
      expect(r.status).toBe(400);
      expect(r.body.error?.message).toMatch(/actionClass/);
      expect(r.body.error?.message).toMatch(new RegExp(`"${actionClass}" is not an action class Twinloop acts on: one of offer, credit, discount, plan_change, addon, termination, communication, compensation, trouble_ticket`));
    }
    // Refused before anything was asked: no audit entry, nothing on the customer's timeline.
    expect(await auditOfC123()).toEqual([]);
    expect(await timelineKinds()).toEqual(['customer']);

    // A policy with no rule for credits: a person's credit meets the fallback (advise) and is only advised.
    const current = await call('GET', '/policy', 'viewer');
    const document = current.body.document as typeof DEFAULT_ACTION_POLICY;
    const noCredits = { ...document, rules: (document.rules ?? []).filter((r) => r.actionClass !== 'credit') };
    expect((await call('PUT', '/policy', 'admin', { policy: noCredits, reason: 'credits only on advice until the goodwill rules are written' })).status).toBe(200);
    const advised = await call('POST', '/actions', 'supervisor', { actionClass: 'credit', channel: 'call', customerId: 'C123', cost: 5, why: { summary: 'goodwill' } });
    expect(advised.status).toBe(200);
    expect(advised.body).toMatchObject({ status: 'advised', verdict: { verdict: 'advise-only', mode: 'advise', rule: null } });
    expect(advised.body.reason).toMatch(/nothing is executed/);
    expect(await timelineKinds()).toEqual(['customer']);
  });

  it("judges a segment's rule on what the operator knows of the customer, never on the features the caller sends", async () => {
    const highValueCredits = {
      ...DEFAULT_ACTION_POLICY,
      rules: [...(DEFAULT_ACTION_POLICY.rules ?? []), { id: 'credits-high-value', actionClass: 'credit', segment: 'high_value', mode: 'autonomous', riskClass: 'medium', guardrails: { approveAboveCost: 50, costCap: 100 } }],
    };
    expect((await call('PUT', '/policy', 'admin', { policy: highValueCredits, reason: 'high-value customers get goodwill up to 50 without a wait' })).status).toBe(200);
    // C1 has no bills here, so no ARPU: whatever the caller claims, the credit of 40 is judged by the general rule.
    const claimed = await call('POST', '/actions', 'supervisor', { actionClass: 'credit', channel: 'call', customerId: 'C1', params: { amount: 40 }, features: { arpu_3m: 500 }, why: { summary: 'goodwill' } });
    expect(claimed.body).toMatchObject({ status: 'pending-approval', verdict: { rule: 'credits' } });
    // A customer no twin holds is no customer: 404 before the policy, whatever is claimed (on the old code it waited for a person as rule "credits").
    const nobody = await call('POST', '/actions', 'supervisor', { actionClass: 'credit', channel: 'call', customerId: 'C404', params: { amount: 40 }, features: { arpu_3m: 500 }, why: { summary: 'goodwill' } });
    expect(nobody).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.stringMatching(/^no customer C404: no twin holds them/) } } });
  });
});
