import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditTrail, type AuditTrail } from '../governance/audit-trail.js';
import { campaignManagementWorkflow, type CampaignStats } from './campaign-management-flow.js';
import { createPlanExecutor } from './intent-execution.js';
import { runStartFact } from './run-start-audit.js';
import type { Plan, PlannedAction } from '../intents/intent-planner.js';
import { parseIntentText } from '../intents/intent-text-parser.js';
import { createWorkflowEngine, type AnyWorkflowDefinition } from '../workflows/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import type { WorkflowJournal } from '../../store/workflow-journal.js';

/**
 * Who started a run is audited before the run is written, once per run: a crash between the two
 * (the process killed once the run is in the journal, before its start answered) kept the run and
 * lost who started it, since the audit came after; now the retry finds the one entry.
 */
describe("a run's start and who started it", () => {
  const NOW = Date.UTC(2026, 11, 6);
  const stats = async (): Promise<CampaignStats> => ({ variants: [] });
  const parsed = parseIntentText('keep high-value customers at risk this month, budget 5000', { id: 'i1', now: NOW });
  if (!parsed.ok) throw new Error(parsed.reason);
  const intent = parsed.intent;
  const action = (offerId: string): PlannedAction => ({ templateId: 'retention-offer-digital', offerId, channels: ['sms'], targeting: { rank: 'churn_x_value', limit: { kind: 'budget', amount: 2500 } }, controlGroupShare: 0.1, maxContactsPerCustomer: 1 });
  const plan = (id: string, offerId = 'retain-10'): Plan => ({ id, intentId: 'i1', segment: intent.segment, horizon: intent.horizon, actions: [action(offerId)] });
  const lou = { kind: 'human' as const, id: 'lou', role: 'supervisor' };
  const startsOf = async (audit: AuditTrail, workflowId: string) => (await audit.read({ afterSeq: 0, limit: 1000 })).filter((r) => r.entry.fact === runStartFact(workflowId)).map((r) => (r.entry.actor as { id: string }).id);

  it('keeps who started it through a crash right after the run is written, and the retry adds no second entry', () =>
    withStores(async (journal, audit) => {
      // The process dies once the run is in the journal, before the start answers.
      const dying = withCreateRun(journal, async (run) => (await journal.createRun(run), Promise.reject(new Error('killed after the run was written'))));
      const executorOn = (j: WorkflowJournal) => createPlanExecutor({ engine: engineOn(j, audit), now: () => NOW, audit, mayStart: async () => ({ ok: true }) });
      await expect(executorOn(dying)({ plan: plan('i1-p1'), outcome: {} }, intent, lou)).rejects.toThrow('killed after the run was written');
      expect((await journal.listRuns({})).map((r) => r.id)).toEqual(['campaign-i1-p1']);
      // Before, the run was there and nobody had started it.
      expect(await startsOf(audit, 'campaign-i1-p1')).toEqual(['lou']);
      // Restarted, the plan is started again (planWaiting): answered by the run, audited once.
      expect(await executorOn(journal)({ plan: plan('i1-p1'), outcome: {} }, intent, lou)).toEqual({ executionId: 'campaign-i1-p1' });
      expect(await startsOf(audit, 'campaign-i1-p1')).toEqual(['lou']);
      expect(await audit.verify()).toMatchObject({ ok: true });
    }));

  it('starts nothing when the audit cannot be written, audits once when the retry starts it, and audits no start the flow refuses', () =>
    withStores(async (journal, audit) => {
      let down = true;
      const failing: AuditTrail = { ...audit, record: (entry, fact) => (down ? Promise.reject(new Error('store down')) : audit.record(entry, fact)) };
      const execute = createPlanExecutor({ engine: engineOn(journal, failing), now: () => NOW, audit: failing, mayStart: async () => ({ ok: true }) });
      await expect(execute({ plan: plan('i1-p2'), outcome: {} }, intent, lou)).rejects.toThrow('store down');
      expect(await journal.listRuns({})).toEqual([]);
      down = false;
      expect(await execute({ plan: plan('i1-p2'), outcome: {} }, intent, lou)).toEqual({ executionId: 'campaign-i1-p2' });
      expect(await startsOf(audit, 'campaign-i1-p2')).toEqual(['lou']);
      // An offer the catalogue has not: refused at its start, nothing written, nobody audited as starting it.
      await expect(execute({ plan: plan('i1-p3', 'retain-99'), outcome: {} }, intent, lou)).rejects.toMatchObject({ code: 'BAD_INPUT' });
      expect(await startsOf(audit, 'campaign-i1-p3')).toEqual([]);
    }));

  function engineOn(journal: WorkflowJournal, audit: AuditTrail) {
    const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10 });
    engine.register(campaignManagementWorkflow({ stats, audit, offerKnown: (id) => id === 'retain-10' }) as AnyWorkflowDefinition);
    return engine;
  }
});

/** The journal with its createRun replaced (its other methods bound to it: an adapter is a class). */
function withCreateRun(journal: WorkflowJournal, createRun: WorkflowJournal['createRun']): WorkflowJournal {
  return new Proxy(journal, {
    get: (target, key) => {
      if (key === 'createRun') return createRun;
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Runs `body` over a throw-away SQLite journal and governance store. */
async function withStores(body: (journal: WorkflowJournal, audit: AuditTrail) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-run-start-'));
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
  try {
    await body(journal, createAuditTrail(store, { now: () => Date.now() }));
  } finally {
    await journal.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
