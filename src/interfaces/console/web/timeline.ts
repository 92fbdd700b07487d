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
const amount = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : str(v));

/** A timeline entry in words, one line. */
export function describeEvent(kind: string, d: Readonly<Record<string, unknown>>): string {
  switch (kind) {
    case 'customer':
      return `customer record: ${str(d.segment)}, ${str(d.billing)}, ${str(d.contractMonths)}-month contract${d.contractEnd ? ` ending ${str(d.contractEnd)}` : ''}, pays by ${str(d.paymentMethod).replace(/_/g, ' ')}`;
    case 'subscription':
      return `${str(d.action).replace(/_/g, ' ')}: ${str(d.productId)}${d.monthlyPrice !== undefined ? ` at ${amount(d.monthlyPrice)}/month` : ''}`;
    case 'usage':
      return `usage: ${str(d.dataMb)} MB, ${str(d.voiceMin)} min, ${str(d.sms)} SMS${d.roaming ? ', roaming' : ''}`;
    case 'bill':
      return `bill ${str(d.billId)}: ${amount(d.amount)} ${str(d.currency)} for ${str(d.periodStart)} to ${str(d.periodEnd)}`;
    case 'payment':
      return `payment ${str(d.status)}: ${amount(d.amount)} for ${str(d.billId)}`;
    case 'topup':
      return `top-up ${amount(d.amount)} ${str(d.currency)} for the ${str(d.purpose) === 'addon' ? 'add-on' : 'bundle'}, by ${str(d.method)}`;
    case 'ticket':
      return `ticket ${str(d.ticketId)} ${str(d.action)}: ${str(d.category)}, ${str(d.severity)}${d.complaint ? ', a complaint' : ''}`;
    case 'network_impact':
      return `network ${str(d.impact)} (${str(d.severity)}) on ${str(d.cellId)}, incident ${str(d.incidentId)}`;
    case 'interaction':
      return `${str(d.channel)}: ${str(d.intent).replace(/_/g, ' ')} (${str(d.phase)})`;
    case 'offer':
      return `offer ${str(d.offerId)} ${str(d.action)} on ${str(d.channel)}${d.decisionId ? ` (decision ${str(d.decisionId)})` : ''}`;
    case 'action':
      return `action ${str(d.actionClass)}${d.offerId ? ` ${str(d.offerId)}` : ''} ${str(d.status)} on ${str(d.channel)}${d.by ? ` by ${str(d.by)}` : ''}${d.amount !== undefined ? `, ${amount(d.amount)}` : ''}${d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'outcome':
      return `outcome of ${str(d.actionClass)}: ${str(d.result)} after ${str(d.horizonDays)} days`;
    default:
      return `${kind}: ${JSON.stringify(d)}`;
  }
}
