import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecisionService } from '../../decisioning/decision-service.js';
import { DO_NOTHING, outcomeCoverage } from '../../decisioning/decision-record.js';
import type { ActionRequest, ActionRequestInput } from '../../decisioning/policy/index.js';
import { holdoutRegister } from '../governance/holdout-register.js';
import type { TwinEvent } from '../../domain/events.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { GuardedExecutor } from '../governance/guarded-executor.js';
import { flowOperator, TEST_HORIZON_MS } from './flow-fixtures.js';
import { DEFAULT_CATALOGUE_DOCUMENT } from '../../decisioning/default-catalogue.js';
import { loadCatalogue } from '../../decisioning/offer-catalogue.js';
import { parseActionPolicy } from '../../decisioning/policy/index.js';
import { churnPreventionWorkflow, churnPreventionWorkflowId, inControlGroup, type ChurnPlanSummary, type ChurnPreventionResult, type ScannedCustomer } from './churn-prevention-flow.js';
import { churnRunReports } from './churn-prevention-report.js';
import { observationOfChurnRun } from './intent-execution.js';

const operator = (name: string, refuse?: ReadonlySet<string>) => flowOperator(name, { refuse });

/** A check that finds every customer clearly worth it, and nobody churned by the horizon. */
const everyoneWorthIt = {
  simulate: async (s: ChurnPlanSummary) => ({ netValue: { mean: 10, low: 1, high: 20 }, customers: s.customerIds.map((customerId) => ({ customerId, mean: 5, low: 1 })) }),
  outcomes: async (ids: readonly string[]) => ids.map((customerId) => ({ customerId, churned: false })),
};

