import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditTrail, type AuditTrail } from '../../src/agents/governance/audit-trail.js';
import { campaignInputSchema, campaignManagementWorkflow, type CampaignAllocation, type CampaignManagementDeps, type CampaignStats } from '../../src/agents/flows/campaign-management-flow.js';
import { churnPreventionWorkflow } from '../../src/agents/flows/churn-prevention-flow.js';
import { createPlanExecutor } from '../../src/agents/flows/intent-execution.js';
import type { Plan, PlannedAction } from '../../src/agents/intents/intent-planner.js';
import { parseIntentText } from '../../src/agents/intents/intent-text-parser.js';
import { createWorkflowEngine, type AnyWorkflowDefinition, type WorkflowEngine } from '../../src/agents/workflows/index.js';
import { openGovernanceStore } from '../../src/store/open-governance-store.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import type { WorkflowJournal } from '../../src/store/workflow-journal.js';

/**
 * A campaign id names one campaign, run once, however it is started: the engine's start (which
 * every edge goes through: HTTP, an intent's plan, TMF921, MCP) refuses a second run of it, on any
 * worker sharing the journal, naming its state; a retry of the same start is answered as before; a
 * crash and restart go on with the one run. (On the old code each start made a run of its own: two
 * runs contacting the same audience from two processes, each thinking the budget its own.)
 */
