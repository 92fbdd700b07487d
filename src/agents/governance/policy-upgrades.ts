import type { DocumentStore } from '../../store/document-store.js';
import { withCreditsLeftRule, type Actor, type ActionPolicyDocument } from '../../decisioning/policy/index.js';
import type { PolicyAdopter } from '../flows/churn-prevention-policy.js';

/** The `settings` record that says the stored policy was looked at for the credits-left rule. */
export const CREDITS_LEFT_UPGRADE_ID = 'policy-upgrade-credits-left';

/** Why the version the upgrade stores exists, in the policy's history and the audit trail. */
export const CREDITS_LEFT_UPGRADE_REASON =
  "the credits-left rule added at start: a credit to a customer who has left waits for a person at any amount (a policy stored before the rule existed let credits up to its threshold run on their own for them; remove the rule with PUT /policy if that is the operator's intent)";

/**
 * Gives a stored policy (a version an operator set, made before the rule existed) the credits-left
 * rule, once: a new version, audited as any change, when the version in force lacks it. Done once
 * per store (the `settings` record): a later version without the rule is an operator's choice, not
 * undone at the next start; a store on the built-in default (version 0) has it already. Answers the
 * new version, if one was stored.
 */
export async function addCreditsLeftRule(settings: DocumentStore<unknown>, policy: PolicyAdopter, actor: Actor): Promise<number | undefined> {
  if (await settings.get(CREDITS_LEFT_UPGRADE_ID)) return undefined;
  const inForce = await policy.get();
  const upgraded = inForce.version > 0 ? withCreditsLeftRule(inForce.document as ActionPolicyDocument) : undefined;
  const stored = upgraded ? await policy.adopt(upgraded, actor, CREDITS_LEFT_UPGRADE_REASON) : undefined;
  await settings.put(CREDITS_LEFT_UPGRADE_ID, { lookedAt: inForce.version, ...(stored ? { version: stored.version } : {}) });
  return stored && stored.version !== inForce.version ? stored.version : undefined;
}
