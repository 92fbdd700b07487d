import { count, DAY_MS, eventTime } from './format';
import { planChangeText, type PlanChange } from './plan-change';

/** One entry of `GET /twins/:id/timeline`. */
export interface TimelineItem {
  readonly seq: number;
  readonly kind: string;
  readonly time: string;
  readonly event: { readonly id: string; readonly data: Readonly<Record<string, unknown>> };
}

/** The kinds that are something the operator did to the customer, and what came of it. */
export const ACTION_KINDS = new Set(['action', 'offer', 'outcome']);

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
/** A quantity with its digits grouped (1,234), anything else as it is. */
const qty = (v: unknown) => (typeof v === 'number' ? count(v) : str(v));
const amount = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : str(v));
const at = (v: unknown) => eventTime(typeof v === 'string' ? v : null);

/**
 * What ties an action, the customer's answers and its outcome together on the timeline: the
 * decision that led to it, else the request that carried it out (a flow's or a campaign's).
 */
function ref(d: Readonly<Record<string, unknown>>): string {
  if (d.decisionId) return ` (decision ${str(d.decisionId)})`;
  return d.requestId ? ` (request ${str(d.requestId)})` : '';
}

/** How long after the action, to the nearest day: a leaver within hours is not "0 days after it". */
const soonAfter = (days: number) => (days < 1 ? 'within hours of it' : days === 1 ? '1 day after it' : `${days} days after it`);

/** An outcome in words, after its label: when the action was, and whether the customer stayed its horizon or left, when, and how soon after it. */
function describeOutcome(d: Readonly<Record<string, unknown>>): string {
  const of = `of the ${str(d.actionClass).replace(/_/g, ' ')}${d.actedAt ? ` of ${at(d.actedAt)}` : ''}`;
  if (d.result === 'churned') {
    const days = typeof d.churnedAt === 'string' && typeof d.actedAt === 'string' ? Math.round((Date.parse(d.churnedAt) - Date.parse(d.actedAt)) / DAY_MS) : undefined;
    return `${of}: churned${d.churnedAt ? ` on ${at(d.churnedAt)}` : ''}${days !== undefined ? `, ${soonAfter(days)}` : ''} (within its ${str(d.horizonDays)}-day horizon)${ref(d)}`;
  }
  return `${of}: ${str(d.result)} through the ${str(d.horizonDays)} days after it${ref(d)}`;
}

/** What an offer presented costs: paid at presentation, and what only if the customer accepts (`onAcceptance`). */
function offerMoney(d: Readonly<Record<string, unknown>>): string {
  const pct = typeof d.discountPct === 'number' ? `${d.discountPct} % off` : '';
  const paid = typeof d.amount === 'number' && d.amount > 0 ? `${amount(d.amount)} at presentation` : '';
  const later = typeof d.onAcceptance === 'number' ? `${amount(d.onAcceptance)} if accepted` : '';
  return [pct, paid, later].filter(Boolean).join(', ');
}

/** An answer to an offer, after its label: accepted, with what was accepted and what its acceptance booked (read from the `action` that presented it, `presented`). */
function describeOffer(d: Readonly<Record<string, unknown>>, presented?: Readonly<Record<string, unknown>>): string {
  // An answer a person recorded on the line names them: the customer's yes given to that agent.
  const base = `${str(d.offerId)} ${str(d.action)} on ${str(d.channel)}${d.by ? `, recorded by ${str(d.by)}` : ''}`;
  if (d.action !== 'accepted' || !presented) return `${base}${ref(d)}`;
  const pct = typeof presented.discountPct === 'number' ? `${presented.discountPct} % off` : '';
  const booked = typeof presented.onAcceptance === 'number' ? `${amount(presented.onAcceptance)} booked on acceptance` : '';
  const what = [str(presented.actionClass), pct, booked].filter(Boolean).join(', ');
  return `${base}: ${what}${ref(d)}`;
}

/** A timeline entry as the page shows it: its kind's label (the column), then the rest of the line. */
export interface TimelineEntryText {
  readonly label: string;
  readonly text: string;
}

/**
 * A timeline entry in words: the label says what kind of entry it is, the text the rest, never
 * starting with the label's word again (the page set the kind before a line that named it too:
 * "offer offer data-bonus accepted", "action action offer …"). `presented`: for an answer to an
 * offer, the data of the `action` event that presented it (the same request), whose amounts the
 * answer's line names.
 */
