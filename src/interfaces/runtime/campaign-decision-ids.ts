import { fnv1a32 } from '../../domain/string-hash.js';

/**
 * The decision ids of a campaign's contacts, which are also their action requests' ids (and so
 * the ids of their offers' settlements): one per campaign and customer.
 */

/** Longest decision id: an offer event's (its answers come back under it). */
const MAX_DECISION_ID = 128;
/** How much of a campaign's id its every decision id starts with: room left for a hash, and a prefix to list its answers by. */
const CAMPAIGN_ID_KEPT = 64;
/** The second seed of a decision id's 64-bit hash (two FNV-1a of 32 bits; any fixed value but 0). */
const SECOND_HASH_SEED = 0x5bd1e995;
const hex32 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * The decision id a campaign's contact of a customer goes under (the guarded executor's request
 * id: asked again, answered from the first time): `cmp:<campaign>:<customer>`, and when that is
 * longer than an event carries, the campaign id's first 64 characters and a 64-bit hash of both
 * ids. Cut short instead, every customer of a long campaign id had the same id (answered, after
 * the first, from the first customer's contact).
 */
export const decisionIdOf = (campaignId: string, customerId: string): string => {
  const whole = `cmp:${campaignId}:${customerId}`;
  if (whole.length <= MAX_DECISION_ID) return whole;
  const key = `${campaignId}:${customerId}`;
  return `cmp:${campaignId.slice(0, CAMPAIGN_ID_KEPT)}~${hex32(fnv1a32(key))}${hex32(fnv1a32(key, SECOND_HASH_SEED))}`;
};
/** What every decision id of a campaign starts with (others' too may: the ids themselves tell them apart). */
export const decisionPrefixOf = (campaignId: string) => `cmp:${campaignId.slice(0, CAMPAIGN_ID_KEPT)}`;

/** The variant of each of a campaign's decision ids, from whom it treated with which variant. */
export const variantsByDecision = (campaignId: string, treated: Readonly<Record<string, string>>): Map<string, string> =>
  new Map(Object.entries(treated).map(([customerId, variantId]) => [decisionIdOf(campaignId, customerId), variantId]));
