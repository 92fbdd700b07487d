import type { Decision } from '../../decisioning/decision-funnel.js';
import type { CompiledOffer } from '../../decisioning/offer-catalogue.js';
import type { NotificationChannel, NotificationPurpose } from '../../domain/connectors/notifications.js';
import type { ActionRequestInput, Actor } from '../../decisioning/policy/index.js';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from './operator-services.js';

/** The id of the request that carries out (or would have carried out) one ranked action of a decision. */
export const decisionRequestId = (decisionId: string, actionId: string) => `${decisionId}:${actionId}`;

/**
 * The action request that carries out one ranked action of a decision: its class, cost and
 * discount from the catalogue, the decision and offer ids for the connector, and the decision's
 * reasons as the why (the guarded executor adds the customer's facts its segments and audit read).
 */
export function actionForDecision(s: OperatorServices, decision: Decision, actionId: string, actor: Actor): ActionRequestInput {
  const offer = s.decisions.catalogue.byId.get(actionId);
  if (!offer) throw new TwinloopError('NOT_FOUND', `offering ${actionId} is no longer in the catalogue`);
  const ranked = decision.ranked.find((r) => r.actionId === actionId);
  return {
    id: decisionRequestId(decision.decisionId, actionId),
    actionClass: offer.actionClass,
    channel: decision.context.channel,
    customerId: decision.customerId,
    // Priced by the guarded executor from the catalogue at the customer's monthly price.
    params: {
      offerId: actionId,
      ...offeringParams(offer, { purpose: 'care', notificationChannel: 'sms', body: ranked?.treatment?.message }),
      decisionId: decision.decisionId,
      treatment: ranked?.treatment?.id,
      campaignId: `nba-${decision.context.channel}`,
      // The contact the decision was made in: a check-in SMS sent while the customer is on the line
      // answers them (no quiet hours), one sent from an app visit reaches out.
      direction: decision.context.direction,
    },
    actor,
    why: { summary: `next-best-action ${actionId} for ${decision.customerId} on ${decision.context.channel}`, evidence: { score: ranked?.score, expectedValue: ranked?.expectedValue, reasons: ranked && (decision.explained ? ranked.reasons : decision.reasonsOf(actionId)) } },
  };
}

/** The message a communication offering goes out as: why, on which channel, with which words. */
export interface OfferingMessage {
  readonly purpose: NotificationPurpose;
  readonly notificationChannel: NotificationChannel;
  readonly body?: string;
}

/**
 * How an offering is carried out, as action params (one rule for next-best-action and campaigns):
 * an offer a back end knows (`sandboxOfferId`) is presented and the customer answers; a
 * communication (a service check-in) is sent as a message on the chosen channel; any other runs as
 * its class. A back end asked to present an offer it does not know refuses it (`unknown_offer`).
 */
export function offeringParams(offer: CompiledOffer, message: OfferingMessage): Record<string, unknown> {
  if (offer.offering.sandboxOfferId) return { present: true };
  if (offer.actionClass !== 'communication') return {};
  return { purpose: message.purpose, notificationChannel: message.notificationChannel, templateId: offer.id, ...(message.body ? { body: message.body } : {}) };
}
