import type { BillingAdjustmentsConnector } from './billing-adjustments.js';
import type { CampaignDeliveryConnector } from './campaign-delivery.js';
import type { CreditBureauConnector } from './credit-bureau.js';
import type { IdentityVerificationConnector } from './identity-verification.js';
import type { NetworkAlarmsConnector } from './network-alarms.js';
import type { NotificationsConnector } from './notifications.js';
import type { OrderManagementConnector } from './order-management.js';
import type { ProvisioningConnector } from './provisioning.js';
import type { TroubleTicketsConnector } from './trouble-tickets.js';

/**
 * Every BSS back end the operator acts on, one connector per role: the sandbox's in-process back
 * ends implement it, and so do the HTTP adapters that speak TM Forum Open APIs to a remote BSS.
 */
export interface BssConnectors {
  identityVerification: IdentityVerificationConnector;
  creditBureau: CreditBureauConnector;
  orderManagement: OrderManagementConnector;
  provisioning: ProvisioningConnector;
  billingAdjustments: BillingAdjustmentsConnector;
  notifications: NotificationsConnector;
  networkAlarms: NetworkAlarmsConnector;
  campaignDelivery: CampaignDeliveryConnector;
  troubleTickets: TroubleTicketsConnector;
}

/** A recurring add-on the operator sells on top of a plan (a TMF622 `add` names one). */
export interface BssAddon {
  id: string;
  name: string;
  monthlyPrice: number;
}

/** What the BSS sells: its plans, and its add-ons when it lists them (a BSS that does not leaves an add-on order to its order management to judge). */
export interface BssProducts {
  readonly plans: readonly BssPlan[];
  readonly addons?: readonly BssAddon[];
}

/** A plan the operator sells, as the flows need it (onboarding picks one, order fulfilment checks one). */
export interface BssPlan {
  id: string;
  monthlyPrice: number;
  dataAllowanceMb: number;
  voiceAllowanceMin: number;
}
