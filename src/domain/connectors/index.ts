/** The back-end roles the platform talks to; sandbox and real adapters implement them. */
export * from './connector-result.js';
export type * from './identity-verification.js';
export type * from './credit-bureau.js';
export type * from './order-management.js';
export type * from './provisioning.js';
export type * from './billing-adjustments.js';
export * from './notifications.js';
export type * from './network-alarms.js';
export type * from './campaign-delivery.js';
