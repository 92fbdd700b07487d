import type { TwinEvent } from '../../domain/events.js';

/**
 * Hand-made events of customers with one plan, for the tests of training rows (built by replay,
 * collected from the live twins): each builder dates its event at a given time, ids never repeat.
 */
export function trainingTestEvents(start: number) {
  const iso = (ms: number) => new Date(ms).toISOString();
  let n = 0;
  const base = (customerId: string, time: number) => ({ id: `e${++n}`, customerId, time: iso(time), source: 'test', v: 1 as const });
  return {
    register: (c: string, at = start): TwinEvent => ({ ...base(c, at), kind: 'customer', data: { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'card', since: iso(at) } }),
    activate: (c: string, at = start + 1000): TwinEvent => ({ ...base(c, at), kind: 'subscription', data: { action: 'activated', subscriptionId: `S-${c}`, productKind: 'plan', productId: 'P', monthlyPrice: 30, dataAllowanceMb: 5000, voiceAllowanceMin: 100 } }),
    terminate: (c: string, at: number): TwinEvent => ({ ...base(c, at), kind: 'subscription', data: { action: 'terminated', subscriptionId: `S-${c}`, productKind: 'plan' } }),
    usage: (c: string, at: number, dataMb: number): TwinEvent => ({ ...base(c, at), kind: 'usage', data: { subscriptionId: `S-${c}`, dataMb, voiceMin: 0, sms: 0, roaming: false } }),
    complaint: (c: string, at: number): TwinEvent => ({ ...base(c, at), kind: 'ticket', data: { ticketId: `T${n}`, action: 'opened', category: 'billing', severity: 'high', complaint: true } }),
  };
}
