import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { parseRule, printRule, type RuleNode } from './eligibility-rule.js';
import { compileAst, compileRule, evaluateRule, RULE_SLOT, RULE_VALUE_COUNT, RuleVocabulary } from './rule-compiler.js';

function values(set: Record<string, number> = {}): Float64Array {
  const v = new Float64Array(RULE_VALUE_COUNT);
  for (const [k, x] of Object.entries(set)) {
    const i = k in RULE_SLOT ? RULE_SLOT[k as keyof typeof RULE_SLOT] : FEATURE_INDEX[k as keyof typeof FEATURE_INDEX];
    v[i] = x;
  }
  return v;
}

function compiled(text: string) {
  const r = compileRule(text, new RuleVocabulary());
  if (!r.ok) throw new Error(r.message);
  return r.rule;
}

const stripPos = (n: RuleNode): unknown => JSON.parse(JSON.stringify(n, (k, v) => (k === 'pos' ? undefined : v)));

describe('eligibility rules', () => {
  it('evaluates the examples of the catalogue reference', () => {
    const r1 = compiled('churn >= 0.2 and arpu_3m > 30 and not is_business');
    expect(r1(values({ churn: 0.25, arpu_3m: 40 }))).toBe(true);
    expect(r1(values({ churn: 0.25, arpu_3m: 40, is_business: 1 }))).toBe(false);
    expect(r1(values({ churn: 0.1, arpu_3m: 40 }))).toBe(false);
    const r2 = compiled('contract_months in [0, 1]');
    expect(r2(values({ contract_months: 1 }))).toBe(true);
    expect(r2(values({ contract_months: 12 }))).toBe(false);
    const r3 = compiled('(is_prepaid == 1 or tenure_days < 90) and days_since_offer_declined > 30');
    expect(r3(values({ is_prepaid: 1, days_since_offer_declined: 9999 }))).toBe(true);
    expect(r3(values({ tenure_days: 400, days_since_offer_declined: 9999 }))).toBe(false);
    expect(r3(values({ tenure_days: 10, days_since_offer_declined: 5 }))).toBe(false);
  });

  it('reads the contact context: channel, direction and reason', () => {
    const vocab = new RuleVocabulary();
    const r = compileRule("channel in ['call', 'chat'] and direction == 'inbound' and reason != 'billing_complaint'", vocab);
    if (!r.ok) throw new Error(r.message);
    const v = values({ channel: 2, direction: 0 });
    v[RULE_SLOT.reason] = vocab.reasonCode('cancel_request');
    expect(r.rule(v)).toBe(true);
    v[RULE_SLOT.reason] = vocab.reasonCode('billing_complaint');
    expect(r.rule(v)).toBe(false);
  });

  it.each([
    ['churn >= ', 'expected a value', 9],
    ['churn >= 0.2 and', 'expected a value', 16],
    ['churn = 0.2', "write '=='", 6],
    ['churn >= 0.2 && clv > 1', "write 'and'", 13],
    ['(churn > 0.1', "expected ')'", 12],
    ['churn > 0.1 clv > 2', 'unexpected', 12],
    ['contract_months in 0, 1', "expected '['", 19],
    ["reason == 'x", 'not closed', 10],
    ['', 'empty', 0],
  ])('reports the syntax error in %j with its column', (text, fragment, pos) => {
    const r = compileRule(text, new RuleVocabulary());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.message).toContain(fragment);
    expect(r.problem.pos).toBe(pos);
    expect(r.message).toContain(`column ${pos + 1}`);
  });

  it('names an unknown feature and suggests close matches', () => {
    const r = compileRule('churn >= 0.2 and tenure_day > 30', new RuleVocabulary());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.message).toContain("unknown name 'tenure_day'");
    expect(r.problem.message).toContain('tenure_days');
    expect(r.problem.pos).toBe(17);
    expect(r.message).toMatch(/\n {2}churn >= 0.2 and tenure_day > 30\n {19}\^$/);
  });

  it.each([
    ['tenure_days and churn > 0.1', 'not a condition'],
    ["channel == 'phone'", "unknown channel 'phone'"],
    ["channel < 'call'", 'no order'],
    ["churn == 'high'", 'quoted string'],
    ['churn > 0.1 < 2', 'do not chain'],
    ['churn + (clv > 1) > 0', 'expected a number'],
    ["tenure_days in ['a']", 'list numbers'],
    ['(churn > 0.1) > 0', 'no order'],
  ])('rejects the ill-typed rule %j', (text, fragment) => {
    const r = compileRule(text, new RuleVocabulary());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.message).toContain(fragment);
  });

  it('uses 0/1 features as conditions and numbers alike', () => {
    expect(compiled('marketing_consent')(values({ marketing_consent: 1 }))).toBe(true);
    expect(compiled('marketing_consent + is_prepaid >= 2')(values({ marketing_consent: 1, is_prepaid: 1 }))).toBe(true);
    expect(compiled('is_prepaid == true')(values({ is_prepaid: 0 }))).toBe(false);
  });

  // Property tests: random well-typed trees over numeric features.
  const names = ['churn', 'clv', 'tenure_days', 'arpu_3m', 'is_prepaid', 'contract_months'];
  const num: fc.Memo<RuleNode> = fc.memo((d) =>
    d <= 1
      ? fc.oneof(
          fc.integer({ min: 0, max: 1000 }).map((value): RuleNode => ({ type: 'num', value, pos: 0 })),
          fc.constantFrom(...names).map((name): RuleNode => ({ type: 'name', name, pos: 0 })),
        )
      : fc.oneof(
          num(d - 1),
          fc.tuple(fc.constantFrom('+', '-', '*' as const), num(d - 1), num(d - 1)).map(([op, left, right]): RuleNode => ({ type: 'arith', op, left, right, pos: 0 })),
          num(d - 1).map((arg): RuleNode => ({ type: 'neg', arg, pos: 0 })),
        ),
  );
  const cond: fc.Memo<RuleNode> = fc.memo((d) => {
    const leaf = fc.oneof(
      fc.tuple(fc.constantFrom('==', '!=', '<', '<=', '>', '>=' as const), num(2), num(2)).map(([op, left, right]): RuleNode => ({ type: 'cmp', op, left, right, pos: 0 })),
      fc.tuple(num(2), fc.boolean(), fc.array(fc.integer({ min: -3, max: 30 }), { minLength: 1, maxLength: 4 })).map(
        ([arg, negated, items]): RuleNode => ({ type: 'in', negated, arg, items, pos: 0 }),
      ),
    );
    if (d <= 1) return leaf;
    return fc.oneof(
      leaf,
      cond(d - 1).map((arg): RuleNode => ({ type: 'not', arg, pos: 0 })),
      fc.tuple(fc.constantFrom('and', 'or' as const), cond(d - 1), cond(d - 1)).map(([type, left, right]): RuleNode => ({ type, left, right, pos: 0 })),
    );
  });
  const valueVector = fc.array(fc.integer({ min: -5, max: 40 }), { minLength: 6, maxLength: 6 }).map((xs) => {
    const v = new Float64Array(RULE_VALUE_COUNT);
    names.forEach((n, i) => (v[n in RULE_SLOT ? RULE_SLOT[n as 'churn'] : FEATURE_INDEX[n as 'tenure_days']] = xs[i]));
    return v;
  });

  it('prints a tree that parses back to the same tree', () => {
    fc.assert(
      fc.property(cond(4), (ast) => {
        const parsed = parseRule(printRule(ast));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(stripPos(parsed.ast)).toEqual(stripPos(ast));
      }),
      { numRuns: 300 },
    );
  });

  it('compiles to a closure that agrees with the tree-walking interpreter', () => {
    fc.assert(
      fc.property(cond(4), valueVector, (ast, v) => {
        const vocab = new RuleVocabulary();
        expect(compileAst(ast, vocab)(v)).toBe(evaluateRule(ast, v, vocab));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary text: it parses or reports a position inside the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const r = compileRule(text, new RuleVocabulary());
        if (!r.ok) expect(r.problem.pos).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 500 },
    );
  });

  it('has room for every feature in the value vector', () => {
    expect(RULE_VALUE_COUNT).toBe(FEATURE_COUNT + 6);
  });
});
