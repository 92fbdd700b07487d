import type { FastifyInstance } from 'fastify';
import { until } from './until.js';

/** A customer to register: its id, and whether it consents to marketing. */
export interface NewCustomer {
  readonly id: string;
  readonly marketing: boolean;
}

/**
 * Registers customers on a server in process (a CRM record each, sent to POST /events with the
 * given Authorization header) and waits for their twins: an action is asked only for a customer
 * the operator knows (one no twin holds is 404 before the policy).
 */
export async function registerCustomers(app: FastifyInstance, authorization: string, customers: readonly NewCustomer[]): Promise<void> {
  const since = new Date(Date.now() - 400 * 86_400_000).toISOString();
  const payload = customers.map(({ id, marketing }) => ({ id: `${id}-reg`, kind: 'customer', customerId: id, time: since, source: 'crm', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since, consent: { marketing } } }));
  const sent = await app.inject({ method: 'POST', url: '/events', headers: { authorization, 'content-type': 'application/json' }, payload });
  if (sent.statusCode !== 200) throw new Error(`POST /events answered ${sent.statusCode}: ${sent.body}`);
  const known = async () => (await Promise.all(customers.map(async (c) => (await app.inject({ method: 'GET', url: `/twins/${c.id}`, headers: { authorization } })).statusCode === 200))).every(Boolean);
  await until(async () => ((await known()) ? true : undefined), 30_000, `${customers.map((c) => c.id).join(', ')} registered`);
}
