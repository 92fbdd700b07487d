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

/** Action class names: the known ones below, or a new lower-case name an agent brings. */
export const ACTION_CLASS = /^[a-z][a-z0-9_]{0,63}$/;

/** Action classes the default policy knows; a policy may name others. */
export const KNOWN_ACTION_CLASSES = ['offer', 'credit', 'discount', 'plan_change', 'addon', 'termination', 'communication', 'compensation', 'trouble_ticket'] as const;

/** The action request as it arrives (before defaults). */
export const actionRequestSchema = z.object({
  /** Correlates every audit entry of this request; one is assigned when absent. */
  id: z.string().min(1).max(200).optional(),
  actionClass: z.string().regex(ACTION_CLASS, 'lower-case letters, digits and "_", starting with a letter'),
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
};
/** An action request as callers write it. */
export type ActionRequestInput = z.input<typeof actionRequestSchema>;
