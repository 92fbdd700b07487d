import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.js';
import { openTestAuth, type TestAuth } from '../src/interfaces/auth/auth-fixtures.js';
import { startIntelligence, type Intelligence } from '../src/intelligence/live/live-intelligence.js';
import { syntheticChurnEvents } from '../src/intelligence/twin-training/synthetic-churn-events.js';
import { createHttpServer } from '../src/interfaces/http/server.js';
import { tmf629Routes, tmf637Routes } from '../src/interfaces/http/tmf/tmf-customer-routes.js';
import { submitInBatches } from '../src/interfaces/bench/bench-fixtures.js';
import type { TmfApi } from '../src/interfaces/http/tmf/tmf-spec.js';
import type { ModelRegistry } from '../src/store/model-registry.js';
import { openEventStore } from '../src/store/open-event-store.js';
import { openModelRegistry } from '../src/store/open-model-registry.js';
import { openRecordStore } from '../src/store/open-record-store.js';
import type { RecordStore } from '../src/store/record-store.js';
import { openTwinService, type TwinService } from '../src/twin/twin-service.js';
import { officialContract } from './support/tmf-contract.js';

type Json = Record<string, unknown>;
const CUSTOMERS = '/tmf-api/customerManagement/v4';
const INVENTORY = '/tmf-api/productInventory/v4';
/** The party a new customer engages (TMF629 requires one). */
const PARTY = { id: 'crm-party-1', '@referredType': 'Individual' };

/**
 * TMF629 Customer and TMF637 Product Inventory over live twins with a trained churn model: every
 * answer checked against the official specifications' definitions (raw, with ajv).
 */
