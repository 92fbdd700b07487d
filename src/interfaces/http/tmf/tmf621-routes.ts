import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TwinEvent } from '../../../domain/events.js';
import { SCHEMA_VERSION } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { idParams } from '../api-schemas.js';
import { requireCustomer } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, applyMergePatch, checkedResource, MERGE_PATCH, mergePatchBody, sendCreated, tmfErrors, tmfReadRoutes, partyCustomer } from './tmf-common.js';
import { changedTicket, customerOfTicket, openedTicket, raisedTicketOf, TMF621_BASE, troubleTicketOf, type TicketHistory } from './tmf621-mapping.js';
import { TMF629_BASE } from './tmf629-mapping.js';
import { tmfSchema } from './tmf-spec.js';

type Json = Record<string, unknown>;

/** The `source` of the ticket events TMF621 writes: the ticketing system that spoke. */
const SOURCE = 'tmf621';

/**
 * TMF621 Trouble Ticket v4 at `/tmf-api/troubleTicket/v4/troubleTicket`: a customer's tickets,
 * read from their timeline (the `ticket` events of the operator's ticketing system, and the
 * tickets Twinloop's flows raised for a person), and new ones: a ticket created or changed here
 * is a `ticket` event through the ordinary intake, so it counts in the twin's complaint features
 * like any other. Lists need `relatedParty.id` (they read those customers' timelines, not the
 * whole base). See docs/tmf.md.
 */
