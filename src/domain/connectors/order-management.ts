import type { ConnectorResult, Idempotent } from './connector-result.js';

/**
 * What an order asks for: a new line for an applicant, or for an existing customer a plan change,
 * an add-on (a recurring product on top of the plan, e.g. more data) or the termination of the line.
 */
export type OrderRequest =
  | {
      type: 'new_line';
      applicantId: string;
      planId: string;
      segment?: 'consumer' | 'business';
      contractMonths?: number;
      paymentMethod?: string;
    }
  | { type: 'change_plan'; customerId: string; planId: string }
  | { type: 'add_addon'; customerId: string; addonId: string }
  | { type: 'terminate'; customerId: string };

/** An order as order management holds it. */
export interface Order {
  orderId: string;
  state: 'acknowledged' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
  request: OrderRequest;
}

/** Order management (TMF622-like): captures orders, later fulfilled through provisioning. */
export interface OrderManagementConnector {
  create(request: Idempotent & { order: OrderRequest }): Promise<ConnectorResult<Order>>;
  get(orderId: string): Promise<ConnectorResult<Order>>;
  cancel(request: Idempotent & { orderId: string }): Promise<ConnectorResult<Order>>;
}
