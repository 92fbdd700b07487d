import type { IntentService } from '../../../agents/intents/intent-service.js';
import type { DecisionService } from '../../../decisioning/decision-service.js';
import type { OfferCatalogue } from '../../../decisioning/offer-catalogue.js';
import type { EventOf, TwinEvent } from '../../../domain/events.js';
import type { LiveScoring } from '../../../intelligence/live/live-scoring.js';
import type { TwinView } from '../../../twin/twin-view.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import type { TmfHub } from './tmf-hub.js';
import { toTmfOffering } from './tmf620-mapping.js';
import { TMF621_BASE } from './tmf621-mapping.js';
import { TMF629_BASE, TMF637_BASE, toTmfCustomer, toTmfProducts } from './tmf629-mapping.js';
import { messageOf, TMF681_BASE } from './tmf681-routes.js';
import { toTmf921Intent, toTmf921Reports } from './tmf921-mapping.js';
import { churnRiskWatch } from './tmf688-risk-watch.js';

/**
 * Where the hubs' events come from: each source turns what the operator already does into the
 * standard events of one API and hands them to the one hub (tmf-hub.ts), which builds nothing for
 * an API nobody listens to. Sources:
 * - TMF620: every catalogue stored (TMF620 itself, `PUT /catalogue`, the root `/productOffering`),
 *   diffed offering by offering against the one before;
 * - TMF621, TMF629, TMF637, TMF681, TMF688: the events the intake applies, whoever sent them
 *   (the sandbox's systems, `POST /events`, the flows' back-end answers);
 * - TMF921: every intent the intent service stores (TMF921, `/intents`, the CLI, MCP, the planner).
 * Each returns its detach. See docs/tmf.md, "Notifications".
 */

type Json = Record<string, unknown>;

/** TMF620: an offering added, removed, moved to another lifecycle status, or otherwise changed. */
export function catalogueSource(hub: TmfHub, decisions: Pick<DecisionService, 'onCatalogueChange'>): () => void {
  return decisions.onCatalogueChange((before: OfferCatalogue, after: OfferCatalogue) => {
    if (!hub.listening('TMF620')) return;
    const tell = (eventType: string, offering: OfferCatalogue['offers'][number]['offering']) =>
      hub.publish('TMF620', eventType, (sub) => ({ productOffering: toTmfOffering(offering, sub.root) }));
    for (const { id, offering } of after.offers) {
      const old = before.byId.get(id)?.offering;
      if (!old) tell('ProductOfferingCreateEvent', offering);
      else if (old.lifecycleStatus !== offering.lifecycleStatus) tell('ProductOfferingStateChangeEvent', offering);
      else if (JSON.stringify(old) !== JSON.stringify(offering)) tell('ProductOfferingAttributeValueChangeEvent', offering);
    }
    for (const { id, offering } of before.offers) if (!after.byId.has(id)) tell('ProductOfferingDeleteEvent', offering);
  });
}

/** The ticket event as a TMF621 TroubleTicket, without its description (the event goes to a callback outside the roles' masking; GET its href for that). */
function ticketOf(event: EventOf<'ticket'>, root: string): Json {
  const d = event.data;
  const id = `${event.customerId}:${d.ticketId}`;
  const customerRoot = root.replace(TMF621_BASE, TMF629_BASE);
  return {
    id,
    href: `${root}/troubleTicket/${encodeURIComponent(id)}`,
    status: d.action === 'opened' ? 'acknowledged' : d.action === 'resolved' ? 'resolved' : 'inProgress',
    severity: d.severity,
    ticketType: d.complaint ? 'complaint' : 'request',
    category: d.category,
    lastUpdate: event.time,
    relatedParty: [{ id: event.customerId, href: `${customerRoot}/customer/${event.customerId}`, role: 'customer', '@referredType': 'Customer' }],
    '@type': 'TwinloopTroubleTicket',
    '@baseType': 'TroubleTicket',
  };
}

const TICKET_EVENT = { opened: 'TroubleTicketCreateEvent', updated: 'TroubleTicketStatusChangeEvent', resolved: 'TroubleTicketResolvedEvent' } as const;

/**
 * TMF629: a customer's profile (`customer` event) is a CustomerCreateEvent when it is the twin's
 * first event, else a CustomerAttributeValueChangeEvent; a plan's first activation or the end of
 * its last plan is a CustomerStateChangeEvent (status `Approved` / `Terminated`). The customer
 * goes without live scores (GET its href for them: scoring every touched customer for a callback
 * would tax the intake).
 */
