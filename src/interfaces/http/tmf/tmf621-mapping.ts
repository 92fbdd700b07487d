import type { EventOf } from '../../../domain/events.js';
import { SEVERITIES, TICKET_CATEGORIES } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';

/**
 * A customer's trouble tickets as TMF621 `TroubleTicket`s, the one place that knows both shapes
 * (docs/tmf.md). Two things on a customer's timeline are tickets: the `ticket` events (a ticket
 * the operator's CRM or ticketing system opened, updated and resolved, or one created through
 * TMF621 here), and the `trouble_ticket` actions Twinloop's flows raised (the care flow's
 * "complaint still open" hand-over to a person). Both are read from the timeline, not copied.
 */

type Json = Record<string, unknown>;
type Ticket = EventOf<'ticket'>['data'];
type Action = EventOf<'action'>['data'];

/** The base path of TMF621 (its specification's `basePath`, without the trailing slash). */
export const TMF621_BASE = '/tmf-api/troubleTicket/v4';

/** A ticket's lifecycle on the timeline, as TMF621 `TroubleTicketStatusType`s. */
const STATUS_OF_ACTION: Record<Ticket['action'], string> = { opened: 'acknowledged', updated: 'inProgress', resolved: 'resolved' };

/** TMF621 statuses a PATCH may set, and the ticket event each one is. */
const ACTION_OF_STATUS: Record<string, Ticket['action']> = { acknowledged: 'updated', inProgress: 'updated', pending: 'updated', held: 'updated', resolved: 'resolved', closed: 'resolved' };

/** Severity words other systems send (X.733's major/minor among them) onto the twin's four. */
const SEVERITY_WORDS: Record<string, Ticket['severity']> = { low: 'low', minor: 'low', warning: 'low', medium: 'medium', moderate: 'medium', high: 'high', major: 'high', critical: 'critical' };

/** One ticket of a customer as it stands: its events in order. */
export interface TicketHistory {
  readonly customerId: string;
  readonly ticketId: string;
  readonly events: readonly { readonly time: string; readonly data: Ticket; readonly source: string }[];
}

const customerParty = (customerId: string, customerRoot: string): Json => ({ id: customerId, href: `${customerRoot}/customer/${customerId}`, role: 'customer', '@referredType': 'Customer' });

/** A ticket event history as a TMF621 TroubleTicket (`@type` TwinloopTroubleTicket: `complaint` and `category` ride along). */
export function troubleTicketOf(h: TicketHistory, root: string, customerRoot: string): Json {
  const first = h.events[0];
  const last = h.events[h.events.length - 1];
  const id = `${h.customerId}:${h.ticketId}`;
  const text = [...h.events].reverse().find((e) => e.data.text)?.data.text;
  const resolved = last.data.action === 'resolved' ? last.time : undefined;
  return {
    id,
    href: `${root}/troubleTicket/${encodeURIComponent(id)}`,
    externalId: h.ticketId,
    name: `${last.data.category} ${last.data.complaint ? 'complaint' : 'ticket'}`,
    description: text ?? `${last.data.category} ${last.data.complaint ? 'complaint' : 'request'} of ${h.customerId}`,
    ticketType: last.data.complaint ? 'complaint' : 'request',
    severity: last.data.severity,
    status: STATUS_OF_ACTION[last.data.action],
    creationDate: first.time,
    lastUpdate: last.time,
    statusChangeDate: last.time,
    ...(resolved ? { resolutionDate: resolved } : {}),
    statusChange: h.events.map((e) => ({ status: STATUS_OF_ACTION[e.data.action], changeDate: e.time, changeReason: `${e.data.action} (${e.source})` })),
    relatedParty: [customerParty(h.customerId, customerRoot)],
    channel: { id: first.source, name: first.source },
    category: last.data.category,
    complaint: last.data.complaint,
    '@type': 'TwinloopTroubleTicket',
    '@baseType': 'TroubleTicket',
  };
}

/** A `trouble_ticket` action a flow raised (a hand-over to a person) as a TMF621 TroubleTicket. */
export function raisedTicketOf(customerId: string, time: string, a: Action, root: string, customerRoot: string): Json {
  const id = `${customerId}:${a.requestId}`;
  const failed = a.status === 'failed';
  return {
    id,
    href: `${root}/troubleTicket/${encodeURIComponent(id)}`,
    name: 'hand-over to a person',
    description: a.reason ?? `raised by Twinloop (${a.purpose ?? 'care'}) for a person to work`,
    ticketType: 'request',
    severity: 'medium',
    status: failed ? 'rejected' : 'acknowledged',
    creationDate: time,
    lastUpdate: time,
    statusChangeDate: time,
    ...(failed ? { statusChangeReason: a.reason ?? 'the back end refused it' } : {}),
    ...(a.ref ? { externalId: a.ref } : {}),
    relatedParty: [customerParty(customerId, customerRoot)],
    channel: { id: a.channel, name: a.channel },
    relatedEntity: [{ id: a.requestId, role: 'raisedBy', name: 'the action request that raised it', '@referredType': 'ActionRequest' }],
    '@type': 'TroubleTicket',
  };
}

