export {
  ANY,
  APPROVAL_FALLBACKS,
  MAX_MONEY_WINDOW_DAYS,
  MONEY_WINDOW_DAYS,
  POLICY_MODES,
  RISK_CLASSES,
  actionPolicySchema,
  budgetScope,
  budgetsFor,
  matchRule,
  parseActionPolicy,
  periodKey,
  ruleSpecificity,
  segmentsOf,
  type ActionPolicy,
  type ActionPolicyDocument,
  type ApprovalFallback,
  type ApprovalSettings,
  type PolicyBudget,
  type PolicyMode,
  type PolicyRule,
  type RiskClass,
  type SegmentPredicate,
} from './action-policy.js';
export { ACTION_CLASS, KNOWN_ACTION_CLASSES, MONEY_MOVES, actionClassSchema, actionRequestSchema, actorSchema, type ActionRequest, type ActionRequestInput, type Actor, type KnownActionClass } from './action-request.js';
export { createBudgetLedger, type BudgetLedger, type BudgetReservation, type BudgetStore, type ReserveResult } from './budget-ledger.js';
export { CREDITS_LEFT_RULE, DEFAULT_ACTION_POLICY, withCreditsLeftRule } from './default-policy.js';
export { churnPreventionPolicySchema, DEFAULT_CHURN_PREVENTION_POLICY, type ChurnPreventionPolicy } from './churn-prevention-settings.js';
export {
  budgetClaims,
  evaluate,
  isExecuteVerdict,
  GUARDRAILS,
  isPolicyVerdict,
  type BudgetClaim,
  type BudgetStanding,
  type EarlierMove,
  type MoneyWindow,
  type EvaluationContext,
  type ExecuteVerdict,
  type Guardrail,
  type PolicyVerdict,
  type VerdictKind,
} from './policy-verdict.js';
export { ACTION_PARAMS, MESSAGE_PURPOSES, parseActionParams, type ActionParams, type MessagePurpose } from './action-params.js';
