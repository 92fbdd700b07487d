import { TwinloopError } from '../../domain/errors.js';
import { churnPreventionPolicySchema, type ActionPolicy, type ActionPolicyDocument, type Actor, type ChurnPreventionPolicy } from '../../decisioning/policy/index.js';
import type { DocumentStore } from '../../store/document-store.js';
import { CONTACT_RULES } from '../../decisioning/contact-policy.js';

/**
 * Proactive churn prevention's policy as its runs read it: the `churnPrevention` section of the
 * action policy in force (decisioning/policy/churn-prevention-settings.ts), or its defaults when the
 * document has none (a version stored before the section existed). It is changed like the rest of
 * the policy (`PUT /policy`, `twinloop policy set`: versioned, audited); `GET
 * /churn-prevention/policy` is a read alias of the section.
 */

/**
 * Why a run left a customer alone (or where a contact went). A contact the policy refused is left
 * alone under the contact rule that refused it (quiet-hours, decline-cooldown, channel-opt-out…;
 * marketing-consent is `no-consent`): all were `consent` before, so a customer with consent whose
 * contact met quiet hours read as one without it. `consent` stays for the reports written then.
 */
export const LEFT_ALONE_REASONS = ['low-risk', 'no-consent', 'not-eligible', 'sleeping-dog', 'negative-expected-value', 'simulation', 'control-group', 'consent', ...CONTACT_RULES.filter((r) => r !== 'marketing-consent'), 'refused', 'budget', 'pending-approval', 'stopped', 'past-horizon'] as const;
/** One reason a customer was not contacted. */
export type LeftAloneReason = (typeof LEFT_ALONE_REASONS)[number];

/** Where the policy was kept before it moved into the action policy (the record store's `settings` collection). */
export const LEGACY_CHURN_POLICY_ID = 'churn-prevention';

/** The policy as the runs read it. */
export interface ChurnPolicySettings {
  /** The section in force, or the defaults when the policy in force has none. */
  get(): Promise<ChurnPreventionPolicy>;
}

/** What the settings read: the action policy in force (its document). */
export interface PolicyInForce {
  get(): Promise<{ readonly version: number; readonly document: ActionPolicyDocument }>;
}

/** The settings over the action policy in force; `defaults` when it has no churnPrevention section. */
export function churnPolicySettings(policy: PolicyInForce, defaults: ChurnPreventionPolicy): ChurnPolicySettings {
  return { get: async () => (await policy.get()).document.churnPrevention ?? defaults };
}

/** The action policy as the move needs it: read the version in force, put a new one in force. */
export interface PolicyAdopter extends PolicyInForce {
  adopt(document: unknown, actor: Actor, reason: string): Promise<{ readonly version: number }>;
}

/**
 * A churn prevention policy set before it moved (kept under the `settings` collection by `PUT
 * /churn-prevention/policy`) becomes the `churnPrevention` section of a new action policy version,
 * once: when the version in force was stored without the section. Answers the new version, if any.
 */
export async function moveLegacyChurnPolicy(legacy: DocumentStore<unknown>, policy: PolicyAdopter, actor: Actor): Promise<number | undefined> {
  const old = churnPreventionPolicySchema.safeParse(await legacy.get(LEGACY_CHURN_POLICY_ID));
  if (!old.success) return undefined;
  const inForce = await policy.get();
  // A stored version with the section was made since the move (or by it): it rules.
  const ownSection = inForce.version > 0 && inForce.document.churnPrevention !== undefined;
  const moved = ownSection
    ? undefined
    : await policy.adopt({ ...inForce.document, churnPrevention: old.data }, actor, 'the churn prevention policy set at PUT /churn-prevention/policy moved into the action policy (its churnPrevention section)');
  // Left as a pointer, so that a later version without the section does not bring the old one back.
  await legacy.put(LEGACY_CHURN_POLICY_ID, { movedTo: 'the action policy, section churnPrevention', ...(moved ? { version: moved.version } : {}) });
  return moved && moved.version !== inForce.version ? moved.version : undefined;
}

/**
 * Checks a policy's churn prevention offers against the catalogue (the document's schema cannot
 * know it): BAD_INPUT naming the offer's place, in the words of the policy's other errors.
 */
export function checkChurnPreventionOffers(policy: ActionPolicy, knownOffers: readonly string[]): void {
  const offers = policy.churnPrevention?.offers ?? [];
  const unknown = offers.findIndex((id) => !knownOffers.includes(id));
  if (unknown >= 0) throw new TwinloopError('BAD_INPUT', `Invalid action policy at churnPrevention.offers[${unknown}]: no offer "${offers[unknown]}" in the catalogue; known: ${knownOffers.join(', ')}`);
}
