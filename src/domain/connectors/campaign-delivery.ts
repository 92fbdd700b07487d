import type { Channel } from '../events.js';
import type { ConnectorResult, Idempotent } from './connector-result.js';

/** One offer put in front of one customer by a campaign, and the customer's answer. */
export interface Delivery {
  deliveryId: string;
  campaignId: string;
  customerId: string;
  offerId: string;
  /**
   * The customer's answer, or `no-answer` when none came with the delivery (the operator records
   * the offer as ignored once its answer window passes without one).
   */
  response: 'accepted' | 'declined' | 'no-answer';
}

/** Campaign delivery: presents an offer to a customer on a channel and reports the response. */
export interface CampaignDeliveryConnector {
  deliver(
    request: Idempotent & { campaignId: string; customerId: string; offerId: string; channel: Channel; decisionId?: string },
  ): Promise<ConnectorResult<Delivery>>;
}
