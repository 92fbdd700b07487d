import type { ConnectorResult, Idempotent } from './connector-result.js';

/** Notification channels; `human_task` puts a task in front of a human (a call-back, a visit). */
export const NOTIFICATION_CHANNELS = ['sms', 'email', 'push', 'in_app', 'human_task'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** Why the message is sent: `service` messages (outage notices) are not marketing contacts. */
export type NotificationPurpose = 'service' | 'care' | 'marketing' | 'retention';

/** A notification accepted for delivery. */
export interface NotificationReceipt {
  notificationId: string;
  customerId: string;
  channel: NotificationChannel;
  deliveredAt: string;
}

/** Notification channels (TMF681-like communication). */
export interface NotificationsConnector {
  send(
    request: Idempotent & { customerId: string; channel: NotificationChannel; purpose: NotificationPurpose; templateId?: string; body?: string },
  ): Promise<ConnectorResult<NotificationReceipt>>;
}
