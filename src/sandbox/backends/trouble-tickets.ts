import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { TroubleTicketsConnector, TroubleTicketReceipt } from '../../domain/connectors/trouble-tickets.js';
import { notifyCustomer } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime } from './backend-runtime.js';

/** The sandbox's ticketing system, with the tickets it holds (for the served TMF621 GET). */
export interface SandboxTroubleTickets extends TroubleTicketsConnector {
  get(ticketId: string): (TroubleTicketReceipt & { request: Parameters<TroubleTicketsConnector['open']>[0] }) | undefined;
}

/**
 * The sandbox's ticketing system. A customer's ticket puts a person in touch with the customer
 * (a care contact, as a hand-over always was in this world); a network ticket is kept for the
 * network team. Ids are `TT-n` in the order opened, so a restart's replay gives the same ones.
 */
export function sandboxTroubleTickets(rt: BackendRuntime, w: WorldEngine): SandboxTroubleTickets {
  let n = 0;
  const tickets = new Map<string, TroubleTicketReceipt & { request: Parameters<TroubleTicketsConnector['open']>[0] }>();
  return {
    open: (req) =>
      rt.call(req.idempotencyKey, () => {
        if (req.customerId !== undefined && !notifyCustomer(w, req.customerId, 'care').ok) return rejected('customer_not_active');
        const ticket: TroubleTicketReceipt = { ticketId: 'TT-' + ++n, status: 'acknowledged', createdAt: w.nowIso(), ...(req.customerId === undefined ? {} : { customerId: req.customerId }) };
        tickets.set(ticket.ticketId, { ...ticket, request: req });
        return ok(ticket);
      }, { method: 'open', request: req }),
    get: (ticketId) => tickets.get(ticketId),
  };
}
