import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { createApprovalQueue, WITHDRAWN_DECIDER } from '../governance/approval-queue.js';
import { createAuditTrail } from '../governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../governance/guarded-executor.js';
import { createWorkflowEngine, defineWorkflow, type AnyWorkflowDefinition } from '../workflows/index.js';
import { wakeDecidedApprovals } from './approval-wake.js';
import { awaitApproval, guardedActionStep, type ApprovalDecision } from './guarded-step.js';

const T0 = Date.UTC(2026, 4, 14, 9);
const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A credit of 40 needs a person's approval under the default policy; the flow waits a day for it. */
const credit: ActionRequestInput = { actionClass: 'credit', channel: 'app', customerId: 'C1', actor: { kind: 'agent', id: 'care' }, cost: 40, why: { summary: 'goodwill after a dropped-call week' } };

/**
 * One process's operator over stores that outlive it: building it again on the same directory is
 * a restart. The back end acts once per idempotency key, like every connector.
 */
async function stores() {
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-approval-wake-'));
  const governance = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
  cleanups.push(async () => {
    await journal.close();
    await governance.close();
    await rm(dir, { recursive: true, force: true });
  });
  const effects: string[] = [];
  const clock = new ManualClock(T0);
  const process = (name: string) => {
    const executor: ActionExecutor = async (request) => {
      if (!effects.includes(request.id)) effects.push(request.id);
      return { ok: true };
    };
    const queue = createApprovalQueue(governance, clock);
    const guarded = createGuardedExecutor({ policy: parseActionPolicy(DEFAULT_ACTION_POLICY), ledger: createBudgetLedger(governance), queue, audit: createAuditTrail(governance, clock), executor, clock });
    const engine = createWorkflowEngine({ journal, workerId: name, clock, pollIntervalMs: 10 });
    const ask = guardedActionStep('ask-credit', () => guarded);
    // The flow waits a day; the short one an hour, less than the approval's life (the policy's 4 h for credits).
    const waitingFor = (id: string, waitMs: number) =>
      defineWorkflow({
        id,
        version: 1,
        parseInput: (raw) => raw as ActionRequestInput,
        run: async (ctx, input: ActionRequestInput): Promise<ApprovalDecision> => {
          const asked = await ctx.step(ask, input);
          return asked.status === 'pending-approval' ? awaitApproval(ctx, asked.approvalId!, waitMs, () => guarded) : asked;
        },
      }) as AnyWorkflowDefinition;
    engine.register(waitingFor('credit-with-approval', 24 * HOUR));
    engine.register(waitingFor('credit-short-wait', HOUR));
    return { guarded, queue, engine, audit: createAuditTrail(governance, clock) };
  };
  return { process, effects, journal, clock };
}

