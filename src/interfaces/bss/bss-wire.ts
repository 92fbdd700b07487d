import { z } from 'zod';
import type { Adjustment } from '../../domain/connectors/billing-adjustments.js';
import type { Delivery } from '../../domain/connectors/campaign-delivery.js';
import type { CreditReport } from '../../domain/connectors/credit-bureau.js';
import type { IdentityVerification } from '../../domain/connectors/identity-verification.js';
import type { Alarm } from '../../domain/connectors/network-alarms.js';
import { NOTIFICATION_CHANNELS, type NotificationPurpose, type NotificationReceipt } from '../../domain/connectors/notifications.js';
import { CHANNELS } from '../../domain/events.js';
import type { Order, OrderRequest } from '../../domain/connectors/order-management.js';
import type { ProvisioningJob } from '../../domain/connectors/provisioning.js';
import { TROUBLE_TICKET_TYPES, type TroubleTicketReceipt, type TroubleTicketRequest } from '../../domain/connectors/trouble-tickets.js';

/**
 * What travels between Twinloop's BSS connectors and a BSS that speaks TM Forum Open APIs (the
 * sandbox's `twinloop sandbox serve`, or a real one): the paths, the idempotency header, and the
 * pure mappings between the connectors' domain records and the TMF resources. Both sides (the
 * HTTP adapters and the sandbox's server) use these and nothing else, so they cannot drift apart.
 * Where TM Forum has no API (identity, credit, billing adjustments, campaign delivery) the
 * resources are small ones of our own under `/bss-api/`.
 */

/** The standard idempotency header (IETF httpapi "Idempotency-Key"): a repeated key has no further effect. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The paths of each back end's resource, below the BSS base URL. */
export const BSS_PATHS = {
  productOrder: '/tmf-api/productOrderingManagement/v4/productOrder',
  cancelProductOrder: '/tmf-api/productOrderingManagement/v4/cancelProductOrder',
  serviceOrder: '/tmf-api/serviceOrdering/v4/serviceOrder',
  communicationMessage: '/tmf-api/communicationManagement/v4/communicationMessage',
  alarm: '/tmf-api/alarmManagement/v4/alarm',
  troubleTicket: '/tmf-api/troubleTicket/v4/troubleTicket',
  identityVerification: '/bss-api/identityVerification/v1/verification',
  creditCheck: '/bss-api/creditCheck/v1/creditCheck',
  adjustment: '/bss-api/billingAdjustment/v1/adjustment',
  delivery: '/bss-api/campaignDelivery/v1/delivery',
  /** The sandbox's own: its plans, its simulated clock, its next onboarding applicant. */
  plans: '/sandbox/plans',
  addons: '/sandbox/addons',
  clock: '/sandbox/clock',
  applicants: '/sandbox/applicants',
  /** Calls each back end took and how they ended (ok, transient, rejected, replayed): the effects a test or a person checks. */
  stats: '/sandbox/stats',
} as const;

const ref = z.looseObject({ id: z.string().min(1) });
const characteristic = z.object({ name: z.string(), value: z.unknown() });
const charValue = (chars: readonly { name: string; value: unknown }[] | undefined, name: string): unknown => chars?.find((c) => c.name === name)?.value;
const chars = (o: Record<string, unknown>) => Object.entries(o).flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]));

// ---- TMF622 Product Ordering: order management -------------------------------------------

const ORDER_STATE_TO_TMF: Record<Order['state'], string> = { acknowledged: 'acknowledged', in_progress: 'inProgress', completed: 'completed', failed: 'failed', cancelled: 'cancelled' };
const ORDER_STATE_FROM_TMF = Object.fromEntries(Object.entries(ORDER_STATE_TO_TMF).map(([k, v]) => [v, k])) as Record<string, Order['state']>;

/**
 * A TMF622 ProductOrder as the connector sends it, one item: a new line (`add` of a plan, the
 * applicant's party), an add-on (`add` of the add-on, the customer's party), a plan change
 * (`modify`) or the line's termination (`delete`, no offering).
 */
export const productOrderBody = z.looseObject({
  productOrderItem: z
    .array(
      z.looseObject({
        id: z.string(),
        action: z.enum(['add', 'modify', 'delete']),
        productOffering: ref.optional(),
        product: z.looseObject({ productCharacteristic: z.array(characteristic).optional() }).optional(),
      }),
    )
    .length(1),
  relatedParty: z.array(z.looseObject({ id: z.string().min(1), role: z.enum(['applicant', 'customer']) })).length(1),
});

