import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTION_POLICY, matchRule, parseActionPolicy, type ActionPolicyDocument } from '../../decisioning/policy/index.js';
import { memoryDocuments } from '../../store/document-store.js';
import type { PolicyAdopter } from '../flows/churn-prevention-policy.js';
import { addCreditsLeftRule, CREDITS_LEFT_UPGRADE_REASON } from './policy-upgrades.js';

/** An action policy in memory: each adopt of another document a new version. */
function policyOf(document: ActionPolicyDocument, version: number): PolicyAdopter & { reasons: string[] } {
  let inForce = { version, document };
  const reasons: string[] = [];
  return {
    reasons,
    get: async () => inForce,
    async adopt(doc, _actor, reason) {
      if (JSON.stringify(doc) === JSON.stringify(inForce.document)) return inForce;
      reasons.push(reason);
      inForce = { version: inForce.version + 1, document: doc as ActionPolicyDocument };
      return inForce;
    },
  };
}
const system = { kind: 'system' as const, id: 'twinloop-start' };
/** The default policy as an operator stored it before the credits-left rule existed. */
const { left: _left, ...oldSegments } = DEFAULT_ACTION_POLICY.segments!;
const before: ActionPolicyDocument = { ...DEFAULT_ACTION_POLICY, segments: oldSegments, rules: DEFAULT_ACTION_POLICY.rules!.filter((r) => r.id !== 'credits-left') };
/** The rule a credit of `cost` to a customer who has (or has not) left is judged by. */
const ruleFor = (document: ActionPolicyDocument, churned: number) => matchRule(parseActionPolicy(document), { actionClass: 'credit', channel: 'call', features: { churned, arpu_3m: 40 } })?.id;

describe('the credits-left rule for a stored policy', () => {
  it('adds the rule and its segment to a version stored before it, once: a credit to a customer who has left then waits for a person', async () => {
    expect(ruleFor(before, 1)).toBe('credits');
    const settings = memoryDocuments<unknown>();
    const policy = policyOf(before, 3);
    expect(await addCreditsLeftRule(settings, policy, system)).toBe(4);
    const upgraded = (await policy.get()).document;
    expect(ruleFor(upgraded, 1)).toBe('credits-left');
    expect(ruleFor(upgraded, 0)).toBe('credits');
    expect(upgraded.rules!.find((r) => r.id === 'credits-left')).toMatchObject({ mode: 'approve', segment: 'left', guardrails: { costCap: 100 } });
    expect(policy.reasons).toEqual([CREDITS_LEFT_UPGRADE_REASON]);
    // An operator who then removes it is not overruled at the next start.
    await policy.adopt(before, system, 'credits to leavers run on their own here');
    expect(await addCreditsLeftRule(settings, policy, system)).toBeUndefined();
    expect(ruleFor((await policy.get()).document, 1)).toBe('credits');
  });

  it('leaves the built-in default and a policy that already holds such credits for a person as they are', async () => {
    const fresh = memoryDocuments<unknown>();
    const onDefault = policyOf(DEFAULT_ACTION_POLICY, 0);
    expect(await addCreditsLeftRule(fresh, onDefault, system)).toBeUndefined();
    expect(onDefault.reasons).toEqual([]);
    // The operator's own rule on a segment that reads churned: theirs stands.
    const own: ActionPolicyDocument = { ...before, segments: { ...oldSegments, gone: { all: [{ field: 'churned', op: '==', value: 1 }] } }, rules: [...before.rules!, { id: 'leavers', actionClass: 'credit', segment: 'gone', mode: 'approve' }] };
    const theirs = policyOf(own, 5);
    expect(await addCreditsLeftRule(memoryDocuments<unknown>(), theirs, system)).toBeUndefined();
    expect((await theirs.get()).document).toBe(own);
  });

  it("wins over an operator's credit rule as specific as it (on a channel, or a segment a leaver is in), and is not kept out by a segment of the active (review of f860e85)", async () => {
    // Equally specific rules: the first in the document wins, so the rule goes before theirs.
    const onCalls: ActionPolicyDocument = { ...before, rules: [...before.rules!, { id: 'credits-call', actionClass: 'credit', channel: 'call', mode: 'autonomous', guardrails: { approveAboveCost: 10, costCap: 100 } }] };
    const call = policyOf(onCalls, 2);
    await addCreditsLeftRule(memoryDocuments<unknown>(), call, system);
    expect(ruleFor((await call.get()).document, 1)).toBe('credits-left');
    expect(ruleFor((await call.get()).document, 0)).toBe('credits-call');
    const valued: ActionPolicyDocument = { ...before, rules: [...before.rules!, { id: 'credits-valued', actionClass: 'credit', segment: 'high_value', mode: 'autonomous', guardrails: { approveAboveCost: 25, costCap: 100 } }] };
    const high = policyOf(valued, 2);
    await addCreditsLeftRule(memoryDocuments<unknown>(), high, system);
    const upgraded = parseActionPolicy((await high.get()).document);
    expect(matchRule(upgraded, { actionClass: 'credit', channel: 'app', features: { churned: 1, arpu_3m: 80 } })?.id).toBe('credits-left');
    expect(matchRule(upgraded, { actionClass: 'credit', channel: 'app', features: { churned: 0, arpu_3m: 80 } })?.id).toBe('credits-valued');
    // "Autonomous credits for the active" reads churned but selects those who stay: the rule is still added.
    const active: ActionPolicyDocument = { ...before, segments: { ...oldSegments, active: { all: [{ field: 'churned', op: '==', value: 0 }] } }, rules: [...before.rules!, { id: 'credits-active', actionClass: 'credit', segment: 'active', mode: 'autonomous' }] };
    const withActive = policyOf(active, 4);
    expect(await addCreditsLeftRule(memoryDocuments<unknown>(), withActive, system)).toBe(5);
    expect(ruleFor((await withActive.get()).document, 1)).toBe('credits-left');
    // A rule on the leavers that runs their credits on its own keeps nothing for a person either.
    const gone: ActionPolicyDocument = { ...before, segments: { ...oldSegments, gone: { all: [{ field: 'churned', op: '>=', value: 1 }] } }, rules: [...before.rules!, { id: 'leavers-free', actionClass: 'credit', segment: 'gone', mode: 'autonomous' }] };
    expect(await addCreditsLeftRule(memoryDocuments<unknown>(), policyOf(gone, 1), system)).toBe(2);
  });

  it("keeps an operator's segment named left that means something else, and takes their credit rule's cost cap", async () => {
    const rules = before.rules!.map((r) => (r.id === 'credits' ? { ...r, guardrails: { approveAboveCost: 20, costCap: 50 } } : r));
    const leftMeansLate: ActionPolicyDocument = { ...before, segments: { ...oldSegments, left: { all: [{ field: 'payments_failed_90d', op: '>=', value: 1 }] } }, rules };
    const policy = policyOf(leftMeansLate, 2);
    expect(await addCreditsLeftRule(memoryDocuments<unknown>(), policy, system)).toBe(3);
    const upgraded = (await policy.get()).document;
    expect(upgraded.segments!.left).toEqual(leftMeansLate.segments!.left);
    expect(upgraded.segments!.has_left).toEqual(DEFAULT_ACTION_POLICY.segments!.left);
    expect(upgraded.rules!.find((r) => r.id === 'credits-left')).toMatchObject({ segment: 'has_left', guardrails: { costCap: 50 } });
    expect(ruleFor(upgraded, 1)).toBe('credits-left');
  });
});
