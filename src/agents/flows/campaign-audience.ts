import { fnv1a32 } from '../../domain/string-hash.js';
import type { OfferKind } from '../../twin/twin-responses.js';
import { HARM_THRESHOLD } from '../retention/learning-planner.js';

/**
 * Who a managed campaign contacts, and in which order, read from each twin's response profile.
 * Pure: the delivery side brings each candidate's value at stake and profile, and the offer
 * kinds of the campaign's variants; it gets back the audience best first and who was left out
 * and why.
 *
 * - A customer whose profile says contact likely hurts (P(sleeping dog) ≥ the learning planner's
 *   HARM_THRESHOLD) is left out, whatever their value: the campaign would pay to provoke them.
 * - The rest are ranked by what an acceptance can reach: value at stake × the profile's expected
 *   acceptance of the variant kind they are most likely to take. A customer who declined three
 *   discounts ranks below an equally valuable one who took the last.
 */

/** One twin as the campaign's audience planner sees it. */
export interface AudienceCandidate {
  readonly customerId: string;
  /** Value at stake: churn risk × lifetime value when a churn model serves, otherwise a value proxy. */
  readonly atStake: number;
  /** The twin's response profile, when one is read. */
  readonly profile?: {
    /** Posterior probability that the customer is a sleeping dog. */
    readonly sleepingDog: number;
    /** Expected acceptance per offer kind under the profile. */
    readonly acceptance: Readonly<Record<OfferKind, number>>;
  };
  /** False when the customer gave no marketing consent (contact-policy.ts marketingConsentRefusal): left out of a marketing campaign before drawing. */
  readonly marketingConsent?: false;
  /** The campaign's variants whose offering may not go to the customer now (offer-eligibility.ts), read where the twin is; absent: none. */
  readonly barredVariants?: readonly string[];
}

/** The audience, best first, and who was left out. */
export interface CampaignAudience {
  readonly audience: readonly { readonly customerId: string; readonly score: number }[];
  /** Left out because their profile says contact likely hurts. */
  readonly sleepingDogs: number;
  /** Mean expected acceptance of each variant kind over the audience (the bandit's prior), for kinds with profiles. */
  readonly acceptanceByKind: Readonly<Partial<Record<OfferKind, number>>>;
}

/** Plans the audience of a campaign whose variants carry offers of `kinds`, at most `max` customers. */
export function planCampaignAudience(candidates: readonly AudienceCandidate[], kinds: readonly OfferKind[], max: number, harmThreshold = HARM_THRESHOLD): CampaignAudience {
  const scored: { customerId: string; score: number; profile?: AudienceCandidate['profile'] }[] = [];
  let sleepingDogs = 0;
  for (const c of candidates) {
    if (c.profile && c.profile.sleepingDog >= harmThreshold) {
      sleepingDogs++;
      continue;
    }
    const acceptance = c.profile && kinds.length > 0 ? Math.max(...kinds.map((k) => c.profile!.acceptance[k])) : 1;
    scored.push({ customerId: c.customerId, score: c.atStake * acceptance, profile: c.profile });
  }
  scored.sort((a, b) => b.score - a.score || (a.customerId < b.customerId ? -1 : 1));
  const chosen = scored.slice(0, max);
  const acceptanceByKind: Partial<Record<OfferKind, number>> = {};
  const profiled = chosen.filter((c) => c.profile);
  if (profiled.length > 0) for (const k of kinds) acceptanceByKind[k] = profiled.reduce((s, c) => s + c.profile!.acceptance[k], 0) / profiled.length;
  return { audience: chosen.map(({ customerId, score }) => ({ customerId, score })), sleepingDogs, acceptanceByKind };
}

/**
 * A campaign's control group: exactly `round(share × audience)` of its audience (`controlGroupSize`),
 * those whose hash, salted with the campaign's own id and seed, comes first. Salted per campaign, each campaign draws a control of
 * its own. Drawn as `hash(id, seed) < share` with the seed every campaign shares (1), every
 * campaign held out the same customers; and since a customer another run holds out is left out
 * before drawing, a second campaign over the segment of one still running had exactly its would-be
 * control removed first and held out nobody (npm start: an intent's campaign ran with a control of
 * 0 while the README's tour campaign held its own; a later one held 18 out).
 */
export function drawControlGroup(audience: readonly string[], share: number, seed: number, campaignId: string): string[] {
  const size = controlGroupSize(audience.length, share);
  if (size === 0) return [];
  const salt = (seed ^ fnv1a32(campaignId)) >>> 0;
  return audience
    .map((id) => ({ id, h: fnv1a32(id, salt) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
    .slice(0, size)
    .map((x) => x.id);
}

/**
 * Who a campaign's draw left out before drawing (`no-consent`, `held-out` by another run,
 * `sleeping-dog`, `not-eligible` for any of its offers), in words: "60 without marketing consent, 9 held out by other runs".
 */
export function describeLeftOut(left: Readonly<Record<string, number>>): string {
  const words: Record<string, string> = { 'no-consent': 'without marketing consent', 'held-out': 'held out by other runs', 'sleeping-dog': 'likely sleeping dogs', 'not-eligible': 'eligible for none of its offers' };
  return Object.entries(left)
    .map(([why, n]) => `${n} ${words[why] ?? why}`)
    .join(', ');
}

/** How many of an audience of `n` a control share holds out: the share of it, rounded. */
export const controlGroupSize = (n: number, share: number): number => (share > 0 ? Math.min(n, Math.round(share * n)) : 0);

/**
 * The fewest customers of an audience whose control group (`controlGroupSize`) leaves `treated` to
 * contact: the selection of a plan whose simulation targeted `treated` and held its share out of it.
 */
export function audienceHolding(treated: number, share: number): number {
  let n = Math.max(0, Math.ceil(treated));
  while (n - controlGroupSize(n, share) < treated) n++;
  return n;
}
