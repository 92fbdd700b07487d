import type { ConnectorResult, Idempotent } from './connector-result.js';

/** A credit or discount booked on an account; it shows on the next bill. */
export interface Adjustment {
  adjustmentId: string;
  customerId: string;
  kind: 'credit' | 'discount';
  /** Credit amount in the account currency, or discount percent. */
  value: number;
  months?: number;
}

/** Billing adjustments: goodwill credits and time-limited discounts. */
export interface BillingAdjustmentsConnector {
  credit(request: Idempotent & { customerId: string; amount: number; reason: string }): Promise<ConnectorResult<Adjustment>>;
  discount(request: Idempotent & { customerId: string; percent: number; months: number; reason: string }): Promise<ConnectorResult<Adjustment>>;
}