/** The order request as a TMF622 ProductOrder body. */
export function productOrderOf(request: OrderRequest): z.infer<typeof productOrderBody> {
  if (request.type !== 'new_line') {
    const customer = [{ id: request.customerId, role: 'customer' as const, '@referredType': 'Customer' }];
    if (request.type === 'change_plan') return { productOrderItem: [{ id: '1', action: 'modify', productOffering: { id: request.planId } }], relatedParty: customer };
    if (request.type === 'add_addon') return { productOrderItem: [{ id: '1', action: 'add', productOffering: { id: request.addonId } }], relatedParty: customer };
    return { productOrderItem: [{ id: '1', action: 'delete' }], relatedParty: customer };
  }
  const productCharacteristic = chars({ segment: request.segment, contractMonths: request.contractMonths, paymentMethod: request.paymentMethod });
  return {
    productOrderItem: [{ id: '1', action: 'add', productOffering: { id: request.planId }, ...(productCharacteristic.length ? { product: { productCharacteristic } } : {}) }],
    relatedParty: [{ id: request.applicantId, role: 'applicant', '@referredType': 'Individual' }],
  };
}

/** A TMF622 ProductOrder body back to the order request it carries (the server's side); a string says what is missing. */
export function orderRequestOf(body: z.infer<typeof productOrderBody>): OrderRequest | string {
  const item = body.productOrderItem[0];
  const party = body.relatedParty[0];
  if (item.action === 'delete') return party.role === 'customer' ? { type: 'terminate', customerId: party.id } : 'relatedParty[0].role: a termination names the customer (role customer)';
  if (!item.productOffering) return 'productOrderItem[0].productOffering: name the plan or add-on';
  if (item.action === 'modify') return { type: 'change_plan', customerId: party.id, planId: item.productOffering.id };
  if (party.role === 'customer') return { type: 'add_addon', customerId: party.id, addonId: item.productOffering.id };
  const c = item.product?.productCharacteristic;
  const segment = charValue(c, 'segment');
  const contractMonths = charValue(c, 'contractMonths');
  const paymentMethod = charValue(c, 'paymentMethod');
  return {
    type: 'new_line',
    applicantId: party.id,
    planId: item.productOffering.id,
    ...(segment === 'consumer' || segment === 'business' ? { segment } : {}),
    ...(typeof contractMonths === 'number' ? { contractMonths } : {}),
    ...(typeof paymentMethod === 'string' ? { paymentMethod } : {}),
  };
}

/** An order as the TMF622 ProductOrder the server answers. */
export function tmfProductOrder(order: Order, href: string): Record<string, unknown> {
  return { id: order.orderId, href, ...productOrderOf(order.request), state: ORDER_STATE_TO_TMF[order.state], '@type': 'ProductOrder' };
}

/** What the connector reads back from a TMF622 ProductOrder. */
export const productOrderAnswer = productOrderBody.extend({ id: z.string(), state: z.string() });

/** A TMF622 ProductOrder answer as the connector's Order; undefined for a state the connector does not know. */
export function orderOf(answer: z.infer<typeof productOrderAnswer>): Order | undefined {
  const state = ORDER_STATE_FROM_TMF[answer.state];
  const request = orderRequestOf(answer);
  return state && typeof request !== 'string' ? { orderId: answer.id, state, request } : undefined;
}

/** TMF622 cancelProductOrder task: the order to cancel. */
export const cancelProductOrderBody = z.looseObject({ productOrder: ref, cancellationReason: z.string().optional() });

// ---- TMF641 Service Ordering: provisioning (service activation) ---------------------------

const JOB_STATE_TO_TMF: Record<ProvisioningJob['state'], string> = { pending: 'inProgress', completed: 'completed', failed: 'failed' };

/** A TMF641 ServiceOrder asking to activate the services of a product order (`externalId`). */
export const serviceOrderBody = z.looseObject({
  externalId: z.string().min(1).describe('The product order whose services to activate'),
  serviceOrderItem: z.array(z.looseObject({ id: z.string(), action: z.literal('add') })).min(1),
});

