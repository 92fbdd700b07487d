import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../decisioning/policy/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { createApprovalQueue } from '../governance/approval-queue.js';
import { createAuditTrail } from '../governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../governance/guarded-executor.js';
import { createWorkflowEngine } from '../workflows/index.js';

/**
 * For the flows' tests: stores in a temporary directory, a guarded executor over the default
 * policy whose back end notes each contact and its time (and refuses the customers in `refuse`),
 * and a workflow engine (on `engineClock` when given); `close` removes it all.
 */
export async function flowOperator(name: string, o: { readonly refuse?: ReadonlySet<string>; readonly engineClock?: { now(): number } } = {}) {
  const dir = await mkdtemp(join(tmpdir(), `twinloop-${name}-`));
  const governance = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
  const clock = { now: () => Date.now() };
  const contacts: { customerId: string; at: number }[] = [];
  const executor: ActionExecutor = async (request) =>
    o.refuse?.has(request.customerId!) ? { ok: false, error: 'campaign_delivery_refused' } : (contacts.push({ customerId: request.customerId!, at: Date.now() }), { ok: true });
  const audit = createAuditTrail(governance, clock);
  const guarded = createGuardedExecutor({ policy: parseActionPolicy(DEFAULT_ACTION_POLICY), ledger: createBudgetLedger(governance), queue: createApprovalQueue(governance, clock), audit, executor, clock });
  const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10, ...(o.engineClock ? { clock: o.engineClock } : {}) });
  const close = async () => {
    await engine.stop();
    await journal.close();
    await governance.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { guarded, audit, engine, contacts, close };
}
