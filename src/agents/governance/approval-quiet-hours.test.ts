import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { actionContactRefusal } from '../../decisioning/action-contact.js';
import { contactGate, resolveContactPolicy } from '../../decisioning/contact-policy.js';
import type { ContactSummary } from '../../decisioning/contact-ledger.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../../twin/twin-features.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { governanceStoreForTests } from './governance-fixtures.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor } from './guarded-executor.js';

/**
 * An approval a person gives while the customer's quiet hours hold outbound contact (decision
 * 0028: the wait in people's time, the act judged on the world as it happens): the act waits for
 * them to end and is judged again then, instead of being refused for good.
 */

/** 14 May 2026, 15:00 UTC: the customer's afternoon. */
const T0 = Date.UTC(2026, 4, 14, 15);
let store: GovernanceStore;
governanceStoreForTests('quiet-approval', (opened) => (store = opened));

let n = 0;
/**
 * Offers wait for a person; quiet hours 21:00–08:00 UTC; `consent` is the customer's marketing
 * consent, which a test may withdraw. With `onCall`, the contact rules as the server applies them,
 * whether the customer is in contact read from the request's stamp, which the executor sets from
 * `onCall.C1` (a person's call in progress, the operator's context).
 */
function setup(onCall?: { C1: boolean }) {
  const policy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: [{ id: 'offers-approve', actionClass: 'offer', mode: 'approve', riskClass: 'medium' }] });
  const contactPolicy = resolveContactPolicy({ quietHours: { startHour: 21, endHour: 8, zone: { utcOffsetMinutes: 0 } } });
  const world = new ManualClock(T0);
  const people = new ManualClock(T0);
  const facts = { consent: 1 };
  const summary: ContactSummary = { contacts: 0, perChannel: new Float64Array(8).fill(Number.NaN), lastDeclineAt: -Infinity, lastDeclineOf: () => -Infinity, source: 'twin' };
  const features = () => {
    const f = new Float64Array(FEATURE_COUNT);
    f[FEATURE_INDEX.marketing_consent] = facts.consent;
    return f;
  };
  const acted: string[] = [];
  const audit = createAuditTrail(store, world);
  const queue = createApprovalQueue(store, people);
  const guarded = createGuardedExecutor({
    policy,
    ledger: createBudgetLedger(store),
    queue,
    audit,
    // The contact rules: quiet hours first, then consent; with `onCall`, as the server applies them.
    contact: (request, now) => (onCall ? actionContactRefusal(contactPolicy, request, { summary, features: features(), consents: () => ({ sms: null, email: null }) }, now) : contactGate(contactPolicy, summary, features(), { channel: 'app', direction: 'outbound', now }).marketing),
    ...(onCall ? { inContact: (r: { actor: { kind: string }; channel: string }) => (r.actor.kind === 'human' && r.channel === 'call' ? onCall.C1 : undefined) } : {}),
    executor: (r) => (acted.push(r.id), Promise.resolve({ ok: true })),
    clock: world,
  });
  const request: ActionRequestInput = { id: `quiet-${++n}`, actionClass: 'offer', channel: 'app', customerId: 'C1', cost: 3, params: { offerId: 'data-bonus', present: true, direction: 'outbound' }, actor: { kind: 'agent', id: 'campaign-manager' }, why: { summary: 'campaign q, variant v' } };
  return { world, people, facts, acted, audit, guarded, queue, request };
}

