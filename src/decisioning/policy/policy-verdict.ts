import {
  budgetScope,
  budgetsFor,
  matchRule,
  periodKey,
  type ActionPolicy,
  type ApprovalSettings,
  type PolicyMode,
  type RiskClass,
} from './action-policy.js';
import type { ActionRequest } from './action-request.js';
import { CONTACT_RULES, type ContactRefusal } from '../contact-policy.js';

/**
 * The policy's answer to one request. Verdicts are made only here: each is frozen and registered,
 * and `isPolicyVerdict` tells a real one from a look-alike, so an executor can refuse any verdict
 * the policy did not produce (see the guarded executor).
 */

export type VerdictKind = 'execute' | 'needs-approval' | 'advise-only' | 'deny';

/**
 * The guardrails that can deny a request: a customer the operator does not know, its expiry, caps,
 * budgets (the policy's, and what is left of the asking run's: `run-budget`), and the contact
 * rules (consent, quiet hours, contact caps, opt-outs).
 */
export const GUARDRAILS = ['unknown-customer', 'expired', 'adds-to', 'cost-cap', 'discount-cap', 'budget', 'run-budget', ...CONTACT_RULES] as const;
export type Guardrail = (typeof GUARDRAILS)[number];

/** A budget line as the ledger should reserve it. */
export interface BudgetClaim {
  scope: string;
  periodKey: string;
  limit: number;
  amount: number;
}

/** Spending already booked against one budget in one period. */
export interface BudgetStanding {
  scope: string;
  periodKey: string;
  reserved: number;
  committed: number;
}

/**
 * The budget lines `amount` of a request is booked on at `now`: every budget of the policy that
 * counts it, in the periods `now` falls in, at their limits in this policy. The one reckoning for
 * a verdict's claims and for money booked later than its request (a late acceptance).
 */
export function budgetClaims(policy: ActionPolicy, request: { readonly actionClass: string; readonly domain?: string }, now: number, amount: number): BudgetClaim[] {
  return budgetsFor(policy, request).map((b) => ({ scope: budgetScope(b), periodKey: periodKey(b.period, now), limit: b.limit, amount }));
}

/**
 * A money move to the same customer, of the same class, that a request's approval threshold counts
 * with it (decision 0068): carried out within the policy's money window (`moved`), or queued for a
 * person and still waiting (`awaiting`).
 */
export interface EarlierMove {
  readonly requestId: string;
  readonly amount: number;
  /** When it was carried out, or asked for a person (the executor's clock: the world's). */
  readonly at: number;
  readonly state: 'moved' | 'awaiting';
  /** Who asked: `kind:id`. */
  readonly actor: string;
  /** To whom (kept in an asker's window, which counts moves to many customers). */
  readonly customerId?: string;
}

/**
 * What the request's asker paid out to customers over the last day (`askerMoneyPerDay`, decision
 * 0070): its moves carried out, or waiting for a person, to any customer; `limit` is what the
 * policy's `key` lets it pay out without a person.
 */
export interface AskerWindow {
  readonly asker: string;
  readonly key: string;
  readonly limit: number;
  readonly earlier: readonly EarlierMove[];
}

/**
 * An earlier request the request adds to (a top-up on a payment, `params.addsTo`), as it stands now:
 * carried out; committed (a person approved it, not carried out yet); waiting for a person's decision;
 * or not carried out (refused, rejected by a person, timed out, failed for good, never asked).
 */
export interface AddedTo {
  readonly requestId: string;
  readonly standing: 'carried-out' | 'committed' | 'waiting' | 'not-carried-out';
  /** Its status and reason, in words (who rejected it and why). */
  readonly reason: string;
}

/**
 * The first of the requests a request adds to that is not settled yet: waiting for a person, or
 * approved and not carried out. A top-up on it may not go ahead alone (decision 0093): paid now,
 * it would stand if that one were then rejected, failed for good or was withdrawn. The one reading
 * of it, for the policy's verdict and for a person's approval of the top-up.
 */
export function unsettledAddedTo(addsTo: readonly AddedTo[] | undefined): AddedTo | undefined {
  return addsTo?.find((a) => a.standing === 'waiting' || a.standing === 'committed');
}

/** The customer's earlier money moves of the request's class the threshold counts, over `days`. */
export interface MoneyWindow {
  readonly days: number;
  readonly earlier: readonly EarlierMove[];
}

declare const issued: unique symbol;

