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

/** What campaign delivery is asked: an offer for a customer on a channel. */
export interface DeliveryRequest {
  campaignId: string;
  customerId: string;
  offerId: string;
  channel: Channel;
  decisionId?: string;
  /**
   * The customer already said yes in a live contact on `channel`, and this person (the signed-in
   * actor: a care agent on the call) recorded it: the back end books the offer as accepted there
   * and carries out its terms, asking the customer nothing (the answer is `accepted`). Absent, the
   * offer is presented and the customer answers (or not) themselves.
   */
  acceptedBy?: string;
}

/** Campaign delivery: presents an offer to a customer on a channel and reports the response. */
export interface CampaignDeliveryConnector {
  deliver(request: Idempotent & DeliveryRequest): Promise<ConnectorResult<Delivery>>;
}
