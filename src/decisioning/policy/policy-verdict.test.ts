import { describe, expect, it } from 'vitest';
import { parseActionPolicy, type ActionPolicyDocument } from './action-policy.js';
import { actionRequestSchema, type ActionRequest, type ActionRequestInput } from './action-request.js';
import { DEFAULT_ACTION_POLICY } from './default-policy.js';
import { evaluate, isExecuteVerdict, isPolicyVerdict } from './policy-verdict.js';

const NOW = Date.UTC(2026, 4, 14, 12);
const policy = parseActionPolicy(DEFAULT_ACTION_POLICY);

function req(fields: Partial<ActionRequestInput> = {}): ActionRequest {
  return { id: 'r1', ...actionRequestSchema.parse({ actionClass: 'offer', channel: 'web', actor: { kind: 'agent', id: 'nba' }, ...fields }) };
}

describe('evaluate with the default sandbox policy', () => {
  it('executes offers on digital channels and only advises where a person serves the customer', () => {
    expect(evaluate(policy, req({ channel: 'app' }), { now: NOW })).toMatchObject({ verdict: 'execute', mode: 'autonomous', rule: 'offers-app' });
    const call = evaluate(policy, req({ channel: 'call' }), { now: NOW });
    expect(call).toMatchObject({ verdict: 'advise-only', mode: 'advise', rule: 'offers-advise' });
  });

  it('executes advice a person acts on, within the same caps and approval thresholds', () => {
    const human = { kind: 'human' as const, id: 'agent-17' };
    expect(evaluate(policy, req({ channel: 'call', actor: human }), { now: NOW })).toMatchObject({ verdict: 'execute', rule: 'offers-advise' });
    // A person on a call still cannot give a discount above the cap, nor skip the approval above the threshold.
    expect(evaluate(policy, req({ actionClass: 'discount', channel: 'call', discountPct: 40, actor: human }), { now: NOW }).verdict).toBe('deny');
    expect(evaluate(policy, req({ actionClass: 'credit', channel: 'call', cost: 50, actor: human }), { now: NOW }).verdict).toBe('needs-approval');
  });

  it('executes credits up to 10, asks approval above, denies above the cap naming it', () => {
    expect(evaluate(policy, req({ actionClass: 'credit', cost: 10 }), { now: NOW }).verdict).toBe('execute');
    const big = evaluate(policy, req({ actionClass: 'credit', cost: 25 }), { now: NOW });
    expect(big).toMatchObject({ verdict: 'needs-approval', mode: 'approve', approval: { timeoutMinutes: 240, onTimeout: 'reject' } });
    expect(big.reasons.join(' ')).toMatch(/above 10/);
    // Every line agrees with the mode: none says the rule sets autonomous next to mode approve.
    expect(big.reasons).toEqual([
      'rule "credits" lets credit on web run alone (autonomous) only up to its approval threshold: cost 25 is above 10, so a human approves first (mode approve)',
      'cost 25 is above 10: a human approves first',
    ]);
    const huge = evaluate(policy, req({ actionClass: 'credit', cost: 500 }), { now: NOW });
    expect(huge).toMatchObject({ verdict: 'deny', guardrail: 'cost-cap' });
  });

  it('denies a request whose customer has no twin, whoever approved it; judges as usual one whose customer is known or not said', () => {
    const credit = req({ actionClass: 'credit', cost: 5, customerId: 'C404' });
    // On the old code the policy passed a customer it could read no facts for.
    expect(evaluate(policy, credit, { now: NOW, customerKnown: false, approvedBy: { approvalId: 'a1', by: 'sue' } })).toMatchObject({ verdict: 'deny', guardrail: 'unknown-customer', reasons: expect.arrayContaining([expect.stringMatching(/customer C404 has no twin/)]) });
    expect(evaluate(policy, credit, { now: NOW, customerKnown: true })).toMatchObject({ verdict: 'execute' });
    expect(evaluate(policy, credit, { now: NOW })).toMatchObject({ verdict: 'execute' });
  });

  it('denies a request at or after its expiry (a run\'s horizon), whoever approved it, and judges it as usual before', () => {
    const expiring = req({ channel: 'app', expiresAt: NOW + 1 });
    expect(evaluate(policy, expiring, { now: NOW })).toMatchObject({ verdict: 'execute' });
    const late = evaluate(policy, expiring, { now: NOW + 1, approvedBy: { approvalId: 'a1', by: 'lou' } });
    expect(late).toMatchObject({ verdict: 'deny', guardrail: 'expired' });
    expect(late.reasons.at(-1)).toMatch(/expired at .*nothing is carried out after it/);
    expect(() => actionRequestSchema.parse({ actionClass: 'offer', channel: 'app', actor: { kind: 'agent', id: 'a' }, expiresAt: -1 })).toThrow();
  });

  it('caps discounts at 25 % and asks approval above 15 %', () => {
    expect(evaluate(policy, req({ actionClass: 'discount', discountPct: 10 }), { now: NOW }).verdict).toBe('execute');
    expect(evaluate(policy, req({ actionClass: 'discount', discountPct: 20 }), { now: NOW }).verdict).toBe('needs-approval');
    expect(evaluate(policy, req({ actionClass: 'discount', discountPct: 30 }), { now: NOW })).toMatchObject({ verdict: 'deny', guardrail: 'discount-cap' });
  });

  it('sends plan changes to approval, and an approval lets them execute', () => {
    const r = req({ actionClass: 'plan_change', channel: 'call' });
    expect(evaluate(policy, r, { now: NOW }).verdict).toBe('needs-approval');
    const approved = evaluate(policy, r, { now: NOW, approvedBy: { approvalId: 'a1', by: 'u:sup' } });
    expect(approved.verdict).toBe('execute');
    expect(approved.reasons.at(-1)).toMatch(/approved by u:sup/);
  });

  it('an approval does not lift a hard cap or turn advice into execution', () => {
    const ctx = { now: NOW, approvedBy: { approvalId: 'a1', by: 'u:sup' } };
    expect(evaluate(policy, req({ actionClass: 'credit', cost: 500 }), ctx).verdict).toBe('deny');
    expect(evaluate(policy, req({ channel: 'store' }), ctx).verdict).toBe('advise-only');
  });

  it('denies an action the budget has no room for, naming the budget', () => {
    const spending = [{ scope: 'credit|*', periodKey: '2026-05', reserved: 0, committed: 4_995 }];
    const v = evaluate(policy, req({ actionClass: 'credit', cost: 8 }), { now: NOW, spending });
    expect(v).toMatchObject({ verdict: 'deny', guardrail: 'budget' });
    expect(v.reasons.at(-1)).toMatch(/credit\|\* for 2026-05 has 5 of 5000 left/);
    // Last month's spending does not count.
    expect(evaluate(policy, req({ actionClass: 'credit', cost: 8 }), { now: Date.UTC(2026, 5, 1), spending }).verdict).toBe('execute');
  });

  it("denies an action above what is left of the asking run's budget, naming run-budget, whoever approved it; advice spends nothing", () => {
    const fits = evaluate(policy, req({ actionClass: 'credit', cost: 8, runBudgetLeft: 8 }), { now: NOW });
    expect(fits).toMatchObject({ verdict: 'execute' });
    const over = evaluate(policy, req({ actionClass: 'credit', cost: 8, runBudgetLeft: 7.99 }), { now: NOW, approvedBy: { approvalId: 'a1', by: 'lou' } });
    expect(over).toMatchObject({ verdict: 'deny', guardrail: 'run-budget' });
    expect(over.reasons.at(-1)).toMatch(/cost 8 is above the 7\.99 left of the budget of the run that asked for it/);
    // Shown to a person only (an offer in the store is advised): nothing is spent, nothing refused.
    expect(evaluate(policy, req({ channel: 'store', cost: 8, runBudgetLeft: 0 }), { now: NOW }).verdict).toBe('advise-only');
    expect(() => actionRequestSchema.parse({ actionClass: 'offer', channel: 'app', actor: { kind: 'agent', id: 'a' }, runBudgetLeft: -1 })).toThrow();
  });

  it('falls back to advice for an action class no rule covers, a person\'s request included: it never executes', () => {
    const noCredits = parseActionPolicy({ ...DEFAULT_ACTION_POLICY, rules: (DEFAULT_ACTION_POLICY.rules ?? []).filter((r) => r.actionClass !== 'credit') });
    const human = { kind: 'human' as const, id: 'local' };
    for (const actor of [human, { kind: 'agent' as const, id: 'nba' }]) {
      const v = evaluate(noCredits, req({ actionClass: 'credit', channel: 'call', cost: 5, actor }), { now: NOW });
      expect(v).toMatchObject({ verdict: 'advise-only', mode: 'advise', rule: null, riskClass: 'high', budget: [] });
      expect(v.reasons[0]).toMatch(/no rule matches credit on call; the policy's fallback mode is advise \(whoever asks/);
    }
    // A fallback the operator set to approve asks a person; one set to autonomous is the operator's own choice.
    expect(evaluate(parseActionPolicy({ ...DEFAULT_ACTION_POLICY, fallbackMode: 'approve', rules: [] }), req({ actionClass: 'credit', cost: 5, actor: human }), { now: NOW }).verdict).toBe('needs-approval');
  });

  it('refuses an action class Twinloop does not act on where the request is read, naming the field and the known classes', () => {
    for (const actionClass of ['credits', 'refund']) {
      const r = actionRequestSchema.safeParse({ actionClass, channel: 'call', customerId: 'C000123', cost: 5, actor: { kind: 'human', id: 'local' } });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].path).toEqual(['actionClass']);
      expect(r.error!.issues[0].message).toBe(`"${actionClass}" is not an action class Twinloop acts on: one of offer, credit, discount, plan_change, addon, termination, communication, compensation, trouble_ticket`);
    }
  });
});

