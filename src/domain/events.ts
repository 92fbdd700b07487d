import { z } from 'zod';

/**
 * The event model: one versioned schema per event kind. Every event carries an envelope
 * (id = idempotency key, customer, event time, source, schema version) and a kind-specific
 * `data` object. The intake stamps `receivedAt`; producers never send it.
 *
 * Times are ISO-8601 strings with an explicit offset (`Z` or `+02:00`).
 */

/** Schema version of every kind defined here; bump a kind's literal when its `data` changes shape. */
export const SCHEMA_VERSION = 1 as const;

const isoTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();
const id = z.string().min(1).max(128);
/**
 * Largest amount of money in one field (a bill, a line, a payment, a price, a credit), in the
 * bill's currency: a month's bills are summed in 32-bit cents (±21.4 million), and no charge to
 * one customer comes near a million. Beyond it a record is refused, never silently wrapped.
 */
export const MAX_MONEY = 1_000_000;
/** Largest data volume in one usage record, 1 TB: a day's use is kept in 32-bit KB (4 TB). */
export const MAX_RECORD_DATA_MB = 1_048_576;
/** Largest voice time in one usage record: a 31-day month of calls around the clock. */
export const MAX_RECORD_VOICE_MIN = 44_640;
/** Largest SMS count in one usage record. */
export const MAX_RECORD_SMS = 1_000_000;
/** Largest count of dropped calls in one usage record. */
export const MAX_RECORD_DROPPED_CALLS = 100_000;
/** Largest throughput one usage record states, Mbit/s. */
export const MAX_RECORD_THROUGHPUT_MBPS = 100_000;
/** Largest allowance of a plan (MB or minutes): "unlimited" plans state a large number, not infinity. */
export const MAX_ALLOWANCE = 1_000_000_000;

/** A finite number from 0 to `max`, the refusal saying what the limit is. */
const upTo = (max: number, unit: string) =>
  z.number().finite().nonnegative().max(max, { error: `at most ${max.toLocaleString('en-US')} ${unit} in one record` });
const nonNeg = upTo(MAX_MONEY, '(money)');
const money = z
  .number()
  .finite()
  .min(-MAX_MONEY, { error: `at least -${MAX_MONEY.toLocaleString('en-US')} (money) in one record` })
  .max(MAX_MONEY, { error: `at most ${MAX_MONEY.toLocaleString('en-US')} (money) in one record` });