function tellCustomer(hub: TmfHub, event: TwinEvent, view: TwinView): void {
  let eventType: string | undefined;
  if (event.kind === 'customer') eventType = view.firstEventAt !== null && Date.parse(event.time) <= Date.parse(view.firstEventAt) ? 'CustomerCreateEvent' : 'CustomerAttributeValueChangeEvent';
  else if (event.kind === 'subscription' && event.data.productKind === 'plan') {
    const plans = view.products.filter((p) => p.kind === 'plan');
    const first = event.data.action === 'activated' && plans.length === 1;
    const last = event.data.action === 'terminated' && plans.every((p) => p.status === 'terminated');
    if (first || last) eventType = 'CustomerStateChangeEvent';
  }
  if (eventType) hub.publish('TMF629', eventType, (sub) => ({ customer: toTmfCustomer(view, undefined, sub.root) }));
}

/** TMF637: a product activated (ProductCreateEvent), suspended, resumed or terminated (ProductStateChangeEvent), or changed (plan change, add-on: ProductAttributeValueChangeEvent). */
function tellProduct(hub: TmfHub, event: EventOf<'subscription'>, view: TwinView): void {
  const a = event.data.action;
  const eventType = a === 'activated' || a === 'addon_added' ? 'ProductCreateEvent' : a === 'suspended' || a === 'resumed' || a === 'terminated' || a === 'addon_removed' ? 'ProductStateChangeEvent' : 'ProductAttributeValueChangeEvent';
  hub.publish('TMF637', eventType, (sub) => {
    const product = toTmfProducts(view, sub.root, sub.root.replace(TMF637_BASE, TMF629_BASE)).find((p) => p.productSerialNumber === event.data.subscriptionId);
    return { product: product ?? { id: `${event.customerId}:${event.data.subscriptionId}`, '@type': 'Product' } };
  });
}

/**
 * The intake's sources: tickets (TMF621), customers (TMF629), products (TMF637), messages sent
 * (TMF681: each communication a back end delivered or failed, `CommunicationMessageCreateEvent`
 * with its state `completed` or `failed`; the v4 specification defines no event of its own, so the
 * name follows TMF630's `{Resource}CreateEvent`) and churn risks crossing a threshold (TMF688).
 */
export function intakeSources(hub: TmfHub, s: Pick<OperatorServices, 'twins'>, live: () => LiveScoring | null): () => void {
  const riskWatch = churnRiskWatch(hub);
  return s.twins.intake.onApplied((events) => {
    const tickets = hub.listening('TMF621');
    const customers = hub.listening('TMF629');
    const products = hub.listening('TMF637');
    const messages = hub.listening('TMF681');
    const risk = hub.listening('TMF688') ? live() : null;
    if (!tickets && !customers && !products && !messages && !risk) return;
    const touched = new Set<string>();
    for (const { event } of events) {
      touched.add(event.customerId);
      if (tickets && event.kind === 'ticket') hub.publish('TMF621', TICKET_EVENT[event.data.action], (sub) => ({ troubleTicket: ticketOf(event, sub.root) }));
      else if (messages && event.kind === 'action' && event.data.actionClass === 'communication' && (event.data.status === 'delivered' || event.data.status === 'failed')) {
        const data = event.data;
        hub.publish('TMF681', 'CommunicationMessageCreateEvent', (sub) => ({ communicationMessage: messageOf(event.customerId, event.time, data, sub.root, sub.root.replace(TMF681_BASE, TMF629_BASE)) }));
      } else if ((customers && (event.kind === 'customer' || event.kind === 'subscription')) || (products && event.kind === 'subscription')) {
        const view = s.twins.engine.view(event.customerId);
        if (!view) continue;
        if (customers) tellCustomer(hub, event, view);
        if (products && event.kind === 'subscription') tellProduct(hub, event, view);
      }
    }
    if (risk) riskWatch(risk, touched);
  });
}

/**
 * TMF921: an intent stored for the first time is an IntentCreateEvent; one whose lifecycleStatus
 * moved an IntentStatusChangeEvent; one otherwise changed as TMF921 answers it (spend, plan,
 * validity) an IntentAttributeValueChangeEvent; and each entry its history gained (each new
 * IntentReport) an IntentReportCreateEvent. Withdrawing an intent keeps it (cancelled): a status
 * change, not a delete.
 */
export function intentSource(hub: TmfHub, intents: Pick<IntentService, 'onChange'>): () => void {
  return intents.onChange((before, after) => {
    if (!hub.listening('TMF921')) return;
    let eventType: string | undefined;
    if (!before) eventType = 'IntentCreateEvent';
    else if (before.intent.lifecycleStatus !== after.intent.lifecycleStatus) eventType = 'IntentStatusChangeEvent';
    else if (JSON.stringify(toTmf921Intent(before, '')) !== JSON.stringify(toTmf921Intent(after, ''))) eventType = 'IntentAttributeValueChangeEvent';
    if (eventType) hub.publish('TMF921', eventType, (sub) => ({ intent: toTmf921Intent(after, sub.root) }));
    for (let n = before?.events.length ?? 0; n < after.events.length; n++) {
      hub.publish('TMF921', 'IntentReportCreateEvent', (sub) => ({ intentReport: toTmf921Reports(after, undefined, sub.root)[n] }));
    }
  });
}