/** The activation request as a TMF641 ServiceOrder body. */
export const serviceOrderOf = (orderId: string): z.infer<typeof serviceOrderBody> => ({ externalId: orderId, serviceOrderItem: [{ id: '1', action: 'add', service: { serviceType: 'line' } }] });

/** A provisioning job as the TMF641 ServiceOrder the server answers. */
export function tmfServiceOrder(job: ProvisioningJob, href: string): Record<string, unknown> {
  return {
    id: job.provisioningId,
    href,
    externalId: job.orderId,
    state: JOB_STATE_TO_TMF[job.state],
    serviceOrderItem: [{ id: '1', action: 'add', state: JOB_STATE_TO_TMF[job.state], service: { serviceType: 'line', ...(job.subscriptionId ? { id: job.subscriptionId } : {}) } }],
    ...(job.customerId ? { relatedParty: [{ id: job.customerId, role: 'customer', '@referredType': 'Customer' }] } : {}),
    ...(job.reason ? { note: [{ text: job.reason }] } : {}),
    '@type': 'ServiceOrder',
  };
}

/** What the connector reads back from a TMF641 ServiceOrder. */
export const serviceOrderAnswer = z.looseObject({
  id: z.string(),
  externalId: z.string(),
  state: z.string(),
  serviceOrderItem: z.array(z.looseObject({ service: z.looseObject({ id: z.string().optional() }).optional() })).optional(),
  relatedParty: z.array(ref).optional(),
  note: z.array(z.looseObject({ text: z.string() })).optional(),
});

/** A TMF641 ServiceOrder answer as the connector's job: completed and failed are final, anything else is still pending. */
export function jobOf(answer: z.infer<typeof serviceOrderAnswer>): ProvisioningJob {
  const state: ProvisioningJob['state'] = answer.state === 'completed' ? 'completed' : answer.state === 'failed' ? 'failed' : 'pending';
  const subscriptionId = answer.serviceOrderItem?.[0]?.service?.id;
  const customerId = answer.relatedParty?.[0]?.id;
  const reason = answer.note?.[0]?.text;
  return { provisioningId: answer.id, orderId: answer.externalId, state, ...(customerId ? { customerId } : {}), ...(subscriptionId ? { subscriptionId } : {}), ...(reason ? { reason } : {}) };
}

// ---- TMF681 Communication: notifications -------------------------------------------------

/** A TMF681 CommunicationMessage as the connector sends it; the purpose and template ride as characteristics. */
export const communicationMessageBody = z.looseObject({
  messageType: z.enum(NOTIFICATION_CHANNELS),
  content: z.string().optional(),
  receiver: z.array(z.looseObject({ id: z.string().min(1) })).length(1),
  characteristic: z.array(characteristic).optional(),
});

/** A notification as a TMF681 CommunicationMessage body. */
export function communicationMessageOf(r: { customerId: string; channel: (typeof NOTIFICATION_CHANNELS)[number]; purpose: NotificationPurpose; templateId?: string; body?: string }): z.infer<typeof communicationMessageBody> {
  return {
    messageType: r.channel,
    ...(r.body === undefined ? {} : { content: r.body }),
    receiver: [{ id: r.customerId, '@referredType': 'Customer' }],
    // TMF681 requires a sender: the operator, which Twinloop acts for.
    sender: { id: 'operator', name: 'Twinloop' },
    characteristic: chars({ purpose: r.purpose, templateId: r.templateId }),
  };
}

/** The request a TMF681 CommunicationMessage body carries (the server's side); undefined when its purpose is unknown. */
export function notificationRequestOf(body: z.infer<typeof communicationMessageBody>) {
  const purpose = charValue(body.characteristic, 'purpose') as NotificationPurpose | undefined;
  const templateId = charValue(body.characteristic, 'templateId');
  if (purpose !== 'service' && purpose !== 'care' && purpose !== 'marketing' && purpose !== 'retention') return undefined;
  return { customerId: body.receiver[0].id, channel: body.messageType, purpose, ...(typeof templateId === 'string' ? { templateId } : {}), ...(body.content === undefined ? {} : { body: body.content }) };
}

/** A sent notification as the TMF681 CommunicationMessage the server answers. */
export function tmfCommunicationMessage(r: NotificationReceipt, body: z.infer<typeof communicationMessageBody>, href: string): Record<string, unknown> {
  return { ...body, id: r.notificationId, href, state: 'completed', sendTime: r.deliveredAt, sendTimeComplete: r.deliveredAt, '@type': 'CommunicationMessage' };
}

