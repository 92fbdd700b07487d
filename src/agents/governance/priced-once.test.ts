import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_DOCUMENT } from '../../decisioning/default-catalogue.js';
import { loadCatalogue } from '../../decisioning/offer-catalogue.js';
import { createBudgetLedger, parseActionPolicy } from '../../decisioning/policy/index.js';
import { ok } from '../../domain/connectors/connector-result.js';
import { ManualClock } from '../../domain/clock.js';
import { CHANNELS } from '../../domain/events.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { governanceStoreForTests } from './governance-fixtures.js';
import { connectorExecutor, type ConnectorExecutorDeps } from '../flows/connector-executor.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor } from './guarded-executor.js';

/**
 * Priced once: for every action class, the money a connector moves is the money the policy
 * checked against its caps, the budget counted and the audit trail records, whatever the caller
 * wrote in the request.
 */

const T0 = Date.UTC(2026, 4, 14, 9);
let store: GovernanceStore;
governanceStoreForTests('priced', (opened) => (store = opened));

const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
/** Every class autonomous without caps, so every request reaches the connector. */
const POLICY = parseActionPolicy({ version: 1, fallbackMode: 'autonomous', budgets: [{ actionClass: '*', period: 'month', limit: 1e12 }] });

interface Moved {
  credit?: number;
  discountPct?: number;
  months?: number;
  delivered?: string;
  sent?: string;
  order?: string;
}

function setup(monthlyPrice: number) {
  const moved: Moved = {};
  const deps: ConnectorExecutorDeps = {
    billingAdjustments: {
      credit: async (r) => {
        moved.credit = r.amount;
        return ok({ adjustmentId: 'adj', customerId: r.customerId, kind: 'credit', value: r.amount });
      },
      discount: async (r) => {
        moved.discountPct = r.percent;
        moved.months = r.months;
        return ok({ adjustmentId: 'adj', customerId: r.customerId, kind: 'discount', value: r.percent, months: r.months });
      },
    },
    campaignDelivery: { deliver: async (r: { offerId: string }) => ((moved.delivered = r.offerId), ok({ deliveryId: 'd', response: 'presented' })) } as unknown as ConnectorExecutorDeps['campaignDelivery'],
    notifications: { send: async (r) => ((moved.sent = r.channel), ok({ notificationId: 'n', customerId: r.customerId, channel: r.channel, deliveredAt: '' })) },
    orderManagement: { create: async (r: { order: { type: string } }) => ((moved.order = r.order.type), ok({ orderId: 'o', state: 'acknowledged' })) } as unknown as ConnectorExecutorDeps['orderManagement'],
    resolveOffer: (id) => catalogue.byId.get(id)?.offering.sandboxOfferId ?? id,
  };
  const clock = new ManualClock(T0);
  const audit = createAuditTrail(store, clock);
  const guarded = createGuardedExecutor({
    policy: POLICY,
    pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: () => monthlyPrice },
    ledger: createBudgetLedger(store),
    queue: createApprovalQueue(store, clock),
    audit,
    executor: connectorExecutor(deps),
    clock,
  });
  return { guarded, audit, moved };
}

const channel = fc.constantFrom(...CHANNELS);
const price = fc.integer({ min: 500, max: 20_000 }).map((c) => c / 100);
const amount = fc.integer({ min: 1, max: 50_000 }).map((c) => c / 100);
const offering = fc.constantFrom(...catalogue.offers.map((o) => o.id));
let n = 0;

async function executedEntry(audit: ReturnType<typeof setup>['audit'], requestId: string) {
  const entries = await audit.read({ afterSeq: 0, limit: 1000 });
  const mine = entries.filter((e) => (e.entry as { requestId?: string }).requestId === requestId);
  const verdict = mine.find((e) => e.entry.type === 'policy.verdict')!.entry as { action: { cost: number; discountPct?: number }; outcome: { cost: number } };
  const executed = mine.find((e) => e.entry.type === 'action.executed')!.entry as { action: { cost: number }; outcome: { cost: number; reservedOnAcceptance?: number } };
  return { verdict, executed };
}

