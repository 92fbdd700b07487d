import { z } from 'zod';
import type { BssConnectors } from '../../domain/connectors/bss-connectors.js';
import { ok, rejected, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { ProvisioningJob } from '../../domain/connectors/provisioning.js';
import type { BssClient } from './bss-client.js';
import {
  BSS_PATHS,
  adjustmentAnswer,
  alarmAnswer,
  alarmOfTmf,
  communicationMessageAnswer,
  communicationMessageOf,
  creditReportAnswer,
  deliveryAnswer,
  identityVerificationAnswer,
  jobOf,
  orderOf,
  productOrderAnswer,
  productOrderOf,
  serviceOrderAnswer,
  serviceOrderOf,
  ticketReceiptOf,
  troubleTicketAnswer,
  troubleTicketOf,
} from './bss-wire.js';

/** How often the adapters poll what the connector interfaces promise to push (activations, alarms); default 1 s. */
export interface HttpConnectorOptions {
  readonly pollMs?: number;
}

const mapOk = <A, B>(r: ConnectorResult<A>, f: (a: A) => B | undefined, what: string): ConnectorResult<B> => {
  if (r.status !== 'ok') return r;
  const b = f(r.value);
  return b === undefined ? rejected(`bad_answer: ${what}`) : ok(b);
};
const enc = encodeURIComponent;
const cancelAnswer = z.looseObject({ productOrder: productOrderAnswer });

/**
 * The connectors over HTTP: order management as TMF622 Product Ordering, provisioning as TMF641
 * Service Ordering, notifications as TMF681 Communication, the alarm feed as TMF642, tickets as
 * TMF621 Trouble Ticket, and identity,
 * credit, billing adjustments and campaign delivery as small APIs of their own (`bss-wire.ts`).
 * Every mutating call carries its idempotency key in the `Idempotency-Key` header.
 * `provisioning.onCompletion` and `networkAlarms.subscribe` poll (a BSS answers; it does not call
 * back): the jobs this process activated, and the alarms changed since the last poll.
 */
export function httpConnectors(client: BssClient, o: HttpConnectorOptions = {}): BssConnectors & { close(): void } {
  const pollMs = o.pollMs ?? 1_000;
  const timers = new Set<NodeJS.Timeout>();
  const every = (f: () => Promise<void>): (() => void) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      void f().finally(() => (busy = false));
    }, pollMs);
    t.unref();
    timers.add(t);
    return () => {
      clearInterval(t);
      timers.delete(t);
    };
  };

  // Provisioning: the jobs activated here are polled until final while anyone listens.
  const watched = new Map<string, ProvisioningJob>();
  const completionListeners = new Set<(job: ProvisioningJob) => void>();
  let stopJobPoll: (() => void) | undefined;
  const status = (provisioningId: string) => client.call({ method: 'GET', path: `${BSS_PATHS.serviceOrder}/${enc(provisioningId)}`, answer: serviceOrderAnswer }).then((r) => mapOk(r, jobOf, 'service order'));
  const pollJobs = async () => {
    for (const id of [...watched.keys()]) {
      const r = await status(id);
      if (r.status !== 'ok' || r.value.state === 'pending') continue;
      watched.delete(id);
      for (const l of completionListeners) l(r.value);
    }
  };

  const listAlarms = (q: { since?: string; state?: Alarm['state'] }) => {
    const params = new URLSearchParams();
    if (q.since) params.set('alarmChangedTime.gte', q.since);
    if (q.state) params.set('state', q.state);
    const qs = params.size ? `?${params}` : '';
    return client.call({ method: 'GET', path: BSS_PATHS.alarm + qs, answer: z.array(alarmAnswer) }).then((r) => mapOk(r, (list) => list.map(alarmOfTmf), 'alarms'));
  };

  return {
    identityVerification: {
      verify: ({ idempotencyKey, ...claim }) => client.call({ method: 'POST', path: BSS_PATHS.identityVerification, body: claim, idempotencyKey, answer: identityVerificationAnswer }),
    },
    creditBureau: {
      check: ({ idempotencyKey, ...who }) => client.call({ method: 'POST', path: BSS_PATHS.creditCheck, body: who, idempotencyKey, answer: creditReportAnswer }),
    },
    orderManagement: {
      create: ({ idempotencyKey, order }) => client.call({ method: 'POST', path: BSS_PATHS.productOrder, body: productOrderOf(order), idempotencyKey, answer: productOrderAnswer }).then((r) => mapOk(r, orderOf, 'product order state')),
      get: (orderId) => client.call({ method: 'GET', path: `${BSS_PATHS.productOrder}/${enc(orderId)}`, answer: productOrderAnswer }).then((r) => mapOk(r, orderOf, 'product order state')),
      cancel: ({ idempotencyKey, orderId }) =>
        client.call({ method: 'POST', path: BSS_PATHS.cancelProductOrder, body: { productOrder: { id: orderId, '@referredType': 'ProductOrder' } }, idempotencyKey, answer: cancelAnswer }).then((r) => mapOk(r, (c) => orderOf(c.productOrder), 'product order state')),
    },
    provisioning: {
      activate: async ({ idempotencyKey, orderId }) => {
        const r = await client.call({ method: 'POST', path: BSS_PATHS.serviceOrder, body: serviceOrderOf(orderId), idempotencyKey, answer: serviceOrderAnswer }).then((a) => mapOk(a, jobOf, 'service order'));
        if (r.status === 'ok' && r.value.state === 'pending' && completionListeners.size > 0) watched.set(r.value.provisioningId, r.value);
        return r;
      },
      status,
      onCompletion: (listener) => {
        completionListeners.add(listener);
        stopJobPoll ??= every(pollJobs);
        return () => {
          completionListeners.delete(listener);
          if (completionListeners.size === 0) {
            stopJobPoll?.();
            stopJobPoll = undefined;
          }
        };
      },
    },
    billingAdjustments: {
      credit: ({ idempotencyKey, customerId, amount, reason }) => client.call({ method: 'POST', path: BSS_PATHS.adjustment, body: { kind: 'credit', customerId, amount, reason }, idempotencyKey, answer: adjustmentAnswer }),
      discount: ({ idempotencyKey, customerId, percent, months, reason }) => client.call({ method: 'POST', path: BSS_PATHS.adjustment, body: { kind: 'discount', customerId, percent, months, reason }, idempotencyKey, answer: adjustmentAnswer }),
    },
    notifications: {
      send: async ({ idempotencyKey, ...request }) => {
        const r = await client.call({ method: 'POST', path: BSS_PATHS.communicationMessage, body: communicationMessageOf(request), idempotencyKey, answer: communicationMessageAnswer });
        return mapOk(r, (m) => ({ notificationId: m.id, customerId: request.customerId, channel: request.channel, deliveredAt: m.sendTime }), 'communication message');
      },
    },
    networkAlarms: {
      list: ({ since, state }) => listAlarms({ since, state }),
      subscribe: (listener) => {
        // Each poll asks for what changed since the newest change seen (the BSS's clock, not ours).
        let since: string | undefined;
        const seen = new Map<string, Alarm['state']>();
        return every(async () => {
          const r = await listAlarms({ since });
          if (r.status !== 'ok') return;
          for (const a of r.value) {
            if (seen.get(a.id) === a.state) continue;
            seen.set(a.id, a.state);
            const changed = a.clearedTime ?? a.raisedTime;
            if (since === undefined || changed > since) since = changed;
            listener(a);
          }
        });
      },
    },
    campaignDelivery: {
      deliver: ({ idempotencyKey, ...request }) => client.call({ method: 'POST', path: BSS_PATHS.delivery, body: request, idempotencyKey, answer: deliveryAnswer }),
    },
    troubleTickets: {
      open: ({ idempotencyKey, ...request }) => client.call({ method: 'POST', path: BSS_PATHS.troubleTicket, body: troubleTicketOf(request), idempotencyKey, answer: troubleTicketAnswer }).then((r) => mapOk(r, ticketReceiptOf, 'trouble ticket')),
    },
    close: () => {
      for (const t of timers) clearInterval(t);
      timers.clear();
    },
  };
}