/** The policy's verdict; only `evaluate` makes one. */
export interface PolicyVerdict {
  readonly verdict: VerdictKind;
  /** The mode that applied after escalation (an autonomous rule above a threshold becomes approve). */
  readonly mode: PolicyMode;
  readonly riskClass: RiskClass;
  /** Id of the rule that matched, or null when the policy's fallback mode applied. */
  readonly rule: string | null;
  /** Human-readable reasons, in the order they were found. */
  readonly reasons: readonly string[];
  /** The guardrail that denied the request, on 'deny'. */
  readonly guardrail?: Guardrail;
  /** The request this verdict is about. */
  readonly requestId: string;
  /** The cost the verdict was given for (request cost, or the rule's unit cost). */
  readonly cost: number;
  /** Budget lines to reserve before executing. */
  readonly budget: readonly BudgetClaim[];
  /** Timeout and fallback for an approval, on 'needs-approval'. */
  readonly approval?: ApprovalSettings;
  /** Brand: no object literal can claim to be a verdict. */
  readonly [issued]: true;
}

/** A verdict that allows execution. */
export type ExecuteVerdict = PolicyVerdict & { readonly verdict: 'execute' };

/** What the policy knows besides the request: time, spending so far, and a human approval when one was given. */
export interface EvaluationContext {
  /** Milliseconds since the epoch; picks the budget periods. */
  now: number;
  /** Spending per budget line (missing lines count as nothing spent). */
  spending?: readonly BudgetStanding[];
  /** Set only by the guarded executor, from a stored approval a human approved. */
  approvedBy?: { approvalId: string; by: string };
  /** Why the contact rules forbid this contact now (consent, quiet hours, caps, opt-outs), or null/absent when they allow it. */
  contact?: ContactRefusal | null;
  /**
   * Whether the request's customer has a twin whose facts were read for it (the guarded executor
   * says, when it reads facts): false denies it (guardrail `unknown-customer`), since every rule
   * held to a segment, every cap on who the customer is, would be judged on nothing. Absent: not
   * known here (the policy judged alone, on the request's own features).
   */
  customerKnown?: boolean;
  /**
   * The customer's earlier money moves of this class (the guarded executor reads them for a money
   * move, MONEY_MOVES): an `approveAboveCost` counts them with this one, so a credit split in
   * pieces below the threshold still reaches a person. Absent: the request is judged alone.
   */
  moneyWindow?: MoneyWindow;
  /** The asker's payouts over the last day, when the policy bounds it (`askerMoneyLimit`). Absent: not bounded. */
  askerWindow?: AskerWindow;
  /**
   * The requests it adds to (`params.addsTo`), as they stand now (the guarded executor reads them):
   * one not carried out denies it (guardrail `adds-to`: an amount on top of a payment is owed with
   * the payment, not instead of it, decision 0093); one still waiting for a person sends it to a
   * person too. Absent: it adds to nothing.
   */
  addsTo?: readonly AddedTo[];
}

const verdicts = new WeakSet<object>();

/** True only for a verdict `evaluate` produced (and nobody altered: verdicts are frozen). */
export function isPolicyVerdict(value: unknown): value is PolicyVerdict {
  return typeof value === 'object' && value !== null && verdicts.has(value);
}

/** True for a real verdict that allows execution. */
export function isExecuteVerdict(value: unknown): value is ExecuteVerdict {
  return isPolicyVerdict(value) && value.verdict === 'execute';
}

type VerdictFields = Omit<PolicyVerdict, typeof issued>;

function issue(fields: VerdictFields): PolicyVerdict {
  const v = Object.freeze({ ...fields, reasons: Object.freeze([...fields.reasons]), budget: Object.freeze(fields.budget.map((b) => Object.freeze({ ...b }))) });
  verdicts.add(v);
  return v as unknown as PolicyVerdict;
}

const money = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
/** Sums in cents, as money is moved: 9.99 six times is 59.94, not 59.940000000000005. */
const centsOf = (x: number) => Math.round(x * 100) / 100;
/** How many earlier moves a reason names one by one; the rest are counted. */
const LISTED_MOVES = 10;

