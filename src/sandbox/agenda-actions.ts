import { SEVERITIES } from '../domain/events.js';
import { AGENDA, type AgendaItem } from './agenda.js';
import { holdUsageUnderCaps } from './customer-factory.js';
import { isoAt } from './sim-time.js';
import { CUSTOMER_DICE, type WorldState } from './world-state.js';

type TicketCategory = 'billing' | 'network' | 'service' | 'device' | 'sales' | 'other';
type Channel = 'web' | 'app' | 'call' | 'chat' | 'store';

/** Complaints reach the operator mostly by phone, then chat, then the shop. */
const COMPLAINT_CHANNELS: readonly Channel[] = ['call', 'call', 'call', 'chat', 'store'];

/**
 * Carries out one agenda item of an active customer (incidents are handled by the engine).
 * Payments: s = bill id, t = due date, x = amount. Tickets: t = category, x = severity index,
 * y = complaint (1/0), s = ticket id once opened. Interactions: t = channel, s = intent.
 * Plan changes: x = new plan index, s = reason.
 */
export function runAgendaItem(w: WorldState, item: AgendaItem, d: number): void {
  const { pop, cfg } = w;
  const c = item.c;
  const time = isoAt(w.datePrefix, item.at);
  switch (item.k) {
    case AGENDA.PAY_PAID:
      // Counted for the oracle's feature view (what the operator sees of a customer's payments).
      pop.i.paymentsPaid[c]++;
      if (w.datePrefix > item.t) pop.i.paymentsLate[c]++;
      w.out.event(w.ev(c, time, 'payment', { status: 'paid', billId: item.s, amount: item.x, dueDate: item.t, paidDate: w.datePrefix }));
      return;
    case AGENDA.PAY_FAILED: {
      const method = cfg.population.paymentMethods[pop.u.paymentIdx[c]].method;
      const failureReason = method === 'electronic_check' || method === 'mailed_check' ? 'returned_check' : 'insufficient_funds';
      pop.i.paymentsFailed[c]++;
      w.out.event(w.ev(c, time, 'payment', { status: 'failed', billId: item.s, amount: item.x, dueDate: item.t, failureReason }));
      return;
    }
    case AGENDA.TICKET_OPEN: {
      const category = item.t as TicketCategory;
      const complaint = item.y === 1;
      const ticketId = 'T' + ++w.counters.tickets;
      // The time of day is in the salt: two tickets of one customer on one day draw apart.
      const rng = w.customerRng(c, CUSTOMER_DICE.ticket ^ item.at);
      const channel = COMPLAINT_CHANNELS[rng.int(COMPLAINT_CHANNELS.length)];
      // On a staged call the complaint is the customer's still (the ticket), but no second contact starts.
      if (!w.onTheLine(c, Date.parse(time))) w.out.event(w.ev(c, time, 'interaction', { channel, intent: complaint ? `complaint_${category}` : `support_${category}`, phase: 'start' }));
      w.out.event(w.ev(c, time, 'ticket', { ticketId, action: 'opened', category, severity: SEVERITIES[item.x], complaint }));
      if (complaint) w.bumpScore(pop.f.complaintScore, pop.i.complaintDay, c, d, 1);
      const r = cfg.complaints.resolutionDays;
      w.agenda.add(d + Math.max(1, Math.round(rng.lognormal(r.median, r.sigma))), 32400 + rng.int(32400), AGENDA.TICKET_RESOLVE, c, item.x, item.y, ticketId, category);
      return;
    }
    case AGENDA.TICKET_RESOLVE:
      w.out.event(w.ev(c, time, 'ticket', { ticketId: item.s, action: 'resolved', category: item.t as TicketCategory, severity: SEVERITIES[item.x], complaint: item.y === 1 }));
      return;
    case AGENDA.INTERACTION:
      if (w.onTheLine(c, Date.parse(time))) return;
      w.out.event(w.ev(c, time, 'interaction', { channel: item.t as Channel, intent: item.s, phase: 'start' }));
      return;
    case AGENDA.PLAN_CHANGE: {
      const plan = cfg.plans[item.x];
      pop.plan[c] = item.x;
      holdUsageUnderCaps(pop, cfg, c);
      w.out.event(w.ev(c, time, 'subscription', {
          action: 'plan_changed',
          subscriptionId: pop.subscriptionIds[c],
          productKind: 'plan',
          productId: plan.id,
          monthlyPrice: w.planPrices[item.x],
          dataAllowanceMb: plan.dataAllowanceMb,
          voiceAllowanceMin: plan.voiceAllowanceMin,
          reason: item.s,
        }));
      pop.u.dirty[c] = 1;
      return;
    }
    default:
      return;
  }
}
