import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ExecuteVerdict } from '../../decisioning/policy/index.js';
import { ManualClock } from '../../domain/clock.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from './guarded-executor.js';
import { contaminationOf, HOLDOUTS, holdoutRegister, notingHeldOut } from './holdout-register.js';

const T0 = Date.parse('2026-12-08T08:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
async function records() {
  const dir = mkdtempSync(join(tmpdir(), 'holdouts-'));
  dirs.push(dir);
  return openRecordStore({ kind: 'sqlite', dataDir: dir });
}
const request = (over: Partial<ActionRequest>): ActionRequest =>
  ({ id: 'r1', customerId: 'C017976', actionClass: 'discount', channel: 'app', cost: 6, params: { offerId: 'retain-10' }, actor: { kind: 'agent', id: 'campaign-manager' }, why: { summary: 's' }, ...over }) as ActionRequest;

describe('the holdout register', () => {
  it("refuses another run's automated marketing contact of a held-out customer, never the holder's own, a service message or a person's, and only until the horizon", async () => {
    const store = await records();
    const register = holdoutRegister(store);
    await register.hold({ flow: 'churn-prevention', runId: 'churn-prevention-2026-12-08-08-00', from: T0, until: T0 + 30 * 86_400_000, customerIds: ['C017976'] });
    const campaign = request({ domain: 'campaigns', params: { offerId: 'retain-10', campaignId: 'nc-retention' } });
    expect(register.refusal(campaign, T0 + 1)?.reason).toContain('held out as the control group of churn-prevention churn-prevention-2026-12-08-08-00 until 2027-01-07');
    expect(register.refusal(campaign, T0 - 1)).toBeNull();
    expect(register.refusal(campaign, T0 + 30 * 86_400_000)).toBeNull();
    expect(register.refusal(request({ domain: 'churn_prevention', params: { offerId: 'retain-10', campaignId: 'churn-prevention-2026-12-08-08-00' } }), T0 + 1)).toBeNull();
    expect(register.refusal(request({ actionClass: 'communication', params: { purpose: 'service', notificationChannel: 'sms' } }), T0 + 1)).toBeNull();
    expect(register.refusal(request({ actor: { kind: 'human', id: 'care-1' } }), T0 + 1)).toBeNull();
    await store.close();
  });

  it("releases some of a run's control before its horizon: another run may reach them again, the rest stay held, and a repeat writes nothing", async () => {
    const store = await records();
    const run = { flow: 'campaign' as const, runId: 'nc-retention' };
    const register = holdoutRegister(store);
    await register.hold({ ...run, from: T0, until: T0 + 1000, customerIds: ['C1', 'C2', 'C3'] });
    const campaign = request({ customerId: 'C1', domain: 'campaigns', params: { offerId: 'retain-10', campaignId: 'other' } });
    expect(register.refusal(campaign, T0 + 1)?.rule).toBe('held-out');
    expect(await register.release(run, ['C1', 'C9'])).toBe(1);
    expect(register.refusal(campaign, T0 + 1)).toBeNull();
    expect(await register.release(run, ['C1'])).toBe(0);
    expect(await register.release({ flow: 'campaign', runId: 'unknown' }, ['C2'])).toBe(0);
    const after = holdoutRegister(store);
    await after.load(T0 + 1);
    expect(['C1', 'C2', 'C3'].map((id) => after.heldBy(id, T0 + 1)?.runId)).toEqual([undefined, 'nc-retention', 'nc-retention']);
    await store.close();
  });

  it('keeps the contacts of held-out customers by others, once per request, and reads them back after a restart', async () => {
    const store = await records();
    const run = { flow: 'campaign' as const, runId: 'nc-retention' };
    const register = holdoutRegister(store);
    await register.hold({ ...run, from: T0, until: T0 + 1000, customerIds: ['C1', 'C2'] });
    const byCare = request({ id: 'care-9', customerId: 'C1', actor: { kind: 'human', id: 'care-1' } });
    await register.noteContact(byCare, T0 + 10);
    await register.noteContact(byCare, T0 + 10);
    // Its own contacts, and contacts outside the hold, are none of that.
    await register.noteContact(request({ id: 'own', customerId: 'C2', domain: 'campaigns', params: { offerId: 'retain-10', campaignId: 'nc-retention' } }), T0 + 10);
    await register.noteContact(request({ id: 'late', customerId: 'C2', actor: { kind: 'human', id: 'care-1' } }), T0 + 1000);
    const after = holdoutRegister(store);
    await after.load(T0 + 5);
    expect(after.heldBy('C2', T0 + 5)).toEqual({ ...run, until: T0 + 1000 });
    const contacts = await after.contactsOf(run);
    expect(contacts.map((c) => c.requestId)).toEqual(['care-9']);
    expect(contaminationOf(contacts, ['C1', 'C2'])).toEqual({ count: 1, by: { 'human care-1: discount retain-10': 1 }, customerIds: ['C1'] });
    expect(contaminationOf(contacts, ['C2'])).toBeUndefined();
    await store.close();
  });

  it("refuses a held-out customer's automated contact on a process that read the holds before another process placed the hold (a partition worker's executor)", async () => {
    const store = await records();
    const gdir = mkdtempSync(join(tmpdir(), 'holdouts-gov-'));
    dirs.push(gdir);
    const governance = await openGovernanceStore({ kind: 'sqlite', dataDir: gdir });
    const clock = new ManualClock(T0 + 60_000);
    // Worker 1 read the holds at its start: none then.
    const here = holdoutRegister(store);
    await here.load(T0);
    const acted: string[] = [];
    const executor: ActionExecutor = async (r) => (acted.push(r.id), { ok: true });
    const guarded = createGuardedExecutor({
      policy: parseActionPolicy(DEFAULT_ACTION_POLICY),
      contact: (r, now) => here.refusal(r, now),
      contactFresh: (r, now) => here.fresh(now, r),
      ledger: createBudgetLedger(governance),
      queue: createApprovalQueue(governance, clock),
      audit: createAuditTrail(governance, clock),
      executor: notingHeldOut(executor, here, () => clock.now()),
      clock,
    });
    // Worker 2 holds C1 out as its churn-prevention run's control, after worker 1 started.
    await holdoutRegister(store).hold({ flow: 'churn-prevention', runId: 'churn-prevention-p1', from: T0, until: T0 + 30 * 86_400_000, customerIds: ['C1'] });
    const offer = { actionClass: 'offer', channel: 'app', domain: 'campaigns', actor: { kind: 'agent', id: 'campaign-manager' }, why: { summary: 'campaign spring' } };
    // Before: worker 1 judged on the holds of its start, and the campaign's offer went out.
    const r = await guarded.execute({ ...offer, id: 'cmp:spring:C1', customerId: 'C1', params: { offerId: 'data-bonus', campaignId: 'spring' } });
    expect(r).toMatchObject({ status: 'refused', verdict: { guardrail: 'held-out' } });
    expect(r.reason).toContain('churn-prevention churn-prevention-p1');
    // Another customer is contacted, and the holds were read again only once.
    expect((await guarded.execute({ ...offer, id: 'cmp:spring:C2', customerId: 'C2', params: { offerId: 'data-bonus', campaignId: 'spring' } })).status).toBe('executed');
    expect(acted).toEqual(['cmp:spring:C2']);
    await governance.close();
    await store.close();
  });

  it("notes a held-out customer's contact before it is made: a crash right after the act keeps the note, an act the back end did not do forgets it", async () => {
    const store = await records();
    const run = { flow: 'campaign' as const, runId: 'nc-retention' };
    const register = holdoutRegister(store);
    await register.hold({ ...run, from: T0, until: T0 + 1000, customerIds: ['C1', 'C2'] });
    const verdict = {} as ExecuteVerdict;
    // The process dies once the back end acted, before the executor's answer: the note is there (before: written after, lost).
    const dying = notingHeldOut(async () => {
      throw new Error('process died');
    }, register, () => T0 + 10);
    await expect(dying(request({ id: 'care-1', customerId: 'C1', actor: { kind: 'human', id: 'care-1' } }), verdict)).rejects.toThrow('process died');
    // The back end refused it (final, as a connector's rejection says): nothing was done, nothing noted.
    const refusing = notingHeldOut(async () => ({ ok: false, error: 'no such offer', detail: { retryable: false } }), register, () => T0 + 10);
    expect(await refusing(request({ id: 'care-2', customerId: 'C2', actor: { kind: 'human', id: 'care-1' } }), verdict)).toMatchObject({ ok: false });
    expect((await register.contactsOf(run)).map((c) => c.requestId)).toEqual(['care-1']);
    // A note that cannot be written fails the act before anything is done.
    let called = false;
    const broken = notingHeldOut(async () => ((called = true), { ok: true }), { noteContact: async () => Promise.reject(new Error('store down')), forgetContact: async () => undefined }, () => T0 + 10);
    expect(await broken(request({ id: 'care-3', customerId: 'C2', actor: { kind: 'human', id: 'care-1' } }), verdict)).toMatchObject({ ok: false, error: expect.stringContaining('store down') });
    expect(called).toBe(false);
    await store.close();
  });

  it("keeps a held-out customer's note through a contact that failed retryably: the retry carries it, once, from its first try", async () => {
    const store = await records();
    const run = { flow: 'campaign' as const, runId: 'nc-retention' };
    const register = holdoutRegister(store);
    await register.hold({ ...run, from: T0, until: T0 + 1000, customerIds: ['C1', 'C2'] });
    const verdict = {} as ExecuteVerdict;
    const byCare = request({ id: 'care-1', customerId: 'C1', actor: { kind: 'human', id: 'care-1' } });
    // The back end timed out (it may have acted): a transient failure, as the connector executor answers one.
    const timedOut = notingHeldOut(async () => ({ ok: false, error: 'transient: timeout', detail: { retryable: true, reason: 'timeout' } }), register, () => T0 + 10);
    expect(await timedOut(byCare, verdict)).toMatchObject({ ok: false });
    // Before, the note went with the failure: a contact the back end may have made read as control.
    expect((await register.contactsOf(run)).map((c) => [c.requestId, c.at])).toEqual([['care-1', T0 + 10]]);
    // The retry, later in the hold, goes through: one note, dated by the first try.
    const works = notingHeldOut(async () => ({ ok: true }), register, () => T0 + 500);
    expect(await works(byCare, verdict)).toMatchObject({ ok: true });
    expect((await register.contactsOf(run)).map((c) => [c.requestId, c.at])).toEqual([['care-1', T0 + 10]]);
    // A back end holding every act (nothing ran, the asker is told when to ask again) leaves no note.
    const held = notingHeldOut(async () => ({ ok: false, error: 'the world is loading', detail: { retryable: true, held: true, retryAfterMs: 1000 } }), register, () => T0 + 20);
    expect(await held(request({ id: 'care-2', customerId: 'C2', actor: { kind: 'human', id: 'care-1' } }), verdict)).toMatchObject({ ok: false });
    expect((await register.contactsOf(run)).map((c) => c.requestId)).toEqual(['care-1']);
    await store.close();
  });

  it('deletes the holds that ended when it reads them, and keeps the contacts their runs report', async () => {
    const store = await records();
    const run = { flow: 'campaign' as const, runId: 'over' };
    const register = holdoutRegister(store);
    await register.hold({ ...run, from: T0, until: T0 + 1000, customerIds: ['C1'] });
    await register.hold({ flow: 'campaign', runId: 'going', from: T0, until: T0 + 5000, customerIds: ['C2'] });
    await register.noteContact(request({ id: 'care-1', customerId: 'C1', actor: { kind: 'human', id: 'care-1' } }), T0 + 10);
    await register.load(T0 + 2000);
    expect((await store.list(HOLDOUTS)).map((r) => r.id)).toEqual(['campaign:going']);
    expect(register.heldBy('C1', T0 + 500)).toBeUndefined();
    expect(register.heldBy('C2', T0 + 2500)).toMatchObject({ runId: 'going' });
    expect((await register.contactsOf(run)).map((c) => c.requestId)).toEqual(['care-1']);
    await store.close();
  });
});