export function timelineEntry(kind: string, d: Readonly<Record<string, unknown>>, presented?: Readonly<Record<string, unknown>>): TimelineEntryText {
  const entry = (label: string, text: string): TimelineEntryText => ({ label, text });
  switch (kind) {
    case 'customer':
      return entry('customer', `record: ${str(d.segment)}, ${str(d.billing)}, ${str(d.contractMonths)}-month contract${d.contractEnd ? ` ending ${str(d.contractEnd)}` : ''}, pays by ${str(d.paymentMethod).replace(/_/g, ' ')}`);
    case 'subscription':
      return entry('subscription', `${str(d.action).replace(/_/g, ' ')}: ${str(d.productId)}${d.monthlyPrice !== undefined ? ` at ${amount(d.monthlyPrice)}/month` : ''}`);
    case 'usage':
      // Grouped digits: a month's usage runs to six figures of MB ("456976 MB" read as a code).
      return entry('usage', `${qty(d.dataMb)} MB, ${qty(d.voiceMin)} min, ${qty(d.sms)} SMS${d.roaming ? ', roaming' : ''}`);
    case 'bill':
      return entry('bill', `${str(d.billId)}: ${amount(d.amount)} ${str(d.currency)} for ${str(d.periodStart)} to ${str(d.periodEnd)}`);
    case 'payment':
      return entry('payment', `${str(d.status)}: ${amount(d.amount)} for ${str(d.billId)}`);
    case 'topup':
      return entry('top-up', `${amount(d.amount)} ${str(d.currency)} for the ${str(d.purpose) === 'addon' ? 'add-on' : 'bundle'}, by ${str(d.method)}`);
    case 'ticket':
      return entry('ticket', `${str(d.ticketId)} ${str(d.action)}: ${str(d.category)}, ${str(d.severity)}${d.complaint ? ', a complaint' : ''}`);
    case 'network_impact':
      return entry('network', `${str(d.impact)} (${str(d.severity)}) on ${str(d.cellId)}, incident ${str(d.incidentId)}`);
    case 'interaction':
      return entry('interaction', `${str(d.channel)}: ${str(d.intent).replace(/_/g, ' ')} (${str(d.phase)})`);
    case 'offer':
      return entry('offer', describeOffer(d, presented));
    case 'action': {
      // An offer presented says what it costs if accepted, not "0.00" for a discount that pays nothing until then.
      // A plan change names the plans and the prices (the money it gives up is the difference, said there).
      const plan = d.planChange ? `: ${planChangeText(d.planChange as PlanChange)}` : '';
      const money = plan ? '' : d.status === 'presented' && d.onAcceptance !== undefined ? `: ${offerMoney(d)}` : d.amount !== undefined ? `, ${amount(d.amount)}` : '';
      // A message goes out on its own channel, whatever contact it was decided in: a check-in accepted on a
      // call and sent as an SMS read "delivered on call".
      const where = d.notificationChannel ? `by ${str(d.notificationChannel)}, decided on ${str(d.channel)}` : `on ${str(d.channel)}`;
      return entry('action', `${str(d.actionClass)}${d.offerId ? ` ${str(d.offerId)}` : ''} ${str(d.status)} ${where}${d.by ? ` by ${str(d.by)}` : ''}${plan}${money}${d.reason ? `: ${str(d.reason)}` : ''}${ref(d)}`);
    }
    case 'outcome':
      return entry('outcome', describeOutcome(d));
    default:
      return entry(kind.replace(/_/g, ' '), JSON.stringify(d));
  }
}

/** A timeline entry in words, one line: its label, then the rest (`timelineEntry`). */
export function describeEvent(kind: string, d: Readonly<Record<string, unknown>>, presented?: Readonly<Record<string, unknown>>): string {
  const { label, text } = timelineEntry(kind, d, presented);
  return `${label} ${text}`;
}

/** The `action` event that presented each offer on a timeline, by request id: what an answer's line reads its amounts from. */
export function presentedByRequest(items: readonly TimelineItem[]): ReadonlyMap<string, Readonly<Record<string, unknown>>> {
  const out = new Map<string, Readonly<Record<string, unknown>>>();
  for (const i of items) if (i.kind === 'action' && i.event.data.status === 'presented' && typeof i.event.data.requestId === 'string') out.set(i.event.data.requestId, i.event.data);
  return out;
}