/** What the connector reads back from a TMF681 CommunicationMessage. */
export const communicationMessageAnswer = communicationMessageBody.extend({ id: z.string(), sendTime: z.string() });

// ---- TMF642 Alarm: the network's alarm feed ------------------------------------------------

const alarmTypes = ['communicationsAlarm', 'qualityOfServiceAlarm', 'processingErrorAlarm', 'equipmentAlarm', 'environmentalAlarm'] as const;

/** The integer id TMF642 gives an alarm (`ALM-17` → 17; the network system's own id rides as `externalAlarmId`). */
export const tmfAlarmNumber = (alarmId: string): number => Number(/(\d+)$/.exec(alarmId)?.[1] ?? Number.NaN);

/** An alarm as a TMF642 Alarm: `id` an integer, as the specification has it; the network system's own id in `externalAlarmId`. */
export function tmfAlarm(a: Alarm, href: string): Record<string, unknown> {
  return {
    id: tmfAlarmNumber(a.id),
    externalAlarmId: a.id,
    href,
    alarmType: a.alarmType,
    perceivedSeverity: a.perceivedSeverity,
    probableCause: a.probableCause,
    state: a.state,
    alarmedObjectType: a.alarmedObject['@referredType'],
    alarmedObject: a.alarmedObject,
    alarmRaisedTime: a.raisedTime,
    ...(a.clearedTime ? { alarmClearedTime: a.clearedTime } : {}),
    '@type': 'Alarm',
  };
}

/** What the connector reads back from a TMF642 Alarm. */
export const alarmAnswer = z.looseObject({
  id: z.union([z.number(), z.string()]),
  externalAlarmId: z.string().optional(),
  alarmType: z.enum(alarmTypes),
  perceivedSeverity: z.enum(['critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared']),
  probableCause: z.string(),
  state: z.enum(['raised', 'updated', 'cleared']),
  alarmedObject: z.object({ id: z.string(), '@referredType': z.enum(['Cell', 'Site']) }),
  alarmRaisedTime: z.string(),
  alarmClearedTime: z.string().optional(),
});

/** A TMF642 Alarm answer as the connector's Alarm. */
export function alarmOfTmf(a: z.infer<typeof alarmAnswer>): Alarm {
  return {
    id: a.externalAlarmId ?? String(a.id),
    alarmType: a.alarmType,
    perceivedSeverity: a.perceivedSeverity,
    probableCause: a.probableCause,
    alarmedObject: a.alarmedObject,
    raisedTime: a.alarmRaisedTime,
    state: a.state,
    ...(a.alarmClearedTime ? { clearedTime: a.alarmClearedTime } : {}),
  };
}

// ---- TMF621 Trouble Ticket: the ticketing system ------------------------------------------

const TICKET_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** A TMF621 TroubleTicket as the connector sends it: the customer (if any) in `relatedParty`, the alarm or request in `relatedEntity`. */
export const troubleTicketBody = z.looseObject({
  description: z.string().min(1),
  severity: z.enum(TICKET_SEVERITIES),
  ticketType: z.enum(TROUBLE_TICKET_TYPES),
  relatedParty: z.array(z.looseObject({ id: z.string().min(1), role: z.string(), '@referredType': z.string() })).max(1).optional(),
  relatedEntity: z.array(z.looseObject({ id: z.string().min(1), role: z.string(), '@referredType': z.string() })).optional(),
});

/** A ticket request as a TMF621 TroubleTicket body. */
export function troubleTicketOf(r: TroubleTicketRequest): z.infer<typeof troubleTicketBody> {
  return {
    description: r.description,
    severity: r.severity,
    ticketType: r.ticketType,
    ...(r.customerId === undefined ? {} : { relatedParty: [{ id: r.customerId, role: 'customer', '@referredType': 'Customer' }] }),
    ...(r.relatedEntity?.length ? { relatedEntity: r.relatedEntity.map((e) => ({ id: e.id, role: e.role, '@referredType': e.referredType })) } : {}),
  };
}

