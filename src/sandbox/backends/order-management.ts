import { ok, rejected, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import type { Order, OrderManagementConnector } from '../../domain/connectors/order-management.js';
import type { ApplicantPool } from '../applicant-pool.js';
import { activeSlot } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime } from './backend-runtime.js';

/** Sandbox order management: validates and records orders; provisioning fulfils them. */
export interface SandboxOrderManagement extends OrderManagementConnector {
  /** Direct access for provisioning (same process, no latency). */
  lookup(orderId: string): Order | undefined;
  setState(orderId: string, state: Order['state']): void;
}

/** Builds the sandbox order management over the world and its applicants. */
export function sandboxOrderManagement(rt: BackendRuntime, w: WorldEngine, pool: ApplicantPool): SandboxOrderManagement {
  const orders = new Map<string, Order>();
  const find = (orderId: string): ConnectorResult<Order> => {
    const o = orders.get(orderId);
    return o ? ok({ ...o }) : rejected('unknown_order');
  };
  return {
    create: (req) =>
      rt.call(req.idempotencyKey, () => {
        const order = req.order;
        if ((order.type === 'new_line' || order.type === 'change_plan') && !w.cfg.plans.some((p) => p.id === order.planId)) return rejected('unknown_plan');
        if (order.type === 'add_addon' && !w.cfg.addons.some((a) => a.id === order.addonId)) return rejected('unknown_addon');
        if (order.type === 'new_line') {
          const truth = pool.truth(order.applicantId);
          if (!truth) return rejected('unknown_applicant');
        } else {
          const slot = activeSlot(w, order.customerId);
          if (!slot.ok) return rejected('customer_not_active');
          if (order.type === 'add_addon') {
            const a = w.cfg.addons.findIndex((x) => x.id === order.addonId);
            if (w.addons.get(slot.value)?.includes(a)) return rejected('addon_already_active');
          }
        }
        const o: Order = { orderId: 'ORD-' + ++w.counters.orders, state: 'acknowledged', request: order };
        orders.set(o.orderId, o);
        return ok({ ...o });
      }, { method: 'create', request: req }),
    get: (orderId) => rt.read(() => find(orderId)),
    cancel: (req) =>
      rt.call(req.idempotencyKey, () => {
        const o = orders.get(req.orderId);
        if (!o) return rejected('unknown_order');
        if (o.state !== 'acknowledged') return rejected(`order_${o.state}`);
        o.state = 'cancelled';
        return ok({ ...o });
      }, { method: 'cancel', request: req }),
    lookup: (orderId) => orders.get(orderId),
    setState: (orderId, state) => {
      const o = orders.get(orderId);
      if (o) o.state = state;
    },
  };
}
