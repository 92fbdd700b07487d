import { DEFAULT_CONTACT_POLICY } from '../contact-policy.js';
import { MONEY_WINDOW_DAYS, type ActionPolicyDocument } from './action-policy.js';
import { DEFAULT_CHURN_PREVENTION_POLICY } from './churn-prevention-settings.js';

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
    left: { description: 'Has left: no plan active or suspended (the twin counts them churned)', all: [{ field: 'churned', op: '==', value: 1 }] },
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
    {
      // Money to someone no longer a customer is not routine, whatever its size; not refused either:
      // a goodwill credit on a final bill (a disputed last charge) is legitimate. A person judges it,
      // and the approval says when the customer left.
      id: 'credits-left',
      actionClass: 'credit',
      segment: 'left',
      mode: 'approve',
      riskClass: 'medium',
      guardrails: { costCap: 100 },
      approval: { timeoutMinutes: 4 * 60, onTimeout: 'reject' },
      description: 'A credit to a customer who has left: a person judges it, at any amount',
    },
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
  contact: DEFAULT_CONTACT_POLICY,
  churnPrevention: DEFAULT_CHURN_PREVENTION_POLICY,
};
