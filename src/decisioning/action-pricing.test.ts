import { describe, expect, it } from 'vitest';
import { priceActionRequest, repriceActionRequest, type PlanPrices, type PricingSource } from './action-pricing.js';
import { DEFAULT_CATALOGUE_DOCUMENT } from './default-catalogue.js';
import { loadCatalogue } from './offer-catalogue.js';
import type { ActionRequest } from './policy/index.js';

const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
const at = (monthly: number | undefined): PricingSource => ({ offering: (id) => catalogue.byId.get(id), monthlyPrice: () => monthly });
const ask = (fields: Partial<ActionRequest>): ActionRequest => ({ id: 'r1', actionClass: 'discount', channel: 'app', customerId: 'C1', actor: { kind: 'agent', id: 'care' }, cost: 0, params: {}, why: {}, features: {}, ...fields }) as ActionRequest;

describe('repriceActionRequest', () => {
  it("prices a catalogue discount and a discount outside it again at the monthly price as it is now, the caller's confirmed amount included", () => {
    const first = priceActionRequest(ask({ params: { offerId: 'retain-10', amount: 30 } }), at(50));
    expect(first).toMatchObject({ cost: 30, discountPct: 10, params: { months: 6 } });
    expect(repriceActionRequest(first, at(80))).toMatchObject({ cost: 48, discountPct: 10, params: { offerId: 'retain-10', months: 6 } });
    const own = priceActionRequest(ask({ discountPct: 20, params: { months: 2 } }), at(50));
    expect(own.cost).toBe(20);
    expect(repriceActionRequest(own, at(80)).cost).toBe(32);
  });

  it("keeps what does not come from prices: a credit's amount, a caller's cost, a price no longer known", () => {
    const credit = priceActionRequest(ask({ actionClass: 'credit', params: { amount: 25 } }), at(50));
    expect(repriceActionRequest(credit, at(80))).toEqual(credit);
    const message = ask({ actionClass: 'communication', cost: 0.05 });
    expect(repriceActionRequest(message, at(80))).toEqual(message);
    const own = priceActionRequest(ask({ discountPct: 20, params: { months: 2 } }), at(50));
    expect(repriceActionRequest(own, at(undefined))).toEqual(own);
    const offered = priceActionRequest(ask({ params: { offerId: 'retain-10' } }), at(50));
    expect(repriceActionRequest(offered, at(undefined))).toEqual(offered);
    const gone = { ...priceActionRequest(ask({ params: { offerId: 'retain-10' } }), at(50)), params: { offerId: 'withdrawn', months: 6 } };
    expect(repriceActionRequest(gone, at(80))).toEqual(gone);
  });
});

describe('a plan change', () => {
  const sold: Record<string, number> = { 'fibre-m': 80, 'fibre-l': 103, 'dsl-l': 75 };
  const plans = (onPlan: { planId: string; monthlyPrice: number } | undefined): PlanPrices => ({ price: (id) => sold[id], ids: () => Object.keys(sold), current: () => onPlan });
  const withPlans = (onPlan: { planId: string; monthlyPrice: number } | undefined): PricingSource => ({ ...at(onPlan?.monthlyPrice), plans: plans(onPlan) });
  const change = (planId: string, fields: Partial<ActionRequest> = {}) => ask({ actionClass: 'plan_change', channel: 'call', params: { planId }, ...fields });

  it('is priced from the plans: the plan it moves to, the monthly difference, and the revenue a move down gives up as its cost', () => {
    const down = priceActionRequest(change('dsl-l'), withPlans({ planId: 'fibre-m', monthlyPrice: 80 }));
    expect(down.cost).toBe(5);
    expect(down.params.planChange).toEqual({ fromPlanId: 'fibre-m', fromMonthlyPrice: 80, toPlanId: 'dsl-l', toMonthlyPrice: 75, monthlyDifference: -5 });
    const up = priceActionRequest(change('fibre-l'), withPlans({ planId: 'fibre-m', monthlyPrice: 80 }));
    expect(up.cost).toBe(0);
    expect(up.params.planChange).toMatchObject({ toPlanId: 'fibre-l', monthlyDifference: 23 });
  });

  it('names the plans sold when the plan is not one of them, and refuses a cost that disagrees with the difference', () => {
    expect(() => priceActionRequest(change('fibre-s'), withPlans({ planId: 'fibre-m', monthlyPrice: 80 }))).toThrow(/params\.planId: "fibre-s" is not a plan the BSS sells; one of fibre-m, fibre-l, dsl-l/);
    expect(() => priceActionRequest(change('dsl-l', { cost: 50 }), withPlans({ planId: 'fibre-m', monthlyPrice: 80 }))).toThrow(/cost 50 disagrees with the price 5 \(the move from fibre-m at 80 to dsl-l at 75 a month\)/);
  });

  it("is priced again at the approval from the plan the customer is on then, whatever terms its params carried", () => {
    const asked = priceActionRequest(change('dsl-l'), withPlans({ planId: 'fibre-m', monthlyPrice: 80 }));
    const later = repriceActionRequest({ ...asked, params: { ...asked.params, planChange: { toPlanId: 'x', toMonthlyPrice: 0, fromMonthlyPrice: 0, monthlyDifference: 0 } } }, withPlans({ planId: 'fibre-l', monthlyPrice: 103 }));
    expect(later.cost).toBe(28);
    expect(later.params.planChange).toEqual({ fromPlanId: 'fibre-l', fromMonthlyPrice: 103, toPlanId: 'dsl-l', toMonthlyPrice: 75, monthlyDifference: -28 });
  });

  it('costs what the caller says where no plans are known (a store without a BSS)', () => {
    expect(priceActionRequest(change('anything', { cost: 2 }), at(80))).toMatchObject({ cost: 2, params: { planId: 'anything' } });
  });
});