describe('an approval decided just before a crash', () => {
  it('wakes its workflow at the next start and carries the approved action out once', async () => {
    const { process, effects, journal } = await stores();
    const first = process('w1');
    const { workflowId } = await first.engine.start('credit-with-approval', credit);
    await first.engine.runOnce();
    const [pending] = await first.queue.listPending();
    expect(pending.request.params?.workflowId).toBe(workflowId);
    // The supervisor's decision is kept; the process dies before the action runs or the workflow hears of it.
    await first.queue.approve(pending.id, 'u:supervisor', 'loyal customer');

    const second = process('w2');
    expect(await wakeDecidedApprovals({ journal, guarded: second.guarded, engine: second.engine })).toBe(1);
    await second.engine.runOnce();
    const run = (await second.engine.get(workflowId))!;
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ status: 'executed' });
    expect(effects).toEqual([pending.request.id]);
  });

  it('wakes its workflow with the kept answer when the action ran but the workflow was not told, and acts no more', async () => {
    const { process, effects, journal } = await stores();
    const first = process('w1');
    const { workflowId } = await first.engine.start('credit-with-approval', credit);
    await first.engine.runOnce();
    const [pending] = await first.queue.listPending();
    // Approved and carried out; the process dies before signalling the workflow.
    expect(await first.guarded.approve(pending.id, { kind: 'human', id: 'u:supervisor' }, 'ok')).toMatchObject({ status: 'executed' });

    const second = process('w2');
    expect(await wakeDecidedApprovals({ journal, guarded: second.guarded, engine: second.engine })).toBe(1);
    await second.engine.runOnce();
    expect((await second.engine.get(workflowId))!.output).toMatchObject({ status: 'executed' });
    // A second start finds nothing left to wake.
    expect(await wakeDecidedApprovals({ journal, guarded: second.guarded, engine: second.engine })).toBe(0);
    expect(effects).toEqual([pending.request.id]);
  });

  it('wakes a workflow whose approval was rejected, and leaves one still pending asleep', async () => {
    const { process, effects, journal } = await stores();
    const first = process('w1');
    const a = await first.engine.start('credit-with-approval', credit);
    const b = await first.engine.start('credit-with-approval', { ...credit, customerId: 'C2' });
    await first.engine.runOnce();
    const items = await first.queue.listPending();
    const ofA = items.find((i) => i.request.params?.workflowId === a.workflowId)!;
    await first.queue.reject(ofA.id, 'u:supervisor', 'not this month');

    const second = process('w2');
    expect(await wakeDecidedApprovals({ journal, guarded: second.guarded, engine: second.engine })).toBe(1);
    await second.engine.runOnce();
    expect((await second.engine.get(a.workflowId))!.output).toMatchObject({ status: 'refused', reason: expect.stringContaining('not this month') });
    expect((await second.engine.get(b.workflowId))!.status).toBe('waiting');
    expect(effects).toEqual([]);
  });
});

describe('a flow that stops waiting before its approval expires', () => {
  it('withdraws the approval: it ends expired with why, approving it is CONFLICT, and nothing is carried out', async () => {
    const { process, effects, clock } = await stores();
    const w = process('w1');
    const { workflowId } = await w.engine.start('credit-short-wait', credit);
    await w.engine.runOnce();
    const [pending] = await w.queue.listPending();
    expect(pending.expiresAt - T0).toBe(4 * HOUR);
    clock.advance(2 * HOUR);
    await w.engine.runOnce();
    expect((await w.engine.get(workflowId))!.output).toMatchObject({ status: 'timed-out', reason: expect.stringMatching(/withdrawn: workflow .* stopped waiting for it after 60 minutes/) });
    const item = (await w.queue.get(pending.id))!;
    expect(item).toMatchObject({ status: 'expired', decidedBy: WITHDRAWN_DECIDER, reason: expect.stringContaining(`workflow ${workflowId} stopped waiting`) });
    await expect(w.guarded.approve(pending.id, { kind: 'human', id: 'u:supervisor' }, 'sorry, was at lunch')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/was withdrawn .*stopped waiting for it.*; nothing is carried out/) });
    expect(await w.guarded.approvalOutcome(pending.id)).toMatchObject({ status: 'refused', reason: expect.stringMatching(/withdrawn/) });
    const mine = (await w.audit.read()).filter((e) => e.entry.requestId === pending.request.id).map((e) => [e.entry.type, (e.entry as { outcome?: { withdrawn?: boolean } }).outcome?.withdrawn]);
    expect(mine.at(-1)).toEqual(['approval.expired', true]);
    expect(effects).toEqual([]);
  });

  it('goes on with the decision when the approval was decided just before the wait ended: the approved act is carried out once', async () => {
    const { process, effects, clock } = await stores();
    const w = process('w1');
    const { workflowId } = await w.engine.start('credit-short-wait', credit);
    await w.engine.runOnce();
    const [pending] = await w.queue.listPending();
    // Approved (the decision kept), and the flow's wait ends before it hears of it.
    await w.queue.approve(pending.id, 'u:supervisor', 'loyal customer');
    clock.advance(2 * HOUR);
    await w.engine.runOnce();
    expect((await w.engine.get(workflowId))!.output).toMatchObject({ status: 'executed' });
    expect(effects).toEqual([pending.request.id]);
  });
});