/** The earlier moves, each with its amount, when and who: what the approver reads in the approval's why. */
function earlierMovesText(moves: readonly EarlierMove[]): string {
  const sorted = [...moves].sort((a, b) => a.at - b.at);
  const listed = sorted.slice(0, LISTED_MOVES).map((m) => `${money(m.amount)} ${m.state === 'moved' ? 'carried out' : 'waiting for a person since'} ${new Date(m.at).toISOString()} (${m.requestId}${m.customerId ? `, to ${m.customerId}` : ''}, by ${m.actor})`);
  const more = sorted.length - listed.length;
  return listed.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * Decides what may happen with a request (pure apart from registering the verdict): the most
 * specific matching rule gives the mode; hard caps and budgets deny naming the guardrail;
 * approval thresholds escalate an autonomous rule to approve; an approval turns approve into execute.
 */
export function evaluate(policy: ActionPolicy, request: ActionRequest, context: EvaluationContext): PolicyVerdict {
  const rule = matchRule(policy, request);
  const reasons: string[] = [];
  const cost = request.cost > 0 ? request.cost : (rule?.unitCost ?? 0);
  const riskClass: RiskClass = rule?.riskClass ?? 'high';
  let mode: PolicyMode = rule?.mode ?? policy.fallbackMode;
  reasons.push(
    rule
      ? `rule "${rule.id}" sets ${rule.mode} for ${request.actionClass} on ${request.channel}`
      : `no rule matches ${request.actionClass} on ${request.channel}; the policy's fallback mode is ${mode}${mode === 'advise' ? ' (whoever asks: a rule for it lets it execute)' : ''}`,
  );
  const base = { riskClass, rule: rule?.id ?? null, requestId: request.id, cost };
  const deny = (guardrail: Guardrail, reason: string): PolicyVerdict =>
    issue({ ...base, verdict: 'deny', mode, guardrail, reasons: [...reasons, reason], budget: [] });

  // A customer the operator has no twin of is no customer: nothing is done for them, whoever asks or approves.
  if (request.customerId !== undefined && context.customerKnown === false) {
    return deny('unknown-customer', `customer ${request.customerId} has no twin: the policy has no facts of theirs to judge, so nothing is carried out for them`);
  }
  // Past what asked for it (a run's horizon), nothing is carried out, whoever approves it.
  if (request.expiresAt !== undefined && context.now >= request.expiresAt) {
    return deny('expired', `the request expired at ${new Date(request.expiresAt).toISOString()} (the horizon of the run that asked for it); nothing is carried out after it`);
  }
  // A top-up on a payment a person rejected (or that was never carried out) is not owed alone, whoever approves it.
  const gone = context.addsTo?.find((a) => a.standing === 'not-carried-out');
  if (gone) return deny('adds-to', `it adds to ${gone.requestId}, which was not carried out (${gone.reason}): an amount on top of a payment is owed with the payment, not instead of it (decision 0093)`);
  const g = rule?.guardrails ?? {};
  if (g.costCap !== undefined && cost > g.costCap) return deny('cost-cap', `cost ${money(cost)} is above the cap of ${money(g.costCap)} per ${request.actionClass}`);
  if (g.discountCapPct !== undefined && request.discountPct !== undefined && request.discountPct > g.discountCapPct) {
    return deny('discount-cap', `discount ${request.discountPct}% is above the cap of ${g.discountCapPct}%`);
  }

  // Advice is for a person: when the person acts on a rule's advice (a human actor), it executes as
  // theirs, within the same caps, budgets and approval thresholds as an autonomous action. The
  // fallback's advice is not a rule's: what no rule covers executes for nobody (docs/policy.md).
  if (mode === 'advise' && rule && request.actor.kind === 'human') {
    mode = 'autonomous';
    reasons.push(`${request.actor.id} (a person) acts on the advice`);
  }

  // The contact rules bind what may reach the customer; advice shown to a person reaches nobody.
  if (mode !== 'advise' && context.contact) return deny(context.contact.rule, `contact rule ${context.contact.rule}: ${context.contact.reason}`);

  // Advice spends nothing, so budgets only bind what may execute.
  const claims: BudgetClaim[] = budgetClaims(policy, request, context.now, cost);
  if (mode !== 'advise') {
    // The asking run's budget, checked at this price (the customer's own): the run spends no more than it has left.
    if (request.runBudgetLeft !== undefined && cost > request.runBudgetLeft + 1e-9) {
      return deny('run-budget', `cost ${money(cost)} is above the ${money(request.runBudgetLeft)} left of the budget of the run that asked for it`);
    }
    for (const c of claims) {
      const s = context.spending?.find((x) => x.scope === c.scope && x.periodKey === c.periodKey);
      const used = (s?.reserved ?? 0) + (s?.committed ?? 0);
      if (used + cost > c.limit + 1e-9) {
        return deny('budget', `budget ${c.scope} for ${c.periodKey} has ${money(Math.max(0, c.limit - used))} of ${money(c.limit)} left; this costs ${money(cost)}`);
      }
    }
  }

  if (mode === 'autonomous' && rule) {
    // The threshold decides the mode, so the rule's line says so: it read 'rule "credits" sets
    // autonomous' on an approval whose mode was approve, and a reader took the first line for the verdict.
    const escalate = (over: string) => {
      mode = 'approve';
      reasons[0] = `rule "${rule.id}" lets ${request.actionClass} on ${request.channel} run alone (autonomous) only up to its approval threshold: ${over}, so a human approves first (mode approve)`;
      reasons.push(`${over}: a human approves first`);
    };
    const earlier = context.moneyWindow?.earlier ?? [];
    const before = centsOf(earlier.reduce((sum, m) => sum + m.amount, 0));
    if (g.approveAboveCost !== undefined && cost > g.approveAboveCost) escalate(`cost ${money(cost)} is above ${money(g.approveAboveCost)}`);
    else if (g.approveAboveCost !== undefined && earlier.length > 0 && centsOf(before + cost) > g.approveAboveCost + 1e-9) {
      // The threshold is what may reach one customer without a person over the window, not per request.
      // The earlier moves first: the last reason (the answer's) is the sum that sent it to a person.
      const days = context.moneyWindow!.days;
      reasons.push(`earlier ${request.actionClass}s to ${request.customerId ?? 'the customer'} counted: ${earlierMovesText(earlier)}`);
      escalate(`cost ${money(cost)} with the ${money(before)} of ${earlier.length} earlier ${request.actionClass}${earlier.length === 1 ? '' : 's'} to ${request.customerId ?? 'the customer'} in the last ${days} day${days === 1 ? '' : 's'} comes to ${money(centsOf(before + cost))}, above ${money(g.approveAboveCost)}`);
    } else if (g.approveAboveDiscountPct !== undefined && request.discountPct !== undefined && request.discountPct > g.approveAboveDiscountPct) {
      escalate(`discount ${request.discountPct}% is above ${g.approveAboveDiscountPct}%`);
    }
    // On top of a payment still waiting for a person, or approved and not carried out yet: paid alone now,
    // it would stand if that one were then rejected, or failed for good or was withdrawn (decision 0093).
    const unpaid = unsettledAddedTo(context.addsTo);
    if (mode === 'autonomous' && unpaid) escalate(`it adds to ${unpaid.requestId}, which ${unpaid.standing === 'waiting' ? 'waits for a person' : 'a person approved and is not carried out yet'}`);
    const asker = context.askerWindow;
    if (mode === 'autonomous' && asker) {
      // What one asker pays out over all customers in a day: split across customers, each under its own threshold, it still reaches a person.
      const paid = centsOf(asker.earlier.reduce((sum, m) => sum + m.amount, 0));
      if (centsOf(paid + cost) > asker.limit + 1e-9) {
        const customers = new Set(asker.earlier.map((m) => m.customerId ?? m.requestId)).size;
        if (asker.earlier.length > 0) reasons.push(`earlier payouts by ${asker.asker} counted: ${earlierMovesText(asker.earlier)}`);
        escalate(`${asker.asker} has paid out ${money(paid)} in credits and compensations in the last 24 hours (${asker.earlier.length} to ${customers} customer${customers === 1 ? '' : 's'}); with this ${money(cost)} it comes to ${money(centsOf(paid + cost))}, above the ${money(asker.limit)} a day askerMoneyPerDay "${asker.key}" lets it pay out alone`);
      }
    }
  }

  switch (mode) {
    case 'autonomous':
      return issue({ ...base, verdict: 'execute', mode, reasons, budget: claims });
    case 'approve':
      if (context.approvedBy) {
        return issue({ ...base, verdict: 'execute', mode, reasons: [...reasons, `approved by ${context.approvedBy.by} (approval ${context.approvedBy.approvalId})`], budget: claims });
      }
      return issue({ ...base, verdict: 'needs-approval', mode, reasons, budget: claims, approval: rule?.approval ?? policy.approval });
    case 'advise':
      return issue({ ...base, verdict: 'advise-only', mode, reasons: [...reasons, 'shown as a recommendation; nothing is executed'], budget: [] });
  }
}