describe('TMF629 Customer and TMF637 Product Inventory from the twins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmf629-'));
  const contract = officialContract();
  const problems: string[] = [];
  let twins: TwinService;
  let registry: ModelRegistry;
  let records: RecordStore;
  const clock = new ManualClock(Date.parse('2030-01-01'));
  let intel: Intelligence;
  let app: FastifyInstance;
  let local: TestAuth;
  /** A viewer's key: twins:read is all reading needs. */
  let viewer: { authorization: string };
  /** A care agent's key: customers:write and personal:read (the CRM's desk). */
  let agent: { authorization: string };

  /** Writes as the care agent and checks the answer (the created or changed Customer, or the Error) against the specification. */
  async function write(method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
    const res = await app.inject({ method, url, headers: { ...agent, ...(body === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) }, payload: body === undefined ? undefined : JSON.stringify(body) });
    const answer = res.json() as Json;
    problems.push(...contract.check('TMF629', res.statusCode >= 400 ? 'Error' : 'Customer', answer, `${method} ${url} → ${res.statusCode}`));
    return { status: res.statusCode, body: answer, headers: res.headers };
  }

  async function call(api: TmfApi, url: string, definition: string) {
    const res = await app.inject({ url, headers: viewer });
    const body = res.json() as Json & Json[];
    const what = `GET ${url} → ${res.statusCode}`;
    if (res.statusCode >= 400) problems.push(...contract.check(api, 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList(api, definition, { headers: res.headers, body }, what));
    else problems.push(...contract.check(api, definition, body, what));
    return { status: res.statusCode, body, headers: res.headers };
  }

  beforeAll(async () => {
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock });
    registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    await submitInBatches(twins.intake, syntheticChurnEvents({ customers: 800, days: 200, seed: 9 }));
    intel = await startIntelligence(twins, registry, { checkIntervalMs: 0, log: () => {} });
    await intel.trainIfMissing();
    const reads = { twins, decorateTwin: intel.decorateTwin, scoreFields: intel.scoreFields };
    local = await openTestAuth();
    viewer = await local.bearer('viewer');
    agent = await local.bearer('care_agent');
    app = createHttpServer({ version: 'test', auth: local.auth, ...reads }, [tmf629Routes({ ...reads, records, clock }), tmf637Routes(reads)]);
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await intel?.close();
    await registry?.close();
    await records?.close();
    await twins?.close();
    await local?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a twin as a Customer with its live scores and their reasons as characteristics', async () => {
    const id = twins.engine.table.idAt(0);
    const { status, body } = await call('TMF629', `${CUSTOMERS}/customer/${id}`, 'Customer');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, href: `http://localhost:80${CUSTOMERS}/customer/${id}`, '@type': 'TwinloopCustomer', '@baseType': 'Customer', engagedParty: { id } });
    const chars = body.characteristic as Json[];
    const churn = chars.find((c) => c.name === 'churnRisk')!;
    const scores = (intel.decorateTwin(twins.engine.view(id)!).scores as { churn: { probability: number | null; reasons: unknown[] } }).churn;
    expect(churn).toMatchObject({ '@type': 'TwinloopScore', value: scores.probability, reasons: scores.reasons });
    expect(chars.map((c) => c.name)).toEqual(expect.arrayContaining(['segment', 'billing', 'lifetimeValue', 'complaints', 'payments']));
    expect((await call('TMF629', `${CUSTOMERS}/customer/${id}?fields=status`, 'Customer')).body).toEqual({ id, href: body.href, '@type': 'TwinloopCustomer', status: body.status, engagedParty: body.engagedParty });
    expect((await call('TMF629', `${CUSTOMERS}/customer/NOPE`, 'Customer')).status).toBe(404);
  });

  it('lists customers filtered on live scores and features, paged with counts', async () => {
    const churns = Array.from({ length: twins.engine.size }, (_, slot) => intel.live()!.scoreOf(twins.engine.table.idAt(slot))?.churn ?? Number.NaN).filter((c) => Number.isFinite(c)).sort((a, b) => a - b);
    const median = churns[Math.floor(churns.length / 2)];
    const risky = await call('TMF629', `${CUSTOMERS}/customer?churn.gt=${median}&limit=5`, 'Customer');
    expect(risky.status).toBe(200);
    expect(risky.body.length).toBeLessThanOrEqual(5);
    const total = Number(risky.headers['x-total-count']);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(twins.engine.size);
    for (const c of risky.body) {
      const value = (c.characteristic as Json[]).find((x) => x.name === 'churnRisk')!.value as number;
      expect(value).toBeGreaterThan(median - 1e-4);
    }
    // The same filter as GET /twins (one vocabulary), counted whole.
    const twinsPage = (await app.inject({ url: `/twins?churn.gt=${median}&limit=1000`, headers: viewer })).json() as { items: unknown[] };
    expect(total).toBe(twinsPage.items.length);
    const all = await call('TMF629', `${CUSTOMERS}/customer?limit=3&offset=2&fields=name`, 'Customer');
    expect(all.headers['x-total-count']).toBe(String(twins.engine.size));
    expect(all.body.map((c) => c.id)).toEqual([2, 3, 4].map((slot) => twins.engine.table.idAt(slot)));
    const bad = await call('TMF629', `${CUSTOMERS}/customer?loudness.gt=3`, 'Customer');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/loudness/);
  });

  it("answers each customer's products from the twin as TMF637 Products", async () => {
    const id = twins.engine.table.idAt(1);
    const view = twins.engine.view(id)!;
    const mine = await call('TMF637', `${INVENTORY}/product?relatedParty.id=${id}`, 'Product');
    expect(mine.body).toHaveLength(view.products.length);
    expect(mine.body[0]).toMatchObject({ relatedParty: [{ id, role: 'customer', '@referredType': 'Customer' }], productSerialNumber: view.products[0].subscriptionId, status: view.products[0].status });
    const one = await call('TMF637', `${INVENTORY}/product/${String(mine.body[0].id)}`, 'Product');
    expect(one.body).toEqual(mine.body[0]);
    const active = await call('TMF637', `${INVENTORY}/product?status=active&limit=10`, 'Product');
    expect(active.body.every((p) => p.status === 'active')).toBe(true);
    expect(Number(active.headers['x-total-count'])).toBeGreaterThan(10);
    expect((await call('TMF637', `${INVENTORY}/product/${id}:nope`, 'Product')).status).toBe(404);
    // A plan the customer had before the history began: its start is unknown, not the history's first
    // day (C000001, a customer since 2023-07-25, read startDate 2025-12-06); it says when it was seen active.
    const old = Array.from({ length: twins.engine.size }, (_, slot) => twins.engine.view(twins.engine.table.idAt(slot))!)
      .find((v) => v.profile?.since && v.firstEventAt && Date.parse(String(v.profile.since)) < Date.parse(v.firstEventAt) && v.products.some((p) => !!p.activatedAt && p.activatedAt.slice(0, 10) === v.firstEventAt!.slice(0, 10)));
    expect(old, 'a customer from before the history').toBeDefined();
    const theirs = await call('TMF637', `${INVENTORY}/product?relatedParty.id=${old!.customerId}`, 'Product');
    // Seen active on the history's first day, with the customer's first records.
    const first = old!.products.find((p) => !!p.activatedAt && p.activatedAt.slice(0, 10) === old!.firstEventAt!.slice(0, 10))!;
    const product = theirs.body.find((p) => p.productSerialNumber === first.subscriptionId)!;
    expect(product.startDate).toBeUndefined();
    expect((product.productCharacteristic as Json[]).find((c) => c.name === 'activeBy')?.value).toBe(first.activatedAt);
  });

  it('registers a customer as a CRM would: a customer event through the intake, its name and contact media beside the twin', async () => {
    const before = twins.engine.size;
    const created = await write('POST', `${CUSTOMERS}/customer`, {
      name: 'Ada Lovelace',
      engagedParty: { id: 'crm-party-77', '@referredType': 'Individual' },
      contactMedium: [
        { mediumType: 'email', preferred: true, characteristic: { emailAddress: 'ada@example.org' } },
        { mediumType: 'mobile', characteristic: { phoneNumber: '+44 20 7946 0000' } },
      ],
      characteristic: [
        { name: 'billing', value: 'postpaid' },
        { name: 'paymentMethod', value: 'direct_debit' },
        { name: 'contractMonths', value: 24 },
        { name: 'marketingConsent', value: true },
        { name: 'emailConsent', value: false },
      ],
      account: [{ id: 'BA-1', name: 'main' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = String(created.body.id);
    expect(created.headers.location).toBe(created.body.href);
    expect(created.body).toMatchObject({ name: 'Ada Lovelace', status: 'Initialized', engagedParty: { id: 'crm-party-77', '@referredType': 'Individual' }, account: [{ id: 'BA-1' }] });
    expect((created.body.contactMedium as Json[])[0]).toMatchObject({ characteristic: { emailAddress: 'ada@example.org' } });
    // The twin holds the profile, made by the customer event the intake took; replaying the log rebuilds it.
    expect(twins.engine.size).toBe(before + 1);
    const view = twins.engine.view(id)!;
    expect(view.profile).toMatchObject({ segment: 'consumer', billing: 'postpaid', paymentMethod: 'direct_debit', contractMonths: 24, marketingConsent: true, channelConsent: { email: false, sms: null } });
    const timeline = await twins.history.timeline(id, { afterSeq: 0, limit: 10 });
    expect(timeline.map((t) => [t.event.kind, t.event.source])).toEqual([['customer', 'tmf629']]);
    // A viewer (no personal:read) sees the customer with its name and contact media masked; the care agent sees them.
    const masked = (await app.inject({ url: `${CUSTOMERS}/customer/${id}`, headers: viewer })).json() as Json;
    expect(JSON.stringify(masked)).not.toMatch(/Ada|ada@example|7946/);
    expect(masked.name).toBe('[masked: personal data]');
    expect(JSON.stringify((await app.inject({ url: `${CUSTOMERS}/customer/${id}?fields=name,contactMedium`, headers: viewer })).json())).not.toMatch(/Ada|ada@example/);
    expect(JSON.stringify((await app.inject({ url: `${CUSTOMERS}/customer?fields=name&limit=1000`, headers: viewer })).json())).not.toMatch(/Ada/);
    const seen = (await app.inject({ url: `${CUSTOMERS}/customer/${id}?fields=contactMedium`, headers: agent })).json() as Json;
    expect((seen.contactMedium as Json[]).map((m) => m.characteristic)).toEqual([{ emailAddress: 'ada@example.org' }, { phoneNumber: '+44 20 7946 0000' }]);
    // The same id again is a 409; a bad characteristic a 400 naming it; a viewer may not write.
    expect((await write('POST', `${CUSTOMERS}/customer`, { id, name: 'x', engagedParty: PARTY, characteristic: [{ name: 'billing', value: 'prepaid' }, { name: 'paymentMethod', value: 'card' }] })).status).toBe(409);
    const bad = await write('POST', `${CUSTOMERS}/customer`, { name: 'B', engagedParty: PARTY, characteristic: [{ name: 'billing', value: 'monthly' }, { name: 'paymentMethod', value: 'card' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^characteristic billing: /);
    const missing = await write('POST', `${CUSTOMERS}/customer`, { name: 'B', engagedParty: PARTY, characteristic: [{ name: 'billing', value: 'prepaid' }] });
    expect(missing.body.message).toMatch(/^characteristic paymentMethod: required/);
    // Every wrong characteristic is named, not only the first.
    const twoBad = await write('POST', `${CUSTOMERS}/customer`, { name: 'B', engagedParty: PARTY, characteristic: [{ name: 'billing', value: 'monthly' }, { name: 'paymentMethod', value: 'cheque' }] });
    expect(twoBad.body.message).toMatch(/^characteristic billing: .*"monthly".*; characteristic paymentMethod: .*"cheque"/);
    const score = await write('POST', `${CUSTOMERS}/customer`, { name: 'B', engagedParty: PARTY, characteristic: [{ name: 'churnRisk', value: 0.1 }] });
    expect(score.body.message).toMatch(/churnRisk: a live score/);
    expect((await write('POST', `${CUSTOMERS}/customer`, { engagedParty: PARTY })).status).toBe(400);
    expect((await app.inject({ method: 'POST', url: `${CUSTOMERS}/customer`, headers: { ...viewer, 'content-type': 'application/json' }, payload: { name: 'V', engagedParty: PARTY } })).statusCode).toBe(403);
    expect(twins.engine.size).toBe(before + 1);
  });

  it('changes a customer with a merge patch: the profile as a new customer event, contact media replaced or erased', async () => {
    const id = twins.engine.table.idAt(3);
    const events = (await twins.history.timeline(id, { afterSeq: 0, limit: 100_000 })).length;
    const was = twins.engine.view(id)!.profile!;
    const other = was.paymentMethod === 'card' ? 'voucher' : 'card';
    const patched = await write('PATCH', `${CUSTOMERS}/customer/${id}`, { characteristic: [{ name: 'paymentMethod', value: other }, { name: 'marketingConsent', value: false }], contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'new@example.org' } }] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const chars = Object.fromEntries((patched.body.characteristic as Json[]).map((c) => [c.name, c.value]));
    expect(chars).toMatchObject({ paymentMethod: other, marketingConsent: false, segment: was.segment, billing: was.billing, contractMonths: was.contractMonths });
    expect(twins.engine.view(id)!.profile).toMatchObject({ paymentMethod: other, marketingConsent: false, since: was.since });
    const after = await twins.history.timeline(id, { afterSeq: 0, limit: 100_000 });
    expect(after).toHaveLength(events + 1);
    expect(after[after.length - 1].event).toMatchObject({ kind: 'customer', source: 'tmf629' });
    // Only the contact media: no event; erasing them (null) leaves none; the name falls back to the id.
    expect((await write('PATCH', `${CUSTOMERS}/customer/${id}`, { name: 'Grace Hopper' })).body.name).toBe('Grace Hopper');
    const erased = await write('PATCH', `${CUSTOMERS}/customer/${id}`, { name: null, contactMedium: null });
    expect(erased.body.name).toBe(id);
    expect(erased.body.contactMedium).toBeUndefined();
    expect(await twins.history.timeline(id, { afterSeq: 0, limit: 100_000 })).toHaveLength(events + 1);
    // Refusals name the attribute: a status the products decide, a score, an unknown characteristic, an id.
    expect((await write('PATCH', `${CUSTOMERS}/customer/${id}`, { status: 'Terminated' })).body.message).toMatch(/^status: .*TMF622/);
    expect((await write('PATCH', `${CUSTOMERS}/customer/${id}`, { characteristic: [{ name: 'lifetimeValue', value: 1 }] })).body.message).toMatch(/lifetimeValue: a live score/);
    expect((await write('PATCH', `${CUSTOMERS}/customer/${id}`, { characteristic: [{ name: 'shoeSize', value: 44 }] })).body.message).toMatch(/shoeSize: not a characteristic/);
    expect((await write('PATCH', `${CUSTOMERS}/customer/${id}`, { id: 'other' })).status).toBe(400);
    expect((await write('PATCH', `${CUSTOMERS}/customer/NOPE`, { name: 'x' })).status).toBe(404);
    // DELETE: 405 saying how to end the relationship and erase the personal data.
    const deleted = await write('DELETE', `${CUSTOMERS}/customer/${id}`);
    expect(deleted.status).toBe(405);
    expect(deleted.headers.allow).toBe('GET, PATCH');
    expect(deleted.body.message).toMatch(/TMF622.*"contactMedium": null/);
    expect(twins.engine.view(id)).toBeDefined();
  });

  it('answered every call as the official specifications define', () => {
    expect(problems).toEqual([]);
  });
});
