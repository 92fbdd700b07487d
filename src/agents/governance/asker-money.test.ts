import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionPolicy, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor } from './guarded-executor.js';

const T0 = Date.UTC(2026, 4, 14, 9);
const HOUR = 3_600_000;

/** The default policy with an AI agent held to 30 a day and the service-operations flow to 1,000. */
const policy: ActionPolicy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, askerMoneyPerDay: { agent: 30, 'agent:service-operations': 1000 } });

let dataDir: string;
let store: GovernanceStore;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinloop-asker-money-'));
  store = await openGovernanceStore({ kind: 'sqlite', dataDir });
});
afterAll(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function setup(failing = false) {
  const clock = new ManualClock(T0);
  const wall = new ManualClock(T0);
  const carried: string[] = [];
  const guarded = createGuardedExecutor({
    policy,
    ledger: createBudgetLedger(store),
    queue: createApprovalQueue(store, wall),
    audit: createAuditTrail(store, clock),
    executor: async (request) => (failing ? { ok: false, error: 'account closed', detail: { retryable: false } } : (carried.push(`${request.customerId}:${request.cost}`), { ok: true })),
    clock,
    wallClock: wall,
  });
  return { guarded, clock, wall, carried };
}

let n = 0;
const credit = (customerId: string, cost: number, actor: ActionRequestInput['actor'] = { kind: 'agent', id: 'llm-agent' }, actionClass: ActionRequestInput['actionClass'] = 'credit'): ActionRequestInput => ({ id: `ask-${++n}`, actionClass, channel: 'app', customerId, cost, actor, why: { summary: 'goodwill after a billing error' } });

describe("an asker's payouts over a day (askerMoneyPerDay)", () => {
  it('sends the credit that takes one AI agent past its day to a person, though each customer got one credit under the threshold, naming the asker and the sum', async () => {
    const { guarded, carried } = await setup();
    for (const c of ['C1', 'C2', 'C3']) expect((await guarded.execute(credit(c, 9.99))).status).toBe('executed');
    const fourth = await guarded.execute(credit('C4', 9.99));
    expect(fourth).toMatchObject({ status: 'pending-approval', verdict: { rule: 'credits', mode: 'approve' } });
    expect(fourth.reason).toBe('agent:llm-agent has paid out 29.97 in credits and compensations in the last 24 hours (3 to 3 customers); with this 9.99 it comes to 39.96, above the 30 a day askerMoneyPerDay "agent" lets it pay out alone: a human approves first');
    expect(carried).toEqual(['C1:9.99', 'C2:9.99', 'C3:9.99']);
    // Waiting for a person, it counts: a fifth of 0.5 would take the day to 40.45.
    expect((await guarded.execute(credit('C5', 0.5))).status).toBe('pending-approval');
    // Another asker is not this one's: a person's credits, and the service-operations flow's own line.
    expect((await guarded.execute(credit('C6', 9.99, { kind: 'human', id: 'carla' }))).status).toBe('executed');
    for (const c of ['C7', 'C8', 'C9', 'C10']) expect((await guarded.execute(credit(c, 9.99, { kind: 'agent', id: 'service-operations' }, 'compensation'))).status).toBe('executed');
  });

  it('counts the day on the wall clock: a day later the asker pays out alone again', async () => {
    const { guarded, clock, wall } = await setup();
    for (const c of ['C1', 'C2', 'C3']) await guarded.execute(credit(c, 9.99));
    // The world's clock racing ahead (the sandbox's 3,600x) lifts nothing.
    clock.advance(30 * 24 * HOUR);
    expect((await guarded.execute(credit('C4', 9.99))).status).toBe('pending-approval');
    wall.advance(24 * HOUR + 1);
    expect((await guarded.execute(credit('C5', 9.99))).status).toBe('executed');
  });

  it('gives back the room of a payout that moved nothing', async () => {
    const { guarded } = await setup(true);
    for (const c of ['C1', 'C2', 'C3', 'C4']) expect((await guarded.execute(credit(c, 9.99))).status).toBe('failed');
  });

  it('refuses a policy that names no asker, saying how to name one', () => {
    expect(() => parseActionPolicy({ ...DEFAULT_ACTION_POLICY, askerMoneyPerDay: { robots: 10 } })).toThrow(/^Invalid action policy at askerMoneyPerDay\.robots: "robots" names no asker: give an asker kind \(human, agent, system\) or kind:id/);
  });
});
