import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { createApprovalQueue } from '../governance/approval-queue.js';
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
const credit: ActionRequestInput = { actionClass: 'credit', channel: 'app', customerId: 'C1', actor: { kind: 'agent', id: 'care' }, cost: 40 };

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
    engine.register(
      defineWorkflow({
        id: 'credit-with-approval',
        version: 1,
        parseInput: (raw) => raw as ActionRequestInput,
        run: async (ctx, input): Promise<ApprovalDecision> => {
          const asked = await ctx.step(ask, input);
          return asked.status === 'pending-approval' ? awaitApproval(ctx, asked.approvalId!, 24 * HOUR) : asked;
        },
      }) as AnyWorkflowDefinition,
    );
    return { guarded, queue, engine };
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