export const CHANNELS = ['web', 'app', 'call', 'chat', 'store', 'retail_partner'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

/** Channels where a human (contact-centre or store staff) is in the conversation. */
export const ASSISTED_CHANNELS: readonly Channel[] = ['call', 'chat', 'store'];

const envelope = {
  id,
  customerId: id,
  time: isoTime,
  source: z.string().min(1).max(64),
  v: z.literal(SCHEMA_VERSION),
};

export const customerData = z.strictObject({
  segment: z.enum(['consumer', 'business']),
  billing: z.enum(['prepaid', 'postpaid']),
  /** Contract length in months; 0 = month-to-month. */
  contractMonths: z.number().int().min(0).max(60),
  /**
   * The day the fixed-term contract in force ends (the customer may renew, roll on month to
   * month or leave then); absent when there is none or it is not known. A later `customer` event
   * after a renewal names the new end.
   */
  contractEnd: isoDate.optional(),
  paymentMethod: z.enum(['direct_debit', 'card', 'electronic_check', 'mailed_check', 'cash', 'voucher']),
  /** When the customer relationship began (tenure counts from here). */
  since: isoTime,
  name: z.string().max(200).optional(),
  consent: z
    .strictObject({ marketing: z.boolean(), sms: z.boolean().optional(), email: z.boolean().optional() })
    .optional(),
});

export const usageData = z.strictObject({
  subscriptionId: id,
  dataMb: upTo(MAX_RECORD_DATA_MB, 'MB'),
  voiceMin: upTo(MAX_RECORD_VOICE_MIN, 'minutes'),
  sms: z.number().int().nonnegative().max(MAX_RECORD_SMS, { error: `at most ${MAX_RECORD_SMS.toLocaleString('en-US')} SMS in one record` }),
  roaming: z.boolean(),
  /** The radio cell the record was served by (most of the period's traffic), as a CDR names it. */
  cellId: id.optional(),
  /** The site of that cell (a cell identity carries its base station). */
  siteId: id.optional(),
  /** Calls of the record that dropped or failed to connect (a CDR's abnormal release cause). */
  droppedCalls: z.number().int().nonnegative().max(MAX_RECORD_DROPPED_CALLS).optional(),
  /** The data throughput the record's sessions got (Mbit/s, as the network's session records measure it). */
  throughputMbps: z.number().nonnegative().max(MAX_RECORD_THROUGHPUT_MBPS).optional(),
});

export const billLineSchema = z.strictObject({
  type: z.enum(['plan', 'addon', 'overage', 'roaming', 'credit', 'discount', 'tax', 'other']),
  amount: money,
  description: z.string().max(200).optional(),
});

export const billData = z.strictObject({
  billId: id,
  periodStart: isoDate,
  periodEnd: isoDate,
  amount: money,
  currency: z.string().length(3).optional(),
  lines: z.array(billLineSchema).max(200),
});

export const paymentData = z.discriminatedUnion('status', [
  z.strictObject({
    status: z.literal('paid'),
    billId: id,
    amount: nonNeg,
    dueDate: isoDate,
    paidDate: isoDate,
  }),
  z.strictObject({
    status: z.literal('failed'),
    billId: id,
    amount: nonNeg,
    dueDate: isoDate,
    failureReason: z.string().min(1).max(200),
  }),
]);

/** How a prepaid customer paid for a top-up. */
export const TOPUP_METHODS = ['voucher', 'card', 'app', 'store', 'auto'] as const;

/**
 * Money a prepaid customer put on their balance: the next period's bundle, or an add-on when the
 * bundle ran out. Prepaid customers get no bills; their top-ups are what they spend.
 */
export const topupData = z
  .strictObject({
    topupId: id,
    /** What the customer paid; 0 only when account credit paid it all. */
    amount: z.number().finite().nonnegative().max(MAX_MONEY, { error: `at most ${MAX_MONEY.toLocaleString('en-US')} (money) in one record` }),
    currency: z.string().length(3).optional(),
    method: z.enum(TOPUP_METHODS),
    /** What it bought: the period's `bundle` or an `addon` (more data or minutes before the period ends). */
    purpose: z.enum(['bundle', 'addon']),
    /** Account credit (a compensation, a goodwill credit) spent toward it besides the amount paid. */
    credit: z.number().finite().positive().max(MAX_MONEY).optional(),
  })
  .refine((d) => d.amount > 0 || d.credit !== undefined, { path: ['amount'], error: 'a top-up pays something (amount > 0) or spends account credit (credit)' });

export const TICKET_CATEGORIES = ['billing', 'network', 'service', 'device', 'sales', 'other'] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export const ticketData = z.strictObject({
  ticketId: id,
  action: z.enum(['opened', 'updated', 'resolved']),
  category: z.enum(TICKET_CATEGORIES),
  severity: z.enum(SEVERITIES),
  /** A complaint is a ticket the customer raised as dissatisfaction, not a plain request. */
  complaint: z.boolean(),
  text: z.string().max(4000).optional(),
});

export const networkImpactData = z.strictObject({
  incidentId: id,
  cellId: id,
  siteId: id.optional(),
  impact: z.enum(['outage', 'degradation', 'congestion']),
  severity: z.enum(SEVERITIES),
  start: isoTime,
  end: isoTime.optional(),
});

export const interactionData = z.strictObject({
  channel: channelSchema,
  /** What the customer came for, e.g. `billing_question`, `configure_bundle`, `upgrade`. */
  intent: z.string().min(1).max(64),
  phase: z.enum(['start', 'update', 'end']).default('start'),
  /** Channel context carried to every other channel, e.g. a bundle configured on the website. */
  context: z.record(z.string(), z.unknown()).optional(),
  /**
   * When the interaction is over at the latest, should its end never be sent (a phone system that
   * reports no hang-up, a staged call held for a person): without it, a start's end unseen counts
   * 2 h after it began (`UNSEEN_END_MS`, twin/customer-context.ts). A later update may move it.
   */
  endsBy: isoTime.optional(),
});

export const subscriptionData = z.strictObject({
  action: z.enum(['activated', 'plan_changed', 'addon_added', 'addon_removed', 'suspended', 'resumed', 'terminated']),
  subscriptionId: id,
  productKind: z.enum(['plan', 'addon']).default('plan'),
  productId: id.optional(),
  monthlyPrice: nonNeg.optional(),
  dataAllowanceMb: upTo(MAX_ALLOWANCE, 'MB').optional(),
  voiceAllowanceMin: upTo(MAX_ALLOWANCE, 'minutes').optional(),
  reason: z.string().max(200).optional(),
});

/** Longest action request id (the guarded executor's `ActionRequest.id`, also the back ends' idempotency key). */
export const MAX_REQUEST_ID_LENGTH = 200;
const requestId = z.string().min(1).max(MAX_REQUEST_ID_LENGTH);

/**
 * What happened to an offer: `presented` (by the channel), the customer's answer (`accepted`,
 * `declined`), or `ignored`: no answer within the operator's answer window (Twinloop itself
 * reports it, docs/learning.md). `decisionId` and `requestId` name the next-best-action decision
 * and the action request that led to it, so the answer is recorded against them; `by` names the
 * person who recorded an answer given on the line.
 */
export const OFFER_ACTIONS = ['presented', 'accepted', 'declined', 'ignored'] as const;
export const offerData = z.strictObject({
  action: z.enum(OFFER_ACTIONS),
  offerId: id,
  channel: channelSchema,
  treatment: z.string().max(64).optional(),
  decisionId: id.optional(),
  requestId: requestId.optional(),
  /** An answer given in a live contact and recorded by a person (a care agent on the call): who. Absent when the customer answered themselves. */
  by: z.string().min(1).max(200).optional(),
});

/** Action class names (as the action policy spells them: `offer`, `credit`, `compensation`…). */
const actionClass = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and "_", starting with a letter');

/**
 * `presented`: an offer is in front of the customer (the answer follows as an `offer` event);
 * `delivered`: the back end carried the action out (a notice sent, a credit booked, a plan changed);
 * `failed`: the back end refused it for good (a failure the caller retries is not reported; its retry is);
 * `declined`: a person in contact with the customer chose not to carry out the recommended action
 * (nothing reached a back end; `reason` says why, `by` who).
 */
export const ACTION_STATUSES = ['presented', 'delivered', 'failed', 'declined'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** An action the operator took on the customer, as the back end answered it (docs/events.md). */
export const actionData = z.strictObject({
  requestId,
  decisionId: id.optional(),
  actionClass,
  channel: channelSchema,
  status: z.enum(ACTION_STATUSES),
  /** Why it failed, what the back end said, or why a person declined it. */
  reason: z.string().max(200).optional(),
  /** Who declined it (status `declined`): the person's id. */
  by: id.optional(),
  /** The catalogue offering it carries out. */
  offerId: id.optional(),
  /** Money credited to the customer (credits, compensations) or the request's cost to the operator; for an offer presented, what its presentation paid. */
  amount: money.optional(),
  /** An offer presented: what it costs the operator only if the customer accepts (reserved until the answer, booked on acceptance). */
  onAcceptance: money.optional(),
  discountPct: z.number().finite().min(0).max(100).optional(),
  /** For messages: the notification channel (sms, email, push, in_app, human_task) and purpose. */
  notificationChannel: z.string().max(32).optional(),
  purpose: z.string().max(32).optional(),
  campaignId: id.optional(),
  /** A plan change: the plan left and the one moved to, each at its monthly price, and the difference to the monthly bill (negative: the customer pays less). */
  planChange: z
    .strictObject({ fromPlanId: id.nullable(), fromMonthlyPrice: nonNeg, toPlanId: id, toMonthlyPrice: nonNeg, monthlyDifference: money })
    .optional(),
  /** The back end's reference (adjustment, notification, delivery or order id). */
  ref: id.optional(),
});

/** Results of an action over its horizon: the customer still a customer, or gone. */
export const OUTCOME_RESULTS = ['stayed', 'churned'] as const;

/** What came of an action over its horizon (docs/events.md), recorded against its request and decision. */
export const outcomeData = z.strictObject({
  requestId,
  decisionId: id.optional(),
  actionClass,
  result: z.enum(OUTCOME_RESULTS),
  /** Days watched after the action. */
  horizonDays: z.number().int().min(1).max(3660),
  /** When the action was carried out (the horizon counts from here). */
  actedAt: isoTime,
  /** When the customer's last plan ended (result `churned`). */
  churnedAt: isoTime.optional(),
});

const ev = <K extends string, D extends z.ZodType>(kind: K, data: D) =>
  z.strictObject({ ...envelope, kind: z.literal(kind), data, receivedAt: isoTime.optional() });

export const customerEventSchema = ev('customer', customerData);
export const usageEventSchema = ev('usage', usageData);
export const billEventSchema = ev('bill', billData);
export const paymentEventSchema = ev('payment', paymentData);
export const topupEventSchema = ev('topup', topupData);
export const ticketEventSchema = ev('ticket', ticketData);
export const networkImpactEventSchema = ev('network_impact', networkImpactData);
export const interactionEventSchema = ev('interaction', interactionData);
export const subscriptionEventSchema = ev('subscription', subscriptionData);
export const offerEventSchema = ev('offer', offerData);
export const actionEventSchema = ev('action', actionData);
export const outcomeEventSchema = ev('outcome', outcomeData);

export const twinEventSchema = z.discriminatedUnion('kind', [
  customerEventSchema,
  usageEventSchema,
  billEventSchema,
  paymentEventSchema,
  topupEventSchema,
  ticketEventSchema,
  networkImpactEventSchema,
  interactionEventSchema,
  subscriptionEventSchema,
  offerEventSchema,
  actionEventSchema,
  outcomeEventSchema,
]);

export type TwinEvent = z.infer<typeof twinEventSchema>;
export type EventKind = TwinEvent['kind'];
export type EventOf<K extends EventKind> = Extract<TwinEvent, { kind: K }>;
export const EVENT_KINDS: readonly EventKind[] = twinEventSchema.options.map((o) => o.shape.kind.value);
