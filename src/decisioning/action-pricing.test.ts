import { describe, expect, it } from 'vitest';
import { priceActionRequest, repriceActionRequest, type PricingSource } from './action-pricing.js';
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
