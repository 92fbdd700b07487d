import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionRequestInput } from '../../decisioning/policy/index.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { governanceStoreForTests } from './governance-fixtures.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor, type ExecutionOutcome } from './guarded-executor.js';

/**
 * An approved act is carried out once, whatever settles the same request while the approval's
 * own carry-out is still at the back end: a withdrawal (a campaign's end), a second approve click,
 * the approval's outcome asked for (settleDecided, a woken wait) or the request asked again.
 * The back end is held open by a promise the test releases, so the interleaving is exact.
 */
const T0 = Date.UTC(2026, 4, 14, 9);
let store: GovernanceStore;
governanceStoreForTests('approve-race', (opened) => (store = opened));

let n = 0;
const req = (): ActionRequestInput => ({ id: `race-${++n}`, actionClass: 'credit', channel: 'app', customerId: 'C1', actor: { kind: 'agent', id: 'care' }, why: { summary: 'goodwill after a billing error' }, cost: 30 });
const supervisor = { kind: 'human', id: 'u:supervisor' } as const;

/** An executor whose every call waits until the test releases it; `calls` counts the back end's acts. */
function setup() {
  const clock = new ManualClock(T0);
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered: () => void = () => undefined;
  const atBackEnd = new Promise<void>((resolve) => (entered = resolve));
  const executor = async (request: { id: string }): Promise<ExecutionOutcome> => {
    calls.push(request.id);
    entered();
    await gate;
    return { ok: true, actualCost: 30 };
  };
  const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
  const guarded = createGuardedExecutor({ policy, ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit: createAuditTrail(store, clock), executor, clock });
  return { guarded, calls, release, atBackEnd, policy };
}

describe('approve against a settle at the same moment', () => {
  const settles = {
    'a withdrawal (the campaign ended)': (g: ReturnType<typeof setup>['guarded'], approvalId: string) => g.withdraw(approvalId, 'campaign ended'),
    "the approval's outcome settled (a woken wait)": (g: ReturnType<typeof setup>['guarded'], approvalId: string) => g.settleDecided(approvalId),
  };
  for (const [what, settle] of Object.entries(settles)) {
    it(`carries the approved credit out once when ${what} comes while the back end acts`, async () => {
      const s = setup();
      const request = req();
      const asked = await s.guarded.execute(request);
      expect(asked).toMatchObject({ status: 'pending-approval' });
      const approving = s.guarded.approve(asked.approvalId!, supervisor, 'goodwill');
      await s.atBackEnd;
      const settling = settle(s.guarded, asked.approvalId!);
      // Let the settle run as far as it can before the back end answers.
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
      s.release();
      const [approved, settled] = await Promise.all([approving, settling]);
      expect(approved).toMatchObject({ status: 'executed', cost: 30 });
      expect(settled).toMatchObject({ status: 'executed' });
      expect(s.calls).toEqual([request.id]);
    });
  }

  it('carries it out once when the request is asked again while the approval acts', async () => {
    const s = setup();
    const request = req();
    const asked = await s.guarded.execute(request);
    const approving = s.guarded.approve(asked.approvalId!, supervisor, 'goodwill');
    await s.atBackEnd;
    const again = s.guarded.execute(request);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    s.release();
    expect(await approving).toMatchObject({ status: 'executed' });
    expect(await again).toMatchObject({ status: 'executed' });
    expect(s.calls).toEqual([request.id]);
  });

  it('a second approve click while the first acts is CONFLICT and carries nothing out', async () => {
    const s = setup();
    const request = req();
    const asked = await s.guarded.execute(request);
    const approving = s.guarded.approve(asked.approvalId!, supervisor, 'goodwill');
    await s.atBackEnd;
    await expect(s.guarded.approve(asked.approvalId!, { kind: 'human', id: 'u:other' }, 'me too')).rejects.toMatchObject({ code: 'CONFLICT' });
    s.release();
    expect(await approving).toMatchObject({ status: 'executed' });
    expect(s.calls).toEqual([request.id]);
  });
});
