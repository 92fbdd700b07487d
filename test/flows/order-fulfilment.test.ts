import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorExecutor } from '../../src/agents/flows/connector-executor.js';
import { approvalSignalName } from '../../src/agents/flows/guarded-step.js';
import { orderFulfilmentWorkflow, orderProblem, type OrderFulfilmentResult } from '../../src/agents/flows/order-fulfilment-flow.js';
import { createApprovalQueue } from '../../src/agents/governance/approval-queue.js';
import { createAuditTrail } from '../../src/agents/governance/audit-trail.js';
import { createGuardedExecutor } from '../../src/agents/governance/guarded-executor.js';
import { createWorkflowEngine } from '../../src/agents/workflows/index.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionPolicyDocument } from '../../src/decisioning/policy/index.js';
import { rejected } from '../../src/domain/connectors/connector-result.js';
import { ManualClock } from '../../src/domain/clock.js';
import { PROVISIONING_POLL_RETRY } from '../../src/agents/flows/provisioning-poll.js';
import type { ProvisioningConnector } from '../../src/domain/connectors/provisioning.js';
import { createSandboxWorld, namedWorld } from '../../src/sandbox/index.js';
import { openGovernanceStore } from '../../src/store/open-governance-store.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import { openEventStore } from '../../src/store/open-event-store.js';
import { openTwinService } from '../../src/twin/twin-service.js';

/** The default policy plus self-service plan changes on the web (the customer's own order). */
const SELF_SERVICE: ActionPolicyDocument = {
  ...DEFAULT_ACTION_POLICY,
  rules: [...(DEFAULT_ACTION_POLICY.rules ?? []), { id: 'self-service-plan-change', actionClass: 'plan_change', channel: 'web', mode: 'autonomous', riskClass: 'medium' }],
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp(
  opts: {
    policy?: ActionPolicyDocument;
    rejectActivation?: boolean;
    /** The provisioning back end the flow sees, made from the sandbox's. */
    provisioning?: (real: ProvisioningConnector) => ProvisioningConnector;
    /** A clock the test moves; the test then drives the engine (runOnce). */
    clock?: ManualClock;
  } = {},
) {
  const config = namedWorld('small');
  for (const b of Object.values(config.backends)) {
    b.permanentRejectionRate = 0;
    b.transientErrorRate = 0;
  }
  const world = createSandboxWorld(config, 7, { latencyScale: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-order-'));
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'events') }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
  await world.backfill({ months: 1, sink: twins.intake });
  await twins.intake.drained();
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir: join(dir, 'gov') });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'wf') });
  const clock = opts.clock ?? { now: () => Date.now() };
  const b = world.backends;
  const guarded = createGuardedExecutor({
    policy: parseActionPolicy(opts.policy ?? SELF_SERVICE),
    ledger: createBudgetLedger(store),
    queue: createApprovalQueue(store, clock),
    audit: createAuditTrail(store, clock),
    executor: connectorExecutor({ ...b, provisioning: b.provisioning, resolveOffer: (id) => id }),
    clock,
  });
  const provisioning: ProvisioningConnector = opts.rejectActivation
    ? { ...b.provisioning, activate: async () => rejected('provisioning_refused') }
    : (opts.provisioning?.(b.provisioning) ?? b.provisioning);
  const planOf = (id: string) => twins.engine.view(id)?.products.find((p) => p.kind === 'plan' && p.status === 'active')?.productId ?? null;
  const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10, ...(opts.clock ? { clock: opts.clock, random: () => 0 } : {}) });
  engine.register(
    orderFulfilmentWorkflow({
      guarded: () => guarded,
      orders: b.orderManagement,
      provisioning,
      plans: config.plans,
      customer: async (id) => {
        const v = twins.engine.view(id);
        return v ? { active: v.features.active_plans > 0 && v.features.churned === 0, planId: planOf(id) } : undefined;
      },
    }),
  );
  if (!opts.clock) await engine.run();
  cleanups.push(async () => {
    await engine.stop();
    await journal.close();
    await store.close();
    await twins.close();
    await rm(dir, { recursive: true, force: true });
  });
  // An active customer and a plan other than theirs.
  const customerId = [...twins.engine.customerIds()].find((id) => planOf(id) !== null && twins.engine.view(id)!.features.churned === 0)!;
  const planId = config.plans.find((p) => p.id !== planOf(customerId))!.id;
  return { world, engine, journal, guarded, store, customerId, planId, previous: planOf(customerId), b };
}

