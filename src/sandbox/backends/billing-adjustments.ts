import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { BillingAdjustmentsConnector } from '../../domain/connectors/billing-adjustments.js';
import { applyCredit, applyDiscount } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime } from './backend-runtime.js';

/** Largest single goodwill credit the sandbox billing system books (a typical BSS limit). */
export const MAX_CREDIT = 500;

/** Sandbox billing adjustments: credits and discounts that show on the customer's next bill. */
export function sandboxBillingAdjustments(rt: BackendRuntime, w: WorldEngine): BillingAdjustmentsConnector {
  let n = 0;
  return {
    credit: (req) =>
      rt.call(req.idempotencyKey, () => {
        if (!(req.amount > 0) || req.amount > MAX_CREDIT) return rejected(`amount must be in (0, ${MAX_CREDIT}]`);
        const r = applyCredit(w, req.customerId, req.amount);
        if (!r.ok) return rejected('customer_not_active');
        return ok({ adjustmentId: 'ADJ-' + ++n, customerId: req.customerId, kind: 'credit', value: req.amount });
      }, { method: 'credit', request: req }),
    discount: (req) =>
      rt.call(req.idempotencyKey, () => {
        if (!(req.percent > 0 && req.percent <= 100) || !(req.months >= 1)) return rejected('percent must be in (0, 100] and months at least 1');
        const r = applyDiscount(w, req.customerId, req.percent, req.months);
        if (!r.ok) return rejected('customer_not_active');
        return ok({ adjustmentId: 'ADJ-' + ++n, customerId: req.customerId, kind: 'discount', value: req.percent, months: req.months });
      }, { method: 'discount', request: req }),
  };
}