/** The ticket request a TMF621 TroubleTicket body carries (the server's side). */
export function troubleTicketRequestOf(body: z.infer<typeof troubleTicketBody>): TroubleTicketRequest {
  const customerId = body.relatedParty?.[0]?.id;
  const relatedEntity = body.relatedEntity?.map((e) => ({ id: e.id, role: e.role, referredType: e['@referredType'] }));
  return { description: body.description, severity: body.severity, ticketType: body.ticketType, ...(customerId === undefined ? {} : { customerId }), ...(relatedEntity ? { relatedEntity } : {}) };
}

/** A ticket as the TMF621 TroubleTicket the server answers. */
export function tmfTroubleTicket(t: TroubleTicketReceipt & { request: TroubleTicketRequest }, href: string): Record<string, unknown> {
  return { ...troubleTicketOf(t.request), id: t.ticketId, href, status: t.status, creationDate: t.createdAt, lastUpdate: t.createdAt, '@type': 'TroubleTicket' };
}

/** What the connector reads back from a TMF621 TroubleTicket. */
export const troubleTicketAnswer = troubleTicketBody.extend({ id: z.string(), status: z.enum(['acknowledged', 'inProgress', 'resolved', 'closed', 'rejected']), creationDate: z.string() });

/** A TMF621 TroubleTicket answer as the connector's receipt. */
export function ticketReceiptOf(a: z.infer<typeof troubleTicketAnswer>): TroubleTicketReceipt {
  const customerId = a.relatedParty?.[0]?.id;
  return { ticketId: a.id, status: a.status, createdAt: a.creationDate, ...(customerId === undefined ? {} : { customerId }) };
}

// ---- Our own small APIs (no TM Forum API covers them) -------------------------------------

/** POST identity verification: the identity the applicant presents. */
export const identityClaimBody = z.object({
  applicantId: z.string().min(1),
  fullName: z.string().min(1),
  birthDate: z.string().min(1),
  documentType: z.enum(['passport', 'id_card', 'driving_licence']),
  documentNumber: z.string().min(1),
});
export const identityVerificationAnswer: z.ZodType<IdentityVerification> = z.object({ verificationId: z.string(), applicantId: z.string(), fraudRisk: z.number().min(0).max(1) });

/** POST credit check: who to score. */
export const creditCheckBody = identityClaimBody.pick({ applicantId: true, fullName: true, birthDate: true });
export const creditReportAnswer: z.ZodType<CreditReport> = z.object({ reportId: z.string(), applicantId: z.string(), score: z.number(), band: z.enum(['A', 'B', 'C', 'D']) });

/** POST billing adjustment: a credit (amount) or a discount (percent for months). */
export const adjustmentBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('credit'), customerId: z.string().min(1), amount: z.number().positive(), reason: z.string() }),
  z.object({ kind: z.literal('discount'), customerId: z.string().min(1), percent: z.number().positive().max(100), months: z.number().int().positive(), reason: z.string() }),
]);
export const adjustmentAnswer: z.ZodType<Adjustment> = z.object({ adjustmentId: z.string(), customerId: z.string(), kind: z.enum(['credit', 'discount']), value: z.number(), months: z.number().optional() });

/** POST campaign delivery: an offer to present to a customer on a channel, or one they already accepted there (`acceptedBy`). */
export const deliveryBody = z.object({
  campaignId: z.string().min(1),
  customerId: z.string().min(1),
  offerId: z.string().min(1),
  channel: z.enum(CHANNELS),
  decisionId: z.string().optional(),
  /** The customer already said yes on the line to this person: booked accepted, nothing asked of the customer. */
  acceptedBy: z.string().min(1).max(200).optional(),
});
export const deliveryAnswer: z.ZodType<Delivery> = z.object({ deliveryId: z.string(), campaignId: z.string(), customerId: z.string(), offerId: z.string(), response: z.enum(['accepted', 'declined', 'no-answer']) });

/** GET addons: the add-ons the operator sells on top of a plan. */
export const addonsAnswer = z.array(z.looseObject({ id: z.string(), name: z.string(), monthlyPrice: z.number() }));

/** GET plans: what the operator sells. */
export const plansAnswer = z.array(z.looseObject({ id: z.string(), monthlyPrice: z.number(), dataAllowanceMb: z.number(), voiceAllowanceMin: z.number() }));

/** GET clock: the BSS's time (simulated for the sandbox) and how fast it runs (0 while it backfills history). */
export const clockAnswer = z.object({ now: z.string(), speed: z.number().min(0), liveSpeed: z.number().positive().optional().describe('What it runs at once live') });
