import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { contaminationOf, holdoutRegister } from './holdout-register.js';

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
});
