import type { ConnectorResult, Idempotent } from './connector-result.js';

/** What kind of ticket: a customer's complaint, a request for a person to act, or a network incident. */
export const TROUBLE_TICKET_TYPES = ['complaint', 'request', 'incident'] as const;
export type TroubleTicketType = (typeof TROUBLE_TICKET_TYPES)[number];

/** A ticket to open in the operator's ticketing system (TMF621-like trouble ticket). */
export interface TroubleTicketRequest {
  /** The customer it is about; none for a network incident (an alarm's ticket). */
  customerId?: string;
  ticketType: TroubleTicketType;
  severity: 'low' | 'medium' | 'high' | 'critical';
  /** What is wrong and what the person should do. */
  description: string;
  /** What it is about besides the customer: the alarm, the action request that raised it. */
  relatedEntity?: readonly { id: string; role: string; referredType: string }[];
}

/** A ticket the ticketing system accepted. */
export interface TroubleTicketReceipt {
  ticketId: string;
  customerId?: string;
  status: 'acknowledged' | 'inProgress' | 'resolved' | 'closed' | 'rejected';
  createdAt: string;
}

/** The ticketing system: tickets for people to work (a hand-over after a complaint, a network incident). */
export interface TroubleTicketsConnector {
  open(request: Idempotent & TroubleTicketRequest): Promise<ConnectorResult<TroubleTicketReceipt>>;
}