describe('order fulfilment flow', () => {
  it('changes the plan end to end: policy, order, provisioning, confirmation', async () => {
    const { engine, b, customerId, planId, previous } = await setUp();
    const { workflowId } = await engine.start('order-fulfilment', { customerId, planId });
    const run = await engine.waitFor(workflowId, { timeoutMs: 20_000 });
    expect(run.status).toBe('succeeded');
    const out = run.output as OrderFulfilmentResult;
    expect(out).toMatchObject({ outcome: 'completed', planId, previousPlanId: previous, confirmation: 'executed' });
    if (out.outcome !== 'completed') throw new Error('not completed');
    expect(await b.orderManagement.get(out.orderId)).toMatchObject({ value: { state: 'completed' } });
    // One order captured (the executor's), found again by the flow under the same key.
    expect(b.stats().orderManagement.ok).toBe(1);
    expect(b.stats().notifications.ok).toBe(1);
  });

  it('cancels the order when provisioning refuses the activation', async () => {
    const { engine, journal, b, customerId, planId } = await setUp({ rejectActivation: true });
    const { workflowId } = await engine.start('order-fulfilment', { customerId, planId });
    const run = await engine.waitFor(workflowId, { timeoutMs: 20_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/activate-service/);
    const steps = (await journal.loadHistory(workflowId)).steps;
    expect(steps.find((s) => s.key === 'capture-order~undo')?.status).toBe('succeeded');
    const orderId = (JSON.parse(steps.find((s) => s.key === 'capture-order')!.output!) as { orderId: string }).orderId;
    expect(await b.orderManagement.get(orderId)).toMatchObject({ value: { state: 'cancelled' } });
    expect(b.stats().notifications.ok).toBe(0);
  });

  it('changes the plan back when the provisioning completes after the poll gave up', async () => {
    // The back end answers "pending" to every poll of the flow (it gives up), and completes afterwards.
    let polls = 0;
    const clock = new ManualClock(Date.now());
    const { engine, journal, store, customerId, planId, previous } = await setUp({
      clock,
      provisioning: (real) => ({
        activate: real.activate.bind(real),
        onCompletion: real.onCompletion.bind(real),
        status: async (id) => (++polls <= PROVISIONING_POLL_RETRY.maxAttempts ? { status: 'ok', value: { provisioningId: id, orderId: '?', state: 'pending' } } : real.status(id)),
      }),
    });
    const { workflowId } = await engine.start('order-fulfilment', { customerId, planId });
    for (let i = 0; i < 40 && !['failed', 'succeeded'].includes((await engine.get(workflowId))!.status); i++) {
      await engine.runOnce();
      clock.advance(PROVISIONING_POLL_RETRY.maxDelayMs);
    }
    expect(await engine.get(workflowId)).toMatchObject({ status: 'failed', error: expect.stringMatching(/await-provisioning/) });
    const { steps } = await journal.loadHistory(workflowId);
    expect(steps.find((st) => st.key === 'activate-service~undo')?.status).toBe('succeeded');
    // The plan change that completed late is reverted once, to the plan the customer had.
    const reverts = (await createAuditTrail(store, clock).read()).filter((e) => e.entry.type === 'action.executed' && (e.entry.action as { params?: { rollbackOf?: string } }).params?.rollbackOf);
    expect(reverts).toHaveLength(1);
    expect(reverts[0].entry.action).toMatchObject({ actionClass: 'plan_change', customerId, params: { planId: previous } });
  });

  it('waits for a human approval under the default policy, then fulfils', async () => {
    const { engine, journal, guarded, customerId, planId } = await setUp({ policy: DEFAULT_ACTION_POLICY });
    const { workflowId } = await engine.start('order-fulfilment', { customerId, planId });
    let approvalId: string | undefined;
    for (let i = 0; i < 200 && !approvalId; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const step = (await journal.loadHistory(workflowId)).steps.find((s) => s.key === 'request-plan-change' && s.output);
      approvalId = step ? (JSON.parse(step.output!) as { approvalId?: string }).approvalId : undefined;
    }
    expect(approvalId).toBeDefined();
    const decided = await guarded.approve(approvalId!, { kind: 'human', id: 'supervisor-1' }, 'customer asked');
    expect(decided.status).toBe('executed');
    await engine.signal(workflowId, approvalSignalName(approvalId!), { status: decided.status, reason: decided.reason });
    const run = await engine.waitFor(workflowId, { timeoutMs: 20_000 });
    expect(run.output).toMatchObject({ outcome: 'completed', planId });
  });

  it('refuses an order for an unknown plan or the plan the customer already has', () => {
    const plans = [{ id: 'p1' }, { id: 'p2' }];
    expect(orderProblem({ planId: 'p9' }, { active: true, planId: 'p1' }, plans)).toMatch(/unknown_plan/);
    expect(orderProblem({ planId: 'p1' }, { active: true, planId: 'p1' }, plans)).toMatch(/already_on_plan/);
    expect(orderProblem({ planId: 'p2' }, { active: false, planId: 'p1' }, plans)).toBe('customer_not_active');
    expect(orderProblem({ planId: 'p2' }, undefined, plans)).toBe('unknown_customer');
    expect(orderProblem({ planId: 'p2' }, { active: true, planId: 'p1' }, plans)).toBeNull();
  });
});
