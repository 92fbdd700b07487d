import type { Channel } from '../events.js';
import type { ConnectorResult, Idempotent } from './connector-result.js';

/** One offer put in front of one customer by a campaign, and the customer's answer. */
export interface Delivery {
  deliveryId: string;
  campaignId: string;
  customerId: string;
  offerId: string;
  response: 'accepted' | 'declined';
}

/** Campaign delivery: presents an offer to a customer on a channel and reports the response. */
export interface CampaignDeliveryConnector {
  deliver(
    request: Idempotent & { campaignId: string; customerId: string; offerId: string; channel: Channel; decisionId?: string },
  ): Promise<ConnectorResult<Delivery>>;
}
