import type { BillingAdjustmentsConnector } from '../../domain/connectors/billing-adjustments.js';
import type { CampaignDeliveryConnector } from '../../domain/connectors/campaign-delivery.js';
import { refusalSubjectOf, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import { NOTIFICATION_CHANNELS, type NotificationChannel, type NotificationPurpose, type NotificationsConnector } from '../../domain/connectors/notifications.js';
import type { OrderManagementConnector, OrderRequest } from '../../domain/connectors/order-management.js';
import type { ProvisioningConnector } from '../../domain/connectors/provisioning.js';
import type { TroubleTicketRequest, TroubleTicketsConnector } from '../../domain/connectors/trouble-tickets.js';
import { TwinloopError } from '../../domain/errors.js';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import type { ActionExecutor, ExecutionOutcome } from '../governance/guarded-executor.js';

/**
 * The production ActionExecutor: carries out a request the policy allowed on the BSS back ends
 * behind the domain connectors (sandbox or real adapters). Every call passes the request id as the
 * idempotency key, so a request retried after a crash or a transient failure acts once.
 */

/** Campaign id used for offers that no campaign asked for (next-best-action on a contact). */
export const DEFAULT_NBA_CAMPAIGN_ID = 'next-best-action';
/** Months a discount runs when the request does not say: the smallest commitment the operator can make. */
export const DEFAULT_DISCOUNT_MONTHS = 1;

/** The back ends the executor acts on, and how catalogue offer ids map to back-end offer ids. */
export interface ConnectorExecutorDeps {
  campaignDelivery: CampaignDeliveryConnector;
  billingAdjustments: BillingAdjustmentsConnector;
  orderManagement: OrderManagementConnector;
  notifications: NotificationsConnector;
  /**
   * When given, a product order (plan change, add-on, termination) is also activated (its order would otherwise stay captured but
   * unfulfilled), unless the request says `params.provision: false` because its caller (the
   * order fulfilment flow) provisions and watches the order itself.
   */
  provisioning?: ProvisioningConnector;
  /**
   * The ticketing system (TMF621): when given, every `trouble_ticket` is opened there, a
   * customer's and an alarm's alike; without one a customer's ticket is a `human_task` message and
   * an alarm's is kept in the audit trail only.
   */
  troubleTickets?: TroubleTicketsConnector;
  /** Catalogue offer id → back-end offer id (the catalogue's `sandboxOfferId`); undefined when unknown. */
  resolveOffer: (offerId: string) => string | undefined;
  campaignId?: string;
}

/**
 * A connector answer as an execution outcome (pure): `ok` → ok; `transient` → not ok and marked
 * retryable (the guarded step retries it with the same request id); `rejected` → not ok, final.
 */
export function outcomeOf<T>(r: ConnectorResult<T>, detail: (value: T) => Record<string, unknown>): ExecutionOutcome {
  if (r.status === 'ok') return { ok: true, detail: detail(r.value) };
  if (r.status === 'transient') {
    // A back end holding every act for a while says so and when to ask again: the guarded executor answers UNAVAILABLE.
    const wait = r.held ? { held: true, retryAfterMs: r.retryAfterMs ?? 0 } : {};
    return { ok: false, error: r.held ? r.reason : `transient: ${r.reason}`, detail: { retryable: true, reason: r.reason, ...wait } };
  }
  // What the refusal is about, as its code says: a campaign tries another offer on a customer whose offer was refused, never on one who left.
  const about = refusalSubjectOf(r.reason);
  return { ok: false, error: r.reason, detail: { retryable: false, reason: r.reason, ...(about ? { about } : {}) } };
}

const fail = (error: string): ExecutionOutcome => ({ ok: false, error, detail: { retryable: false } });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const notificationChannel = (v: unknown): NotificationChannel | undefined => NOTIFICATION_CHANNELS.find((c) => c === v);
/** An alarm's perceived severity (TMF642) as a ticket's: what a person must drop everything for. */
const TICKET_SEVERITY: Record<string, TroubleTicketRequest['severity']> = { critical: 'critical', major: 'high', minor: 'medium', warning: 'low', indeterminate: 'low' };
const PURPOSES: readonly NotificationPurpose[] = ['service', 'care', 'marketing', 'retention'];
const purposeOf = (v: unknown): NotificationPurpose | undefined => PURPOSES.find((p) => p === v);

/**
 * Builds the executor. Mapping (params read from `request.params`):
 * offer, or any class with `present: true` (a catalogue offering the customer may decline) → campaignDelivery.deliver (`offerId` through `resolveOffer`, `campaignId`, `decisionId`; the request's `customerAccepted`: the customer said yes on the line, recorded by the actor, a person, `acceptedBy`);
 * credit, compensation → billingAdjustments.credit (the verdict's cost: the amount the policy checked, budgeted and audited; `reason`, else the request's why);
 * discount → billingAdjustments.discount (the request's `discountPct`, which the policy checked; `months`);
 * plan_change, addon, termination → orderManagement.create change_plan (`planId`), add_addon (`addonId`), terminate, then provisioning.activate;
 * communication → notifications.send (`notificationChannel` default sms, `purpose` default care, `templateId`, `body`);
 * trouble_ticket → troubleTickets.open (an alarm's `params.severity` and `alarmId`, a customer's
 * `ticketId` it follows up), or without a ticketing system notifications.send on `human_task`.
 */
export function connectorExecutor(deps: ConnectorExecutorDeps): ActionExecutor {
  if (typeof deps.resolveOffer !== 'function') throw new TwinloopError('BAD_INPUT', 'connectorExecutor needs resolveOffer(offerId); pass (id) => catalogue.byId.get(id)?.offering.sandboxOfferId');
  const campaignId = deps.campaignId ?? DEFAULT_NBA_CAMPAIGN_ID;

  /** The order a product action asks order management for, or why it cannot be made. */
  function orderOfAction(request: ActionRequest, customerId: string): OrderRequest | string {
    if (request.actionClass === 'termination') return { type: 'terminate', customerId };
    if (request.actionClass === 'addon') {
      const addonId = str(request.params.addonId);
      return addonId ? { type: 'add_addon', customerId, addonId } : 'an addon needs params.addonId';
    }
    const planId = str(request.params.planId);
    return planId ? { type: 'change_plan', customerId, planId } : 'a plan_change needs params.planId';
  }

  async function productOrder(request: ActionRequest, customerId: string): Promise<ExecutionOutcome> {
    const wanted = orderOfAction(request, customerId);
    if (typeof wanted === 'string') return fail(wanted);
    const order = await deps.orderManagement.create({ idempotencyKey: request.id, order: wanted });
    if (order.status !== 'ok' || !deps.provisioning || request.params.provision === false) return outcomeOf(order, (o) => ({ orderId: o.orderId, state: o.state }));
    const job = await deps.provisioning.activate({ idempotencyKey: `${request.id}:activate`, orderId: order.value.orderId });
    return outcomeOf(job, (j) => ({ orderId: order.value.orderId, provisioningId: j.provisioningId }));
  }

  /** Puts a catalogue offer in front of the customer, who accepts (and gets its terms) or declines. */
  async function presentOffer(request: ActionRequest, customerId: string): Promise<ExecutionOutcome> {
    const p = request.params;
    const offerId = str(p.offerId);
    if (!offerId) return fail('an offer needs params.offerId');
    const backendOfferId = deps.resolveOffer(offerId);
    if (!backendOfferId) return { ok: false, error: `offer ${offerId} has no back-end offer; give the catalogue offering a sandboxOfferId`, detail: { retryable: false, about: 'offer' } };
    // The customer's yes already given on the line (a person accepted it for them): the back end
    // books it accepted, naming that person, the request's actor (who is signed in). Only a person
    // records it: an automated actor's request is presented, for the customer to answer.
    const acceptedBy = request.customerAccepted === true && request.actor.kind === 'human' ? request.actor.id : undefined;
    const r = await deps.campaignDelivery.deliver({
      idempotencyKey: request.id,
      campaignId: str(p.campaignId) ?? campaignId,
      customerId,
      offerId: backendOfferId,
      channel: request.channel,
      decisionId: str(p.decisionId),
      ...(acceptedBy === undefined ? {} : { acceptedBy }),
    });
    return outcomeOf(r, (d) => ({ deliveryId: d.deliveryId, response: d.response }));
  }

  /** Opens the ticket a `trouble_ticket` request asks for in the ticketing system. */
  async function openTicket(request: ActionRequest, troubleTickets: TroubleTicketsConnector): Promise<ExecutionOutcome> {
    const p = request.params;
    const alarmId = str(p.alarmId);
    const followsUp = str(p.ticketId);
    const relatedEntity: NonNullable<TroubleTicketRequest['relatedEntity']>[number][] = [
      { id: request.id, role: 'raisedBy', referredType: 'ActionRequest' },
      ...(alarmId ? [{ id: alarmId, role: 'alarm', referredType: 'Alarm' }] : []),
      ...(followsUp ? [{ id: followsUp, role: 'followsUp', referredType: 'TroubleTicket' }] : []),
    ];
    const r = await troubleTickets.open({
      idempotencyKey: request.id,
      ...(request.customerId ? { customerId: request.customerId } : {}),
      ticketType: request.customerId ? 'request' : 'incident',
      severity: TICKET_SEVERITY[String(p.severity)] ?? 'medium',
      description: request.why.summary ?? `${request.actionClass} raised by ${request.actor.id}`,
      relatedEntity,
    });
    return outcomeOf(r, (t) => ({ ticketId: t.ticketId, status: t.status }));
  }

  return async (request, verdict) => {
    const customerId = request.customerId;
    if (request.actionClass === 'trouble_ticket' && deps.troubleTickets) return openTicket(request, deps.troubleTickets);
    // A network trouble ticket belongs to an alarm, not a customer. No ticketing back end exists
    // yet: the ticket is the guarded request itself, kept in the audit trail under its id.
    if (!customerId && request.actionClass === 'trouble_ticket') return { ok: true, detail: { ticketId: request.id, recordedIn: 'audit trail' } };
    if (!customerId) return fail(`a ${request.actionClass} needs a customerId`);
    const p = request.params;
    // A catalogue offering of any class (a discount, a plan upgrade) marked `present` is offered
    // to the customer, not imposed: the policy judged it by its class, the customer decides.
    if (request.actionClass === 'offer' || p.present === true) return presentOffer(request, customerId);
    switch (request.actionClass) {
      case 'credit':
      case 'compensation': {
        // The money moved is the money the policy checked against its caps, reserved from the budget and audits.
        const amount = verdict.cost;
        if (!(amount > 0)) return fail(`a ${request.actionClass} needs a positive amount`);
        const r = await deps.billingAdjustments.credit({ idempotencyKey: request.id, customerId, amount, reason: str(p.reason) ?? request.why.summary ?? request.actionClass });
        return outcomeOf(r, (a) => ({ adjustmentId: a.adjustmentId, amount: a.value }));
      }
      case 'discount': {
        const percent = request.discountPct;
        if (percent === undefined) return fail('a discount needs discountPct');
        const months = num(p.months) ?? DEFAULT_DISCOUNT_MONTHS;
        const r = await deps.billingAdjustments.discount({ idempotencyKey: request.id, customerId, percent, months, reason: str(p.reason) ?? request.why.summary ?? 'discount' });
        return outcomeOf(r, (a) => ({ adjustmentId: a.adjustmentId, percent: a.value, months: a.months }));
      }
      case 'plan_change':
      case 'addon':
      case 'termination':
        return productOrder(request, customerId);
      case 'communication':
      case 'trouble_ticket': {
        const ticket = request.actionClass === 'trouble_ticket';
        const r = await deps.notifications.send({
          idempotencyKey: request.id,
          customerId,
          channel: ticket ? 'human_task' : (notificationChannel(p.notificationChannel) ?? 'sms'),
          purpose: purposeOf(p.purpose) ?? 'care',
          templateId: str(p.templateId) ?? (ticket ? 'trouble-ticket' : undefined),
          body: str(p.body) ?? (ticket ? request.why.summary : undefined),
        });
        return outcomeOf(r, (n) => ({ notificationId: n.notificationId, channel: n.channel }));
      }
      default:
        return fail(`no back end carries out action class ${request.actionClass}; add it to connectorExecutor`);
    }
  };
}