export function tmf621Routes(s: Pick<OperatorServices, 'twins' | 'clock'>): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF621_BASE);
  const customerRoot = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  /** Every ticket of a customer, oldest first: ticket event histories and raised tickets. */
  const ticketsOf = async (customerId: string): Promise<{ histories: Map<string, TicketHistory & { events: TicketHistory['events'][number][] }>; raised: { time: string; data: Extract<TwinEvent, { kind: 'action' }>['data'] }[] }> => {
    const histories = new Map<string, TicketHistory & { events: TicketHistory['events'][number][] }>();
    const raised: { time: string; data: Extract<TwinEvent, { kind: 'action' }>['data'] }[] = [];
    for await (const { event, time } of s.twins.history.entries(customerId)) {
      if (event.kind === 'ticket') {
        const h = histories.get(event.data.ticketId) ?? { customerId, ticketId: event.data.ticketId, events: [] };
        h.events.push({ time, data: event.data, source: event.source });
        histories.set(event.data.ticketId, h);
      } else if (event.kind === 'action' && event.data.actionClass === 'trouble_ticket' && event.data.status !== 'presented') raised.push({ time, data: event.data });
    }
    return { histories, raised };
  };
  const resourcesOf = async (req: FastifyRequest, customerId: string): Promise<Json[]> => {
    const { histories, raised } = await ticketsOf(customerId);
    return [...[...histories.values()].map((h) => troubleTicketOf(h, root(req), customerRoot(req))), ...raised.map((r) => raisedTicketOf(customerId, r.time, r.data, root(req), customerRoot(req)))];
  };
  /** The customer and the twin's ticket id of a TMF621 id (`C000123:T-1`). */
  const split = (id: string) => {
    const at = id.indexOf(':');
    return at > 0 ? { customerId: id.slice(0, at), ticketId: id.slice(at + 1) } : undefined;
  };
  const submit = async (customerId: string, data: Extract<TwinEvent, { kind: 'ticket' }>['data']) => {
    const event: TwinEvent = { id: `${SOURCE}:${data.ticketId}:${randomUUID()}`, customerId, time: new Date(s.clock.now()).toISOString(), source: SOURCE, v: SCHEMA_VERSION, kind: 'ticket', data };
    const [outcome] = await s.twins.intake.submit([event]);
    if (outcome.status === 'rejected') throw new TwinloopError('BAD_INPUT', `the ticket was not taken: ${outcome.reason}`);
  };
  const ticketResource = async (req: FastifyRequest, customerId: string, ticketId: string) => {
    const h = (await ticketsOf(customerId)).histories.get(ticketId);
    return h && troubleTicketOf(h, root(req), customerRoot(req));
  };
  return (app) => {
    tmfReadRoutes(app, {
      api: 'TMF621',
      base: TMF621_BASE,
      collection: 'troubleTicket',
      definition: 'TroubleTicket',
      customerOf: partyCustomer,
      all: async (req) => {
        const party = (req.query as Json)['relatedParty.id'];
        if (party === undefined) throw new TwinloopError('BAD_INPUT', "relatedParty.id: name the customer(s) whose tickets to list (relatedParty.id=C000123), read from their timelines");
        const ids = [party].flat().flatMap((p) => String(p).split(','));
        return (await Promise.all(ids.map((id) => resourcesOf(req, id)))).flat();
      },
      one: async (req, id) => {
        const parts = split(id);
        return parts ? (await resourcesOf(req, parts.customerId)).find((t) => t.id === id) : undefined;
      },
    });
    app.post(
      `${TMF621_BASE}/troubleTicket`,
      {
        schema: {
          summary: "TMF621: open a customer's ticket (relatedParty the customer; ticketType complaint or request, category billing, network, service, device, sales or other; severity low, medium, high or critical): a ticket event on the twin",
          body: tmfSchema('TMF621', 'TroubleTicket_Create'),
          response: { 201: tmfSchema('TMF621', 'TroubleTicket'), ...tmfErrors('TMF621', 400, 404) },
        },
      },
      async (req, reply) => {
        const body = req.body as Json;
        const customerId = customerOfTicket(body);
        requireCustomer(req, customerId);
        if (!s.twins.engine.view(customerId)) throw new TwinloopError('NOT_FOUND', `relatedParty: no customer "${customerId}"; GET ${TMF629_BASE}/customer lists them`);
        const ticketId = typeof body.externalId === 'string' && body.externalId !== '' ? body.externalId : `TT-${randomUUID().slice(0, 13)}`;
        if ((await ticketsOf(customerId)).histories.has(ticketId)) throw new TwinloopError('CONFLICT', `externalId: ticket ${ticketId} of ${customerId} exists; PATCH ${TMF621_BASE}/troubleTicket/${customerId}:${ticketId} to change it`);
        await submit(customerId, openedTicket(body, ticketId));
        const created = await ticketResource(req, customerId, ticketId);
        if (!created) throw new TwinloopError('INTERNAL', `ticket ${ticketId} was taken but is not on ${customerId}'s timeline`);
        return sendCreated(reply, created);
      },
    );
    app.patch(
      `${TMF621_BASE}/troubleTicket/:id`,
      {
        schema: {
          summary: `TMF621: change a customer's ticket with a JSON merge patch (${MERGE_PATCH}): status (inProgress, pending, held; resolved or closed resolves it), severity, description, category, complaint`,
          params: idParams,
          body: mergePatchBody,
          response: { 200: tmfSchema('TMF621', 'TroubleTicket'), ...tmfErrors('TMF621', 400, 404, 409) },
        },
      },
      async (req) => {
        const update = applyMergePatch({}, req.body);
        checkedResource(tmfSchema('TMF621', 'TroubleTicket_Update'), update);
        const parts = split(req.params.id);
        if (parts) requireCustomer(req, parts.customerId);
        const h = parts && (await ticketsOf(parts.customerId)).histories.get(parts.ticketId);
        if (!parts || !h) throw new TwinloopError('NOT_FOUND', `no ticket "${req.params.id}" to change (tickets Twinloop raised for a person are worked in the ticketing system); GET ${TMF621_BASE}/troubleTicket?relatedParty.id=C000123 lists a customer's`);
        await submit(parts.customerId, changedTicket(h.events[h.events.length - 1].data, req.body as Json));
        return (await ticketResource(req, parts.customerId, parts.ticketId))!;
      },
    );
  };
}
