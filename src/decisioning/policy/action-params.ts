import { z } from 'zod';
import { NOTIFICATION_CHANNELS } from '../../domain/connectors/notifications.js';
import { describeInputIssues } from '../../domain/input-issues.js';

/**
 * The typed parameters of each known action class: what the connector reads for it. Fields the
 * back ends act on are checked here (type, range, presence) where the request enters the guarded
 * executor; other fields may ride along as context for the audit trail (an alarm id, a ticket
 * id) but no connector reads them. Money never comes from here alone: the amount a connector
 * moves is the request's priced cost (see `action-pricing.ts`), and `amount`, when given, must
 * agree with it.
 */

/** Why a message is sent; `service` and `legal` messages (outage notices, contract notices) are not marketing and pass the contact rules. */
export const MESSAGE_PURPOSES = ['service', 'legal', 'care', 'marketing', 'retention'] as const;
/** A message purpose. */
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number];

const id = z.string().min(1).max(200);
const text = z.string().max(2000);

/** What any class may carry besides its own fields: the decision, campaign and case it belongs to. */
const context = {
  /** A catalogue offering: the request is priced and judged as that offering. */
  offerId: id.optional(),
  /** Put the offering in front of the customer, who accepts or declines (no other value). */
  present: z.literal(true).optional(),
  decisionId: id.optional(),
  campaignId: id.optional(),
  variantId: id.optional(),
  treatment: id.optional(),
  ticketId: id.optional(),
  alarmId: id.optional(),
  workflowId: id.optional(),
  reason: text.optional(),
  /** Whether the customer is in contact (inbound) or is being contacted (outbound); default from the channel. */
  direction: z.enum(['inbound', 'outbound']).optional(),
  /**
   * The message it goes out as (an offer sent by SMS, e-mail, push or in-app; a communication's
   * own, default sms): the contact rules judge it there, and the request carries that channel's
   * (`carriedChannelOf`).
   */
  notificationChannel: z.enum(NOTIFICATION_CHANNELS).optional(),
};

const money = z.number().finite().positive();
/**
 * The earlier requests (ids) a money move adds to, as a top-up adds to a payment: carried out only with
 * them (the policy's guardrail `adds-to`, decision 0093); the approver sees how each stands.
 */
const addsTo = z.array(id).min(1).max(10).optional();

/** Parameter schemas per known action class; an unknown class (a policy may name new ones) takes `context` fields and any others. */
export const ACTION_PARAMS = {
  offer: z.looseObject({ ...context, offerId: id }),
  credit: z.looseObject({ ...context, amount: money.optional(), addsTo }),
  compensation: z.looseObject({ ...context, amount: money.optional(), addsTo }),
  discount: z.looseObject({ ...context, months: z.number().int().min(1).max(36).optional() }),
  // A plan change presented as an offering (`present: true`, the customer picks it up) names no plan; one carried out does.
  plan_change: z
    .looseObject({ ...context, planId: id.optional(), previousPlanId: id.nullable().optional(), provision: z.boolean().optional(), rollbackOf: id.optional(), orderId: id.optional() })
    .refine((p) => p.present === true || p.planId !== undefined, { path: ['planId'], message: 'Invalid input: expected string, received undefined (a plan change carried out names its plan; one presented as an offering has present: true)' }),
  // A customer's own product orders (TMF622): the add-on ordered; a termination ends the line itself.
  addon: z.looseObject({ ...context, addonId: id, provision: z.boolean().optional(), orderId: id.optional() }),
  termination: z.looseObject({ ...context, provision: z.boolean().optional(), orderId: id.optional() }),
  communication: z.looseObject({
    ...context,
    // No default: a message whose purpose nobody named passed as care, which needs no marketing
    // consent, so an offer sent without one reached customers who never consented.
    purpose: z.enum(MESSAGE_PURPOSES, { error: (i) => (i.input === undefined ? `required: why the message is sent, one of ${MESSAGE_PURPOSES.join(', ')} (marketing and retention need the customer's marketing consent)` : `"${String(i.input)}" is not one of ${MESSAGE_PURPOSES.join(', ')}`) }),
    notificationChannel: z.enum(NOTIFICATION_CHANNELS).default('sms'),
    templateId: id.optional(),
    body: text.optional(),
  }),
  trouble_ticket: z.looseObject({ ...context, templateId: id.optional() }),
} as const;

const unknownClass = z.looseObject(context);

/** The typed parameters of a class. */
export type ActionParams<C extends keyof typeof ACTION_PARAMS> = z.infer<(typeof ACTION_PARAMS)[C]>;

/** Checks a request's parameters against its class; the first problem as `params.<field>: …`, or the parsed parameters. */
export function parseActionParams(actionClass: string, params: unknown): { ok: true; params: Record<string, unknown> } | { ok: false; problem: string } {
  // An offering presented to the customer (who accepts or declines) is carried out as an offer,
  // whatever its class: the back end needs its offer id, not the class's own fields (a plan upgrade
  // offered has no plan id until the customer accepts).
  const presented = typeof params === 'object' && params !== null && (params as { present?: unknown }).present === true;
  const schema = presented ? ACTION_PARAMS.offer : Object.hasOwn(ACTION_PARAMS, actionClass) ? ACTION_PARAMS[actionClass as keyof typeof ACTION_PARAMS] : unknownClass;
  const r = schema.safeParse(params ?? {});
  if (r.success) return { ok: true, params: r.data };
  return { ok: false, problem: `${describeInputIssues(r.error.issues, params ?? {}, { prefix: ['params'], whole: 'params' })} (for a ${actionClass})` };
}

/** The earlier requests a request adds to (`params.addsTo`, checked at the edge): none for most. */
export function addsToOf(request: { params?: Readonly<Record<string, unknown>> }): string[] {
  const ids = request.params?.addsTo;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
}
