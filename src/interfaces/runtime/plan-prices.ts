import type { PlanPrices } from '../../decisioning/action-pricing.js';
import type { BssPlan } from '../../domain/connectors/bss-connectors.js';
import type { TwinView } from '../../twin/twin-view.js';

/**
 * The plans a plan change is priced from: those the BSS sells (its list, read at start) and the
 * plan the customer is on now, from their twin (the active plan product, at the monthly price
 * the twin last saw for it: what the customer pays now).
 */
export function planPrices(plans: readonly Pick<BssPlan, 'id' | 'monthlyPrice'>[], twins: { view(customerId: string): TwinView | undefined }): PlanPrices {
  const byId = new Map(plans.map((p) => [p.id, p.monthlyPrice]));
  return {
    price: (planId) => byId.get(planId),
    ids: () => [...byId.keys()],
    current(customerId) {
      const plan = twins.view(customerId)?.products.find((p) => p.kind === 'plan' && p.status === 'active' && p.productId !== null);
      return plan ? { planId: plan.productId!, monthlyPrice: plan.monthlyPrice } : undefined;
    },
  };
}