describe('rule matching', () => {
  const doc: ActionPolicyDocument = {
    version: 1,
    segments: { vip: { all: [{ field: 'arpu_3m', op: '>=', value: 80 }] } },
    rules: [
      { id: 'any', mode: 'advise' },
      { id: 'offer-vip', actionClass: 'offer', segment: 'vip', mode: 'approve' },
      { id: 'offer', actionClass: 'offer', mode: 'autonomous' },
      { id: 'offer-call-vip', actionClass: 'offer', channel: 'call', segment: 'vip', mode: 'autonomous' },
      { id: 'offer-call', actionClass: 'offer', channel: 'call', mode: 'advise' },
    ],
  };
  const p = parseActionPolicy(doc);

  it('picks the most specific matching rule; first in the document among equals', () => {
    const vip = { arpu_3m: 90 };
    expect(evaluate(p, req({ channel: 'call', features: vip }), { now: NOW }).rule).toBe('offer-call-vip');
    expect(evaluate(p, req({ channel: 'call', features: { arpu_3m: 20 } }), { now: NOW }).rule).toBe('offer-call');
    expect(evaluate(p, req({ channel: 'web', features: vip }), { now: NOW }).rule).toBe('offer-vip');
    expect(evaluate(p, req({ channel: 'web' }), { now: NOW }).rule).toBe('offer');
    expect(evaluate(p, req({ actionClass: 'credit' }), { now: NOW }).rule).toBe('any');
  });

  it('accepts segments written in code', () => {
    const coded = parseActionPolicy(
      { version: 1, rules: [{ id: 'r', segment: 'risky', mode: 'approve' }] },
      { segments: { risky: (f) => (f.churn_risk ?? 0) > 0.5 } },
    );
    expect(evaluate(coded, req({ features: { churn_risk: 0.7 } }), { now: NOW }).rule).toBe('r');
    expect(evaluate(coded, req({ features: { churn_risk: 0.1 } }), { now: NOW }).rule).toBeNull();
  });

  it('matches segments on live scores the request carries, with the filter vocabulary of the twins', () => {
    const scored = parseActionPolicy({
      version: 1,
      segments: { at_risk: { all: [{ field: 'churn', op: '>=', value: 0.4 }, { feature: 'arpu_3m', op: '>', value: 50 }] } },
      rules: [{ id: 'save', segment: 'at_risk', mode: 'autonomous' }],
    });
    expect(evaluate(scored, req({ features: { churn: 0.6, arpu_3m: 70 } }), { now: NOW }).rule).toBe('save');
    expect(evaluate(scored, req({ features: { churn: 0.2, arpu_3m: 70 } }), { now: NOW }).rule).toBeNull();
    // A request without the score is not in the segment.
    expect(evaluate(scored, req({ features: { arpu_3m: 70 } }), { now: NOW }).rule).toBeNull();
    expect(() => parseActionPolicy({ version: 1, segments: { s: { all: [{ field: 'churn_risk', op: '>', value: 0.5 }] } } })).toThrow(
      /segments\.s\.all\[0\]\.field: unknown field "churn_risk"; known fields: tenure_days, .*, churn, clv/,
    );
  });

  it('refuses a policy naming an undefined segment, duplicate ids or unknown fields', () => {
    expect(() => parseActionPolicy({ version: 1, rules: [{ id: 'r', segment: 'ghost', mode: 'advise' }] })).toThrow(/segment "ghost"/);
    expect(() => parseActionPolicy({ version: 1, rules: [{ id: 'r', mode: 'advise' }, { id: 'r', mode: 'advise' }] })).toThrow(/used twice/);
    expect(() => parseActionPolicy({ version: 1, rules: [{ id: 'r', mode: 'yolo' }] })).toThrow(/rules\[0\]\.mode/);
  });
});

describe('verdicts', () => {
  it('cannot be forged or altered', () => {
    const real = evaluate(policy, req(), { now: NOW });
    expect(isExecuteVerdict(real)).toBe(true);
    expect(isPolicyVerdict({ ...real })).toBe(false);
    expect(() => {
      (real as { verdict: string }).verdict = 'deny';
    }).toThrow();
  });
});
