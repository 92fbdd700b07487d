import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PricingSource } from '../../decisioning/action-pricing.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionPolicy } from '../../decisioning/policy/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { createApprovalQueue } from '../governance/approval-queue.js';
import { createAuditTrail } from '../governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../governance/guarded-executor.js';
import { createWorkflowEngine, type WorkflowEngine } from '../workflows/index.js';

/** The horizon the flows' tests give a churn prevention run: far beyond any contact, whatever the load. */
export const TEST_HORIZON_MS = 24 * 3_600_000;

/** The wall clock, which a test may move on (`skip`): an operator's and its engine's clock in the flows' tests. */
export function skippingClock() {
  let skew = 0;
  return { now: () => Date.now() + skew, skip: (ms: number) => void (skew += ms) };
}

/**
 * A churn prevention run's result: once the run waits for its horizon (every contact made, on the
 * wall clock, well before it), or for the wait named `waitKey`, `clock` moves `horizonMs` on and
 * the run goes on to its end. Bounded at 120 s a wait: far above any run of a test.
 */
export async function atHorizon(engine: WorkflowEngine, clock: { skip(ms: number): void }, workflowId: string, o: { horizonMs?: number; waitKey?: string } = {}) {
  const { horizonMs = TEST_HORIZON_MS, waitKey = 'horizon' } = o;
  const waiting = async () => ((await engine.steps(workflowId)) ?? []).some((step) => step.key === `signal:${waitKey}`);
  for (const until = Date.now() + 120_000; !(await waiting()); ) {
    if (Date.now() > until) throw new Error(`run ${workflowId} did not come to its wait ${waitKey} in 120 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  clock.skip(horizonMs);
  return engine.waitFor(workflowId, { timeoutMs: 120_000 });
}

/**
 * For the flows' tests: stores in a temporary directory, a guarded executor over the default
 * policy (or `policy`, pricing from `pricing` when given) whose back end notes each contact and its
 * time (and refuses the customers in `refuse`),
 * and a workflow engine (on `engineClock` when given; else on the operator's clock: the wall clock,
 * which `atHorizon` moves past a run's horizon); `close` removes it all.
 */
export async function flowOperator(name: string, o: { readonly refuse?: ReadonlySet<string>; readonly engineClock?: { now(): number }; readonly policy?: ActionPolicy; readonly pricing?: PricingSource } = {}) {
  const dir = await mkdtemp(join(tmpdir(), `twinloop-${name}-`));
  const governance = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
  // The operator's clock runs with the wall clock until a test moves it past a run's horizon.
  const clock = skippingClock();
  const contacts: { customerId: string; at: number; cost: number }[] = [];
  const executor: ActionExecutor = async (request) =>
    o.refuse?.has(request.customerId!) ? { ok: false, error: 'campaign_delivery_refused' } : (contacts.push({ customerId: request.customerId!, at: Date.now(), cost: request.cost }), { ok: true });
  const audit = createAuditTrail(governance, clock);
  const guarded = createGuardedExecutor({ policy: o.policy ?? parseActionPolicy(DEFAULT_ACTION_POLICY), ...(o.pricing ? { pricing: o.pricing } : {}), ledger: createBudgetLedger(governance), queue: createApprovalQueue(governance, clock), audit, executor, clock });
  const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10, clock: o.engineClock ?? clock });
  const close = async () => {
    await engine.stop();
    await journal.close();
    await governance.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { guarded, audit, engine, contacts, atHorizon: (workflowId: string, o?: { horizonMs?: number; waitKey?: string }) => atHorizon(engine, clock, workflowId, o), close };
}
