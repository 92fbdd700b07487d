import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTION_POLICY, DEFAULT_CHURN_PREVENTION_POLICY, parseActionPolicy, type ActionPolicyDocument } from '../../decisioning/policy/index.js';
import { memoryDocuments } from '../../store/document-store.js';
import { checkChurnPreventionOffers, churnPolicySettings, LEGACY_CHURN_POLICY_ID, moveLegacyChurnPolicy, type PolicyAdopter } from './churn-prevention-policy.js';

/** An action policy in memory: version 0 the default, each adopt a new version. */
function policyOf(document: ActionPolicyDocument, version = 0): PolicyAdopter & { versions: ActionPolicyDocument[] } {
  const versions = [document];
  let inForce = { version, document };
  return {
    versions,
    get: async () => inForce,
    async adopt(doc) {
      inForce = { version: inForce.version + 1, document: doc as ActionPolicyDocument };
      versions.push(inForce.document);
      return inForce;
    },
  };
}
const system = { kind: 'system' as const, id: 'twinloop-start' };
const { churnPrevention: _omitted, ...withoutSection } = DEFAULT_ACTION_POLICY;
const set = { floor: 0.1, minValue: 100, budget: 3000, offers: ['retain-25', 'retain-10'], cadenceDays: 14, controlShare: 0.2 };

describe('churn prevention policy', () => {
  it('is the action policy\'s churnPrevention section, or its defaults where the document has none', async () => {
    const defaults = { ...DEFAULT_CHURN_PREVENTION_POLICY, budget: 500 };
    expect(await churnPolicySettings(policyOf({ ...DEFAULT_ACTION_POLICY, churnPrevention: set }, 3), defaults).get()).toEqual(set);
    expect(await churnPolicySettings(policyOf(withoutSection, 2), defaults).get()).toEqual(defaults);
    // The section is validated with the document, naming the field.
    expect(() => parseActionPolicy({ ...DEFAULT_ACTION_POLICY, churnPrevention: { ...set, floor: 1.5 } })).toThrow(/at churnPrevention\.floor: /);
    expect(() => parseActionPolicy({ ...DEFAULT_ACTION_POLICY, churnPrevention: { ...set, cadence: 7 } })).toThrow(/at churnPrevention\.cadence: not a field here/);
  });

  it('refuses offers the catalogue lacks, naming the place', () => {
    const policy = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, churnPrevention: { ...set, offers: ['retain-10', 'free-phone'] } });
    expect(() => checkChurnPreventionOffers(policy, ['retain-10', 'retain-25'])).toThrow(/^Invalid action policy at churnPrevention\.offers\[1\]: no offer "free-phone" in the catalogue; known: retain-10, retain-25$/);
    expect(() => checkChurnPreventionOffers(parseActionPolicy(DEFAULT_ACTION_POLICY), ['retain-10', 'data-bonus'])).not.toThrow();
  });

  it('moves a policy set at the old route into a new version of the action policy, once', async () => {
    const legacy = memoryDocuments<unknown>();
    await legacy.put(LEGACY_CHURN_POLICY_ID, set);
    const policy = policyOf(withoutSection, 4);
    expect(await moveLegacyChurnPolicy(legacy, policy, system)).toBe(5);
    expect((await policy.get()).document).toEqual({ ...withoutSection, churnPrevention: set });
    // A later version without the section does not bring the old one back.
    await policy.adopt(withoutSection, system, 'x');
    expect(await moveLegacyChurnPolicy(legacy, policy, system)).toBeUndefined();
    expect(policy.versions).toHaveLength(3);
  });

  it('leaves a version that has its own section as it is', async () => {
    const legacy = memoryDocuments<unknown>();
    await legacy.put(LEGACY_CHURN_POLICY_ID, set);
    const own = { ...DEFAULT_ACTION_POLICY, churnPrevention: { ...set, floor: 0.3 } };
    const policy = policyOf(own, 2);
    expect(await moveLegacyChurnPolicy(legacy, policy, system)).toBeUndefined();
    expect((await policy.get()).document).toBe(own);
    // On the built-in default, whose section is only the defaults, the operator's old choice wins.
    const fresh = memoryDocuments<unknown>();
    await fresh.put(LEGACY_CHURN_POLICY_ID, set);
    const onDefault = policyOf(DEFAULT_ACTION_POLICY, 0);
    expect(await moveLegacyChurnPolicy(fresh, onDefault, system)).toBe(1);
    expect((await onDefault.get()).document.churnPrevention).toEqual(set);
  });
});
