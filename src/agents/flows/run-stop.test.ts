import { describe, expect, it } from 'vitest';
import { campaignManagementWorkflow, type CampaignAllocation, type CampaignResult } from './campaign-management-flow.js';
import { churnPreventionWorkflow, churnPreventionWorkflowId, type ChurnPreventionResult, type ScannedCustomer } from './churn-prevention-flow.js';
import { observationOfChurnSteps } from './intent-execution.js';
import { flowOperator } from './flow-fixtures.js';
import { STOP_RUN_SIGNAL } from './run-stop.js';

/**
 * A run an intent started stops when the intent closes (docs/intents.md): its waits end at once
 * and nothing more is presented. Without the stop, each run below waits an hour or a day of the
 * engine's clock (real time here) before its next contact or tick.
 */

const HOUR = 3_600_000;

const operator = (name: string, engineClock?: { now(): number }) => flowOperator(name, { engineClock });

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 6000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('stopping a run', () => {
  it('a churn prevention run stopped between contacts presents nothing more and measures at once', async () => {
    const { guarded, audit, engine, contacts, close } = await operator('stop-churn');
    const scanned: ScannedCustomer[] = ['C1', 'C2', 'C3'].map((customerId) => ({ customerId, churn: 0.3, value: 1000, acceptance: 0.3 }));
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        audit: () => audit,
        scan: async () => scanned,
        simulate: async (s) => ({ netValue: { mean: 10, low: 1, high: 20 }, customers: s.customerIds.map((customerId) => ({ customerId, mean: 5, low: 1 })) }),
        outcomes: async (ids) => ids.map((customerId) => ({ customerId, churned: false })),
        // After the first contact, the next may be made only in an hour (quiet hours, say).
        contactAllowedAt: (now) => (contacts.length > 0 ? now + HOUR : now),
      }),
    );
    await engine.run();
    try {
      const input = { periodId: 'stop', scanAt: Date.now(), horizonMs: 30 * 24 * HOUR, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('stop') });
      await until(() => contacts.length === 1);
      expect(await engine.signal(workflowId, STOP_RUN_SIGNAL, { reason: 'intent I ended not-achieved at its horizon' })).toBe(true);
      const run = await engine.waitFor(workflowId, { timeoutMs: 60_000 });
      const r = run.output as ChurnPreventionResult;
      expect(contacts).toHaveLength(1);
      expect(r.treatedIds).toEqual(contacts.map((c) => c.customerId));
      expect(r.leftAlone.stopped?.count).toBe(2);
      expect(r.stoppedBecause).toBe('intent I ended not-achieved at its horizon');
      expect(r.status).toBe('measured');
      // What the intent reads of it while it ran: the one contact, as its journal holds it.
      expect(observationOfChurnSteps((await engine.steps(workflowId)) ?? [], 0).spend).toBe(r.spend);
    } finally {
      await close();
    }
  }, 120_000);

  it("a campaign stopped while waiting for its next tick ends at once and hands nothing more to its delivery", async () => {
    const { audit, engine, close } = await operator('stop-campaign');
    const applied: CampaignAllocation[] = [];
    engine.register(
      campaignManagementWorkflow({
        stats: async () => ({ variants: [{ variantId: 'a', presented: 2, accepted: 1, declined: 1, spent: 6 }] }),
        audit,
        apply: async (_id, allocation) => void applied.push(allocation),
      }),
    );
    await engine.run();
    try {
      const input = { campaignId: 'c-stop', variants: [{ id: 'a', offerId: 'data-bonus', channel: 'app' }], budget: 100, audience: [], endAt: Date.now() + 30 * 24 * HOUR, tickMs: 24 * HOUR };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-c-stop' });
      await until(() => applied.length === 1);
      await engine.signal(workflowId, STOP_RUN_SIGNAL, { reason: 'intent I cancelled' });
      const run = await engine.waitFor(workflowId, { timeoutMs: 60_000 });
      const r = run.output as CampaignResult;
      expect(r).toMatchObject({ endedBy: 'stopped', stoppedBecause: 'intent I cancelled', ticks: 2, presented: 2, accepted: 1, spent: 6 });
      expect(applied).toHaveLength(1);
    } finally {
      await close();
    }
  }, 120_000);
});
