import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionPolicy, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { recordVersioned, type VersionedDocuments } from '../../store/document-store.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from './guarded-executor.js';
import { MONEY_WINDOW_COLLECTION, type MoneyWindowDocument } from './money-window.js';

/**
 * The approval threshold of a money move counts what the customer was given of its class over the
 * policy's money window (decision 0068): the newcomer's six credits of 9.99 by an AI agent, each
 * under the threshold of 10, went through alone; the second now waits for a person.
 */
const T0 = Date.UTC(2026, 4, 14, 9);
const DAY = 24 * 60 * 60 * 1000;
let dir: string;
let store: GovernanceStore;
let records: RecordStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twinloop-money-window-'));
  store = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
});
afterAll(async () => {
  await records.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
let customers = 0;
const agent = { kind: 'agent', id: 'ai_agent' } as const;
const credit = (customerId: string, cost: number, fields: Partial<ActionRequestInput> = {}): ActionRequestInput => ({ id: `mw-${++n}`, actionClass: 'credit', channel: 'call', customerId, cost, actor: agent, why: { summary: `agent goodwill ${n}` }, ...fields });

/** An executor (one worker) over the shared stores; `windows` is the money window they share. */
function worker(o: { clock: ManualClock; windows: VersionedDocuments<MoneyWindowDocument>; policy?: ActionPolicy; fail?: () => boolean }) {
  const carried: string[] = [];
  const executor: ActionExecutor = async (request) => {
    if (o.fail?.()) return { ok: false, error: 'billing back end timed out' };
    carried.push(request.id);
    return { ok: true };
  };
  const guarded = createGuardedExecutor({
    policy: o.policy ?? parseActionPolicy(DEFAULT_ACTION_POLICY),
    ledger: createBudgetLedger(store),
    queue: createApprovalQueue(store, o.clock),
    audit: createAuditTrail(store, o.clock),
    executor,
    clock: o.clock,
    moneyWindow: o.windows,
  });
  return { guarded, carried };
}

function setup(policy?: ActionPolicy) {
  const clock = new ManualClock(T0);
  // Each test its own collection: the store is shared by the file.
  const windows = recordVersioned<MoneyWindowDocument>(records, `${MONEY_WINDOW_COLLECTION}-${++customers}`);
  return { clock, windows, customer: `C${customers}`, ...worker({ clock, windows, policy }) };
}

describe('the money window', () => {
  it("sends the newcomer's split to a person: six credits of 9.99 by an AI agent, each under the threshold of 10, are one credit and five approvals naming the sum and the earlier credits", async () => {
    const { guarded, carried, customer, clock } = setup();
    const answers = [];
    for (let i = 0; i < 6; i++) {
      answers.push(await guarded.execute(credit(customer, 9.99)));
      clock.advance(60_000);
    }
    expect(answers.map((a) => a.status)).toEqual(['executed', 'pending-approval', 'pending-approval', 'pending-approval', 'pending-approval', 'pending-approval']);
    expect(carried).toEqual([answers[0].requestId]);
    expect(answers[1].reason).toBe(`cost 9.99 with the 9.99 of 1 earlier credit to ${customer} in the last 30 days comes to 19.98, above 10: a human approves first`);
    // Those waiting for a person count too: the sixth is judged with the five before it.
    expect(answers[5].reason).toMatch(new RegExp(`cost 9\\.99 with the 49\\.95 of 5 earlier credits to ${customer} in the last 30 days comes to 59\\.94, above 10`));
    const approvals = createApprovalQueue(store, clock);
    const item = await approvals.get(answers[5].approvalId!);
    expect(item?.why.join('\n')).toContain(`9.99 carried out ${new Date(T0).toISOString()} (${answers[0].requestId}, by agent:ai_agent)`);
    expect(item?.why.join('\n')).toContain(`9.99 waiting for a person since ${new Date(T0 + 60_000).toISOString()} (${answers[1].requestId}, by agent:ai_agent)`);
  });

  it('lets a credit within the threshold with the earlier ones through, and one once the earlier ones left the window; a rejected or failed credit moved nothing and is not counted', async () => {
    const { guarded, customer, clock } = setup();
    expect((await guarded.execute(credit(customer, 4))).status).toBe('executed');
    expect((await guarded.execute(credit(customer, 6))).status).toBe('executed');
    const third = await guarded.execute(credit(customer, 1));
    expect(third.status).toBe('pending-approval');
    // Rejected, it moved nothing: a credit of 0 more stays at 10.
    await guarded.reject(third.approvalId!, { kind: 'human', id: 'sam' }, 'not this time');
    expect((await guarded.execute(credit(customer, 0.01))).status).toBe('pending-approval');
    // Thirty days after the first two they no longer count (the one waiting still does).
    clock.advance(30 * DAY + 1);
    expect((await guarded.execute(credit(customer, 9))).status).toBe('executed');
    const over = await guarded.execute(credit(customer, 1));
    expect(over.status).toBe('pending-approval');
    expect(over.reason).toMatch(/cost 1 with the 9\.01 of 2 earlier credits .* comes to 10\.01, above 10/);
  });

  it('gives the room of a credit the back end failed back: the next one is judged without it', async () => {
    const clock = new ManualClock(T0);
    const windows = recordVersioned<MoneyWindowDocument>(records, `${MONEY_WINDOW_COLLECTION}-failing`);
    let failing = true;
    const { guarded } = worker({ clock, windows, fail: () => failing });
    expect((await guarded.execute(credit('C-fail', 8))).status).toBe('failed');
    failing = false;
    expect((await guarded.execute(credit('C-fail', 8))).status).toBe('executed');
  });

  it('counts an approved credit once carried out: the next small one waits for a person', async () => {
    const { guarded, customer } = setup();
    const big = await guarded.execute(credit(customer, 50));
    expect(big.status).toBe('pending-approval');
    expect((await guarded.approve(big.approvalId!, { kind: 'human', id: 'sam' }, 'billed twice')).status).toBe('executed');
    const small = await guarded.execute(credit(customer, 2));
    expect(small.status).toBe('pending-approval');
    expect(small.reason).toMatch(/with the 50 of 1 earlier credit .* comes to 52, above 10/);
  });

  it('keeps counting an approved credit whose carry-out failed retryably: it stays approved and is carried out on its retry (review of c884512: its room was given back)', async () => {
    const clock = new ManualClock(T0);
    const windows = recordVersioned<MoneyWindowDocument>(records, `${MONEY_WINDOW_COLLECTION}-approved-failing`);
    let failing = false;
    const { guarded } = worker({ clock, windows, fail: () => failing });
    const big = await guarded.execute(credit('C-af', 50));
    expect(big.status).toBe('pending-approval');
    failing = true;
    const approved = await guarded.approve(big.approvalId!, { kind: 'human', id: 'sam' }, 'billed twice');
    expect(approved).toMatchObject({ status: 'failed', retryable: true });
    failing = false;
    const small = await guarded.execute(credit('C-af', 2));
    expect(small.status).toBe('pending-approval');
    expect(small.reason).toMatch(/with the 50 of 1 earlier credit .* comes to 52, above 10/);
  });

  it('lets two splits racing on two workers through once: the second finds the first and waits for a person', async () => {
    const clock = new ManualClock(T0);
    const windows = recordVersioned<MoneyWindowDocument>(records, `${MONEY_WINDOW_COLLECTION}-race`);
    // Two executors, as two workers: each its own in-process state, one store.
    for (let round = 0; round < 5; round++) {
      const a = worker({ clock, windows });
      const b = worker({ clock, windows });
      const customer = `C-race-${round}`;
      const both = await Promise.all([a.guarded.execute(credit(customer, 6)), b.guarded.execute(credit(customer, 6))]);
      expect(both.map((r) => r.status).sort()).toEqual(['executed', 'pending-approval']);
      expect([...a.carried, ...b.carried]).toHaveLength(1);
    }
  });

  it('keeps no window for a class no rule holds to a threshold on cost: a threshold set later counts the moves from then', async () => {
    const clock = new ManualClock(T0);
    const windows = recordVersioned<MoneyWindowDocument>(records, `${MONEY_WINDOW_COLLECTION}-untracked`);
    const uncapped = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: (DEFAULT_ACTION_POLICY.rules ?? []).map((r) => (r.id === 'credits' ? { ...r, guardrails: { costCap: 100 } } : r)) });
    expect((await worker({ clock, windows, policy: uncapped }).guarded.execute(credit('C-later', 9))).status).toBe('executed');
    expect(await windows.get('C-later|credit')).toBeUndefined();
    const { guarded } = worker({ clock, windows });
    expect((await guarded.execute(credit('C-later', 9))).status).toBe('executed');
    expect((await guarded.execute(credit('C-later', 2))).status).toBe('pending-approval');
  });

  it("judges each credit alone with moneyWindowDays 0 (the policy's word), and refuses a window longer than it keeps", async () => {
    const { guarded, customer } = setup(parseActionPolicy({ ...DEFAULT_ACTION_POLICY, moneyWindowDays: 0 }));
    for (let i = 0; i < 3; i++) expect((await guarded.execute(credit(customer, 9.99))).status).toBe('executed');
    expect(() => parseActionPolicy({ ...DEFAULT_ACTION_POLICY, moneyWindowDays: 400 })).toThrow(/moneyWindowDays/);
  });
});