describe('a campaign runs once per campaign id', () => {
  const CATALOGUE = new Set(['retain-10', 'retain-25']);
  const stats = async (): Promise<CampaignStats> => ({ variants: [{ variantId: 'a', presented: 0, accepted: 0, declined: 0, spent: 0 }] });

  it('refuses a second start from any worker naming its state, answers a retry of its start, and a restart goes on with the one run', () =>
    withStores(async (journal, audit, engines) => {
      let hold: Awaited<ReturnType<NonNullable<CampaignManagementDeps['holdOf']>>>;
      const applied: CampaignAllocation[] = [];
      const deps: CampaignManagementDeps = { stats, audit, apply: async (_id, a) => void applied.push(a), offerKnown: (id) => CATALOGUE.has(id), holdOf: async () => hold };
      const engineOn = (workerId: string) => engines.add(workerId, [campaignManagementWorkflow(deps) as AnyWorkflowDefinition]);
      const a = engineOn('worker-a');
      const b = engineOn('worker-b');
      await a.run();
      const input = { campaignId: 'spring', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.now() + 4_000, tickMs: 1_000 };
      expect(await a.start('campaign-management', input)).toMatchObject({ workflowId: 'campaign-spring', created: true });

      // A second start: on the same worker and on another sharing the journal (another process).
      await expect(a.start('campaign-management', input)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^campaign spring is running \(run campaign-spring, started .*\): one run per campaign; pause, resume or stop it \(POST \/campaigns\/spring\/pause/) });
      await expect(b.start('campaign-management', { ...input, budget: 500 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/campaign spring is running/) });
      // A person's pause is its state.
      hold = { by: 'alice', at: Date.UTC(2026, 11, 6, 9), reason: 'legal reads the SMS' };
      await expect(b.start('campaign-management', input)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/campaign spring is paused \(by alice at 2026-12-06T09:00:00.000Z: legal reads the SMS\)/) });
      hold = undefined;
      // The same start again, naming its run (a client's retry, an intent's plan executed again): answered, nothing new.
      expect(await b.start('campaign-management', input, { workflowId: 'campaign-spring' })).toMatchObject({ workflowId: 'campaign-spring', created: false });
      await expect(b.start('campaign-management', input, { workflowId: 'spring-2' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^workflowId: a campaign-management run's id is its subject's, campaign-spring/) });
      expect(await runsOf(journal)).toEqual(['campaign-spring']);

      // A crash: the worker that ran it is gone; another takes the run over and goes on with it, once.
      await a.stop();
      const c = engineOn('worker-c');
      await c.run();
      expect((await c.waitFor('campaign-spring', { timeoutMs: 60_000 })).status).toBe('succeeded');
      expect(applied.map((x) => x.tick)).toEqual([...new Set(applied.map((x) => x.tick))]);
      expect(await runsOf(journal)).toEqual(['campaign-spring']);
      // Ended, its id stays its: a new campaign takes a new id.
      await expect(c.start('campaign-management', input)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^campaign spring has ended \(succeeded; run campaign-spring, .*start another under a new campaignId/) });
    }), 90_000);

  it('refuses a start naming an offer the catalogue has not, at its start, naming the offer and where the catalogue is', () =>
    withStores(async (journal, audit, engines) => {
      const engine = engines.add('w', [campaignManagementWorkflow({ stats, audit, offerKnown: (id) => CATALOGUE.has(id) }) as AnyWorkflowDefinition]);
      const input = { campaignId: 'autumn', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }, { id: 'b', offerId: 'retain-99', channel: 'web' }], budget: 100, audience: [], endAt: Date.now() + 60_000 };
      await expect(engine.start('campaign-management', input)).rejects.toMatchObject({ code: 'BAD_INPUT', message: 'variants.1.offerId: no offering "retain-99" in the catalogue (variant b); GET /productOffering lists them' });
      // Nothing was started: on the old code a run was, and failed at its first tick.
      expect(await runsOf(journal)).toEqual([]);
    }));

  it("refuses an intent's plan naming an offer the catalogue no longer has at its start, one offer or several", () =>
    withStores(async (journal, audit, engines) => {
      const offerKnown = (id: string) => CATALOGUE.has(id);
      const churn = churnPreventionWorkflow({ guarded: () => ({ execute: () => Promise.reject(new Error('never contacted')) }), scan: async () => [], simulate: () => Promise.reject(new Error('never simulated')), outcomes: async () => [], offerKnown });
      const engine = engines.add('w', [campaignManagementWorkflow({ stats, audit, offerKnown }) as AnyWorkflowDefinition, churn as AnyWorkflowDefinition]);
      const execute = createPlanExecutor({ engine, now: () => Date.UTC(2026, 11, 6), mayStart: async () => ({ ok: true }) });
      const parsed = parseIntentText('keep high-value customers at risk this month, budget 5000', { id: 'i1', now: Date.UTC(2026, 11, 6) });
      if (!parsed.ok) throw new Error(parsed.reason);
      const action = (templateId: PlannedAction['templateId'], offerId?: string): PlannedAction => ({ templateId, ...(offerId ? { offerId } : {}), channels: ['sms'], targeting: { rank: 'churn_x_value', limit: { kind: 'budget', amount: 2500 } }, controlGroupShare: 0.1, maxContactsPerCustomer: 1 });
      const plan = (id: string, actions: PlannedAction[]): Plan => ({ id, intentId: 'i1', segment: parsed.intent.segment, horizon: parsed.intent.horizon, actions });
      // Planned when data-bonus was in the catalogue; it was retired since.
      await expect(execute({ plan: plan('i1-p1', [action('retention-offer-digital', 'data-bonus')]), outcome: {} }, parsed.intent)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^variants\.0\.offerId: no offering "data-bonus" in the catalogue/) });
      await expect(execute({ plan: plan('i1-p2', [action('retention-offer-digital', 'retain-10'), action('network-issue-compensation')]), outcome: {} }, parsed.intent)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^variants\.1\.offerId: no offering "network-issue-compensation" in the catalogue/) });
      expect(await journal.listRuns({})).toEqual([]);
      // What the catalogue has starts.
      expect(await execute({ plan: plan('i1-p3', [action('retention-offer-digital', 'retain-10'), action('retention-offer-digital', 'retain-25')]), outcome: {} }, parsed.intent)).toEqual({ executionId: 'campaign-i1-p3' });
    }));

  it('refuses a start while a run of the campaign from before runs took its id (under another id) is going', () =>
    withStores(async (journal, audit, engines) => {
      const engine = engines.add('w', [campaignManagementWorkflow({ stats, audit }) as AnyWorkflowDefinition]);
      const input = { campaignId: 'winter', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.now() + 60_000 };
      // As POST /workflows/campaign-management/start made it before: a random id (not run here).
      await journal.createRun({ id: '2ac3aaf5-45c5-4b41-9f8d-f163c0c3c2ab', definitionId: 'campaign-management', definitionVersion: 1, input: JSON.stringify(campaignInputSchema.parse(input)), parentId: null, createdAt: Date.now() });
      await expect(engine.start('campaign-management', input)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^campaign winter is running \(run 2ac3aaf5-45c5-4b41-9f8d-f163c0c3c2ab,/) });
      expect(await runsOf(journal)).toEqual(['2ac3aaf5-45c5-4b41-9f8d-f163c0c3c2ab']);
    }));
});

/** Workflow engines (workers) over one journal, each with the definitions given; all stopped after the body. */
interface Engines {
  add(workerId: string, definitions: readonly AnyWorkflowDefinition[]): WorkflowEngine;
}

/** Runs `body` over a throw-away SQLite journal and governance store shared by the engines it adds. */
async function withStores(body: (journal: WorkflowJournal, audit: AuditTrail, engines: Engines) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-campaign-once-'));
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
  const started: WorkflowEngine[] = [];
  const engines: Engines = {
    add(workerId, definitions) {
      const engine = createWorkflowEngine({ journal, workerId, pollIntervalMs: 10 });
      for (const d of definitions) engine.register(d);
      started.push(engine);
      return engine;
    },
  };
  try {
    await body(journal, createAuditTrail(store, { now: () => Date.now() }), engines);
  } finally {
    for (const e of started) await e.stop();
    await journal.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ids of every campaign run in the journal. */
async function runsOf(journal: WorkflowJournal): Promise<string[]> {
  return (await journal.listRuns({ definitionId: 'campaign-management' })).map((r) => r.id);
}