describe('an approval given in the customer\'s quiet hours', () => {
  it('waits for them to end and is carried out then, judged again; asked again meanwhile it says so and writes nothing', async () => {
    const { world, people, acted, audit, guarded, request } = setup();
    const asked = await guarded.execute(request);
    expect(asked.status).toBe('pending-approval');
    // The person approves at 23:00 of the customer's world: quiet hours.
    world.set(Date.UTC(2026, 4, 14, 23));
    people.advance(60_000);
    const approved = await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:ops' }, 'fine');
    expect(approved, JSON.stringify(approved)).toMatchObject({ status: 'pending-approval', approvalId: asked.approvalId, notBefore: Date.UTC(2026, 4, 15, 8) });
    expect(approved.reason).toMatch(/quiet hours/);
    expect(acted).toEqual([]);
    expect(await guarded.approvalOutcome(asked.approvalId!)).toMatchObject({ status: 'pending-approval' });
    // Asked again in them (a campaign's next tick): still waiting, nothing judged or written again.
    const head = (await store.auditHead()).seq;
    world.set(Date.UTC(2026, 4, 15, 2));
    expect(await guarded.execute(request)).toMatchObject({ status: 'pending-approval', approvalId: asked.approvalId });
    expect(await guarded.actDeferred()).toEqual([]);
    expect((await store.auditHead()).seq).toBe(head);
    // The quiet hours end: the sweep carries it out, once.
    world.set(Date.UTC(2026, 4, 15, 8, 30));
    const done = await guarded.actDeferred();
    expect(done.map((r) => r.status)).toEqual(['executed']);
    expect(acted).toEqual([request.id]);
    expect(await guarded.actDeferred()).toEqual([]);
    expect(await guarded.execute(request)).toMatchObject({ status: 'executed', repeated: true });
    expect(acted).toEqual([request.id]);
    expect(await guarded.approvalOutcome(asked.approvalId!)).toMatchObject({ status: 'executed' });
    const verdicts = (await audit.read({ afterSeq: head })).filter((e) => e.entry.requestId === request.id).map((e) => e.entry.type);
    expect(verdicts).toEqual(['policy.verdict', 'action.executed']);
  });

  it('is refused when it ends if the customer withdrew consent meanwhile, and the asker hears it', async () => {
    const { world, people, facts, acted, guarded, request } = setup();
    const asked = await guarded.execute(request);
    world.set(Date.UTC(2026, 4, 14, 22));
    people.advance(60_000);
    expect((await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:ops' }, 'fine')).status).toBe('pending-approval');
    facts.consent = 0;
    world.set(Date.UTC(2026, 4, 15, 9));
    // The asker asks again after the quiet hours (before any sweep): judged now, refused for the consent.
    expect(await guarded.execute(request)).toMatchObject({ status: 'refused', verdict: { guardrail: 'marketing-consent' } });
    expect(acted).toEqual([]);
    expect(await guarded.actDeferred()).toEqual([]);
    expect(await guarded.approvalOutcome(asked.approvalId!)).toMatchObject({ status: 'refused' });
  });

  it('answers a request asked again after a rejection with the rejection, not as waiting for a person', async () => {
    const { people, guarded, request } = setup();
    const asked = await guarded.execute(request);
    people.advance(60_000);
    await guarded.reject(asked.approvalId!, { kind: 'human', id: 'u:ops' }, 'not this customer');
    const head = (await store.auditHead()).seq;
    expect(await guarded.execute(request)).toMatchObject({ status: 'refused', reason: expect.stringMatching(/rejected by u:ops/) });
    expect((await store.auditHead()).seq).toBe(head);
  });
});

/**
 * Whether the customer is in contact with a person who asks (decision 0050: a call of theirs in
 * progress) is judged once, when the request is first judged, and stamped on it: the approval keeps
 * it, and the approved request is judged by it, not by the context at the approval, nor by the
 * asker's word.
 */
describe('whether the customer was in contact when a person asked', () => {
  const onTheLine = (request: ActionRequestInput): ActionRequestInput => ({ ...request, channel: 'call', params: { offerId: 'data-bonus', direction: 'inbound' }, actor: { kind: 'human', id: 'carla' }, why: { summary: 'on the line' } });

  it("is stamped on the request when first judged: asked on the call and approved after the hang-up, in quiet hours, it is carried out as the call's", async () => {
    const calls = { C1: true };
    const { world, people, acted, guarded, queue, request } = setup(calls);
    const asked = await guarded.execute(onTheLine(request));
    expect(asked.status).toBe('pending-approval');
    // The kept request says so, for the approver to see and the approval to be judged by.
    expect((await queue.get(asked.approvalId!))?.request).toMatchObject({ inContact: true });
    // The call ends; the supervisor approves at 23:00, in the customer's quiet hours.
    calls.C1 = false;
    world.set(Date.UTC(2026, 4, 14, 23));
    people.advance(60_000);
    const approved = await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:sup' }, 'fine');
    expect(approved, JSON.stringify(approved)).toMatchObject({ status: 'executed' });
    expect(acted).toEqual([request.id]);
  });

  it('asked with no call in progress and approved in quiet hours, it is an outbound contact: it waits for them to end, whatever the asker said', async () => {
    const { world, people, acted, guarded, queue, request } = setup({ C1: false });
    const asked = await guarded.execute(onTheLine(request));
    // In the afternoon an outbound offer may go: it waits for the approval.
    expect(asked.status).toBe('pending-approval');
    expect((await queue.get(asked.approvalId!))?.request).toMatchObject({ inContact: false });
    world.set(Date.UTC(2026, 4, 14, 23));
    people.advance(60_000);
    const approved = await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:sup' }, 'fine');
    expect(approved, JSON.stringify(approved)).toMatchObject({ status: 'pending-approval', notBefore: Date.UTC(2026, 4, 15, 8) });
    expect(approved.reason).toMatch(/quiet hours.*judged as outbound: no call of C1 is in progress/s);
    expect(acted).toEqual([]);
  });

  it('is no field a caller may set: a body saying inContact true is judged on the context', async () => {
    const { world, acted, guarded, request } = setup({ C1: false });
    world.set(Date.UTC(2026, 4, 14, 23));
    const refused = await guarded.execute({ ...onTheLine(request), inContact: true } as ActionRequestInput);
    expect(refused, JSON.stringify(refused)).toMatchObject({ status: 'refused', verdict: { guardrail: 'quiet-hours' } });
    expect(acted).toEqual([]);
  });
});
