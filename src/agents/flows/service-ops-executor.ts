import type { BillingAdjustmentsConnector } from '../../domain/connectors/billing-adjustments.js';
import type { NotificationChannel, NotificationPurpose, NotificationsConnector } from '../../domain/connectors/notifications.js';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import type { ActionExecutor } from '../governance/guarded-executor.js';
import type { ScoreLookup } from './affected-customers.js';

/**
 * The action executor for the service-operations classes over the connectors: `communication` →
 * notification (purpose and channel from the params), `compensation` and `credit` → billing
 * credit, `trouble_ticket` → a `human_task` notification to the network operations queue is not
 * possible without a customer, so tickets are handed to `openTicket`. The request id is the
 * connector's idempotency key.
 */
export function serviceOpsExecutor(c: { notifications: NotificationsConnector; billingAdjustments: BillingAdjustmentsConnector; openTicket: (request: ActionRequest) => Promise<string> }): ActionExecutor {
  return async (request) => {
    const p = request.params;
    if (request.actionClass === 'communication' && request.customerId) {
      const r = await c.notifications.send({
        idempotencyKey: request.id,
        customerId: request.customerId,
        channel: (p.notificationChannel as NotificationChannel | undefined) ?? 'sms',
        purpose: (p.purpose as NotificationPurpose | undefined) ?? 'service',
        templateId: typeof p.templateId === 'string' ? p.templateId : undefined,
      });
      return r.status === 'ok' ? { ok: true, detail: { notificationId: r.value.notificationId } } : { ok: false, error: `${r.status}: ${r.reason}` };
    }
    if ((request.actionClass === 'compensation' || request.actionClass === 'credit') && request.customerId) {
      const r = await c.billingAdjustments.credit({ idempotencyKey: request.id, customerId: request.customerId, amount: request.cost, reason: typeof p.reason === 'string' ? p.reason : request.actionClass });
      return r.status === 'ok' ? { ok: true, detail: { adjustmentId: r.value.adjustmentId } } : { ok: false, error: `${r.status}: ${r.reason}` };
    }
    if (request.actionClass === 'trouble_ticket') return { ok: true, detail: { ticketId: await c.openTicket(request) } };
    return { ok: false, error: `no connector for ${request.actionClass}${request.customerId ? '' : ' without a customer'}` };
  };
}

/** Live value and activity from twin features: a lifetime value proxy of 24 months of ARPU (no model needed). */
export function twinScores(engine: TwinEngine): ScoreLookup {
  return (customerId) => {
    const f = engine.features(customerId);
    if (!f) return undefined;
    return { clv: f[FEATURE_INDEX.arpu_3m] * 24, active: f[FEATURE_INDEX.churned] === 0 };
  };
}
