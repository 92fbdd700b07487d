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

/** The variant of each of a campaign's decision ids, from whom it treated with which variant. */
export const variantsByDecision = (campaignId: string, treated: Readonly<Record<string, string>>): Map<string, string> =>
  new Map(Object.entries(treated).map(([customerId, variantId]) => [decisionIdOf(campaignId, customerId), variantId]));
