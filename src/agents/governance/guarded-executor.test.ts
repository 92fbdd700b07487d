import fc from 'fast-check';
import type { ActHold } from '../../domain/connectors/connector-result.js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { CHANNELS } from '../../domain/events.js';
import {
  createBudgetLedger,
  DEFAULT_ACTION_POLICY,
  isExecuteVerdict,
  parseActionPolicy,
  POLICY_MODES,
  type ActionPolicy,
  type ActionRequestInput,
} from '../../decisioning/policy/index.js';
import { DEFAULT_CATALOGUE_DOCUMENT } from '../../decisioning/default-catalogue.js';
import { loadCatalogue } from '../../decisioning/offer-catalogue.js';
import { memoryDocuments, type DocumentStore } from '../../store/document-store.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { withAddsTo } from './approval-adds-to.js';
import { governanceStoreForTests } from './governance-fixtures.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor, type ActionExecutor, type Ask, type CostOverrun, type GuardedExecutor, type GuardedResult } from './guarded-executor.js';

const T0 = Date.UTC(2026, 4, 14, 9);
let store: GovernanceStore;
governanceStoreForTests('guarded', (opened) => (store = opened));

function setup(policy: ActionPolicy = parseActionPolicy(DEFAULT_ACTION_POLICY), executor?: ActionExecutor, actsHeld?: () => ActHold | undefined) {
  const clock = new ManualClock(T0);
  const calls: string[] = [];
  const run: ActionExecutor =
    executor ??
    ((request, verdict) => {
      if (!isExecuteVerdict(verdict)) throw new Error('executor called without an execute verdict');
      calls.push(request.id);
      return Promise.resolve({ ok: true });
    });
  const audit = createAuditTrail(store, clock);
  const guarded: GuardedExecutor = createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit, executor: run, clock, actsHeld });
  return { clock, calls, audit, guarded };
}

/** What the budgets counting `request` have booked so far (committed), summed. */
async function spentOn(policy: ActionPolicy, request: ActionRequestInput): Promise<number> {
  const standing = await createBudgetLedger(store).standingFor(policy, { actionClass: request.actionClass, domain: request.domain }, T0);
  return standing.reduce((sum, s) => sum + s.committed, 0);
}

let n = 0;
// A money move says why (a credit without a reason is refused at the door: its own test below).
const req = (fields: Partial<ActionRequestInput> = {}): ActionRequestInput => ({ id: `req-${++n}`, actionClass: 'credit', channel: 'app', customerId: 'C1', actor: { kind: 'agent', id: 'care' }, why: { summary: 'goodwill after a billing error' }, ...fields });

