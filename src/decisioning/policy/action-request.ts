import { z } from 'zod';
import { channelSchema } from '../../domain/events.js';

/**
 * What someone (a human, an agent, the system) asks Twinloop to do to a customer. Validated once,
 * where it enters the guarded executor; every interface (HTTP, CLI, MCP, agents) goes through it.
 */

/** Who acts: a person (staff id), an agent (agent id), or the system itself. */
export const actorSchema = z.object({
  kind: z.enum(['human', 'agent', 'system']),
  id: z.string().min(1).max(200),
});
export type Actor = z.infer<typeof actorSchema>;

/**
 * The classes that move money to or for a customer (a credit, a compensation, a discount): each
 * needs its reason (`why.summary`), which goes to the approver, the audit trail and the adjustment
 * on the bill. A money move nobody can say the reason of is not made.
 */
export const MONEY_MOVES: ReadonlySet<string> = new Set(['credit', 'compensation', 'discount']);

/** How an action class name is written (a policy's rules and budgets name classes this way). */
export const ACTION_CLASS = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The action classes Twinloop acts on: each has its parameters (`action-params.ts`) and a back end
 * that carries it out. A request of any other class is refused where it enters (400 naming
 * `actionClass`), never judged: a misspelt "credits" or a "refund" is no action the policy can
 * have a rule for, so it would only ever have met the fallback mode.
 */
export const KNOWN_ACTION_CLASSES = ['offer', 'credit', 'discount', 'plan_change', 'addon', 'termination', 'communication', 'compensation', 'trouble_ticket'] as const;
/** An action class Twinloop acts on. */
export type KnownActionClass = (typeof KNOWN_ACTION_CLASSES)[number];

/** The one check of a request's action class, at every edge (HTTP, MCP, the TMF APIs, flows) through the request's schema. */
export const actionClassSchema = z.enum(KNOWN_ACTION_CLASSES, {
  error: (i) => `${i.input === undefined ? 'required' : `"${String(i.input)}" is not an action class Twinloop acts on`}: one of ${KNOWN_ACTION_CLASSES.join(', ')}`,
});

/** The action request as it arrives (before defaults). */
export const actionRequestSchema = z.object({
  /** Correlates every audit entry of this request; one is assigned when absent. */
  id: z.string().min(1).max(200).optional(),
  actionClass: actionClassSchema,
  channel: channelSchema,
  customerId: z.string().min(1).max(200).optional(),
  /** Agent domain (e.g. `care`, `churn_prevention`); budgets may be per domain. */
  domain: z.string().min(1).max(64).optional(),
  /** What the action costs the operator, in currency units (credit amount, discount value…). */
  cost: z.number().finite().nonnegative().default(0),
  /** For discounts: the percentage off. */
  discountPct: z.number().finite().min(0).max(100).optional(),
  /** What to do, for the executor (offer id, message template, plan id…). */
  params: z.record(z.string(), z.unknown()).default({}),
  /** The customer's facts segments are matched on (recorded in the audit); the running operator's executor sets them from the twin, whatever a caller sent. */
  features: z.record(z.string(), z.number()).default({}),
  actor: actorSchema,
  /**
   * ms since the epoch: the action may not be carried out at or after it (a run's horizon: what it
   * contacts counts up to there). The policy denies it then (guardrail `expired`), an approval
   * decided later included.
   */
  expiresAt: z.number().int().nonnegative().optional(),
  /**
   * What is left of the budget of the run that asks (a churn-prevention run's, a managed
   * campaign's), in currency units: the policy denies a request whose price is above it (guardrail
   * `run-budget`), so a run's budget is checked at the price the executor moves, the customer's
   * own, never at a planning estimate. Absent: no run budget binds it (the policy's budgets still do).
   */
  runBudgetLeft: z.number().finite().nonnegative().optional(),
  /**
   * The customer's yes, given on the line and recorded by the person serving them: the back end
   * books the offer accepted in that person's name rather than presenting it for an answer. Set
   * only by the one builder of a decision's request for a person who accepted it
   * (`decisionActionRequest`'s `acceptedBy`: POST /decisions/:id/accept, the care case's accept);
   * POST /actions refuses it, and the guarded executor refuses it with an actor who is not a
   * person, and `params.customerAccepted` on every path (it was read from there once, and any
   * caller could write it).
   */
  customerAccepted: z.literal(true).optional(),
  why: z
    .object({
      summary: z.string().max(2000).optional(),
      simulationId: z.string().max(200).optional(),
      evidence: z.record(z.string(), z.unknown()).optional(),
    })
    .default({}),
});

/** A validated action request with its defaults filled in. */
export type ActionRequest = z.infer<typeof actionRequestSchema> & {
  id: string;
  /**
   * The part of `cost` paid only if the customer accepts (an offering's discount, and its fixed
   * cost when `costPaidOn` is `acceptance`): set by the pricing, never by a caller (docs/policy.md, "Budgets").
   */
  costOnAcceptance?: number;
  /**
   * Whether the customer was in contact with the asker on the request's channel when the request was
   * first judged (`Asker.inContact`: an interaction of that channel in progress in the operator's
   * omnichannel context; absent where that was not known): stamped then by the guarded executor, never
   * by a caller (the schema has no such field, so a body's is dropped), and kept with the request. An
   * approved request is judged by it, not by the context at the approval, nor by the asker's word: a
   * care agent's offer asked on a live call and approved after the hang-up is still that call's; one
   * asked with no call in progress is still an outbound contact (decision 0050).
   */
  inContact?: boolean;
};
/** An action request as callers write it. */
export type ActionRequestInput = z.input<typeof actionRequestSchema>;