describe('every action class is priced once', () => {
  it('credit and compensation: the amount credited is the amount checked, budgeted and audited', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('credit', 'compensation'), channel, amount, fc.boolean(), async (actionClass, ch, a, viaCost) => {
        const { guarded, audit, moved } = setup(50);
        const id = `pc-${++n}`;
        const r = await guarded.execute({ id, actionClass, channel: ch, customerId: 'C1', ...(viaCost ? { cost: a } : { params: { amount: a } }), actor: { kind: 'agent', id: 'prop' }, why: { summary: 'priced-once property' } });
        expect(r.status).toBe('executed');
        const { verdict, executed } = await executedEntry(audit, id);
        expect(moved.credit).toBe(a);
        expect(verdict.outcome.cost).toBe(a);
        expect(executed.outcome.cost).toBe(a);
        expect(r.cost).toBe(a);
      }),
      { numRuns: 25 },
    );
  });

  it('a catalogue offering: the cost checked and audited is the catalogue price at the customer\'s monthly price; a discount moves the percentage checked', async () => {
    await fc.assert(
      fc.asyncProperty(offering, channel, price, async (offerId, ch, monthly) => {
        const offer = catalogue.byId.get(offerId)!;
        const { guarded, audit, moved } = setup(monthly);
        const id = `po-${++n}`;
        const params = offer.actionClass === 'plan_change' ? { offerId, planId: 'P-next' } : offer.actionClass === 'communication' ? { offerId, purpose: 'care' } : { offerId };
        const r = await guarded.execute({ id, actionClass: offer.actionClass, channel: ch, customerId: 'C1', params, actor: { kind: 'agent', id: 'prop' }, why: { summary: 'priced-once property' } });
        expect(r.status).toBe('executed');
        const expected = Math.round((offer.fixedCost + offer.discountShare * monthly * offer.months) * 100) / 100;
        const { verdict, executed } = await executedEntry(audit, id);
        expect(verdict.outcome.cost).toBe(expected);
        // An offer presented pays its acceptance-paid part only if accepted: audited as reserved until then.
        expect(Math.round((executed.outcome.cost + (executed.outcome.reservedOnAcceptance ?? 0)) * 100) / 100).toBe(expected);
        if (offer.actionClass === 'offer') expect(moved.delivered).toBe(offer.offering.sandboxOfferId ?? offerId);
        if (offer.actionClass === 'discount' && !moved.delivered) {
          expect(moved.discountPct).toBe(verdict.action.discountPct);
          expect(moved.months).toBe(offer.months);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a discount outside the catalogue costs its share of the monthly price, and moves the percentage checked', async () => {
    await fc.assert(
      fc.asyncProperty(channel, price, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 12 }), async (ch, monthly, pct, months) => {
        const { guarded, audit, moved } = setup(monthly);
        const id = `pd-${++n}`;
        const r = await guarded.execute({ id, actionClass: 'discount', channel: ch, customerId: 'C1', discountPct: pct, params: { months }, actor: { kind: 'agent', id: 'prop' }, why: { summary: 'priced-once property' } });
        expect(r.status).toBe('executed');
        const { verdict, executed } = await executedEntry(audit, id);
        expect(moved.discountPct).toBe(pct);
        expect(moved.months).toBe(months);
        // To the nearest cent of the exact share (5.10 at 45 % is 2.295: 2.29 or 2.30 are both within
        // half a cent, and binary floating point decides which; the test must not pick one).
        const cost = verdict.outcome.cost;
        expect(Number.isInteger(Math.round(cost * 100 * 1e6) / 1e6)).toBe(true);
        expect(Math.abs(cost - (monthly * pct * months) / 100)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(executed.outcome.cost).toBe(verdict.outcome.cost);
      }),
      { numRuns: 25 },
    );
  });

  it('communication, plan change and trouble ticket: the cost audited is the cost checked (they move no money)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('communication', 'plan_change', 'trouble_ticket'), channel, fc.integer({ min: 0, max: 500 }).map((c) => c / 100), async (actionClass, ch, cost) => {
        const { guarded, audit } = setup(40);
        const id = `pn-${++n}`;
        const params = actionClass === 'plan_change' ? { planId: 'P-1' } : actionClass === 'communication' ? { purpose: 'service' } : {};
        const r = await guarded.execute({ id, actionClass, channel: ch, customerId: 'C1', cost, params, actor: { kind: 'agent', id: 'prop' }, why: { summary: 'priced-once property' } });
        expect(r.status).toBe('executed');
        const { verdict, executed } = await executedEntry(audit, id);
        expect(executed.outcome.cost).toBe(verdict.outcome.cost);
      }),
      { numRuns: 15 },
    );
  });

  it('a request whose figures disagree is refused before anything happens: cost 1 with params.amount 400 credits nothing', async () => {
    const { guarded, moved } = setup(50);
    await expect(guarded.execute({ actionClass: 'credit', channel: 'call', customerId: 'C1', cost: 1, params: { amount: 400 }, actor: { kind: 'human', id: 'x' }, why: { summary: 'disagreeing figures' } })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/disagrees/) });
    await expect(guarded.execute({ actionClass: 'offer', channel: 'web', customerId: 'C1', cost: 0.01, params: { offerId: 'retain-25' }, actor: { kind: 'human', id: 'x' }, why: { summary: 'disagreeing figures' } })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/discount/) });
    await expect(guarded.execute({ actionClass: 'discount', channel: 'web', customerId: 'C1', cost: 0.01, params: { offerId: 'retain-25' }, actor: { kind: 'human', id: 'x' }, why: { summary: 'disagreeing figures' } })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/disagrees/) });
    expect(moved).toEqual({});
  });
});
