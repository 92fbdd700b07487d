import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectorExecutor } from '../../src/agents/flows/connector-executor.js';
import { createApprovalQueue } from '../../src/agents/governance/approval-queue.js';
import { createAuditTrail } from '../../src/agents/governance/audit-trail.js';
import { createGuardedExecutor, type DeferredApproval, type KeptAnswer } from '../../src/agents/governance/guarded-executor.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../src/decisioning/policy/index.js';
import type { BillingAdjustmentsConnector } from '../../src/domain/connectors/billing-adjustments.js';
import { ManualClock } from '../../src/domain/clock.js';
import { ArrayOutput, createSandboxWorld, loadWorldDocument } from '../../src/sandbox/index.js';
import { recordDocuments } from '../../src/store/document-store.js';
import { openGovernanceStore } from '../../src/store/open-governance-store.js';
import { openRecordStore } from '../../src/store/open-record-store.js';

/**
 * A campaign's end withdraws its waiting approvals from the campaign's worker, while the approval
 * decided at that moment acts on the customer's owner: two processes, each with its own `once`
 * (one process's guard), both carrying the same approved credit out. The second credit is made
 * impossible where both meet: the back end, idempotent by the request id (the connector executor
 * passes it as the idempotency key; the sandbox's back ends keep every final answer by key and join
 * a call in flight under it; a real BSS adapter owes the same, `Idempotent` in domain/connectors),
 * and the budget, booked once per request id. Here two guarded executors share one store (as two
 * partition workers share PostgreSQL) and one BSS (as they share `twinloop sandbox serve`).
 */
describe('a withdrawal racing an approval on another worker', () => {
  it('credits the customer once at the back end and books the budget once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinloop-withdraw-workers-'));
    const governance = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    try {
      // One BSS: the sandbox's back ends, answering at once and never failing (the race is the test's, not theirs).
      const instant = { latencyMs: { median: 0, sigma: 0 }, transientErrorRate: 0, permanentRejectionRate: 0 };
      const world = createSandboxWorld(loadWorldDocument({ extends: 'small', population: { customers: 200 }, backends: { billingAdjustments: instant } }), 5, { latencyScale: 0 });
      const history = new ArrayOutput();
      world.generate(history, { days: 5 });
      const customerId = history.events.find((e) => e.kind === 'customer')!.customerId;
      // What reaches the back end, and what it answers: the first call is held after the back end
      // acted until the other worker's call arrives, so neither worker has kept its answer yet.
      const real = world.backends.billingAdjustments;
      const answers: string[] = [];
      let arrived = 0;
      let firstArrived: () => void = () => undefined;
      const first = new Promise<void>((resolve) => (firstArrived = resolve));
      let secondArrived: () => void = () => undefined;
      const second = new Promise<void>((resolve) => (secondArrived = resolve));
      const billing: BillingAdjustmentsConnector = {
        ...real,
        credit: async (req) => {
          const n = ++arrived;
          if (n === 1) firstArrived();
          if (n === 2) secondArrived();
          const r = await real.credit(req);
          if (r.status === 'ok') answers.push(r.value.adjustmentId);
          if (n === 1) await Promise.race([second, new Promise((resolve) => setTimeout(resolve, 3_000))]);
          return r;
        },
      };
      const executor = connectorExecutor({ ...world.backends, billingAdjustments: billing, resolveOffer: () => undefined });
      const clock = new ManualClock(Date.UTC(2026, 4, 14, 9));
      const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);
      // Two workers: each its own guarded executor (its own `once`) over the shared stores, as the runtime builds it.
      const worker = () =>
        createGuardedExecutor({
          policy,
          ledger: createBudgetLedger(governance),
          queue: createApprovalQueue(governance, clock),
          audit: createAuditTrail(governance, clock),
          executor,
          clock,
          answers: recordDocuments<KeptAnswer>(records, 'action-answers'),
          deferrals: recordDocuments<DeferredApproval>(records, 'approvals-deferred'),
        });
      const campaigns = worker();
      const owner = worker();
      const asked = await campaigns.execute({ id: 'cmp:spring:goodwill', actionClass: 'credit', channel: 'app', customerId, actor: { kind: 'agent', id: 'campaign-manager' }, why: { summary: 'goodwill after a billing error' }, cost: 30 });
      expect(asked).toMatchObject({ status: 'pending-approval' });
      // The supervisor approves through the gateway, on the customer's owner; its credit is at the back end…
      const approving = owner.approve(asked.approvalId!, { kind: 'human', id: 'lou' }, 'goodwill');
      await first;
      // …when the campaign ends on its own worker and withdraws what it waited for: approved already, it is settled there too.
      const withdrawing = campaigns.withdraw(asked.approvalId!, 'campaign spring ended: its end date came');
      const [approved, withdrawn] = await Promise.all([approving, withdrawing]);
      expect(approved).toMatchObject({ status: 'executed', cost: 30 });
      expect(withdrawn).toMatchObject({ status: 'executed', withdrawn: false });
      // Both workers asked the back end (the race this is about); it acted once, and both heard that one act.
      expect(arrived).toBe(2);
      expect(answers).toHaveLength(2);
      expect(new Set(answers).size).toBe(1);
      // The budget holds one credit of 30.
      const standing = await createBudgetLedger(governance).standingFor(policy, { actionClass: 'credit' }, clock.now());
      expect(standing.map((s) => s.committed + s.reserved)).toEqual(standing.map(() => 30));
      // And the trail says it was carried out once, after lou's approval (before: executed twice, one per worker).
      const trail = await createAuditTrail(governance, clock).read({ afterSeq: 0, limit: 100 });
      expect(trail.map((r) => r.entry.type).filter((t) => t !== 'policy.verdict')).toEqual(['action.requested', 'approval.requested', 'approval.approved', 'action.executed']);
      expect(await createAuditTrail(governance, clock).verify()).toMatchObject({ ok: true });
    } finally {
      await records.close();
      await governance.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