describe('the simulation check of a churn prevention run', () => {
  it("contacts the customers whose expected net value is clearly positive and lists the others with theirs", async () => {
    const { guarded, audit, engine, contacts, atHorizon, close } = await operator('churn-check');
    // Six customers at risk, all with a positive planned value; the check finds C5 and C6 not clearly worth it.
    const scanned: ScannedCustomer[] = [1, 2, 3, 4, 5, 6].map((i) => ({ customerId: `C${i}`, churn: 0.3, value: 1000 - i * 100, acceptance: 0.3 }));
    const low: Record<string, number> = { C1: 9, C2: 6, C3: 4, C4: 1, C5: -2, C6: -5 };
    const asked: ChurnPlanSummary[] = [];
    const simulate = async (s: ChurnPlanSummary) => {
      asked.push(s);
      const customers = s.customerIds.map((id) => ({ customerId: id, mean: low[id] + 5, low: low[id] }));
      const sum = (f: (c: (typeof customers)[number]) => number) => customers.reduce((a, c) => a + f(c), 0);
      return { netValue: { mean: sum((c) => c.mean), low: sum((c) => c.low), high: sum((c) => c.mean * 2) }, customers };
    };
    engine.register(churnPreventionWorkflow({ guarded: () => guarded, audit: () => audit, scan: async () => scanned, simulate, outcomes: async (ids) => ids.map((customerId) => ({ customerId, churned: false })) }));
    await engine.run();
    try {
      const input = { periodId: 'check', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('check') });
      const run = await atHorizon(workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      // The plan the check was asked about is the plan itself, with who gets which offer.
      expect(asked[0].customerIds).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6']);
      expect(asked[0].offers).toEqual([{ offerId: 'data-bonus', customers: 6, customerIds: ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'], acceptance: 0.3 }]);
      // Second round: the four clearly worth it, whose sum is clearly positive too: no halving.
      expect(asked.map((s) => s.customerIds.length)).toEqual([6, 4]);
      expect(r.treatedIds).toEqual(['C1', 'C2', 'C3', 'C4']);
      expect(contacts.map((c) => c.customerId).sort()).toEqual(['C1', 'C2', 'C3', 'C4']);
      expect(r.leftAlone.simulation).toEqual({ count: 2, customerIds: ['C5', 'C6'] });
      expect(r.notClearlyPositive).toEqual([{ customerId: 'C5', mean: 3, low: -2 }, { customerId: 'C6', mean: 0, low: -5 }]);
      const view = await churnRunReports(engine, 'churn-prevention').get(workflowId);
      expect(view.report?.notClearlyPositive).toEqual(r.notClearlyPositive);
    } finally {
      await close();
    }
  }, 180_000);

  it('keeps what it spends and what it holds for the unanswered offers within the run budget together', async () => {
    // Offers paid on acceptance, as the operator prices them: presenting one spends nothing now and
    // holds its 3 until the customer answers.
    const { engine, atHorizon, close } = await operator('churn-reserved');
    const presented: string[] = [];
    const guarded = {
      execute: async (request: { customerId?: string; id?: string }) => {
        presented.push(request.customerId!);
        return { status: 'executed' as const, reason: 'ok', requestId: `req-${request.customerId}`, cost: 0, onAcceptance: 3, auditSeq: presented.length, verdict: {} };
      },
    } as unknown as Pick<GuardedExecutor, 'execute'>;
    const scanned: ScannedCustomer[] = [1, 2, 3, 4, 5, 6].map((i) => ({ customerId: `R${i}`, churn: 0.3, value: 1000 - i * 10, acceptance: 0.3 }));
    engine.register(churnPreventionWorkflow({ guarded: () => guarded, scan: async () => scanned, ...everyoneWorthIt }));
    await engine.run();
    try {
      const input = { periodId: 'reserved', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 10, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('reserved') });
      const run = await atHorizon(workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      // Three offers of 3 fit in 10 if all are accepted; a fourth would not.
      expect(presented).toEqual(['R1', 'R2', 'R3']);
      expect(r.spend + (r.reserved ?? 0)).toBe(9);
    } finally {
      await close();
    }
  }, 180_000);

  it("never spends past its budget at the customers' own prices: the budget is checked at the price the executor moves, not at a typical customer's", async () => {
    // retain-10 takes 10 % off for 6 months: 60 for a customer paying 100, 12 for one paying 20,
    // 30 at the typical 50 the run's offer is planned at.
    const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
    const monthly: Record<string, number> = { P1: 100, P2: 100, P3: 20, P4: 100, P5: 20, P6: 20 };
    const pricing = { offering: (id: string) => catalogue.byId.get(id), monthlyPrice: (id: string) => monthly[id] };
    const policy = parseActionPolicy({ version: 1, rules: [{ id: 'discounts', actionClass: 'discount', mode: 'autonomous' }] });
    const offer = { offerId: 'retain-10', cost: 30, discountPct: 10 };
    const scanned: ScannedCustomer[] = Object.keys(monthly).map((id, i) => ({ customerId: id, churn: 0.3, value: 1000 - i * 10, acceptance: 0.3 }));
    for (const [name, scan] of [
      // The scan does not know the prices (a worker's scan of another's customers): the policy's check binds.
      ['unpriced', scanned],
      // The scan reads each customer's price as the executor will: nothing above the budget left is asked.
      ['priced', scanned.map((c) => ({ ...c, costByOffer: { 'retain-10': Math.round(monthly[c.customerId] * 0.6 * 100) / 100 } }))],
    ] as const) {
      const { guarded, engine, audit, contacts, atHorizon, close } = await flowOperator(`churn-own-price-${name}`, { policy, pricing });
      engine.register(churnPreventionWorkflow({ guarded: () => guarded, audit: () => audit, scan: async () => [...scan], ...everyoneWorthIt }));
      await engine.run();
      try {
        const input = { periodId: `own-price-${name}`, scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 100, controlShare: 0, seed: 1, offer, minChurn: 0.1 };
        const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId(`own-price-${name}`) });
        const run = await atHorizon(workflowId);
        expect(run.error).toBeNull();
        const r = run.output as ChurnPreventionResult;
        // What the executor moved (the discounts presented, all reserved until answered) is what the run counts, within its 100.
        const moved = contacts.reduce((a, c) => a + c.cost, 0);
        expect(r.spend + (r.reserved ?? 0)).toBe(moved);
        expect(moved).toBeLessThanOrEqual(100);
        const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();
        const refusals = (await audit.read()).filter((e) => e.entry.type === 'policy.verdict' && (e.entry as { outcome: { guardrail?: string } }).outcome.guardrail === 'run-budget');
        const refused = refusals.map((e) => (e.entry as { action: { customerId?: string } }).action.customerId);
        if (name === 'priced') {
          // Each at their own price: the cheap ones (12 each) and P1 (60) fit in 100, P2 and P4 (60 each) are never asked.
          expect(sorted(contacts.map((c) => `${c.customerId} ${c.cost}`))).toEqual(['P1 60', 'P3 12', 'P5 12', 'P6 12']);
          expect(sorted(r.leftAlone.budget?.customerIds)).toEqual(['P2', 'P4']);
          expect(refused).toEqual([]);
        } else {
          // Planned at 30 each: P1 costs 60 and leaves 40; P2, planned to fit, is refused by the policy at its 60;
          // P3 (12) leaves 28, below the planned 30 of the rest.
          expect(contacts.map((c) => `${c.customerId} ${c.cost}`)).toEqual(['P1 60', 'P3 12']);
          expect(refused).toEqual(['P2']);
          expect(r.leftAlone.budget).toEqual({ count: 4, customerIds: ['P2', 'P4', 'P5', 'P6'] });
        }
      } finally {
        await close();
      }
    }
  }, 180_000);

  it("counts at its horizon what its accepted offers committed as its cost, and what is still reserved", async () => {
    const { engine, atHorizon, close } = await operator('churn-settled');
    const guarded = {
      execute: async (request: { customerId?: string }) => ({ status: 'executed' as const, reason: 'ok', requestId: `req-${request.customerId}`, cost: 0.05, onAcceptance: 3, auditSeq: 1, verdict: {} }),
    } as unknown as Pick<GuardedExecutor, 'execute'>;
    // By the horizon: S1 accepted, S2 declined, S3 not answered yet.
    const states: Record<string, 'committed' | 'released' | 'reserved'> = { 'req-S1': 'committed', 'req-S2': 'released', 'req-S3': 'reserved' };
    const settlements = async (id: string) => (states[id] ? { state: states[id], amount: 3 } : undefined);
    const scanned: ScannedCustomer[] = [1, 2, 3].map((i) => ({ customerId: `S${i}`, churn: 0.3, value: 1000 - i * 10, acceptance: 0.3 }));
    engine.register(churnPreventionWorkflow({ guarded: () => guarded, scan: async () => scanned, settlements, ...everyoneWorthIt }));
    await engine.run();
    try {
      const input = { periodId: 'settled', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 100, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('settled') });
      const run = await atHorizon(workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      expect(r).toMatchObject({ spend: 0.15, acceptedCost: 3, reserved: 3 });
      // The intent reads its cost whole: the contacts and the accepted offer.
      expect(observationOfChurnRun(r, 0)).toMatchObject({ spend: 3.15, values: { net_value: -3.15 } });
    } finally {
      await close();
    }
  }, 180_000);

  it('waits for the end of the quiet hours before each contact instead of having it refused', async () => {
    const { guarded, engine, contacts, atHorizon, close } = await operator('churn-quiet');
    const scanned: ScannedCustomer[] = [1, 2, 3].map((i) => ({ customerId: `Q${i}`, churn: 0.3, value: 1000, acceptance: 0.3 }));
    const quietUntil = Date.now() + 300;
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        scan: async () => scanned,
        ...everyoneWorthIt,
        contactAllowedAt: (now) => Math.max(now, quietUntil),
      }),
    );
    await engine.run();
    try {
      const input = { periodId: 'quiet', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const run = await atHorizon((await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('quiet') })).workflowId);
      expect(run.error).toBeNull();
      expect((run.output as ChurnPreventionResult).treatedIds).toEqual(['Q1', 'Q2', 'Q3']);
      expect(contacts).toHaveLength(3);
      for (const { at: t } of contacts) expect(t, 'a contact was made before the quiet hours ended').toBeGreaterThanOrEqual(quietUntil);
    } finally {
      await close();
    }
  }, 180_000);

  it('lists a run waiting for quiet hours half-way through its list as acting, with its contacts so far', async () => {
    const { guarded, engine, contacts, close } = await operator('churn-halfway');
    const scanned: ScannedCustomer[] = [1, 2, 3].map((i) => ({ customerId: `H${i}`, churn: 0.3, value: 1000, acceptance: 0.3 }));
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        scan: async () => scanned,
        ...everyoneWorthIt,
        // The first contact goes at once; then the quiet hours begin and last a day.
        contactAllowedAt: (now) => (contacts.length === 0 ? now : now + 86_400_000),
      }),
    );
    await engine.run();
    try {
      const input = { periodId: 'halfway', scanAt: Date.now(), horizonMs: 30 * TEST_HORIZON_MS, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('halfway') });
      const reports = churnRunReports(engine, 'churn-prevention');
      let view = await reports.get(workflowId);
      for (const until = Date.now() + 120_000; view.contactedSoFar === null && Date.now() < until; view = await reports.get(workflowId)) await new Promise((r) => setTimeout(r, 50));
      expect(contacts).toHaveLength(1);
      expect(view.report).toBeNull();
      expect(view.contactedSoFar).toBe(1);
    } finally {
      await close();
    }
  }, 180_000);

  it('leaves a customer whose contact the policy refused alone under the rule that refused it: quiet hours is not consent', async () => {
    const { guarded, engine, atHorizon, close } = await operator('churn-refusal-reasons');
    const scanned: ScannedCustomer[] = [1, 2, 3, 4].map((i) => ({ customerId: `Q${i}`, churn: 0.3, value: 1000, acceptance: 0.3 }));
    // Q1's contact meets quiet hours, Q2's consent was withdrawn since the scan, Q3 declined lately.
    const refusals: Record<string, string> = { Q1: 'quiet-hours', Q2: 'marketing-consent', Q3: 'decline-cooldown' };
    const refusing: Pick<GuardedExecutor, 'execute'> = {
      execute: async (r: ActionRequestInput) => {
        const rule = refusals[r.customerId ?? ''];
        return rule ? ({ status: 'refused', requestId: r.id ?? '', reason: `refused by ${rule}`, verdict: { verdict: 'deny', guardrail: rule } } as unknown as Awaited<ReturnType<GuardedExecutor['execute']>>) : guarded.execute(r);
      },
    };
    engine.register(churnPreventionWorkflow({ guarded: () => refusing, scan: async () => scanned, ...everyoneWorthIt }));
    await engine.run();
    try {
      const input = { periodId: 'reasons', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const run = await atHorizon((await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('reasons') })).workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      expect(r.treatedIds).toEqual(['Q4']);
      expect(r.leftAlone).toMatchObject({ 'quiet-hours': { count: 1, customerIds: ['Q1'] }, 'no-consent': { count: 1, customerIds: ['Q2'] }, 'decline-cooldown': { count: 1, customerIds: ['Q3'] } });
      expect(r.leftAlone.consent).toBeUndefined();
      // One treated and nobody held out: no interval, and the report says it cannot be read.
      expect(r.measured?.upliftInterval).toBeNull();
      expect(r.measured?.reading).toMatch(/^too few to read: 1 treated vs 0 held out/);
    } finally {
      await close();
    }
  }, 180_000);

  it("counts a back end's refusal of one customer's offer as refused and goes on with the others", async () => {
    const { guarded, engine, contacts, atHorizon, close } = await operator('churn-refused', new Set(['R2']));
    const scanned: ScannedCustomer[] = [1, 2, 3].map((i) => ({ customerId: `R${i}`, churn: 0.3, value: 1000, acceptance: 0.3 }));
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        scan: async () => scanned,
        ...everyoneWorthIt,
      }),
    );
    await engine.run();
    try {
      const input = { periodId: 'refused', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const run = await atHorizon((await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('refused') })).workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      expect(r.treatedIds).toEqual(['R1', 'R3']);
      expect(r.leftAlone.refused).toEqual({ count: 1, customerIds: ['R2'] });
      expect(contacts.map((c) => c.customerId)).toEqual(['R1', 'R3']);
    } finally {
      await close();
    }
  }, 180_000);

  it('makes no contact at or past its horizon: quiet hours that end after it wait only up to it, and the customers left are left alone, said so', async () => {
    const { guarded, audit, engine, contacts, atHorizon, close } = await operator('churn-horizon');
    const scanned: ScannedCustomer[] = [1, 2, 3].map((i) => ({ customerId: `P${i}`, churn: 0.3, value: 1000, acceptance: 0.3 }));
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        audit: () => audit,
        scan: async () => scanned,
        ...everyoneWorthIt,
        // After the first contact, the quiet hours last two horizons.
        contactAllowedAt: (now) => (contacts.length === 0 ? now : now + 2 * TEST_HORIZON_MS),
      }),
    );
    await engine.run();
    try {
      const input = { periodId: 'horizon', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      // P2's quiet hours end after the horizon: the run waits for them only up to it.
      const run = await atHorizon((await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('horizon') })).workflowId, { waitKey: 'quiet-P2' });
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      expect(contacts.map((c) => c.customerId)).toEqual(['P1']);
      expect(r.treatedIds).toEqual(['P1']);
      expect(r.leftAlone['past-horizon']).toEqual({ count: 2, customerIds: ['P2', 'P3'] });
      expect(r.status).toBe('measured');
      // P2's offer was asked at the horizon and refused by the policy as expired; P3's turn came after it.
      expect(r.contacts).toMatchObject({ digital: 1, refused: 1 });
      const verdicts = (await audit.read({ afterSeq: 0, limit: 1000 })).filter((e) => e.entry.type === 'policy.verdict' && (e.entry.action as { customerId?: string }).customerId === 'P2');
      expect(verdicts.map((e) => (e.entry.outcome as { guardrail?: string }).guardrail)).toEqual(['expired']);
    } finally {
      await close();
    }
  }, 180_000);

  it('leaves the customers with no marketing consent alone before it plans: no offer, no control, no decision, counted in its report', async () => {
    const { guarded, audit, engine, contacts, atHorizon, close } = await operator('churn-consent');
    const logged: string[] = [];
    // N2 and N4 gave no marketing consent: the executor would refuse every offer to them.
    const scanned: ScannedCustomer[] = [1, 2, 3, 4, 5].map((i) => ({ customerId: `N${i}`, churn: 0.3, value: 1000 - i * 10, acceptance: 0.3, ...(i % 2 === 0 ? { marketingConsent: false } : {}) }));
    const asked: ChurnPlanSummary[] = [];
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        audit: () => audit,
        scan: async () => scanned,
        logDecision: async (r) => void logged.push(r.customerId),
        ...everyoneWorthIt,
        simulate: async (s) => (asked.push(s), everyoneWorthIt.simulate(s)),
      }),
    );
    await engine.run();
    try {
      // A control share that would hold some of them out: nobody without consent is held out either.
      const input = { periodId: 'consent', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0.3, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('consent') });
      const run = await atHorizon(workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      expect(asked[0].customerIds).toEqual(['N1', 'N3', 'N5']);
      expect(r.leftAlone['no-consent']).toEqual({ count: 2, customerIds: ['N2', 'N4'] });
      expect(r.leftAlone.consent).toBeUndefined();
      expect(contacts.map((c) => c.customerId).filter((id) => id === 'N2' || id === 'N4')).toEqual([]);
      expect([...r.treatedIds, ...r.controlIds].sort()).toEqual(['N1', 'N3', 'N5']);
      expect(logged.sort()).toEqual(['N1', 'N3', 'N5']);
      // The report says so, and every scanned customer is in exactly one reason or contacted.
      const view = await churnRunReports(engine, 'churn-prevention').get(workflowId);
      expect(view.report?.leftAlone['no-consent']?.count).toBe(2);
      const counted = Object.values(r.leftAlone).reduce((a, v) => a + v!.count, 0) + r.treatedIds.length;
      expect(counted).toBe(scanned.length);
    } finally {
      await close();
    }
  }, 180_000);

  it("leaves alone whom a campaign holds out, holds its own control out to its horizon, and measures without the control customers someone contacted anyway", async () => {
    const { guarded, audit, engine, contacts, atHorizon, close } = await operator('churn-holdout');
    const dir = await mkdtemp(join(tmpdir(), 'twinloop-churn-holdout-records-'));
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const holdouts = holdoutRegister(records);
    const scanned: ScannedCustomer[] = Array.from({ length: 12 }, (_, i) => ({ customerId: `H${i + 1}`, churn: 0.3, value: 1000 - i * 10, acceptance: 0.3 }));
    // A campaign drew H2 into its control group first.
    await holdouts.hold({ flow: 'campaign', runId: 'nc-retention', from: Date.now() - 1000, until: Date.now() + 30 * TEST_HORIZON_MS, customerIds: ['H2'] });
    const control = scanned.map((c) => c.customerId).filter((id) => id !== 'H2' && inControlGroup(id, 1, 0.3));
    expect(control.length).toBeGreaterThanOrEqual(2);
    const [spoiled] = control;
    let controlSeen: string[] = [];
    engine.register(
      churnPreventionWorkflow({
        guarded: () => guarded,
        audit: () => audit,
        scan: async () => scanned,
        holdouts,
        ...everyoneWorthIt,
        // The control churned but the one a care agent kept with an offer; the treated stayed.
        outcomes: async (ids) => ids.map((customerId) => ({ customerId, churned: control.includes(customerId) && customerId !== spoiled })),
      }),
    );
    await engine.run();
    try {
      const input = { periodId: 'holdout', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0.3, seed: 1, offer: { offerId: 'data-bonus', cost: 3 }, minChurn: 0.1 };
      const { workflowId } = await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('holdout') });
      // Before the horizon: the run's control is held out (a campaign now would leave them out), and a
      // care agent serving one of them on a call makes them an offer anyway.
      for (const until = Date.now() + 60_000; !holdouts.heldBy(spoiled, Date.now()); ) {
        if (Date.now() > until) throw new Error('the run never held its control out');
        await new Promise((r) => setTimeout(r, 20));
      }
      controlSeen = control.filter((id) => holdouts.heldBy(id, Date.now())?.runId === workflowId);
      const callerOffer = { id: 'care-offer-1', customerId: spoiled, actionClass: 'discount', channel: 'call', cost: 4, params: { offerId: 'retain-10', direction: 'inbound' }, actor: { kind: 'human', id: 'care-1' }, why: { summary: 'caller asked' } } as unknown as ActionRequest;
      expect(holdouts.refusal(callerOffer, Date.now())).toBeNull();
      expect(holdouts.refusal({ ...callerOffer, actor: { kind: 'agent', id: 'campaign-manager' } }, Date.now())?.rule).toBe('held-out');
      await holdouts.noteContact(callerOffer, Date.now());
      const run = await atHorizon(workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      expect(controlSeen.sort()).toEqual([...control].sort());
      expect(r.leftAlone['held-out']).toEqual({ count: 1, customerIds: ['H2'] });
      expect(contacts.map((c) => c.customerId)).not.toContain('H2');
      expect([...r.controlIds].sort()).toEqual([...control].sort());
      // Every clean control customer churned; the one contacted is left out of the measure, and named.
      expect(r.measured?.contaminated).toEqual({ count: 1, by: { 'human care-1: discount retain-10': 1 }, customerIds: [spoiled] });
      expect(r.measured?.controlChurnRate).toBe(1);
      expect(r.reason).toContain('1 of the control contacted anyway (human care-1: discount retain-10), measured without them');
    } finally {
      await close();
      await records.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('logs each choice in the one decision log, and the answer to its offer comes back against it', async () => {
    const { guarded, engine, atHorizon, close } = await operator('churn-decisions');
    const dir = await mkdtemp(join(tmpdir(), 'twinloop-churn-decisions-'));
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const decisions = await DecisionService.open({ twins: { features: () => undefined }, scores: () => undefined, records, clock: { now: () => Date.now() } });
    // What the back end is asked: the request names the decision it carries out.
    const asked: ActionRequestInput[] = [];
    const watching = { execute: (r: ActionRequestInput) => (asked.push(r), guarded.execute(r)) } as Pick<GuardedExecutor, 'execute'>;
    const scanned: ScannedCustomer[] = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ customerId: `D${i}`, churn: 0.3, value: 1000 - i * 10, acceptance: 0.3 }));
    engine.register(churnPreventionWorkflow({ guarded: () => watching, scan: async () => scanned, logDecision: (r) => decisions.logDecision(r), ...everyoneWorthIt }));
    await engine.run();
    try {
      const input = { periodId: 'decisions', scanAt: Date.now(), horizonMs: TEST_HORIZON_MS, budget: 1000, controlShare: 0.3, seed: 1, offer: { offerId: 'retain-10', cost: 3 }, minChurn: 0.1 };
      const run = await atHorizon((await engine.start('churn-prevention', input, { workflowId: churnPreventionWorkflowId('decisions') })).workflowId);
      expect(run.error).toBeNull();
      const r = run.output as ChurnPreventionResult;
      const held = scanned.map((c) => c.customerId).filter((id) => inControlGroup(id, 1, 0.3));
      expect(held.length, 'the seed holds some out and treats the others').toBeGreaterThan(0);
      expect(r.controlIds).toEqual(held);
      // One decision a customer: the offer for the treated, nothing for those held out, with the control share as the propensity of each.
      const log = await records.listDecisions({ limit: 100 });
      expect(log.map((d) => [d.customerId, d.chosen, d.propensity]).sort()).toEqual(
        scanned.map((c) => (held.includes(c.customerId) ? [c.customerId, DO_NOTHING, 0.3] : [c.customerId, 'retain-10', 0.7])).sort(),
      );
      for (const d of log) expect(d.candidates.map((c) => [c.actionId, c.propensity])).toEqual([['retain-10', 0.7], [DO_NOTHING, 0.3]]);
      // Every offer made names its customer's decision.
      expect(asked.map((a) => a.customerId)).toEqual(r.treatedIds);
      const byCustomer = new Map(log.map((d) => [d.customerId, d.decisionId]));
      for (const a of asked) expect(a.params?.decisionId).toBe(byCustomer.get(a.customerId!));
      // The customer's answer carries the decision id the request gave the back end: it closes that decision.
      const first = asked[0];
      const answer = { id: 'offer-accepted-1', kind: 'offer', customerId: first.customerId, time: new Date().toISOString(), source: 'sandbox', v: 1, data: { action: 'accepted', offerId: 'retain-10', channel: 'app', decisionId: first.params!.decisionId, requestId: 'req-1' } } as TwinEvent;
      await decisions.observe([answer]);
      const closed = (await records.listDecisions({ customerId: first.customerId }))[0];
      expect(closed.outcome).toMatchObject({ accepted: true, result: 'accepted', requestId: 'req-1' });
      expect(outcomeCoverage(await records.listDecisions({ limit: 100 })).bySource['churn-prevention']).toMatchObject({ logged: scanned.length });
    } finally {
      await close();
      await decisions.close();
      await records.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
