import { CHANNELS, type Channel } from '../domain/events.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import type { CustomerScores } from './arbitration.js';
import { printRule, type RuleNode } from './eligibility-rule.js';
import type { CompiledOffer } from './offer-catalogue.js';
import { DIRECTION_CODE, evaluateRule, RULE_SLOT, UNKNOWN_REASON, type RuleVocabulary } from './rule-compiler.js';

/**
 * Whether an offering may go to a customer now: the one answer the next-best-action funnel's
 * eligibility step gives and the guarded executor gives again for every request that names an
 * offering (a campaign's contact, an intent's, the assist card's, an MCP or HTTP action request).
 * A campaign that checked only its audience filters offered the data bonus to customers its own
 * rule excludes (16 of 23 acceptors on the default world, each paid 3.00): decision 0116.
 */

/** Why an offering may not go to a customer now, by the first check it fails. */
export type IneligibleBy = 'not-live' | 'outside-validity' | 'churned' | 'rule';

/** The contact a rule is read in: its channel, direction and reason (a rule may read them). */
export interface RuleContext {
  readonly channel: Channel | string;
  readonly direction: 'inbound' | 'outbound';
  /** The reason's code in the catalogue's vocabulary (`RuleVocabulary.reasonCode`); UNKNOWN_REASON when none. */
  readonly reasonCode?: number;
}

/**
 * Fills `out` (RULE_VALUE_COUNT long) with what a catalogue rule reads: the twin's features, its
 * live scores and the contact's context. A score not known (no model serves) reads 0, as the
 * funnel values an unscored customer: one answer whichever path asks.
 */
export function fillRuleValues(out: Float64Array, features: Float64Array, scores: Pick<CustomerScores, 'churn' | 'clv' | 'atRisk'> | undefined, context: RuleContext): Float64Array {
  out.set(features.subarray(0, FEATURE_COUNT));
  out[RULE_SLOT.churn] = Number.isFinite(scores?.churn) ? scores!.churn : 0;
  out[RULE_SLOT.clv] = Number.isFinite(scores?.clv) ? scores!.clv : 0;
  out[RULE_SLOT.at_risk] = scores?.atRisk ? 1 : 0;
  out[RULE_SLOT.channel] = (CHANNELS as readonly string[]).indexOf(context.channel);
  out[RULE_SLOT.direction] = DIRECTION_CODE[context.direction];
  out[RULE_SLOT.reason] = context.reasonCode ?? UNKNOWN_REASON;
  return out;
}

/**
 * The first eligibility check `offer` fails for the customer whose rule values are `values`
 * (`fillRuleValues`) at `now`, or undefined when it may go to them: the offering is live and
 * valid now, the customer has not churned, its eligibility rule holds. No allocation: the funnel
 * calls it for every offering of every decision.
 */
export function ineligibleBy(offer: CompiledOffer, values: Float64Array, now: number): IneligibleBy | undefined {
  if (!offer.live) return 'not-live';
  if (now < offer.validFrom || now > offer.validTo) return 'outside-validity';
  if (values[FEATURE_INDEX.churned] !== 0) return 'churned';
  if (!offer.eligible(values)) return 'rule';
  return undefined;
}

/** Why, in words: for a rule not met, the clauses that fail with the customer's values of the names they read. */
export function ineligibilityReason(by: IneligibleBy, offer: CompiledOffer, values: Float64Array, vocabulary: RuleVocabulary): string {
  switch (by) {
    case 'not-live':
      return `lifecycleStatus is ${offer.offering.lifecycleStatus}: only Active or Launched offerings are proposed`;
    case 'outside-validity':
      return `outside validFor (${offer.offering.validFor?.startDateTime ?? '…'} to ${offer.offering.validFor?.endDateTime ?? '…'})`;
    case 'churned':
      return 'the customer has churned (every plan terminated)';
    case 'rule':
      return `eligibility rule not met: ${failingClauses(offer.eligibilityAst, values, vocabulary)} (the rule: ${offer.offering.eligibility})`;
  }
}

/** Why `offer` may not go to the customer of `values` now, in words, or undefined when it may. */
export function offerIneligibility(offer: CompiledOffer, values: Float64Array, now: number, vocabulary: RuleVocabulary): string | undefined {
  const by = ineligibleBy(offer, values, now);
  return by === undefined ? undefined : ineligibilityReason(by, offer, values, vocabulary);
}

/** The operands of a chain of one operator (`a and b and c` → a, b, c). */
function chain(node: RuleNode, op: 'and' | 'or'): RuleNode[] {
  return node.type === op ? [...chain(node.left, op), ...chain(node.right, op)] : [node];
}

/** Every name a clause reads, once each, in the order written. */
function namesIn(node: RuleNode, out: string[] = []): string[] {
  switch (node.type) {
    case 'name':
      if (!out.includes(node.name)) out.push(node.name);
      break;
    case 'neg':
    case 'not':
    case 'in':
      namesIn(node.arg, out);
      break;
    case 'and':
    case 'or':
    case 'cmp':
    case 'arith':
      namesIn(node.left, out);
      namesIn(node.right, out);
      break;
  }
  return out;
}

/** A value as the customer's record reads: whole numbers as they are, others to three decimals. */
function valueText(name: string, values: Float64Array, vocabulary: RuleVocabulary): string {
  const entry = vocabulary.lookup(name);
  if (!entry) return 'unknown';
  const x = values[entry.slot];
  if (name === 'channel') return CHANNELS[x] ?? 'another channel';
  if (name === 'direction') return x === DIRECTION_CODE.inbound ? 'inbound' : 'outbound';
  if (name === 'reason') return x === UNKNOWN_REASON ? 'none the rule names' : 'another reason';
  if (!Number.isFinite(x)) return 'unknown';
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

/** One clause with the customer's value of each name it reads: `payments_failed_90d == 0 (payments_failed_90d is 1)`. */
function clauseText(node: RuleNode, values: Float64Array, vocabulary: RuleVocabulary): string {
  const names = namesIn(node);
  return names.length === 0 ? printRule(node) : `${printRule(node)} (${names.map((n) => `${n} is ${valueText(n, values, vocabulary)}`).join(', ')})`;
}

/**
 * The clauses of a rule that make it fail for these values: of a conjunction, each conjunct that
 * fails; of a disjunction, every alternative (none holds); else the clause itself. A rule that holds says so.
 */
export function failingClauses(ast: RuleNode, values: Float64Array, vocabulary: RuleVocabulary): string {
  const holds = (n: RuleNode) => evaluateRule(n, values, vocabulary);
  const why = (n: RuleNode): string => {
    if (n.type === 'and') return chain(n, 'and').filter((c) => !holds(c)).map(why).join('; ');
    if (n.type === 'or') {
      const alternatives = chain(n, 'or');
      return `none of its ${alternatives.length} alternatives holds: ${alternatives.map(why).join('; ')}`;
    }
    return clauseText(n, values, vocabulary);
  };
  return holds(ast) ? 'it holds' : why(ast);
}
