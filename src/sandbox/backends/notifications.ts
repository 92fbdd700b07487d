import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { NotificationsConnector } from '../../domain/connectors/notifications.js';
import { notifyCustomer } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime } from './backend-runtime.js';

/**
 * Sandbox notification channels. Every message except a `service` one counts as a contact:
 * a sleeping dog who receives it becomes more likely to leave.
 */
export function sandboxNotifications(rt: BackendRuntime, w: WorldEngine): NotificationsConnector {
  let n = 0;
  return {
    send: (req) =>
      rt.call(req.idempotencyKey, () => {
        const r = notifyCustomer(w, req.customerId, req.purpose);
        if (!r.ok) return rejected('customer_not_active');
        return ok({ notificationId: 'NTF-' + ++n, customerId: req.customerId, channel: req.channel, deliveredAt: w.nowIso() });
      }, { method: 'send', request: req }),
  };
}