/** The customer a TMF621 ticket body names: its one `relatedParty` of role customer (or the only party). */
export function customerOfTicket(body: Json): string {
  const parties = Array.isArray(body.relatedParty) ? (body.relatedParty as Json[]) : [];
  const customers = parties.filter((p) => p.role === undefined || String(p.role).toLowerCase() === 'customer');
  const id = customers[0]?.id;
  if (customers.length !== 1 || typeof id !== 'string' || id === '') throw new TwinloopError('BAD_INPUT', 'relatedParty: name the customer once ([{"id": "C000123", "role": "customer", "@referredType": "Customer"}])');
  return id;
}

/** The twin's severity of a TMF621 `severity` (low, medium, high, critical; minor and major as low and high). */
export function severityOf(value: unknown): Ticket['severity'] {
  const found = SEVERITY_WORDS[String(value).toLowerCase()];
  if (!found) throw new TwinloopError('BAD_INPUT', `severity: "${String(value)}" is not one of ${SEVERITIES.join(', ')} (or minor, major)`);
  return found;
}

/** The ticket category of a body: `category` (extension), else `ticketType` when it names one. */
function categoryOf(body: Json, fallback?: Ticket['category']): Ticket['category'] {
  const raw = body.category ?? (TICKET_CATEGORIES.includes(String(body.ticketType).toLowerCase() as Ticket['category']) ? String(body.ticketType).toLowerCase() : undefined);
  if (raw === undefined) {
    if (fallback) return fallback;
    throw new TwinloopError('BAD_INPUT', `category: say what the ticket is about, one of ${TICKET_CATEGORIES.join(', ')} (as category, or as ticketType)`);
  }
  if (!TICKET_CATEGORIES.includes(raw as Ticket['category'])) throw new TwinloopError('BAD_INPUT', `category: "${String(raw)}" is not one of ${TICKET_CATEGORIES.join(', ')}`);
  return raw as Ticket['category'];
}

/** Whether a body says the ticket is a complaint: `complaint` (extension), else `ticketType` complaint (request or incident: not). */
function complaintOf(body: Json, fallback: boolean): boolean {
  if (body.complaint !== undefined) {
    if (typeof body.complaint !== 'boolean') throw new TwinloopError('BAD_INPUT', 'complaint: true or false');
    return body.complaint;
  }
  const type = String(body.ticketType).toLowerCase();
  return /^complain/.test(type) ? true : type === 'request' || type === 'incident' ? false : fallback;
}

/** The ticket event data a TMF621 TroubleTicket_Create opens. */
export function openedTicket(body: Json, ticketId: string): Ticket {
  if (body.status !== undefined && body.status !== 'acknowledged') throw new TwinloopError('BAD_INPUT', `status: a new ticket is acknowledged, not "${String(body.status)}"`);
  return { ticketId, action: 'opened', category: categoryOf(body), severity: severityOf(body.severity), complaint: complaintOf(body, false), text: String(body.description).slice(0, 4000) };
}

/** The ticket event data a TMF621 PATCH (merge patch, already applied to what it changes) makes of the ticket's last state. */
export function changedTicket(last: Ticket, patch: Json): Ticket {
  for (const fixed of ['id', 'href', 'creationDate', 'lastUpdate', 'relatedParty', 'externalId']) {
    if (patch[fixed] !== undefined) throw new TwinloopError('BAD_INPUT', `${fixed}: does not change; open a new ticket for another customer or issue`);
  }
  if (last.action === 'resolved') throw new TwinloopError('CONFLICT', `ticket ${last.ticketId} is resolved and no longer changes; open a new one`);
  let action: Ticket['action'] = 'updated';
  if (patch.status !== undefined) {
    const mapped = ACTION_OF_STATUS[String(patch.status)];
    if (!mapped) throw new TwinloopError('BAD_INPUT', `status: "${String(patch.status)}" cannot be set here; one of ${Object.keys(ACTION_OF_STATUS).join(', ')}`);
    action = mapped;
  }
  return {
    ticketId: last.ticketId,
    action,
    category: categoryOf(patch, last.category),
    severity: patch.severity === undefined ? last.severity : severityOf(patch.severity),
    complaint: complaintOf(patch, last.complaint),
    text: typeof patch.description === 'string' ? patch.description.slice(0, 4000) : typeof patch.statusChangeReason === 'string' ? patch.statusChangeReason.slice(0, 4000) : undefined,
  };
}
