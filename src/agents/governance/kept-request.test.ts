import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { createBudgetLedger, parseActionPolicy, type ActionPolicyDocument, type ActionRequest, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { memoryDocuments } from '../../store/document-store.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { governanceStoreForTests } from './governance-fixtures.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor, requestHash, type Ask, type KeptAnswer } from './guarded-executor.js';
import { askedToday } from './kept-request.js';

const T0 = Date.UTC(2026, 4, 14, 9);
let store: GovernanceStore;
governanceStoreForTests('kept-request', (opened) => (store = opened));

const policy = (offers: 'autonomous' | 'approve') =>
  parseActionPolicy({
    version: 0,
    fallbackMode: 'advise',
    rules: [
      { id: 'communications', actionClass: 'communication', mode: 'autonomous', riskClass: 'low' },
      { id: 'offers', actionClass: 'offer', mode: offers, riskClass: 'medium' },
    ],
  } as ActionPolicyDocument);

function setup(offers: 'autonomous' | 'approve' = 'autonomous') {
  const clock = new ManualClock(T0);
  const acted: ActionRequest[] = [];
  const asks = memoryDocuments<Ask>();
  const answers = memoryDocuments<KeptAnswer>();
  const queue = createApprovalQueue(store, clock);
  const guarded = createGuardedExecutor({ policy: policy(offers), ledger: createBudgetLedger(store), queue, audit: createAuditTrail(store, clock), executor: async (r) => (acted.push(r), { ok: true }), clock, asks, answers });
  /** Rewrites the ask kept under `id` as an earlier version kept it (`old` maps its content), hashed as it was then. */
  const keptAsBefore = async (id: string, old: (content: Record<string, unknown>) => Record<string, unknown>) => {
    const kept = (await asks.get(id))!;
    const content = old(structuredClone(kept.content!));
    await asks.put(id, { ...kept, content, hash: requestHash(content) });
  };
  return { acted, asks, queue, guarded, keptAsBefore };
}

let n = 0;
/** A service-operations notice sent by SMS, on the channel today's flow builds it on (web). */
const notice = (channel: 'app' | 'web'): ActionRequestInput => ({
  id: `kept-notice-${n}`,
  actionClass: 'communication',
  channel,
  customerId: 'C1',
  domain: 'service_operations',
  params: { notificationChannel: 'sms', purpose: 'service', templateId: 'network-incident-notice', alarmId: 'ALM-1' },
  actor: { kind: 'agent', id: 'service-ops' },
  why: { summary: 'outage on your cell' },
});
/** An offer a care agent accepted for the customer on the call, as acceptedRequest builds it today. */
const accepted = (): ActionRequestInput => ({
  id: `kept-accept-${n}`,
  actionClass: 'offer',
  channel: 'call',
  customerId: 'C1',
  domain: 'care',
  params: { offerId: 'data-bonus', decisionId: `d-${n}` },
  customerAccepted: true,
  actor: { kind: 'human', id: 'u:carla' },
  why: { summary: 'billing_complaint: next-best-action Data bonus' },
});

describe('requests kept by an earlier version', () => {
  it('a notice kept as asked on app (sent by SMS) is the same request as today\'s on web: answered from its first time, not CONFLICT', async () => {
    n++;
    const s = setup();
    const first = await s.guarded.execute(notice('web'));
    expect(first.status).toBe('executed');
    // Before 0f2e29f the flow asked it on app, and the ask was kept so: content channel app.
    await s.keptAsBefore(first.requestId, (c) => ({ ...c, channel: 'app' }));
    const again = await s.guarded.execute(notice('web'));
    expect(again).toMatchObject({ status: 'executed', repeated: true, requestId: first.requestId });
    expect(s.acted).toHaveLength(1);
    // Another notice under the id is still another request.
    await expect(s.guarded.execute({ ...notice('web'), params: { ...notice('web').params, templateId: 'network-incident-resolved' } })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/params\.templateId/) });
  });

  it('an ask kept with the customer\'s yes in params is the same request as today\'s with customerAccepted: answered from its first time, not CONFLICT', async () => {
    n++;
    const s = setup();
    const first = await s.guarded.execute(accepted());
    expect(first.status).toBe('executed');
    // Before 88cf0d1 acceptedRequest wrote params.customerAccepted.
    await s.keptAsBefore(first.requestId, ({ customerAccepted: _yes, ...c }) => ({ ...c, params: { ...(c.params as object), customerAccepted: true } }));
    const again = await s.guarded.execute(accepted());
    expect(again).toMatchObject({ status: 'executed', repeated: true });
    expect(s.acted).toHaveLength(1);
    // Today's ask without the yes (an agent's, presented) is another request.
    await expect(s.guarded.execute({ ...accepted(), customerAccepted: undefined })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/customerAccepted/) });
  });

  it('an approval queued with the customer\'s yes in params is carried out as accepted by the person on the line (the yes is not lost)', async () => {
    n++;
    const s = setup('approve');
    // Queued by an earlier version: the request as it kept it, the yes in params.
    const { customerAccepted: _yes, ...today } = accepted();
    const kept = { ...today, id: `kept-approval-${n}`, params: { ...today.params, customerAccepted: true }, features: {}, cost: 3 } as ActionRequest;
    const item = await s.queue.request({ request: kept, why: ['offers need a person'], riskClass: 'medium', rule: 'offers', timeoutMinutes: 60, onTimeout: 'reject' });
    const r = await s.guarded.approve(item.id, { kind: 'human', id: 'u:sam' }, 'fine');
    expect(r.status).toBe('executed');
    expect(s.acted).toHaveLength(1);
    expect(s.acted[0].customerAccepted).toBe(true);
    expect(s.acted[0].params).not.toHaveProperty('customerAccepted');
  });

  it('askedToday keeps the yes only for a person on the line, and is idempotent', () => {
    const web = askedToday({ channel: 'web', params: { offerId: 'x', customerAccepted: true } }, { kind: 'human' });
    expect(web).toEqual({ channel: 'web', params: { offerId: 'x' } });
    const agent = askedToday({ channel: 'call', params: { offerId: 'x', customerAccepted: true } }, { kind: 'agent' });
    expect(agent).toEqual({ channel: 'call', params: { offerId: 'x' } });
    const call = askedToday({ channel: 'call', params: { offerId: 'x', customerAccepted: true } }, { kind: 'human' });
    expect(call).toEqual({ channel: 'call', params: { offerId: 'x' }, customerAccepted: true });
    expect(askedToday(call, { kind: 'human' })).toEqual(call);
    const sms = askedToday({ channel: 'app', params: { notificationChannel: 'sms' } }, { kind: 'agent' });
    expect(sms.channel).toBe('web');
    expect(askedToday(sms, { kind: 'agent' })).toEqual(sms);
  });
});
