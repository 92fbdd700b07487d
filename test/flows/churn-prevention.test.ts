import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { churnPreventionWorkflow, churnPreventionWorkflowId, type ChurnPreventionResult, type ScannedCustomer } from '../../src/agents/flows/churn-prevention-flow.js';
import { churnRunReports } from '../../src/agents/flows/churn-prevention-report.js';
import { atHorizon, skippingClock, TEST_HORIZON_MS } from '../../src/agents/flows/flow-fixtures.js';
import { createApprovalQueue } from '../../src/agents/governance/approval-queue.js';
import { createAuditTrail } from '../../src/agents/governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../../src/agents/governance/guarded-executor.js';
import { createWorkflowEngine } from '../../src/agents/workflows/index.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../src/decisioning/policy/index.js';
import { createSandboxWorld, namedWorld } from '../../src/sandbox/index.js';
import { openEventStore } from '../../src/store/open-event-store.js';
import { openGovernanceStore } from '../../src/store/open-governance-store.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import type { FeatureFilter } from '../../src/twin/feature-filter.js';
import { FEATURE_INDEX } from '../../src/twin/twin-features.js';
import { twinIdsWhere } from '../../src/twin/twin-query.js';
import { openTwinService } from '../../src/twin/twin-service.js';

describe('churn prevention flow on the sandbox', () => {
  it('holds out a control group, spends within budget, never contacts sleeping dogs, reports treated vs control', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinloop-churnflow-'));
    const world = createSandboxWorld(namedWorld('small'), 5, { latencyScale: 0 });
    // The wall clock, moved past the run's horizon once it has acted (atHorizon).
    const clock = skippingClock();
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'events') }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
    const store = await openGovernanceStore({ kind: 'sqlite', dataDir: join(dir, 'gov') });
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'wf') });
    const b = world.backends;
    const contacted = new Set<string>();
    const accepted = new Set<string>();
    const executor: ActionExecutor = async (request) => {
      const customerId = request.customerId!;
      contacted.add(customerId);
      if (request.actionClass === 'offer') {
        const r = await b.campaignDelivery.deliver({ idempotencyKey: request.id, campaignId: String(request.params.campaignId), customerId, offerId: String(request.params.offerId), channel: request.channel });
        if (r.status !== 'ok') return { ok: false, error: r.status };
        if (r.value.response === 'accepted') accepted.add(customerId);
        return { ok: true, actualCost: r.value.response === 'accepted' ? request.cost : 0 };
      }
      const r = await b.notifications.send({ idempotencyKey: request.id, customerId, channel: 'human_task', purpose: 'retention', templateId: String(request.params.templateId) });
      return r.status === 'ok' ? { ok: true } : { ok: false, error: r.status };
    };
    const audit = createAuditTrail(store, clock);
    const guarded = createGuardedExecutor({ policy: parseActionPolicy(DEFAULT_ACTION_POLICY), ledger: createBudgetLedger(store), queue: createApprovalQueue(store, clock), audit, executor, clock });
    try {
      await world.backfill({ months: 3, sink: twins.intake });
      await twins.intake.drained();
      const F = FEATURE_INDEX;
      // A transparent stand-in for live scores: complaints, late payments and falling use raise risk.
      const scan = async (segment: readonly FeatureFilter[]): Promise<ScannedCustomer[]> => {
        const out: ScannedCustomer[] = [];
        for (const id of twinIdsWhere(twins.engine, segment)) {
          const f = twins.engine.features(id);
          if (!f || f[F.churned] !== 0) continue;
          const churn = Math.min(0.9, 0.1 + 0.15 * f[F.complaints_90d] + 0.1 * f[F.payments_late_90d] + (f[F.data_trend] < 0 ? 0.1 : 0));
          // Sleeping dogs: long-tenure customers who never talk to us.
          const contactHarm = f[F.tenure_days] > 900 && f[F.interactions_30d] === 0 ? 0.02 : 0;
          out.push({ customerId: id, churn, value: f[F.arpu_3m] * 12, acceptance: 0.3, contactHarm, features: { arpu_3m: f[F.arpu_3m] } });
        }
        return out;
      };
      const outcomes = async (ids: readonly string[]) => {
        await world.backfill({ months: 2, sink: twins.intake });
        await twins.intake.drained();
        return ids.map((id) => ({ customerId: id, churned: twins.engine.features(id)?.[F.churned] === 1, accepted: accepted.has(id) }));
      };
      const simulations: number[] = [];
      const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10, clock });
      engine.register(churnPreventionWorkflow({ guarded: () => guarded, audit: () => audit, scan, outcomes, simulate: async (s) => (simulations.push(s.customerIds.length), { netValue: { mean: s.expectedNetValue, low: s.customerIds.length > 60 ? -1 : s.expectedNetValue * 0.5, high: s.expectedNetValue * 1.5 }, simulationId: `sim-${s.customerIds.length}` }) }));
      await engine.run();
      try {
        // An intent's segment, carried into the run: customers paying 20 a month or more.
        const segment: FeatureFilter[] = [{ field: 'churned', op: '==', value: 0 }, { field: 'arpu_3m', op: '>=', value: 20 }];
        const inSegment = new Set(twinIdsWhere(twins.engine, segment));
        const input = { periodId: 'p1', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 300, controlShare: 0.2, seed: 3, offer: { offerId: 'retain-10', cost: 5 }, minChurn: 0.2, segment };
        const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('p1') });
        expect((await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('p1') })).created).toBe(false);
        const run = await atHorizon(engine, clock, workflowId);
        expect(run.error).toBeNull();
        const r = run.output as ChurnPreventionResult;
        expect(r.status).toBe('measured');
        expect(r.scanned).toBe(inSegment.size);
        expect(r.scanned).toBeLessThan(twins.engine.table.size);
        for (const id of [...r.treatedIds, ...r.controlIds, ...contacted]) expect(inSegment.has(id)).toBe(true);
        expect(r.controlIds.length).toBeGreaterThan(0);
        expect(r.treatedIds.length).toBeGreaterThan(0);
        for (const id of r.controlIds) expect(contacted.has(id)).toBe(false);
        expect(r.contactHarmIds.length).toBeGreaterThan(0);
        // Whom it contacted and whom it left alone, and why: every scanned customer is in one place.
        const leftCounts = Object.values(r.leftAlone).reduce((a, x) => a + x.count, 0);
        expect(r.contacted.length + leftCounts).toBe(r.scanned);
        expect(r.contacted.map((c) => c.customerId)).toEqual(r.treatedIds);
        expect(r.leftAlone['low-risk']!.count).toBe(r.left['below-floors']);
        expect(r.leftAlone['sleeping-dog']!.count).toBe(r.contactHarmIds.length);
        expect(r.leftAlone['control-group']!.customerIds).toEqual(r.controlIds);
        expect(r.leftAlone.simulation!.count).toBeGreaterThan(0);
        for (const id of r.contactHarmIds) expect(contacted.has(id)).toBe(false);
        expect(r.spend).toBeLessThanOrEqual(300);
        // The simulation's lower bound was negative above 60 customers: the plan was shrunk.
        expect(simulations[0]).toBeGreaterThan(60);
        expect(simulations[simulations.length - 1]).toBeLessThanOrEqual(60);
        // The report, written once the run acted (before its horizon), says the same, and its counts are in the audit trail.
        const view = await churnRunReports(engine, 'churn-prevention').get(workflowId);
        expect(view.report).toMatchObject({ status: 'acted', scanned: r.scanned, contacted: r.contacted, leftAlone: r.leftAlone, spend: r.spend });
        expect(view.measured).toEqual(r.measured);
        const entry = (await audit.read({ afterSeq: 0, limit: 10_000 })).find((e) => e.seq === view.report!.auditSeq)!.entry;
        expect(entry).toMatchObject({ type: 'action.executed', actor: { id: 'churn-prevention' }, action: { actionClass: 'churn_prevention_run' }, outcome: { scanned: r.scanned, contacted: r.contacted.length } });
        expect((entry as { outcome: { leftAlone: Record<string, number> } }).outcome.leftAlone).toEqual(Object.fromEntries(Object.entries(r.leftAlone).map(([k, v]) => [k, v.count])));
        await expect(churnRunReports(engine, 'churn-prevention').get('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(r.measured).toBeDefined();
        expect(r.measured!.treatedChurnRate).toBeGreaterThanOrEqual(0);
        expect(r.measured!.controlChurnRate).toBeGreaterThanOrEqual(0);
      } finally {
        await engine.stop();
      }
    } finally {
      await twins.close();
      await journal.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
