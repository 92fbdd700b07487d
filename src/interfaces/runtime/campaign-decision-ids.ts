import { runDecisionId, runDecisionPrefix } from '../../decisioning/decision-record.js';

/**
 * The decision ids of a campaign's contacts, which are also their action requests' ids (and so
 * the ids of their offers' settlements): one per campaign and customer.
 */

/**
 * The decision id a campaign's contact of a customer goes under (the guarded executor's request
 * id: asked again, answered from the first time): `cmp:<campaign>:<customer>` (runDecisionId).
 */
export const decisionIdOf = (campaignId: string, customerId: string): string => runDecisionId('campaign', campaignId, customerId);
/** What every decision id of a campaign starts with (others' too may: the ids themselves tell them apart). */
export const decisionPrefixOf = (campaignId: string): string => runDecisionPrefix('campaign', campaignId);

/**
 * The decision id of a customer's contact with a variant once the back end refused the offer of a
 * variant asked for them (`reasked`: CampaignState.reasked has them): another offer is another
 * decision, under an id of its own, its request's idempotency key at the back end, which keeps its
 * refusal under the first. Otherwise the customer's one id (decisionIdOf). Under the campaign's prefix either way.
 */
export const contactIdOf = (campaignId: string, customerId: string, variantId: string, reasked: boolean): string =>
  reasked ? runDecisionId('campaign', campaignId, `${customerId}~${variantId}`) : decisionIdOf(campaignId, customerId);

/** The variant of each of a campaign's decision ids, from whom it treated with which variant (`reasked`: the customers of CampaignState.reasked). */
export const variantsByDecision = (campaignId: string, treated: Readonly<Record<string, string>>, reasked: Readonly<Record<string, unknown>> = {}): Map<string, string> =>
  new Map(Object.entries(treated).map(([customerId, variantId]) => [contactIdOf(campaignId, customerId, variantId, Object.hasOwn(reasked, customerId)), variantId]));
