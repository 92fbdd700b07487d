import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { CampaignDeliveryConnector } from '../../domain/connectors/campaign-delivery.js';
import { deliverOffer } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime } from './backend-runtime.js';

/**
 * Sandbox campaign delivery: presents the offer; the customer answers from the hidden truth,
 * with `offer` events (presented, then accepted or declined, or no answer) in the event stream, each naming the
 * decision and the request (the idempotency key) that led to it. A delivery the customer already
 * accepted on the line (`acceptedBy`) is booked accepted at once, naming who recorded the yes.
 */
export function sandboxCampaignDelivery(rt: BackendRuntime, w: WorldEngine): CampaignDeliveryConnector {
  let n = 0;
  return {
    deliver: (req) =>
      rt.call(req.idempotencyKey, () => {
        const r = deliverOffer(w, req.customerId, req.offerId, req.channel, { decisionId: req.decisionId, requestId: req.idempotencyKey, ...(req.acceptedBy === undefined ? {} : { acceptedBy: req.acceptedBy }) });
        if (!r.ok) return rejected(r.reason.startsWith('unknown offer') ? 'unknown_offer' : 'customer_not_active');
        return ok({
          deliveryId: 'DLV-' + ++n,
          campaignId: req.campaignId,
          customerId: req.customerId,
          offerId: req.offerId,
          response: r.value.accepted ? 'accepted' : r.value.ignored ? 'no-answer' : 'declined',
        });
      }, { method: 'deliver', request: req }),
  };
}
