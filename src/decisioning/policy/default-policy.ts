import { DEFAULT_CONTACT_POLICY } from '../contact-policy.js';
import { MONEY_WINDOW_DAYS, type ActionPolicyDocument } from './action-policy.js';
import { DEFAULT_CHURN_PREVENTION_POLICY } from './churn-prevention-settings.js';

type PolicySegment = NonNullable<ActionPolicyDocument['segments']>[string];
type PolicyRuleDocument = NonNullable<ActionPolicyDocument['rules']>[number];

/** The customers who have left: no plan active or suspended (the twin counts them churned). */
export const LEFT_SEGMENT: PolicySegment = { description: 'Has left: no plan active or suspended (the twin counts them churned)', all: [{ field: 'churned', op: '==', value: 1 }] };

/**
 * Money to someone no longer a customer is not routine, whatever its size; not refused either: a
 * goodwill credit on a final bill (a disputed last charge) is legitimate. A person judges it, and
 * the approval says when the customer left. Stored policies made before it get it at start
 * (`withCreditsLeftRule`).
 */
export const CREDITS_LEFT_RULE: PolicyRuleDocument & { guardrails: { costCap: number } } = {
  id: 'credits-left',
  actionClass: 'credit',
  segment: 'left',
  mode: 'approve',
  riskClass: 'medium',
  guardrails: { costCap: 100 },
  approval: { timeoutMinutes: 4 * 60, onTimeout: 'reject' },
  description: 'A credit to a customer who has left: a person judges it, at any amount',
};

/**
 * The policy the sandbox operator starts with (`npm start`): communications run on their own,
 * offers run on their own on digital channels and are only advised where a person serves the
 * customer (that person accepts on the card), small credits run on their own, bigger ones, any
 * to a customer who has left, and plan changes wait for a human, discounts are capped, and every class has a monthly budget. The
 * contact rules and proactive churn prevention's settings are written out (their defaults) so that
 * `GET /policy` shows what an operator may change.
 */
export const DEFAULT_ACTION_POLICY: ActionPolicyDocument = {
  version: 0,
  fallbackMode: 'advise',
  approval: { timeoutMinutes: 24 * 60, onTimeout: 'reject' },
  segments: {
    high_value: { description: 'ARPU of 60 or more over three months', all: [{ field: 'arpu_3m', op: '>=', value: 60 }] },
    left: LEFT_SEGMENT,
  },
  rules: [
    { id: 'communications', actionClass: 'communication', mode: 'autonomous', riskClass: 'low', unitCost: 0.05, description: 'Notices and proactive messages, everywhere' },
    { id: 'offers-advise', actionClass: 'offer', mode: 'advise', riskClass: 'medium', description: 'Assisted channels: the human agent accepts on the card' },
    { id: 'offers-web', actionClass: 'offer', channel: 'web', mode: 'autonomous', riskClass: 'medium' },
    { id: 'offers-app', actionClass: 'offer', channel: 'app', mode: 'autonomous', riskClass: 'medium' },
    {
      id: 'credits',
      actionClass: 'credit',
      mode: 'autonomous',
      riskClass: 'medium',
      // Goodwill credits up to 10 are routine; above, a supervisor looks; above 100 is never a goodwill credit.
      guardrails: { approveAboveCost: 10, costCap: 100 },
      approval: { timeoutMinutes: 4 * 60, onTimeout: 'reject' },
    },
    CREDITS_LEFT_RULE,
    {
      id: 'compensation',
      actionClass: 'compensation',
      mode: 'autonomous',
      riskClass: 'medium',
      guardrails: { approveAboveCost: 10, costCap: 100 },
      description: 'Network-incident compensation, as credits',
    },
    {
      id: 'discounts',
      actionClass: 'discount',
      mode: 'autonomous',
      riskClass: 'medium',
      guardrails: { approveAboveDiscountPct: 15, discountCapPct: 25 },
      approval: { timeoutMinutes: 24 * 60, onTimeout: 'advise-only' },
    },
    { id: 'plan-changes', actionClass: 'plan_change', mode: 'approve', riskClass: 'high', approval: { timeoutMinutes: 48 * 60, onTimeout: 'reject' } },
    // A customer's own order of an add-on or to end the line is theirs to make: carried out, audited.
    { id: 'add-ons', actionClass: 'addon', mode: 'autonomous', riskClass: 'low', description: "A customer's order of an add-on" },
    { id: 'terminations', actionClass: 'termination', mode: 'autonomous', riskClass: 'high', description: "A customer's order to end the line" },
    { id: 'trouble-tickets', actionClass: 'trouble_ticket', mode: 'autonomous', riskClass: 'low' },
  ],
  budgets: [
    { actionClass: 'credit', period: 'month', limit: 5_000 },
    { actionClass: 'compensation', period: 'month', limit: 5_000 },
    { actionClass: 'discount', period: 'month', limit: 10_000 },
    { actionClass: 'offer', period: 'month', limit: 20_000 },
    { actionClass: 'communication', period: 'month', limit: 5_000 },
  ],
  // A credit's (a compensation's) threshold counts what the customer was given of it over a bill's 30 days: split, it still reaches a person (decision 0068).
  moneyWindowDays: MONEY_WINDOW_DAYS,
  // What one asker pays out alone in a (wall-clock) day over all customers (decision 0070): an AI
  // agent's key 200, twenty goodwill credits of 10; the operator's own flows that pay out have lines
  // of their own, service operations' compensations for an outage bounded by the month's budget, the
  // care flow's goodwill credits by a contact centre's day.
  askerMoneyPerDay: { agent: 200, 'agent:service-operations': 5_000, 'agent:customer-care': 2_000 },
  contact: DEFAULT_CONTACT_POLICY,
  churnPrevention: DEFAULT_CHURN_PREVENTION_POLICY,
};

