import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwinSource } from '../src/decisioning/decision-funnel.js';
import { DecisionService } from '../src/decisioning/decision-service.js';
import { ManualClock } from '../src/domain/clock.js';
import { openTestAuth, type TestAuth } from '../src/interfaces/auth/auth-fixtures.js';
import { createHttpApp } from '../src/interfaces/http/server.js';
import { tmf620Routes } from '../src/interfaces/http/tmf/tmf620-routes.js';
import type { OperatorServices } from '../src/interfaces/runtime/operator-services.js';
import { openRecordStore } from '../src/store/open-record-store.js';
import type { RecordStore } from '../src/store/record-store.js';
import { officialContract } from './support/tmf-contract.js';

const BASE = '/tmf-api/productCatalogManagement/v4';
type Json = Record<string, unknown>;

/**
 * TMF620 over the decision service's own catalogue: every answer checked against the official
 * specification's definitions (raw, with ajv), writes seen by next-best-action at once.
 */
describe('TMF620 Product Catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmf620-'));
  const contract = officialContract();
  const problems: string[] = [];
  let records: RecordStore;
  let decisions: DecisionService;
  let app: FastifyInstance;
  let local: TestAuth;
  /** A marketer's key: the catalogue is theirs to read and change. */
  let marketer: { authorization: string };

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, definition: string, payload?: unknown) {
    const res = await app.inject({ method, url: `${BASE}${url}`, payload: payload === undefined ? undefined : JSON.stringify(payload), headers: { ...marketer, ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) } });
    const body = res.statusCode === 204 ? undefined : (res.json() as Json & Json[]);
    const what = `${method} ${url} → ${res.statusCode}`;
    if (res.statusCode >= 400) problems.push(...contract.check('TMF620', 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList('TMF620', definition, { headers: res.headers, body }, what));
    else if (body !== undefined) problems.push(...contract.check('TMF620', definition, body, what));
    return { status: res.statusCode, body: body as Json & Json[], headers: res.headers };
  }

  beforeAll(async () => {
    records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const twins: TwinSource = { features: () => undefined };
    const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
    decisions = await DecisionService.open({ twins, scores: () => undefined, records, clock });
    local = await openTestAuth();
    marketer = await local.bearer('marketer');
    app = createHttpApp({ version: 'test', auth: local.auth }, [tmf620Routes({ decisions, clock } as unknown as OperatorServices)]);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await decisions.close();
    await records.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the catalogue as ProductOfferings with filters, fields and paging', async () => {
    const all = await call('GET', '/productOffering', 'ProductOffering');
    expect(all.status).toBe(200);
    expect(all.body.map((o) => o.id)).toEqual(decisions.catalogue.offers.map((o) => o.id));
    const retain = all.body.find((o) => o.id === 'retain-10')!;
    expect(retain).toMatchObject({ '@type': 'TwinloopProductOffering', '@baseType': 'ProductOffering', href: `http://localhost:80${BASE}/productOffering/retain-10`, actionClass: 'discount' });
    expect(retain.productOfferingPrice).toEqual([expect.objectContaining({ id: 'retain-10-price', '@referredType': 'ProductOfferingPrice' })]);
    const page = await call('GET', '/productOffering?actionClass=discount&fields=name&limit=1&offset=1', 'ProductOffering');
    expect(page.headers['x-total-count']).toBe(String(all.body.filter((o) => o.actionClass === 'discount').length));
    expect(page.body).toHaveLength(1);
    expect(Object.keys(page.body[0]).sort()).toEqual(['@type', 'href', 'id', 'name']);
    expect((await call('GET', '/productOffering/retain-10?fields=lifecycleStatus', 'ProductOffering')).body).toEqual({ id: 'retain-10', href: retain.href, '@type': 'TwinloopProductOffering', lifecycleStatus: 'Active' });
    expect((await call('GET', '/productOffering/nope', 'ProductOffering')).status).toBe(404);
  });

  it('creates an offering next-best-action proposes at once: 201 with Location, standard attributes kept', async () => {
    const created = await call('POST', '/productOffering', 'ProductOffering', {
      name: 'Weekend Data Pass',
      description: 'Unlimited data on weekends',
      isBundle: false,
      isSellable: true,
      lifecycleStatus: 'Active',
      marketSegment: [{ id: 'youth' }],
      productOfferingPrice: [{ id: 'weekend-price', priceType: 'oneTime', price: { unit: 'EUR', value: 4 } }],
      category: [{ id: 'offer' }],
      treatments: [{ id: 'w', name: 'Weekend', message: 'Unlimited data this weekend for 4 EUR' }],
      eligibility: 'months_over_allowance_3m >= 1',
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(created.body.href);
    expect(created.body).toMatchObject({ id: 'weekend-data-pass', actionClass: 'offer', marketSegment: [{ id: 'youth' }], lastUpdate: expect.any(String) });
    expect(decisions.catalogue.byId.get('weekend-data-pass')?.offering.productOfferingPrice).toMatchObject({ priceType: 'oneTime', price: { value: 4 } });
    const price = await call('GET', '/productOfferingPrice/weekend-data-pass-price', 'ProductOfferingPrice');
    expect(price.body).toMatchObject({ priceType: 'oneTime', price: { unit: 'EUR', value: 4 }, '@baseType': 'ProductOfferingPrice' });
    const again = await call('POST', '/productOffering', 'ProductOffering', { ...created.body, id: 'weekend-data-pass' });
    expect(again.status).toBe(409);
  });

  it('refuses what the catalogue or the specification refuses, as a TMF Error naming the field', async () => {
    const noName = await call('POST', '/productOffering', 'ProductOffering', { description: 'nameless' });
    expect(noName.status).toBe(400);
    expect(noName.body.message).toMatch(/name/);
    const badRule = await call('POST', '/productOffering', 'ProductOffering', { name: 'Bad', actionClass: 'offer', productOfferingPrice: [{ id: 'p', priceType: 'oneTime' }], treatments: [{ id: 't', name: 'T', message: 'm' }], eligibility: 'no_such_feature > 1' });
    expect(badRule.status).toBe(400);
    expect(badRule.body).toMatchObject({ code: 'BAD_INPUT', reason: 'Bad Request', status: '400' });
    expect(badRule.body.message).toMatch(/eligibility/);
    const noPrice = await call('POST', '/productOffering', 'ProductOffering', { name: 'No price', actionClass: 'offer', productOfferingPrice: [{ id: 'nope' }], treatments: [{ id: 't', name: 'T', message: 'm' }] });
    expect(noPrice.body.message).toMatch(/productOfferingPrice\[0\]\.id/);
    // Without a key, or with a role that may not write the catalogue: 401 and 403, as TMF Errors too.
    const anonymous = await app.inject({ url: `${BASE}/productOffering` });
    expect(anonymous.statusCode).toBe(401);
    expect(contract.check('TMF620', 'Error', anonymous.json(), 'anonymous')).toEqual([]);
    const viewer = await local.bearer('viewer');
    const forbidden = await app.inject({ method: 'DELETE', url: `${BASE}/productOffering/retain-10`, headers: viewer });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'FORBIDDEN', status: '403', '@type': 'Error' });
  });

  it('merge-patches an offering (null removes), checks the result whole, and deletes it', async () => {
    const patched = await call('PATCH', '/productOffering/weekend-data-pass', 'ProductOffering', { description: null, eligibility: 'true', lifecycleStatus: 'Retired' });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty('description');
    expect(patched.body).toMatchObject({ eligibility: 'true', lifecycleStatus: 'Retired', marketSegment: [{ id: 'youth' }] });
    expect(decisions.catalogue.byId.get('weekend-data-pass')?.live).toBe(false);
    const repriced = await call('PATCH', '/productOffering/weekend-data-pass', 'ProductOffering', { productOfferingPrice: [{ id: 'x', priceType: 'discount', percentage: 15, recurringChargePeriodLength: 3 }] });
    expect(decisions.catalogue.byId.get('weekend-data-pass')?.discountShare).toBe(0.15);
    expect(repriced.body.productOfferingPrice).toEqual([expect.objectContaining({ id: 'weekend-data-pass-price' })]);
    expect((await call('PATCH', '/productOffering/weekend-data-pass', 'ProductOffering', { lifecycleStatus: 'Dreaming' })).status).toBe(400);
    expect((await call('PATCH', '/productOffering/weekend-data-pass', 'ProductOffering', { name: 42 })).body.message).toMatch(/^name:/);
    expect((await call('PATCH', '/productOffering/nope', 'ProductOffering', { name: 'x' })).status).toBe(404);
    expect((await call('DELETE', '/productOffering/weekend-data-pass', 'ProductOffering')).status).toBe(204);
    expect(decisions.catalogue.byId.has('weekend-data-pass')).toBe(false);
    expect((await call('DELETE', '/productOffering/weekend-data-pass', 'ProductOffering')).status).toBe(404);
  });

  it('reads prices, specifications, categories and the catalog as the specification defines them', async () => {
    expect((await call('GET', '/productOfferingPrice?priceType=discount', 'ProductOfferingPrice')).body.every((p) => p.priceType === 'discount')).toBe(true);
    const specs = await call('GET', '/productSpecification', 'ProductSpecification');
    expect(specs.body.map((s) => s.id)).toContain('retain-10');
    expect((await call('GET', '/productSpecification/retain-10', 'ProductSpecification')).status).toBe(200);
    const discount = await call('GET', '/category/discount', 'Category');
    expect((discount.body.productOffering as Json[]).map((r) => r.id)).toEqual(expect.arrayContaining(['retain-10', 'retain-25']));
    expect((await call('GET', '/category', 'Category')).body).toHaveLength(5);
    const catalogs = await call('GET', '/catalog', 'Catalog');
    expect(catalogs.body).toHaveLength(1);
    expect((await call('GET', `/catalog/${String(catalogs.body[0].id)}`, 'Catalog')).status).toBe(200);
    expect((await call('GET', '/category/nope', 'Category')).status).toBe(404);
    const schema = await app.inject({ url: `${BASE}/schema/TwinloopProductOffering`, headers: marketer });
    expect(schema.json()).toMatchObject({ title: 'TwinloopProductOffering', properties: { eligibility: expect.any(Object) } });
  });

  it('writes prices: one an offering names is copied into it; an offering\'s own price reprices it; it keeps exactly one', async () => {
    const created = await call('POST', '/productOfferingPrice', 'ProductOfferingPrice', { name: 'Loyalty 20', priceType: 'discount', percentage: 20, recurringChargePeriodLength: 6, price: { unit: 'EUR', value: 0 } });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(created.body.href);
    expect(created.body).toMatchObject({ id: 'loyalty-20', priceType: 'discount', percentage: 20, '@type': 'ProductOfferingPrice', lastUpdate: expect.any(String) });
    const offering = await call('POST', '/productOffering', 'ProductOffering', { name: 'Loyal', actionClass: 'discount', productOfferingPrice: [{ id: 'loyalty-20' }], treatments: [{ id: 't', name: 'T', message: '20 % off for 6 months' }] });
    expect(offering.status).toBe(201);
    expect(decisions.catalogue.byId.get('loyal')?.discountShare).toBe(0.2);
    // The offering's own price: PATCH it and next-best-action prices the offering so at once.
    const own = await call('PATCH', '/productOfferingPrice/retain-10-price', 'ProductOfferingPrice', { percentage: 12 });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({ id: 'retain-10-price', percentage: 12 });
    expect(decisions.catalogue.byId.get('retain-10')?.discountShare).toBe(0.12);
    expect((await call('PATCH', '/productOfferingPrice/retain-10-price', 'ProductOfferingPrice', { priceType: 'sometimes' })).body.message).toMatch(/^priceType: /);
    expect((await call('PATCH', '/productOfferingPrice/retain-10-price', 'ProductOfferingPrice', { lifecycleStatus: 'Retired' })).body.message).toMatch(/^lifecycleStatus: .*productOffering\/retain-10/);
    expect((await call('DELETE', '/productOfferingPrice/retain-10-price', 'ProductOfferingPrice')).status).toBe(409);
    expect((await call('POST', '/productOfferingPrice', 'ProductOfferingPrice', { name: 'No type' })).body.message).toMatch(/^priceType: /);
    // Every wrong attribute is named, not only the first.
    expect((await call('POST', '/productOfferingPrice', 'ProductOfferingPrice', { name: 'x', priceType: 'sometimes', percentage: 130 })).body.message).toMatch(/^priceType: expected one of oneTime, recurring, discount, got "sometimes"; percentage: expected at most 100, got 130/);
    expect((await call('POST', '/productOfferingPrice', 'ProductOfferingPrice', { name: 'x', id: 'retain-10-price', priceType: 'oneTime' })).status).toBe(409);
    expect((await call('PATCH', '/productOfferingPrice/loyalty-20', 'ProductOfferingPrice', { percentage: 30 })).body).toMatchObject({ percentage: 30 });
    expect(decisions.catalogue.byId.get('loyal')?.discountShare).toBe(0.2);
    expect((await call('DELETE', '/productOfferingPrice/loyalty-20', 'ProductOfferingPrice')).status).toBe(204);
    expect((await call('GET', '/productOfferingPrice/loyalty-20', 'ProductOfferingPrice')).status).toBe(404);
    expect((await call('DELETE', '/productOfferingPrice/loyalty-20', 'ProductOfferingPrice')).status).toBe(404);
  });

  it('writes specifications: named by offerings, kept while one names it', async () => {
    const spec = await call('POST', '/productSpecification', 'ProductSpecification', { id: 'loyalty-disc', name: 'Loyalty discount', brand: 'Twinloop Mobile', productNumber: 'LD-1' });
    expect(spec.status).toBe(201);
    expect(spec.body).toMatchObject({ id: 'loyalty-disc', brand: 'Twinloop Mobile', '@type': 'ProductSpecification' });
    expect((await call('PATCH', '/productSpecification/loyalty-disc', 'ProductSpecification', { description: 'the BSS offer LD-1' })).body).toMatchObject({ description: 'the BSS offer LD-1', brand: 'Twinloop Mobile' });
    await call('PATCH', '/productOffering/loyal', 'ProductOffering', { productSpecification: { id: 'loyalty-disc' } });
    expect(decisions.catalogue.byId.get('loyal')?.offering.sandboxOfferId).toBe('loyalty-disc');
    const refused = await call('DELETE', '/productSpecification/loyalty-disc', 'ProductSpecification');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/loyal/);
    // A specification computed from an offering's back-end offer becomes a written one when patched, listed once.
    expect((await call('PATCH', '/productSpecification/retain-25', 'ProductSpecification', { description: 'the sandbox offer retain-25' })).body).toMatchObject({ id: 'retain-25', description: 'the sandbox offer retain-25' });
    expect((await call('GET', '/productSpecification', 'ProductSpecification')).body.filter((x) => x.id === 'retain-25')).toHaveLength(1);
    expect((await call('POST', '/productSpecification', 'ProductSpecification', { id: 'retain-25', name: 'again' })).status).toBe(409);
    expect((await call('POST', '/productSpecification', 'ProductSpecification', { description: 'no name' })).status).toBe(400);
  });

  it('writes categories of offerings and catalogs of categories; the action classes and the main catalog stay next-best-action\'s', async () => {
    const winter = await call('POST', '/category', 'Category', { name: 'Winter deals', parentId: 'discount', productOffering: [{ id: 'retain-10' }] });
    expect(winter.status).toBe(201);
    expect(winter.body).toMatchObject({ id: 'winter-deals', isRoot: false, productOffering: [{ id: 'retain-10', name: expect.any(String) }] });
    expect(((await call('GET', '/productOffering/retain-10', 'ProductOffering')).body.category as Json[]).map((c) => c.id)).toEqual(['discount', 'winter-deals']);
    expect(((await call('GET', '/category/discount', 'Category')).body.subCategory as Json[]).map((c) => c.id)).toEqual(['winter-deals']);
    // An offering written naming the category joins it; one written without it leaves it.
    await call('PATCH', '/productOffering/loyal', 'ProductOffering', { category: [{ id: 'discount' }, { id: 'winter-deals' }] });
    expect(((await call('GET', '/category/winter-deals', 'Category')).body.productOffering as Json[]).map((r) => r.id)).toEqual(['retain-10', 'loyal']);
    await call('PATCH', '/productOffering/retain-10', 'ProductOffering', { category: [{ id: 'discount' }] });
    expect(((await call('GET', '/category/winter-deals', 'Category')).body.productOffering as Json[]).map((r) => r.id)).toEqual(['loyal']);
    expect((await call('PATCH', '/productOffering/loyal', 'ProductOffering', { category: [{ id: 'summer' }] })).body.message).toMatch(/^category\[0\]\.id: no Category "summer"/);
    expect((await call('POST', '/category', 'Category', { name: 'Orphan', parentId: 'nope' })).body.message).toMatch(/^parentId: /);
    expect((await call('POST', '/category', 'Category', { name: 'Ghost', productOffering: [{ id: 'nope' }] })).body.message).toMatch(/^productOffering\[0\]\.id: /);
    expect((await call('PATCH', '/category/winter-deals', 'Category', { parentId: 'winter-deals' })).status).toBe(400);
    expect((await call('PATCH', '/category/discount', 'Category', { name: 'Rebates' })).status).toBe(409);
    expect((await call('DELETE', '/category/offer', 'Category')).status).toBe(409);
    expect((await call('PATCH', '/category/winter-deals', 'Category', { description: 'December to February' })).body).toMatchObject({ description: 'December to February', productOffering: [{ id: 'loyal' }] });

    const partner = await call('POST', '/catalog', 'Catalog', { name: 'Partner catalog', category: [{ id: 'winter-deals' }], catalogType: 'productCatalog' });
    expect(partner.status).toBe(201);
    expect(partner.body).toMatchObject({ id: 'partner-catalog', category: [{ id: 'winter-deals', name: 'Winter deals' }] });
    expect((await call('DELETE', '/category/winter-deals', 'Category')).body.message).toMatch(/partner-catalog/);
    expect((await call('POST', '/catalog', 'Catalog', { name: 'Bad', category: [{ id: 'nope' }] })).body.message).toMatch(/^category\[0\]\.id: /);
    const main = decisions.catalogue.id;
    const renamed = await call('PATCH', `/catalog/${main}`, 'Catalog', { name: 'Retention offers', description: 'What next-best-action may propose' });
    expect(renamed.body).toMatchObject({ id: main, name: 'Retention offers', description: 'What next-best-action may propose' });
    expect(((renamed.body.category as Json[]).map((c) => c.id))).toContain('winter-deals');
    expect((await call('PATCH', `/catalog/${main}`, 'Catalog', { version: '99' })).body.message).toMatch(/^version: /);
    expect((await call('DELETE', `/catalog/${main}`, 'Catalog')).status).toBe(409);
    expect((await call('DELETE', '/catalog/partner-catalog', 'Catalog')).status).toBe(204);
    expect((await call('DELETE', '/category/winter-deals', 'Category')).status).toBe(204);
    expect((await call('GET', '/category', 'Category')).body).toHaveLength(5);
    // The catalogue document carries them (GET /catalogue and PUT /catalogue read and write the same document).
    expect(decisions.catalogueDocument().document).toMatchObject({ name: 'Retention offers', productSpecification: expect.arrayContaining([expect.objectContaining({ id: 'loyalty-disc' })]) });
  });

  it('answered every call as the official specification defines', () => {
    expect(problems).toEqual([]);
  });
});
