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
const nonNeg = z.number().finite().nonnegative();
const money = z.number().finite();

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
  dataMb: nonNeg,
  voiceMin: nonNeg,
  sms: z.number().int().nonnegative(),
  roaming: z.boolean(),
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
});

export const subscriptionData = z.strictObject({
  action: z.enum(['activated', 'plan_changed', 'addon_added', 'addon_removed', 'suspended', 'resumed', 'terminated']),
  subscriptionId: id,
  productKind: z.enum(['plan', 'addon']).default('plan'),
  productId: id.optional(),
  monthlyPrice: nonNeg.optional(),
  dataAllowanceMb: nonNeg.optional(),
  voiceAllowanceMin: nonNeg.optional(),
  reason: z.string().max(200).optional(),
});

export const offerData = z.strictObject({
  action: z.enum(['presented', 'accepted', 'declined']),
  offerId: id,
  channel: channelSchema,
  treatment: z.string().max(64).optional(),
  decisionId: id.optional(),
});

const ev = <K extends string, D extends z.ZodType>(kind: K, data: D) =>
  z.strictObject({ ...envelope, kind: z.literal(kind), data, receivedAt: isoTime.optional() });

export const customerEventSchema = ev('customer', customerData);
export const usageEventSchema = ev('usage', usageData);
export const billEventSchema = ev('bill', billData);
export const paymentEventSchema = ev('payment', paymentData);
export const ticketEventSchema = ev('ticket', ticketData);
export const networkImpactEventSchema = ev('network_impact', networkImpactData);
export const interactionEventSchema = ev('interaction', interactionData);
export const subscriptionEventSchema = ev('subscription', subscriptionData);
export const offerEventSchema = ev('offer', offerData);

export const twinEventSchema = z.discriminatedUnion('kind', [
  customerEventSchema,
  usageEventSchema,
  billEventSchema,
  paymentEventSchema,
  ticketEventSchema,
  networkImpactEventSchema,
  interactionEventSchema,
  subscriptionEventSchema,
  offerEventSchema,
]);

export type TwinEvent = z.infer<typeof twinEventSchema>;
export type EventKind = TwinEvent['kind'];
export type EventOf<K extends EventKind> = Extract<TwinEvent, { kind: K }>;
export const EVENT_KINDS: readonly EventKind[] = twinEventSchema.options.map((o) => o.shape.kind.value);