/**
 * `document` with the credits-left rule (and its segment) added, or undefined when it holds a rule
 * that keeps credits to customers who have left from running on their own already (the rule, or a
 * credit rule not autonomous on a segment that selects them: \`churned\` == 1, >= 1, > 0 or != 0). A
 * stored policy made before the rule existed let credits up to its threshold run on their own for
 * them. The rule's cost cap is the document's own general credit rule's, where it has one; an
 * operator's segment named \`left\` that means something else is left as it is, the rule's segment
 * then named \`has_left\`.
 */
export function withCreditsLeftRule(document: ActionPolicyDocument): ActionPolicyDocument | undefined {
  const segments = document.segments ?? {};
  const rules = document.rules ?? [];
  const credit = (r: PolicyRuleDocument) => r.actionClass === 'credit' || r.actionClass === undefined || r.actionClass === '*';
  // Only a segment that selects those who left counts (one reading `churned == 0`, the active, does
  // not), and only a rule that holds their credits back (a person, or none at all).
  const selectsLeft = (name: string | undefined) => name !== undefined && (segments[name]?.all ?? []).some((f) => leavers(f as { field?: string; op?: string; value?: unknown }));
  if (rules.some((r) => r.id === CREDITS_LEFT_RULE.id || (credit(r) && r.mode !== 'autonomous' && selectsLeft(r.segment)))) return undefined;
  const same = segments.left !== undefined && JSON.stringify(segments.left.all) === JSON.stringify(LEFT_SEGMENT.all);
  const name = segments.left === undefined || same ? 'left' : 'has_left';
  const general = rules.find((r) => r.actionClass === 'credit' && (r.channel ?? '*') === '*' && (r.segment ?? '*') === '*');
  const costCap = general?.guardrails?.costCap ?? CREDITS_LEFT_RULE.guardrails.costCap;
  const rule = { ...CREDITS_LEFT_RULE, segment: name, guardrails: { costCap } };
  // Before the first rule that may judge a credit: between equally specific rules the first wins
  // (matchRule), so an operator's credit rule on a channel or another segment does not take a
  // leaver's credit from it; only a rule naming class, channel and segment, more specific, does.
  const first = rules.findIndex(credit);
  const at = first < 0 ? rules.length : first;
  return { ...document, segments: { ...segments, [name]: LEFT_SEGMENT }, rules: [...rules.slice(0, at), rule, ...rules.slice(at)] };
}

/** Whether a segment's filter selects customers who have left (`churned` is 0 or 1). */
function leavers(f: { field?: string; op?: string; value?: unknown }): boolean {
  if (f.field !== 'churned' || typeof f.value !== 'number') return false;
  return (f.op === '==' && f.value === 1) || (f.op === '>=' && f.value > 0 && f.value <= 1) || (f.op === '>' && f.value >= 0 && f.value < 1) || (f.op === '!=' && f.value === 0);
}
