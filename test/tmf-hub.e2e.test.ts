import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperatorServer } from '../src/interfaces/http/operator-server.js';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { hubListener } from './support/hub-listener.js';
import { officialContract } from './support/tmf-contract.js';
import { until } from './support/until.js';

type Json = Record<string, unknown>;

/**
 * The TMF notification hubs on the operator as `npm start` runs it: a listener registered on a
 * hub gets the API's standard events (checked against the official event definitions), a callback
 * that keeps failing is retried and then parked as a dead letter. (The TMF688 churn-risk watch is
 * checked in src/interfaces/http/tmf/tmf688-risk-watch.test.ts.)
 */
describe('TMF notification hubs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmfhub-'));
  const contract = officialContract();
  let running: RunningOperator;
  let app: FastifyInstance;
  let base: string;
  let admin: { authorization: string };

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    const res = await fetch(`${base}${url}`, { method, headers: { ...admin, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
  }
  const ticket = (customerId: string) => ({ description: 'No signal at home', severity: 'critical', ticketType: 'complaint', category: 'network', relatedParty: [{ id: customerId, role: 'customer', '@referredType': 'Customer' }] });

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    admin = { authorization: `Bearer ${(await running.operator.auth.keys.create({ subject: 'hub-admin', role: 'admin' }, 'test')).key}` };
    // A server of its own over the same operator, retrying fast: a dead letter in a fraction of a second.
    app = createOperatorServer(running.operator, { version: 'test', hubDelivery: { attempts: 3, backoffMs: 20, timeoutMs: 2_000 } });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the trouble ticket and alarm events to registered listeners, until they unregister', async () => {
    const l = await hubListener(201);
    const reg = await call('POST', '/tmf-api/troubleTicket/v4/hub', { callback: l.url });
    expect(reg.status).toBe(201);
    expect(contract.check('TMF621', 'EventSubscription', reg.body, 'POST hub')).toEqual([]);
    const alarms = await call('POST', '/tmf-api/alarmManagement/v4/hub', { callback: l.url, query: 'eventType=AlarmCreateEvent' });
    expect(alarms.status).toBe(201);

    const created = (await call('POST', '/tmf-api/troubleTicket/v4/troubleTicket', ticket('C000005'))).body;
    await call('PATCH', `/tmf-api/troubleTicket/v4/troubleTicket/${encodeURIComponent(String(created.id))}`, { status: 'resolved' });
    const now = new Date(running.operator.world!.clock.now()).toISOString();
    const alarm = await call('POST', '/tmf-api/alarmManagement/v4/alarm', { sourceSystemId: 'nms-hub-test', externalAlarmId: 'H-1', state: 'raised', alarmType: 'Equipment Alarm', perceivedSeverity: 'minor', probableCause: 'equipmentMalfunction', alarmedObjectType: 'Site', alarmedObject: { id: 'site-1' }, alarmRaisedTime: now });
    expect(alarm.status).toBe(201);
    await call('PATCH', `/tmf-api/alarmManagement/v4/alarm/${String(alarm.body.id)}`, { state: 'cleared' });

    const mine = () => l.got.filter((e) => (e.event as { troubleTicket?: Json }).troubleTicket?.id === created.id || (e.event as { alarm?: Json }).alarm?.id === alarm.body.id);
    await until(async () => (mine().length >= 3 ? true : undefined), 20_000);
    expect(mine().map((e) => e.eventType).sort()).toEqual(['AlarmCreateEvent', 'TroubleTicketCreateEvent', 'TroubleTicketResolvedEvent']);
    expect(l.conflicts).toEqual([]);
    for (const e of mine()) {
      const api = String(e.eventType).startsWith('Alarm') ? 'TMF642' : 'TMF621';
      expect(contract.check(api, String(e.eventType), e, String(e.eventType))).toEqual([]);
    }
    // The clear was filtered out by the alarm hub's query; unregistered, nothing more comes.
    expect((await call('DELETE', `/tmf-api/troubleTicket/v4/hub/${String(reg.body.id)}`)).status).toBe(204);
    expect((await call('DELETE', `/tmf-api/troubleTicket/v4/hub/${String(reg.body.id)}`)).status).toBe(404);
    const later = (await call('POST', '/tmf-api/troubleTicket/v4/troubleTicket', ticket('C000006'))).body;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(l.got.some((e) => (e.event as { troubleTicket?: Json }).troubleTicket?.id === later.id)).toBe(false);
    await call('DELETE', `/tmf-api/alarmManagement/v4/hub/${String(alarms.body.id)}`);
    await l.close();
  });

  it('tells a TMF622 listener of an order placed and of each state it moves to', async () => {
    const l = await hubListener(201);
    const reg = await call('POST', '/tmf-api/productOrderingManagement/v4/hub', { callback: l.url });
    expect(reg.status).toBe(201);
    const engine = running.operator.twins.engine;
    let customerId = '';
    for (let n = 20; !customerId; n++) {
      const id = `C${String(n).padStart(6, '0')}`;
      if (engine.view(id)?.features.churned === 0) customerId = id;
    }
    const placed = await call('POST', '/tmf-api/productOrderingManagement/v4/productOrder', {
      relatedParty: [{ id: customerId, role: 'customer', '@referredType': 'Customer' }],
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'voice-300' } }],
    });
    expect(placed.status).toBe(201);
    const mine = () => l.got.filter((e) => (e.event as { productOrder?: Json }).productOrder?.id === placed.body.id);
    await until(async () => (mine().some((e) => (e.event as { productOrder: Json }).productOrder.state === 'completed') ? true : undefined), 30_000);
    expect(mine()[0].eventType).toBe('ProductOrderCreateEvent');
    expect(mine().slice(1).every((e) => e.eventType === 'ProductOrderStateChangeEvent')).toBe(true);
    // Each state is told once.
    const states = mine().map((e) => (e.event as { productOrder: Json }).productOrder.state);
    expect(new Set(states).size).toBe(states.length);
    for (const e of mine()) expect(contract.check('TMF622', String(e.eventType), e, String(e.eventType))).toEqual([]);
    expect((await call('DELETE', `/tmf-api/productOrderingManagement/v4/hub/${String(reg.body.id)}`)).status).toBe(204);
    await l.close();
  });

  it('tells TMF620, TMF629, TMF637 and TMF681 listeners of offerings, customers, products and messages, each checked against its definition', async () => {
    const l = await hubListener(201);
    const hubs = {
      TMF620: '/tmf-api/productCatalogManagement/v4',
      TMF629: '/tmf-api/customerManagement/v4',
      TMF637: '/tmf-api/productInventory/v4',
      TMF681: '/tmf-api/communicationManagement/v4',
    } as const;
    const ids: string[] = [];
    for (const path of Object.values(hubs)) {
      const reg = await call('POST', `${path}/hub`, { callback: l.url });
      expect(reg.status, `POST ${path}/hub answered ${JSON.stringify(reg.body)}`).toBe(201);
      expect(contract.check('TMF621', 'EventSubscription', reg.body, `POST ${path}/hub`)).toEqual([]);
      ids.push(String(reg.body.id));
    }
    // TMF620: an offering created, retired (a lifecycle status) and removed.
    const offering = await call('POST', `${hubs.TMF620}/productOffering`, {
      name: 'Hub Test Pass', category: [{ id: 'offer' }], lifecycleStatus: 'Active',
      productOfferingPrice: [{ id: 'p', priceType: 'oneTime', price: { unit: 'EUR', value: 2 } }],
      treatments: [{ id: 't', name: 'T', message: 'A pass for 2 EUR' }],
    });
    expect(offering.status, JSON.stringify(offering.body)).toBe(201);
    expect((await call('PATCH', `${hubs.TMF620}/productOffering/${String(offering.body.id)}`, { lifecycleStatus: 'Retired' })).status).toBe(200);
    expect((await call('DELETE', `${hubs.TMF620}/productOffering/${String(offering.body.id)}`)).status).toBe(204);
    // TMF629, TMF637, TMF681: a new customer's first events, sent in as any system would.
    const customerId = 'C990001';
    const t = (minutes: number) => new Date(running.operator.world!.clock.now() - 60 * 60_000 + minutes * 60_000).toISOString();
    const envelope = (id: string, minutes: number) => ({ id: `hub-test-${id}`, customerId, time: t(minutes), source: 'hub-test', v: 1 });
    const events = [
      { ...envelope('profile', 0), kind: 'customer', data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: t(0) } },
      { ...envelope('plan', 1), kind: 'subscription', data: { action: 'activated', subscriptionId: 'S990001-1', productKind: 'plan', productId: 'voice-300', monthlyPrice: 20 } },
      { ...envelope('message', 2), kind: 'action', data: { requestId: 'hub-test-msg-1', actionClass: 'communication', channel: 'app', status: 'delivered', notificationChannel: 'sms', purpose: 'service' } },
      { ...envelope('suspend', 3), kind: 'subscription', data: { action: 'suspended', subscriptionId: 'S990001-1', productKind: 'plan' } },
    ];
    const sent = await fetch(`${base}/events`, { method: 'POST', headers: { ...admin, 'content-type': 'application/x-ndjson' }, body: events.map((e) => JSON.stringify(e)).join('\n') });
    const sentBody = await sent.text();
    expect(sent.status, sentBody).toBeLessThan(300);

    const resource = (e: Json) => Object.values(e.event as Json)[0] as Json;
    const mine = () =>
      l.got.filter((e) => {
        const r = resource(e);
        return r.id === offering.body.id || r.id === customerId || String(r.id).startsWith(`${customerId}:`);
      });
    const expected = ['CommunicationMessageCreateEvent', 'CustomerCreateEvent', 'CustomerStateChangeEvent', 'ProductCreateEvent', 'ProductOfferingCreateEvent', 'ProductOfferingDeleteEvent', 'ProductOfferingStateChangeEvent', 'ProductStateChangeEvent'];
    await until(async () => (mine().length >= expected.length ? true : undefined), 60_000).catch(() => {
      throw new Error(`waited 60 s for ${expected.length} events (${expected.join(', ')}); got ${JSON.stringify(mine().map((e) => e.eventType))}`);
    });
    expect(mine().map((e) => String(e.eventType)).sort()).toEqual(expected);
    for (const e of mine()) {
      const type = String(e.eventType);
      const api = type.startsWith('ProductOffering') ? 'TMF620' : type.startsWith('Customer') ? 'TMF629' : type.startsWith('Product') ? 'TMF637' : 'TMF681';
      // TMF681 v4 defines no event: its resource is checked against CommunicationMessage.
      if (api === 'TMF681') expect(contract.check('TMF681', 'CommunicationMessage', resource(e), type)).toEqual([]);
      else expect(contract.check(api, type, e, type)).toEqual([]);
    }
    const byType = (type: string) => resource(mine().find((e) => e.eventType === type)!);
    expect(byType('ProductOfferingStateChangeEvent')).toMatchObject({ lifecycleStatus: 'Retired' });
    expect(byType('ProductStateChangeEvent')).toMatchObject({ id: `${customerId}:S990001-1`, status: 'suspended' });
    expect(byType('CommunicationMessageCreateEvent')).toMatchObject({ id: `${customerId}:hub-test-msg-1`, state: 'completed', messageType: 'sms' });
    for (const [i, path] of Object.values(hubs).entries()) {
      expect((await call('DELETE', `${path}/hub/${ids[i]}`)).status).toBe(204);
      expect((await call('DELETE', `${path}/hub/${ids[i]}`)).status).toBe(404);
    }
    await l.close();
  });

  it('retries a failing callback, then parks the event as a dead letter naming the error', async () => {
    const failing = await hubListener(500);
    const reg = await call('POST', '/tmf-api/troubleTicket/v4/hub', { callback: failing.url });
    const created = (await call('POST', '/tmf-api/troubleTicket/v4/troubleTicket', ticket('C000007'))).body;
    // This ticket's letter: the hub sends the listener every event of its API, and the world's own
    // tickets (an alarm's, resolved as it clears) may be parked beside it (CI at 14:24 found a
    // TroubleTicketResolvedEvent of another ticket first).
    const letter = await until(async () => {
      const items = (await call('GET', '/notifications/dead-letters?limit=200')).body.items as Json[];
      return items.find((d) => d.subscriptionId === reg.body.id && (d.body as { event?: { troubleTicket?: Json } }).event?.troubleTicket?.id === created.id);
    }, 20_000);
    expect(letter).toMatchObject({ callback: failing.url, eventType: 'TroubleTicketCreateEvent', attempts: 3, error: 'the callback answered 500' });
    // The hub made three attempts (the letter says so); the listener saw each that reached it, all of
    // one event under one eventId. On a loaded machine an attempt can die on the connection (a
    // kept-alive socket the listener closed as it was reused) before the listener reads it: the hub
    // counts it as failed and tries again, which is the behaviour, so up to three arrive, not always three.
    const attempts = failing.received.filter((e) => (e.event as { troubleTicket: Json }).troubleTicket.id === created.id);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(3);
    expect(new Set(attempts.map((e) => e.eventId)).size).toBe(1);
    expect(failing.conflicts).toEqual([]);
    expect((await call('POST', '/tmf-api/troubleTicket/v4/hub', { callback: 'ftp://nowhere' })).body).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^callback: /) });
    await call('DELETE', `/tmf-api/troubleTicket/v4/hub/${String(reg.body.id)}`);
    await failing.close();
  });
});