describe('guarded executor', () => {
  it('executes an autonomous action and records request, verdict and outcome', async () => {
    const { guarded, calls, audit } = setup();
    const before = (await store.auditHead()).seq;
    const r = await guarded.execute(req({ cost: 5, why: { summary: 'goodwill after a billing error', simulationId: 'sim-7' }, features: { arpu_3m: 50 } }));
    expect(r).toMatchObject({ status: 'executed', verdict: { rule: 'credits', verdict: 'execute' } });
    expect(calls).toEqual([r.requestId]);
    const entries = await audit.read({ afterSeq: before });
    expect(entries.map((e) => e.entry.type)).toEqual(['action.requested', 'policy.verdict', 'action.executed']);
    expect(entries[2].entry).toMatchObject({ actor: { kind: 'system' }, why: { simulationId: 'sim-7', features: { arpu_3m: 50 }, rule: 'credits' } });
    expect(r.auditSeq).toBe(entries[2].seq);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('answers UNAVAILABLE with Retry-After while the back end holds its acts, books nothing, and carries the same request out once it lets go', async () => {
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    let holding = true;
    let runs = 0;
    // The connector executor's outcome of a held back end (outcomeOf of a `held` transient answer).
    const executor: ActionExecutor = async () => {
      runs++;
      return holding
        ? { ok: false, error: "the first start's history is being loaded (40 % in); retry in 12 s", detail: { retryable: true, held: true, retryAfterMs: 12_000 } }
        : { ok: true };
    };
    const { guarded, audit } = setup(policy, executor);
    const request = req({ cost: 5 });
    const spent = await spentOn(policy, request);
    const before = (await store.auditHead()).seq;
    await expect(guarded.execute(request)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('retry in 12 s'), context: { held: true, retryAfterSeconds: 12 } });
    expect(await spentOn(policy, request)).toBe(spent);
    expect((await audit.read({ afterSeq: before })).map((e) => [e.entry.type, (e.entry.outcome as { status?: string }).status])).toEqual([
      ['action.requested', 'received'],
      ['policy.verdict', undefined],
      ['action.failed', 'held'],
    ]);
    holding = false;
    await expect(guarded.execute(request)).resolves.toMatchObject({ status: 'executed' });
    expect(runs).toBe(2);
    expect(await spentOn(policy, request)).toBe(spent + 5);
  });

  it('answers every new request alike while the back ends hold their acts, one that would need approval as one that would be carried out', async () => {
    let hold: ActHold | undefined = { reason: "the first start's history is being loaded (40 % in); retry in 12 s", retryAfterMs: 12_000 };
    const { guarded, calls } = setup(undefined, undefined, () => hold);
    const before = (await store.auditHead()).seq;
    const small = req({ cost: 5 });
    const large = req({ cost: 40 });
    for (const r of [small, large]) {
      await expect(guarded.execute(r)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: hold.reason, context: { held: true, retryAfterSeconds: 12 } });
    }
    // Nothing judged, queued or recorded: asked again after the hold, each is judged then.
    expect((await store.auditHead()).seq).toBe(before);
    hold = undefined;
    expect(await guarded.execute(small)).toMatchObject({ status: 'executed' });
    expect(await guarded.execute(large)).toMatchObject({ status: 'pending-approval' });
    expect(calls).toEqual([small.id]);
  });

  it('answers a repeated request id from the first execution: the executor runs and the budget is charged once', async () => {
    const answers = memoryDocuments<GuardedResult>();
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const executor: ActionExecutor = async () => {
      runs++;
      await gate;
      return { ok: true };
    };
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const clock = new ManualClock(T0);
    const build = () => createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor, clock, answers });
    const guarded = build();
    const request = req({ cost: 5 });
    const spentBefore = await spentOn(policy, request);
    // Twice at once (a client's retry while the first call is still running), then again later.
    const both = Promise.all([guarded.execute(request), guarded.execute(request)]);
    release();
    const [first, second] = await both;
    const later = await guarded.execute(request);
    // After a restart: a new executor on the same stores.
    const restarted = await build().execute(request);
    expect(runs).toBe(1);
    expect(first).toMatchObject({ status: 'executed', requestId: request.id });
    for (const r of [second, later, restarted]) expect(r).toEqual({ ...first, repeated: true });
    expect((await spentOn(policy, request)) - spentBefore).toBe(5);
    const executed = (await createAuditTrail(store, clock).read()).filter((e) => e.entry.requestId === request.id && e.entry.type === 'action.executed');
    expect(executed).toHaveLength(1);
  });

  it("answers a request id's first answer only to the same ask: another caller, customer or action reusing it is refused, not told it was done", async () => {
    const { guarded, calls } = setup();
    const first = req({ cost: 5 });
    expect(await guarded.execute(first)).toMatchObject({ status: 'executed', cost: 5 });
    // Another caller (an MCP agent choosing the same idempotency key), another customer, another class or channel.
    for (const other of [{ actor: { kind: 'human' as const, id: 'mallory' } }, { customerId: 'C2' }, { actionClass: 'compensation' as const }, { channel: 'call' as const }]) {
      await expect(guarded.execute({ ...first, ...other, cost: 3 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/names another request/) });
    }
    // Two asks at once under one id: the second is refused while the first runs.
    const id = `req-${++n}`;
    const both = await Promise.allSettled([guarded.execute(req({ id, cost: 2 })), guarded.execute(req({ id, cost: 2, customerId: 'C2' }))]);
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    // The asker itself still gets its first answer, and nothing ran twice.
    expect(await guarded.execute(first)).toMatchObject({ status: 'executed', repeated: true });
    expect(calls).toEqual([first.id, id]);
  });

  it('refuses a request id reused with another request (an agent retrying with another amount) as an idempotency conflict naming what differs, and records nothing', async () => {
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const clock = new ManualClock(T0);
    const asks = memoryDocuments<Ask>();
    const ran: number[] = [];
    const executor: ActionExecutor = async (request) => (ran.push(request.cost), { ok: true });
    const build = () => createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor, clock, asks });
    const guarded = build();
    // MCP's request_action: idempotencyKey "nc-3", a credit of 30 (above the autonomous 10: it waits for a person).
    const first = req({ id: 'mcp:nc-3', params: { amount: 30 } });
    const asked = await guarded.execute(first);
    expect(asked).toMatchObject({ status: 'pending-approval', cost: 30 });
    const entriesOf = async () => (await createAuditTrail(store, clock).read()).filter((e) => e.entry.requestId === 'mcp:nc-3');
    const before = await entriesOf();
    // The same key with 90: refused, naming the key and the field, and nothing is recorded; also after a restart.
    for (const g of [guarded, build()]) {
      await expect(g.execute({ ...first, params: { amount: 90 } })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/idempotency conflict: request id mcp:nc-3 .*params\.amount: 30 then, 90 now/) });
      await expect(g.execute({ ...first, why: { summary: 'another reason' } })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/summary/) });
    }
    expect(await entriesOf()).toEqual(before);
    // The same request again has the same answer, under the same approval.
    expect(await guarded.execute(first)).toMatchObject({ status: 'pending-approval', approvalId: asked.approvalId, cost: 30 });
    // The approval carries out what was asked: 30.
    expect(await guarded.approve(asked.approvalId!, { kind: 'human', id: 'sup-1' }, 'ok')).toMatchObject({ status: 'executed', cost: 30 });
    expect(ran).toEqual([30]);
    expect((await entriesOf()).some((e) => JSON.stringify(e.entry).includes('90'))).toBe(false);
  });

  it("charges a request repeated after a crash between the back end's answer and the kept answer once", async () => {
    // The process dies after the back end answered and the budget was charged, before the answer was kept.
    const kept = memoryDocuments<GuardedResult>();
    const crashing: DocumentStore<GuardedResult> = { ...kept, put: () => Promise.reject(new Error('killed before the answer was kept')) };
    // The back end acts once per idempotency key, as every connector does.
    const effects = new Set<string>();
    const executor: ActionExecutor = async (request) => {
      effects.add(request.id);
      return { ok: true };
    };
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const clock = new ManualClock(T0);
    const build = (answers: DocumentStore<GuardedResult>) =>
      createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor, clock, answers });
    const request = req({ cost: 7 });
    const spentBefore = await spentOn(policy, request);
    await expect(build(crashing).execute(request)).rejects.toThrow(/killed/);
    // After the restart, the workflow step (or the client) asks again with the same id.
    const again = await build(kept).execute(request);
    expect(again).toMatchObject({ status: 'executed', cost: 7 });
    expect([...effects]).toEqual([request.id]);
    expect((await spentOn(policy, request)) - spentBefore).toBe(7);
    const standing = await createBudgetLedger(store).standingFor(policy, { actionClass: 'credit' }, T0);
    expect(standing.every((s) => s.reserved === 0)).toBe(true);
  });

  it("answers a request repeated after a crash that followed its delivery from its own executed fact, before any contact rule: its delivery does not refuse it", async () => {
    // The process dies after the act was carried out and recorded executed, before its answer was kept.
    const kept = memoryDocuments<GuardedResult>();
    const crashing: DocumentStore<GuardedResult> = { ...kept, put: () => Promise.reject(new Error('killed before the answer was kept')) };
    const asks = memoryDocuments<Ask>();
    // The delivery reaches the customer's timeline as the back end acts (the action event), and the
    // contact rules then read it: the same message within 30 days is refused (same-message-recent).
    const delivered = new Map<string, number>();
    const executor: ActionExecutor = async (request) => {
      delivered.set(request.customerId!, (delivered.get(request.customerId!) ?? 0) + 1);
      return { ok: true };
    };
    const contact = (request: { customerId?: string }) => (delivered.has(request.customerId!) ? { rule: 'same-message-recent' as const, reason: 'this message reached the customer 0.0 days ago' } : null);
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const clock = new ManualClock(T0);
    const build = (answers: DocumentStore<GuardedResult>) =>
      createGuardedExecutor({ policy, contact, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor, clock, answers, asks });
    const request = req({ cost: 7, customerId: `C-crash-${n}` });
    await expect(build(crashing).execute(request)).rejects.toThrow(/killed/);
    // After the restart the step asks again: answered as carried out, nothing judged or done again.
    const before = (await store.auditHead()).seq;
    const again = await build(kept).execute(request);
    expect(again).toMatchObject({ status: 'executed', repeated: true, requestId: request.id, cost: 7, verdict: { verdict: 'execute', rule: 'credits' } });
    expect(delivered.get(request.customerId!)).toBe(1);
    expect((await store.auditHead()).seq).toBe(before);
    // The answer is kept now: asked again, the same answer from it.
    expect(await kept.get(request.id!)).toMatchObject({ status: 'executed', auditSeq: again.auditSeq });
    expect(await build(kept).execute(request)).toEqual(again);
  });

  it('reserves again for a request whose first attempt failed and was released', async () => {
    let attempt = 0;
    const executor: ActionExecutor = async () => (++attempt === 1 ? { ok: false, error: 'back end busy' } : { ok: true });
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const { guarded } = setup(policy, executor);
    const request = req({ cost: 3 });
    const spentBefore = await spentOn(policy, request);
    expect((await guarded.execute(request)).status).toBe('failed');
    expect((await spentOn(policy, request)) - spentBefore).toBe(0);
    expect((await guarded.execute(request)).status).toBe('executed');
    expect((await spentOn(policy, request)) - spentBefore).toBe(3);
  });

  it("answers a request the back end refused for good with that refusal, asking the back end once (a campaign asked a customer who had left every hour)", async () => {
    let calls = 0;
    const executor: ActionExecutor = async () => (++calls, { ok: false, error: 'customer_not_active', detail: { retryable: false, reason: 'customer_not_active' } });
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const { guarded, audit } = setup(policy, executor);
    const request = req({ cost: 3 });
    const before = (await store.auditHead()).seq;
    const first = await guarded.execute(request);
    expect(first).toMatchObject({ status: 'failed', retryable: false, reason: 'the action failed: customer_not_active' });
    expect(await guarded.execute(request)).toEqual(first);
    expect(calls).toBe(1);
    expect((await audit.read({ afterSeq: before })).filter((e) => e.entry.type === 'action.failed')).toHaveLength(1);
    expect(await spentOn(policy, request)).toBe(await spentOn(policy, req({ cost: 3 })));
  });

  it('refuses a request over a cap without calling the executor, naming the guardrail', async () => {
    const { guarded, calls } = setup();
    const r = await guarded.execute(req({ cost: 1_000 }));
    expect(r).toMatchObject({ status: 'refused', verdict: { guardrail: 'cost-cap' } });
    expect(r.reason).toMatch(/cap/);
    expect(calls).toEqual([]);
  });

  it('advises without executing', async () => {
    const { guarded, calls } = setup();
    expect((await guarded.execute(req({ actionClass: 'offer', channel: 'call', params: { offerId: 'data-bonus' } }))).status).toBe('advised');
    expect(calls).toEqual([]);
  });

  it("matches segments on the customer's facts, never on the features a caller sends, and keeps those facts with the request", async () => {
    // Credits to high-value customers run on their own up to 50; anyone else's above 10 wait for a person.
    const policy = parseActionPolicy({
      ...DEFAULT_ACTION_POLICY,
      rules: [...(DEFAULT_ACTION_POLICY.rules ?? []), { id: 'credits-high-value', actionClass: 'credit', segment: 'high_value', mode: 'autonomous', riskClass: 'medium', guardrails: { approveAboveCost: 50, costCap: 100 } }],
    });
    const facts: Record<string, Record<string, number>> = { C1: { arpu_3m: 20, tenure_days: 400, data_mb_30d: 900, churn: 0.1 }, C2: { arpu_3m: 75, tenure_days: 90, churn: Number.NaN } };
    const clock = new ManualClock(T0);
    const calls: string[] = [];
    const audit = createAuditTrail(store, clock);
    const guarded = createGuardedExecutor({
      policy,
      facts: (id) => facts[id],
      ledger: createBudgetLedger(store),
      queue: createApprovalQueue(store, clock),
      audit,
      executor: (request) => (calls.push(request.id), Promise.resolve({ ok: true })),
      clock,
    });
    // A caller claiming C1 is high value is judged on C1's own ARPU: the credit of 30 waits for a person.
    const claimed = await guarded.execute(req({ customerId: 'C1', cost: 30, features: { arpu_3m: 100 } }));
    expect(claimed).toMatchObject({ status: 'pending-approval', verdict: { rule: 'credits' } });
    const approval = (await store.getApproval(claimed.approvalId!))!.payload as { request: { features: Record<string, number> } };
    // Kept: the audited facts and what the segments read, not every feature, not the caller's claim.
    expect(approval.request.features).toEqual({ arpu_3m: 20, tenure_days: 400, churn: 0.1 });
    // C2 is high value by its facts though the caller sent none; an unknown score is left out.
    const real = await guarded.execute(req({ customerId: 'C2', cost: 30 }));
    expect(real).toMatchObject({ status: 'executed', verdict: { rule: 'credits-high-value' } });
    expect(calls).toEqual([real.requestId]);
    const executed = (await audit.read()).find((e) => e.entry.requestId === real.requestId && e.entry.type === 'action.executed');
    expect(executed?.entry).toMatchObject({ why: { features: { arpu_3m: 75, tenure_days: 90 } } });
    expect(Object.keys((executed?.entry as { why: { features: object } }).why.features)).toEqual(['arpu_3m', 'tenure_days']);
    // A customer without a twin is no customer, whatever is claimed: refused at the door, before
    // anything is recorded or judged (on the old code the credit went on to wait for a person).
    const head = (await store.auditHead()).seq;
    await expect(guarded.execute(req({ customerId: 'C9', cost: 30, features: { arpu_3m: 100 } }))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^no customer C9: no twin holds them/) });
    expect((await store.auditHead()).seq).toBe(head);
    expect(calls).toEqual([real.requestId]);
  });

  it('the policy refuses a request whose customer has no twin (defence in depth): an approval of a customer gone since does nothing', async () => {
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const facts: Record<string, Record<string, number>> = { C5: { arpu_3m: 20, tenure_days: 400 } };
    const clock = new ManualClock(T0);
    const calls: string[] = [];
    const guarded = createGuardedExecutor({ policy, facts: (id) => facts[id], ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor: (r) => (calls.push(r.id), Promise.resolve({ ok: true })), clock });
    const asked = await guarded.execute(req({ customerId: 'C5', cost: 30 }));
    expect(asked).toMatchObject({ status: 'pending-approval' });
    delete facts.C5;
    const approved = await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'goodwill');
    expect(approved).toMatchObject({ status: 'refused', verdict: { verdict: 'deny', guardrail: 'unknown-customer' }, reason: expect.stringMatching(/customer C5 has no twin/) });
    expect(calls).toEqual([]);
  });

  it("shows the approver the customer's facts the policy judged and the amount, and judges an approved request on the facts as at the approval", async () => {
    const policy = parseActionPolicy({
      ...DEFAULT_ACTION_POLICY,
      rules: [...(DEFAULT_ACTION_POLICY.rules ?? []), { id: 'credits-high-value', actionClass: 'credit', segment: 'high_value', mode: 'autonomous', riskClass: 'medium', guardrails: { approveAboveCost: 50, costCap: 100 } }],
    });
    const facts: Record<string, Record<string, number>> = { C7: { arpu_3m: 20, tenure_days: 400, churn: 0.3 } };
    // Two clocks, as the server runs with the sandbox (decision 0028): the customer's world, and people's time the approval waits in.
    const clock = new ManualClock(T0);
    const people = new ManualClock(T0);
    const calls: string[] = [];
    const queue = createApprovalQueue(store, people);
    const audit = createAuditTrail(store, clock);
    const guarded = createGuardedExecutor({ policy, facts: (id) => facts[id], ledger: createBudgetLedger(store), queue, audit, executor: (r) => (calls.push(r.id), Promise.resolve({ ok: true })), clock });
    // The requester's evidence is kept, but the facts shown are the ones judged, whatever it claims.
    const asked = await guarded.execute(req({ customerId: 'C7', cost: 30, why: { summary: 'billed twice', evidence: { decisionId: 'dec-1', facts: { arpu_3m: 999 } } } }));
    expect(asked).toMatchObject({ status: 'pending-approval', verdict: { rule: 'credits' } });
    const item = (await queue.get(asked.approvalId!))!;
    const spent = await createBudgetLedger(store).standingFor(policy, { actionClass: 'credit' }, T0);
    const used = spent[0].reserved + spent[0].committed;
    expect(item.evidence).toEqual({
      decisionId: 'dec-1',
      facts: { arpu_3m: 20, tenure_days: 400, churn: 0.3 },
      factsAsOf: T0,
      amount: { cost: 30 },
      budgets: [{ scope: 'credit|*', periodKey: '2026-05', limit: 5_000, spent: used, left: 5_000 - used }],
    });
    // A day of the customer's world later (a minute of the approver's) they are high value: the approval is judged on that, not on what it was asked on.
    clock.advance(86_400_000);
    people.advance(60_000);
    facts.C7 = { ...facts.C7, arpu_3m: 75 };
    const approved = await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'goodwill');
    expect(approved).toMatchObject({ status: 'executed', verdict: { rule: 'credits-high-value' } });
    expect(calls).toEqual([asked.requestId]);
    const executed = (await audit.read()).find((e) => e.entry.requestId === asked.requestId && e.entry.type === 'action.executed');
    expect(executed?.entry).toMatchObject({ why: { features: { arpu_3m: 75 } } });
  });

  it('keeps a credit to a customer who has left, however small, for a person, and the approval says when they left', async () => {
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const left = Date.UTC(2026, 0, 7, 10);
    const facts: Record<string, Record<string, number>> = { C9: { churned: 1, monthly_price: 0, clv: 0 }, C10: { churned: 0, monthly_price: 40, clv: 900 } };
    const clock = new ManualClock(T0);
    const calls: string[] = [];
    const queue = createApprovalQueue(store, clock);
    const guarded = createGuardedExecutor({ policy, facts: (id) => facts[id], leftAt: (id) => (id === 'C9' ? left : undefined), ledger: createBudgetLedger(store), queue, audit: createAuditTrail(store, clock), executor: (r) => (calls.push(r.id), Promise.resolve({ ok: true })), clock });
    // A requester cannot say when the customer left: the evidence's left is the executor's.
    const gone = await guarded.execute(req({ customerId: 'C9', cost: 5, why: { summary: 'final bill goodwill', evidence: { left: 0 } } }));
    expect(gone).toMatchObject({ status: 'pending-approval', verdict: { rule: 'credits-left', mode: 'approve' } });
    expect((await queue.get(gone.approvalId!))!.evidence).toMatchObject({ facts: { churned: 1, monthly_price: 0, clv: 0 }, left, amount: { cost: 5 } });
    // The same small credit to a customer still here runs on its own, as before.
    const here = await guarded.execute(req({ customerId: 'C10', cost: 5 }));
    expect(here).toMatchObject({ status: 'executed', verdict: { rule: 'credits' } });
    expect(calls).toEqual([here.requestId]);
    // A bigger one waits for a person as any does, and says nothing of leaving.
    const big = await guarded.execute(req({ customerId: 'C10', cost: 40 }));
    expect((await queue.get(big.approvalId!))!.evidence).not.toHaveProperty('left');
  });

  it("shows an offer's amount split as the executor books it: paid at presentation, and reserved until the answer", async () => {
    const policy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: [{ id: 'offers-approve', actionClass: 'offer', mode: 'approve', riskClass: 'medium' }] });
    // 10 % for 3 months at a monthly price of 50 (15, paid on acceptance) and a fixed cost of 2 paid when presented.
    const mixed = { ...DEFAULT_CATALOGUE_DOCUMENT.productOffering.find((o) => o.id === 'retain-10')!, id: 'mixed', actionClass: 'offer', productOfferingPrice: { priceType: 'discount', percentage: 10, recurringChargePeriodLength: 3, cost: { value: 2, unit: 'EUR' }, costPaidOn: 'presentation' } };
    const catalogue = loadCatalogue({ ...DEFAULT_CATALOGUE_DOCUMENT, productOffering: [...DEFAULT_CATALOGUE_DOCUMENT.productOffering, mixed] });
    const clock = new ManualClock(T0);
    const queue = createApprovalQueue(store, clock);
    const guarded = createGuardedExecutor({ policy, pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: () => 50 }, ledger: createBudgetLedger(store), queue, audit: createAuditTrail(store, clock), executor: () => Promise.resolve({ ok: true }), clock });
    const asked = await guarded.execute(req({ actionClass: 'offer', channel: 'web', params: { offerId: 'mixed', present: true } }));
    expect(asked.status).toBe('pending-approval');
    expect((await queue.get(asked.approvalId!))!.evidence).toMatchObject({ amount: { cost: 17, paidAtPresentation: 2, onAcceptance: 15, discountPct: 10 } });
  });

  it('shows a plan change as the plan it moves to and the monthly difference checked, not an amount of 0 (a move down costs the revenue it gives up)', async () => {
    const clock = new ManualClock(T0);
    const queue = createApprovalQueue(store, clock);
    const sold: Record<string, number> = { 'fibre-m': 80, 'dsl-l': 75 };
    const plans = { price: (id: string) => sold[id], ids: () => Object.keys(sold), current: () => ({ planId: 'fibre-m', monthlyPrice: 80 }) };
    const guarded = createGuardedExecutor({ policy: parseActionPolicy(DEFAULT_ACTION_POLICY), pricing: { offering: () => undefined, monthlyPrice: () => 80, plans }, ledger: createBudgetLedger(store), queue, audit: createAuditTrail(store, clock), executor: () => Promise.resolve({ ok: true }), clock });
    const asked = await guarded.execute(req({ actionClass: 'plan_change', channel: 'call', params: { planId: 'dsl-l' }, why: { summary: 'asks for a cheaper plan' } }));
    expect(asked).toMatchObject({ status: 'pending-approval', cost: 5 });
    expect((await queue.get(asked.approvalId!))!.evidence).toMatchObject({ amount: { cost: 5, planChange: { fromPlanId: 'fibre-m', fromMonthlyPrice: 80, toPlanId: 'dsl-l', toMonthlyPrice: 75, monthlyDifference: -5 } } });
    await expect(guarded.execute(req({ actionClass: 'plan_change', channel: 'call', params: { planId: 'fibre-s' }, why: { summary: 'a plan nobody sells' } }))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/"fibre-s" is not a plan the BSS sells; one of fibre-m, dsl-l/) });
  });

  /**
   * Discounts asked for approval, priced from the catalogue at C8's monthly price (`price`, which a
   * test changes), over the customer's world (`clock`) and people's time (`people`), as the server
   * runs them (decision 0028); `moved` is what the back end was asked to move.
   */
  function approvedDiscounts() {
    const policy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: [{ id: 'discounts-approve', actionClass: 'discount', mode: 'approve', riskClass: 'medium' }] });
    const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
    const price: Record<string, number> = { C8: 50 };
    const clock = new ManualClock(T0);
    const people = new ManualClock(T0);
    const queue = createApprovalQueue(store, people);
    const audit = createAuditTrail(store, clock);
    const moved: number[] = [];
    const guarded = createGuardedExecutor({
      policy,
      facts: (id) => ({ monthly_price: price[id], tenure_days: 400 }),
      pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: (id) => price[id] },
      ledger: createBudgetLedger(store),
      queue,
      audit,
      // The back end takes the percentage off the bills as they are when it acts: what the policy's cost stands for.
      executor: (r, v) => (moved.push(v.cost), Promise.resolve({ ok: true })),
      clock,
    });
    return { price, clock, people, queue, audit, moved, guarded };
  }

  it("prices an approved discount at the customer's monthly price as at the approval: the money the back end moves is the money judged and booked", async () => {
    const { price, clock, people, queue, audit, moved, guarded } = approvedDiscounts();
    const asked = await guarded.execute(req({ customerId: 'C8', actionClass: 'discount', params: { offerId: 'retain-10' } }));
    expect(asked).toMatchObject({ status: 'pending-approval', cost: 30 });
    expect((await queue.get(asked.approvalId!))!.evidence).toMatchObject({ facts: { monthly_price: 50 }, amount: { cost: 30, discountPct: 10 } });
    // The customer moved to a dearer plan while the approval waited: 10 % of 80 for 6 months.
    clock.advance(86_400_000);
    people.advance(60_000);
    price.C8 = 80;
    const approved = await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'keep them');
    expect(approved).toMatchObject({ status: 'executed', cost: 48 });
    expect(moved).toEqual([48]);
    const executed = (await audit.read()).find((e) => e.entry.requestId === asked.requestId && e.entry.type === 'action.executed');
    expect(executed?.entry).toMatchObject({ action: { cost: 48, discountPct: 10 }, why: { features: { monthly_price: 80 } }, outcome: { cost: 48 } });
  });

  it("carries an approval out for no more than the asking run counted it at: priced higher at the approval, it is refused (run-budget)", async () => {
    const { price, queue, moved, guarded } = approvedDiscounts();
    // A run with 100 left asks a discount priced 30: it counts 30 while the approval waits.
    const ask = () => guarded.execute(req({ customerId: 'C8', actionClass: 'discount', params: { offerId: 'retain-10' }, runBudgetLeft: 100 }));
    const first = await ask();
    expect(first).toMatchObject({ status: 'pending-approval', cost: 30 });
    expect((await queue.get(first.approvalId!))!.request.runBudgetLeft).toBe(30);
    // Dearer plan by the approval: 48, more than the run counted (its other contacts may have spent the rest).
    price.C8 = 80;
    expect(await guarded.approve(first.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'keep them')).toMatchObject({ status: 'refused', verdict: { guardrail: 'run-budget' } });
    // Back on the old plan, a second ask is carried out at its 30 once approved.
    price.C8 = 50;
    const second = await ask();
    expect(await guarded.approve(second.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'keep them')).toMatchObject({ status: 'executed', cost: 30 });
    expect(moved).toEqual([30]);
  });

  it('queues an approval and executes once approved, through the same path', async () => {
    const { guarded, calls, audit } = setup();
    const r = await guarded.execute(req({ cost: 40 }));
    expect(r.status).toBe('pending-approval');
    expect(calls).toEqual([]);
    const approved = await guarded.approve(r.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'loyal customer, outage last week');
    expect(approved).toMatchObject({ status: 'executed', approvalId: r.approvalId });
    expect(calls).toEqual([r.requestId]);
    const mine = (await audit.read()).filter((e) => e.entry.requestId === r.requestId).map((e) => e.entry.type);
    expect(mine).toEqual(['action.requested', 'policy.verdict', 'approval.requested', 'approval.approved', 'policy.verdict', 'action.executed']);
    await expect(guarded.approve(r.approvalId!, { kind: 'human', id: 'u:other' }, 'again')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('ends an approval refused as at the approval refused, once: the next settle answers that refusal and judges nothing again, even on a world that would let it through', async () => {
    const asked = parseActionPolicy({ version: 1, rules: [{ id: 'comp', actionClass: 'compensation', mode: 'approve' }] });
    // By the approval the policy caps one compensation at 20; later the cap is lifted again.
    const capped = parseActionPolicy({ version: 2, rules: [{ id: 'comp', actionClass: 'compensation', mode: 'approve', guardrails: { costCap: 20 } }] });
    let policy = asked;
    const calls: string[] = [];
    const clock = new ManualClock(T0);
    const audit = createAuditTrail(store, clock);
    const answers = memoryDocuments<GuardedResult>();
    const build = () =>
      createGuardedExecutor({ policy: () => policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit, clock, answers, executor: async (r) => (calls.push(r.id), { ok: true }) });
    const r = await build().execute(req({ actionClass: 'compensation', cost: 40 }));
    expect(r.status).toBe('pending-approval');
    policy = capped;
    const approved = await build().approve(r.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'outage last week');
    expect(approved).toMatchObject({ status: 'refused', approvalId: r.approvalId, verdict: { guardrail: 'cost-cap' } });
    const written = (await audit.read()).filter((e) => e.entry.requestId === r.requestId);
    // The cap is lifted; the process restarts and settles the approval for the workflow that waited on it.
    policy = asked;
    const settled = await build().settleDecided(r.approvalId!);
    expect(settled).toMatchObject({ status: 'refused', reason: approved.reason, approvalId: r.approvalId });
    expect(await build().approvalOutcome(r.approvalId!)).toMatchObject({ status: 'refused', reason: approved.reason });
    expect(calls).toEqual([]);
    const after = (await audit.read()).filter((e) => e.entry.requestId === r.requestId);
    expect(after).toEqual(written);
    expect(after.map((e) => e.entry.type)).toEqual(['action.requested', 'policy.verdict', 'approval.requested', 'approval.approved', 'policy.verdict']);
    expect(after[4].entry).toMatchObject({ outcome: { verdict: 'deny', guardrail: 'cost-cap', approvalId: r.approvalId }, why: { reasons: expect.arrayContaining([approved.reason]) } });
  });

  it('refuses an approval while the back ends hold their acts, leaving it pending, and carries it out when approved after', async () => {
    let hold: ActHold | undefined;
    const { guarded, calls } = setup(undefined, undefined, () => hold);
    const r = await guarded.execute(req({ cost: 40 }));
    expect(r.status).toBe('pending-approval');
    // Asked before the hold (a restarted world rebuilt from its seed holds acts a while).
    hold = { reason: "the first start's history is being loaded; retry in 20 s", retryAfterMs: 20_000 };
    await expect(guarded.approve(r.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'fine')).rejects.toMatchObject({ code: 'UNAVAILABLE', context: { held: true, retryAfterSeconds: 20 } });
    expect(calls).toEqual([]);
    hold = undefined;
    expect(await guarded.approve(r.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'fine')).toMatchObject({ status: 'executed', approvalId: r.approvalId });
    expect(calls).toEqual([r.requestId]);
  });

  it('four eyes: nobody approves their own request, and an AI agent or the system approves nothing: FORBIDDEN, who may not, not the policy refusing', async () => {
    const { guarded, calls } = setup();
    const mine = await guarded.execute(req({ cost: 40, actor: { kind: 'human', id: 'alice' } }));
    await expect(guarded.approve(mine.approvalId!, { kind: 'human', id: 'alice' }, 'looks fine to me')).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/four eyes/) });
    const agents = await guarded.execute(req({ cost: 40, actor: { kind: 'agent', id: 'care-bot' } }));
    await expect(guarded.approve(agents.approvalId!, { kind: 'agent', id: 'care-bot' }, 'self')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // An agent approves nothing, not even what a person asked for.
    await expect(guarded.approve(mine.approvalId!, { kind: 'agent', id: 'other-bot' }, 'ok')).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/only a person approves/) });
    await expect(guarded.approve(mine.approvalId!, { kind: 'system', id: 'cron' }, 'ok')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(calls).toEqual([]);
    // Refusals decide nothing: another person still can.
    expect(await guarded.approve(mine.approvalId!, { kind: 'human', id: 'bob' }, 'second pair of eyes')).toMatchObject({ status: 'executed' });
    expect(await guarded.approve(agents.approvalId!, { kind: 'human', id: 'bob' }, 'ok')).toMatchObject({ status: 'executed' });
  });

  it('enforces the contact rules on every path, naming the rule; advice is not a contact', async () => {
    const clock = new ManualClock(T0);
    const calls: string[] = [];
    const guarded = createGuardedExecutor({
      policy: parseActionPolicy(DEFAULT_ACTION_POLICY),
      contact: (request) => (request.customerId === 'NO-CONSENT' && request.actionClass === 'offer' ? { rule: 'marketing-consent', reason: 'no marketing consent' } : null),
      ledger: createBudgetLedger(store),
      queue: createApprovalQueue(store, clock),
      audit: createAuditTrail(store, clock),
      executor: async (request) => (calls.push(request.id), { ok: true }),
      clock,
    });
    const refused = await guarded.execute(req({ actionClass: 'offer', channel: 'app', customerId: 'NO-CONSENT', params: { offerId: 'data-bonus' } }));
    expect(refused).toMatchObject({ status: 'refused', verdict: { guardrail: 'marketing-consent' } });
    expect(refused.reason).toMatch(/marketing-consent/);
    expect((await guarded.execute(req({ actionClass: 'offer', channel: 'call', customerId: 'NO-CONSENT', params: { offerId: 'data-bonus' } }))).status).toBe('advised');
    expect((await guarded.execute(req({ actionClass: 'offer', channel: 'app', customerId: 'C2', params: { offerId: 'data-bonus' } }))).status).toBe('executed');
    expect(calls).toHaveLength(1);
  });

  it('reads the policy in force at each request: a change applies without a restart', async () => {
    const clock = new ManualClock(T0);
    let policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const guarded = createGuardedExecutor({ policy: () => policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor: async () => ({ ok: true }), clock });
    const planChange = () => req({ actionClass: 'plan_change', channel: 'web', params: { planId: 'P-2' }, actor: { kind: 'human', id: 'C1' } });
    expect((await guarded.execute(planChange())).status).toBe('pending-approval');
    policy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: [...(DEFAULT_ACTION_POLICY.rules ?? []), { id: 'web-orders', actionClass: 'plan_change', channel: 'web', mode: 'autonomous' }] });
    expect((await guarded.execute(planChange())).status).toBe('executed');
  });

  it('asks once per request: the same request repeated (a step re-run after a crash) finds the same approval', async () => {
    const { guarded, calls } = setup();
    const request = req({ cost: 40 });
    const first = await guarded.execute(request);
    const again = await guarded.execute(request);
    expect(again).toMatchObject({ status: 'pending-approval', approvalId: first.approvalId });
    expect(await guarded.approve(first.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'ok')).toMatchObject({ status: 'executed' });
    expect(calls).toEqual([first.requestId]);
  });

  it('rejects with who and why, never executing', async () => {
    const { guarded, calls } = setup();
    const r = await guarded.execute(req({ actionClass: 'plan_change', channel: 'call', params: { planId: 'P-50' } }));
    const rejected = await guarded.reject(r.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'customer is in a contract');
    expect(rejected).toMatchObject({ status: 'refused', reason: 'rejected by u:supervisor: customer is in a contract' });
    expect(calls).toEqual([]);
  });

  it('says what a request id stands for now: waiting for a person, rejected (refused, with who and why), approved and not carried out yet (who approved it), carried out', async () => {
    let down = true;
    const { guarded } = setup(undefined, () => Promise.resolve(down ? { ok: false, error: 'billing back end unavailable' } : { ok: true }));
    const [paid, rejected, unknown] = [req({ cost: 40 }), req({ cost: 40 }), req()];
    const asked = await guarded.execute(paid);
    const no = await guarded.execute(rejected);
    expect(await guarded.standingOf(paid.id!)).toMatchObject({ status: 'pending-approval', reason: expect.stringMatching(/^waiting for a person since /) });
    expect(await guarded.standingOf(unknown.id!)).toBeNull();
    await guarded.reject(no.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'not on the cell');
    // A rejection is what asking again answers (statusOf read it as nothing ever asked).
    expect(await guarded.standingOf(rejected.id!)).toEqual({ status: 'refused', reason: 'rejected by u:supervisor: not on the cell' });
    expect(await guarded.statusOf(rejected.id!)).toBe('refused');
    // Approved while the back end is down: committed, not carried out; statusOf says pending-approval, standingOf who approved it.
    expect(await guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:supervisor' }, 'ok')).toMatchObject({ status: 'failed' });
    expect(await guarded.statusOf(paid.id!)).toBe('pending-approval');
    expect(await guarded.standingOf(paid.id!)).toMatchObject({ status: 'pending-approval', approvedBy: 'u:supervisor', reason: expect.stringMatching(/^approved by u:supervisor at .*, not carried out yet: the back end failed it/) });
    down = false;
    expect(await guarded.settleDecided(asked.approvalId!)).toMatchObject({ status: 'executed' });
    expect(await guarded.standingOf(paid.id!)).toMatchObject({ status: 'executed' });
  });

  it("reads a payment that failed and may be asked again from its kept ask, and a top-up on it says so (it read 'nothing was asked')", async () => {
    const { guarded } = setup(undefined, () => Promise.resolve({ ok: false, error: 'billing back end unavailable' }));
    const payment = req({ cost: 5, customerId: 'C-failed' });
    expect(await guarded.execute(payment)).toMatchObject({ status: 'failed', retryable: true });
    const asked = /^asked by agent:care and not carried out: it failed in a way asking again may mend/;
    expect(await guarded.standingOf(payment.id!)).toMatchObject({ status: 'failed', reason: expect.stringMatching(asked) });
    // Nothing was done under it and nothing waits: statusOf still reads it as an id asking again may fill.
    expect(await guarded.statusOf(payment.id!)).toBeNull();
    expect(await withAddsTo({ request: { params: { addsTo: [payment.id!] } } }, (id) => guarded.standingOf(id))).toMatchObject({ addsTo: [{ requestId: payment.id, status: 'failed', reason: expect.stringMatching(asked) }] });
    const up = await guarded.execute(req({ cost: 5, customerId: 'C-failed', params: { addsTo: [payment.id!] } }));
    expect(up).toMatchObject({ status: 'refused', verdict: { guardrail: 'adds-to' }, reason: expect.stringContaining(`it adds to ${payment.id}, which was not carried out (failed: asked by agent:care and not carried out`) });
    // A request the policy refused is released: read as refused by the policy, not as never asked.
    const capped = req({ cost: 5_000, customerId: 'C-failed' });
    expect(await guarded.execute(capped)).toMatchObject({ status: 'refused' });
    expect(await guarded.standingOf(capped.id!)).toMatchObject({ status: 'refused', reason: 'asked by agent:care and refused by the policy or only advised: nothing was done under it' });
    expect(await guarded.statusOf(capped.id!)).toBeNull();
  });

  it('reads a payment carried out whose answer a crash lost as carried out, from its executed fact: a top-up on it is paid', async () => {
    const kept = memoryDocuments<GuardedResult>();
    const crashing: DocumentStore<GuardedResult> = { ...kept, put: () => Promise.reject(new Error('killed before the answer was kept')) };
    const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
    const clock = new ManualClock(T0);
    const calls: string[] = [];
    const executor: ActionExecutor = async (request) => (calls.push(request.id), { ok: true });
    const build = (answers: DocumentStore<GuardedResult>) => createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor, clock, answers });
    const payment = req({ cost: 5, customerId: `C-crash-paid-${n}` });
    await expect(build(crashing).execute(payment)).rejects.toThrow(/killed/);
    // After the restart, before anyone asks the payment again.
    const guarded = build(kept);
    expect(await guarded.statusOf(payment.id!)).toBe('executed');
    expect(await guarded.standingOf(payment.id!)).toMatchObject({ status: 'executed' });
    const up = req({ cost: 5, customerId: payment.customerId, params: { addsTo: [payment.id!] } });
    expect(await guarded.execute(up)).toMatchObject({ status: 'executed' });
    expect(calls).toEqual([payment.id, up.id]);
  });

  it('carries a top-up out only with the payment it adds to: decided after it, refused when a person rejected it, sent to a person while it waits (decision 0093)', async () => {
    const { guarded, calls } = setup();
    const person = { kind: 'human' as const, id: 'u:supervisor' };
    // Two payments of 40 wait for a person; a top-up of 5 each (alone under every threshold) adds to them.
    const [first, second] = [req({ cost: 40, customerId: 'C7' }), req({ cost: 40, customerId: 'C8' })];
    const [a1, a2] = [await guarded.execute(first), await guarded.execute(second)];
    const topUp = (on: ActionRequestInput) => req({ cost: 5, customerId: on.customerId, params: { addsTo: [on.id!] } });
    const [up1, up2] = [topUp(first), topUp(second)];
    const u1 = await guarded.execute(up1);
    expect(u1).toMatchObject({ status: 'pending-approval' });
    // Alone under every threshold, with nothing else to count, it still waits for a person while what it adds to does.
    const change = await guarded.execute(req({ actionClass: 'plan_change', channel: 'call', customerId: 'C9', params: { planId: 'P-50' } }));
    expect(await guarded.execute(req({ cost: 5, customerId: 'C9', params: { addsTo: [change.requestId] } }))).toMatchObject({ status: 'pending-approval', reason: `it adds to ${change.requestId}, which waits for a person: a human approves first` });
    const u2 = await guarded.execute(up2);
    // Decided first, the top-up would stand if its payment were then rejected: refused, nothing decided.
    await expect(guarded.approve(u1.approvalId!, person, 'ok')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(`adds to request ${first.id}, which waits for a person .*decide that one first`) });
    expect(await guarded.standingOf(up1.id!)).toMatchObject({ status: 'pending-approval', reason: expect.stringMatching(/^waiting for a person/) });
    // The payment approved and paid, the top-up goes too.
    expect(await guarded.approve(a1.approvalId!, person, 'on the cell')).toMatchObject({ status: 'executed' });
    expect(await guarded.approve(u1.approvalId!, person, 'ok')).toMatchObject({ status: 'executed' });
    // The payment rejected: the top-up is owed on nothing, whoever approves it.
    await guarded.reject(a2.approvalId!, person, 'not on the cell');
    expect(await guarded.approve(u2.approvalId!, { kind: 'human', id: 'u:other' }, 'ok')).toMatchObject({ status: 'refused', verdict: { guardrail: 'adds-to' }, reason: `it adds to ${second.id}, which was not carried out (refused: rejected by u:supervisor: not on the cell): an amount on top of a payment is owed with the payment, not instead of it (decision 0093)` });
    expect(calls).toEqual([first.id, up1.id]);
    // Asked after the rejection, it is refused at once.
    expect(await guarded.execute(req({ cost: 5, customerId: 'C8', params: { addsTo: [second.id!] } }))).toMatchObject({ status: 'refused', verdict: { guardrail: 'adds-to' } });
  });

  it('holds a top-up on a payment a person approved and the back end has not carried out yet: a person decides it, and only once the payment is paid (decision 0093)', async () => {
    let down = true;
    const calls: string[] = [];
    const { guarded } = setup(undefined, (request) => {
      if (down) return Promise.resolve({ ok: false, error: 'billing back end unavailable' });
      calls.push(request.id);
      return Promise.resolve({ ok: true });
    });
    const person = { kind: 'human' as const, id: 'u:supervisor' };
    // A move a person approves (the money window would send a top-up on a credit to a person anyway).
    const payment = req({ actionClass: 'plan_change', channel: 'call', customerId: 'C7', params: { planId: 'P-50' } });
    const asked = await guarded.execute(payment);
    expect(asked).toMatchObject({ status: 'pending-approval' });
    // Approved while the back end is down: committed, not carried out (it may yet fail for good or be withdrawn).
    expect(await guarded.approve(asked.approvalId!, person, 'on the cell')).toMatchObject({ status: 'failed' });
    // A top-up alone under every threshold is not paid on it (before: carried out at once, and stood alone had the payment never gone).
    const up = req({ cost: 5, customerId: 'C7', params: { addsTo: [payment.id!] } });
    const held = await guarded.execute(up);
    expect(held).toMatchObject({ status: 'pending-approval', reason: `it adds to ${payment.id}, which a person approved and is not carried out yet: a human approves first` });
    await expect(guarded.approve(held.approvalId!, { kind: 'human', id: 'u:other' }, 'ok')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(`adds to request ${payment.id}, which a person approved and is not carried out yet .*decide this one once it is`) });
    expect(calls.filter((id) => id === up.id)).toEqual([]);
    // The payment carried out, the top-up is decided and paid.
    down = false;
    expect(await guarded.settleDecided(asked.approvalId!)).toMatchObject({ status: 'executed' });
    expect(await guarded.approve(held.approvalId!, { kind: 'human', id: 'u:other' }, 'ok')).toMatchObject({ status: 'executed' });
    expect(calls.filter((id) => id === up.id)).toEqual([up.id]);
  });

  it('applies the declared fallback on timeout, and a late approval is refused', async () => {
    const { guarded, calls, clock } = setup();
    const credit = await guarded.execute(req({ cost: 40 })); // 4 h, reject
    const discount = await guarded.execute(req({ actionClass: 'discount', discountPct: 20, cost: 12 })); // 24 h, advise-only
    clock.advance(25 * 3_600_000);
    const expired = await guarded.expireDue();
    const byId = Object.fromEntries(expired.map((e) => [e.approvalId, e.status]));
    expect(byId[credit.approvalId!]).toBe('refused');
    expect(byId[discount.approvalId!]).toBe('advised');
    await expect(guarded.approve(credit.approvalId!, { kind: 'human', id: 'u:late' }, 'sorry')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(calls).toEqual([]);
  });

  it('refuses when the budget is spent, and gives back what a failed action reserved', async () => {
    const policy = parseActionPolicy({
      version: 1,
      rules: [{ id: 'comp', actionClass: 'compensation', mode: 'autonomous' }],
      budgets: [{ actionClass: 'compensation', domain: 'ops-budget-test', period: 'month', limit: 10 }],
    });
    let fail = true;
    const { guarded } = setup(policy, () => Promise.resolve(fail ? { ok: false, error: 'billing down' } : { ok: true }));
    const ask = () => guarded.execute(req({ actionClass: 'compensation', domain: 'ops-budget-test', cost: 6 }));
    expect((await ask()).status).toBe('failed');
    fail = false;
    expect((await ask()).status).toBe('executed');
    const third = await ask();
    expect(third).toMatchObject({ status: 'refused', verdict: { guardrail: 'budget' } });
    expect((await store.budgetSpend('2026-05', 'compensation|ops-budget-test')).committed).toBe(6);
  });

  it('books at most what the policy checked when the back end reports more: the overrun is audited once and raised, and the budget keeps what it never judged free', async () => {
    const policy = parseActionPolicy({
      version: 1,
      rules: [{ id: 'comp', actionClass: 'compensation', mode: 'autonomous' }],
      budgets: [{ actionClass: 'compensation', domain: 'ops-overrun-test', period: 'month', limit: 10 }],
    });
    // A back end that says each compensation cost more than it was asked to move (or less, once).
    let reports = [9, 3];
    const executor: ActionExecutor = async () => ({ ok: true, actualCost: reports.shift() });
    const clock = new ManualClock(T0);
    const raised: CostOverrun[] = [];
    const audit = createAuditTrail(store, clock);
    const build = () => createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit, executor, clock, onOverrun: (o) => raised.push(o) });
    const first = req({ actionClass: 'compensation', domain: 'ops-overrun-test', cost: 5 });
    const r = await build().execute(first);
    expect(r).toMatchObject({ status: 'executed', cost: 5 });
    expect((await store.budgetSpend('2026-05', 'compensation|ops-overrun-test')).committed).toBe(5);
    expect(raised).toEqual([expect.objectContaining({ requestId: first.id, customerId: 'C1', reported: 9, booked: 5, excess: 4 })]);
    const entries = (await audit.read()).filter((e) => e.entry.requestId === first.id);
    expect(entries.map((e) => e.entry.type)).toEqual(['action.requested', 'policy.verdict', 'action.overrun', 'action.executed']);
    expect(entries[2].entry).toMatchObject({ outcome: { status: 'overrun', reported: 9, booked: 5, excess: 4, reason: expect.stringMatching(/above the 5 the policy checked/) } });
    expect(entries[3].entry).toMatchObject({ outcome: { cost: 5, overrun: { reported: 9, excess: 4, auditSeq: entries[2].seq } } });
    // The budget left is what the policy judged left: a second 5 fits (with 9 booked it would not), and a report below is booked as reported.
    expect(await build().execute(req({ actionClass: 'compensation', domain: 'ops-overrun-test', cost: 5 }))).toMatchObject({ status: 'executed', cost: 3 });
    expect((await store.budgetSpend('2026-05', 'compensation|ops-overrun-test')).committed).toBe(8);
    expect(raised).toHaveLength(1);
    reports = [];
  });

  it('never books a reported cost that is no cost (negative, NaN, infinite) as money coming back: the amount checked is booked, the report refused in the audit once and raised', async () => {
    const policy = parseActionPolicy({
      version: 1,
      rules: [{ id: 'comp', actionClass: 'compensation', mode: 'autonomous' }],
      budgets: [{ actionClass: 'compensation', domain: 'ops-not-a-cost-test', period: 'month', limit: 12 }],
    });
    const reports = [-5, Number.NaN, Number.POSITIVE_INFINITY];
    let calls = 0;
    const executor: ActionExecutor = async () => (calls++, { ok: true, actualCost: reports[Math.min(calls - 1, reports.length - 1)] });
    const clock = new ManualClock(T0);
    const raised: CostOverrun[] = [];
    const audit = createAuditTrail(store, clock);
    const guarded = createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit, executor, clock, onOverrun: (o) => raised.push(o) });
    const first = req({ actionClass: 'compensation', domain: 'ops-not-a-cost-test', cost: 4 });
    expect(await guarded.execute(first)).toMatchObject({ status: 'executed', cost: 4 });
    // The 4 checked is booked: a report of -5 gave nothing back to the budget.
    expect((await store.budgetSpend('2026-05', 'compensation|ops-not-a-cost-test'))).toMatchObject({ committed: 4, reserved: 0 });
    const entries = (await audit.read()).filter((e) => e.entry.requestId === first.id);
    expect(entries.map((e) => e.entry.type)).toEqual(['action.requested', 'policy.verdict', 'action.cost-refused', 'action.executed']);
    expect(entries[2].entry).toMatchObject({ outcome: { status: 'not-a-cost', reported: -5, booked: 4, reason: expect.stringMatching(/-5 .*not a cost/) } });
    expect(entries[3].entry).toMatchObject({ outcome: { cost: 4, costRefused: { reported: -5, auditSeq: entries[2].seq } } });
    expect(raised).toEqual([expect.objectContaining({ kind: 'not-a-cost', requestId: first.id, reported: -5, booked: 4 })]);
    // The same request again is its first answer: nothing carried out, booked or audited twice.
    expect(await guarded.execute(first)).toMatchObject({ status: 'executed', cost: 4, repeated: true });
    expect(calls).toBe(1);
    // NaN and Infinity book the amount checked too; the budget's limit holds (4 + 4 + 4 = 12, then refused).
    for (const reported of ['NaN', 'Infinity']) {
      const r = await guarded.execute(req({ actionClass: 'compensation', domain: 'ops-not-a-cost-test', cost: 4 }));
      expect(r).toMatchObject({ status: 'executed', cost: 4 });
      const refused = (await audit.read()).filter((e) => e.entry.requestId === r.requestId && e.entry.type === 'action.cost-refused');
      expect(refused.map((e) => (e.entry as { outcome: { reported: unknown } }).outcome.reported)).toEqual([reported]);
    }
    expect((await store.budgetSpend('2026-05', 'compensation|ops-not-a-cost-test')).committed).toBe(12);
    expect(await guarded.execute(req({ actionClass: 'compensation', domain: 'ops-not-a-cost-test', cost: 4 }))).toMatchObject({ status: 'refused', verdict: { guardrail: 'budget' } });
    expect(raised.map((o) => o.kind)).toEqual(['not-a-cost', 'not-a-cost', 'not-a-cost']);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('rejects a malformed request at the door', async () => {
    const { guarded } = setup();
    await expect(guarded.execute({ actionClass: 'credit', channel: 'fax' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('refuses a money move without its reason at the door, naming the field; a message needs none', async () => {
    const { guarded, calls } = setup();
    const head = (await store.auditHead()).seq;
    // On the old code each of these executed (or waited for a person) with no reason anyone could read.
    for (const ask of [req({ cost: 5, why: {} }), req({ actionClass: 'compensation', cost: 5, why: { summary: '  ' } }), req({ actionClass: 'discount', discountPct: 10, why: { evidence: { ticket: 'T1' } } })]) {
      await expect(guarded.execute(ask)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(new RegExp(`^Invalid action request at why\\.summary: required for a ${String(ask.actionClass)}, which moves money`)) });
    }
    expect((await store.auditHead()).seq).toBe(head);
    expect(calls).toEqual([]);
    expect(await guarded.execute(req({ actionClass: 'communication', cost: 0, params: { purpose: 'service' }, why: {} }))).toMatchObject({ requestId: expect.any(String) });
  });

  it('never calls the executor for anything but an execute verdict (random policies and requests)', async () => {
    const ruleArb = fc.record({
      actionClass: fc.constantFrom('*', 'credit', 'offer'),
      channel: fc.constantFrom('*', ...CHANNELS),
      mode: fc.constantFrom(...POLICY_MODES),
      guardrails: fc.record({ costCap: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }), approveAboveCost: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }) }),
    });
    // A credit costs its amount (at least a cent); an offer names its offering; a message its purpose.
    const requestArb = fc
      .record({ actionClass: fc.constantFrom('credit', 'offer', 'communication'), channel: fc.constantFrom(...CHANNELS), cost: fc.integer({ min: 1, max: 60 }) })
      .map((r) => (r.actionClass === 'offer' ? { ...r, params: { offerId: 'o-1' } } : r.actionClass === 'communication' ? { ...r, params: { purpose: 'service' } } : r));
    await fc.assert(
      fc.asyncProperty(fc.array(ruleArb, { maxLength: 5 }), fc.array(requestArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 100 }), async (rules, requests, limit) => {
        const policy = parseActionPolicy({
          version: 1,
          fallbackMode: 'autonomous',
          rules: rules.map((r, i) => ({ ...r, id: `r${i}` })),
          budgets: [{ actionClass: '*', domain: `prop-${++n}`, period: 'month', limit }],
        });
        const domain = `prop-${n}`;
        const executedIds: string[] = [];
        const badVerdicts: unknown[] = [];
        const { guarded } = setup(policy, (request, verdict) => {
          if (!isExecuteVerdict(verdict) || verdict.requestId !== request.id) badVerdicts.push(verdict);
          executedIds.push(request.id);
          return Promise.resolve({ ok: true });
        });
        for (const r of requests) {
          const result = await guarded.execute(req({ ...r, domain }));
          expect(executedIds.includes(result.requestId)).toBe(result.status === 'executed');
        }
        expect(badVerdicts).toEqual([]);
        expect((await store.budgetSpend('2026-05', `*|${domain}`)).committed).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 40 },
    );
  });
});
