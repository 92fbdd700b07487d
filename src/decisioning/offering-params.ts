import type { NotificationChannel, NotificationPurpose } from '../domain/connectors/notifications.js';
import type { CompiledOffer } from './offer-catalogue.js';

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
export function offeringParams(offer: CompiledOffer, message: OfferingMessage & { readonly presentedBy?: NotificationChannel }): Record<string, unknown> {
  // An offer sent as a message (a campaign's SMS variant) says so: the contact rules judge it on that channel.
  if (offer.offering.sandboxOfferId) return { present: true, ...(message.presentedBy ? { notificationChannel: message.presentedBy } : {}) };
  if (offer.actionClass !== 'communication') return {};
  return { purpose: message.purpose, notificationChannel: message.notificationChannel, templateId: offer.id, ...(message.body ? { body: message.body } : {}) };
}
