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
import { openTwinService, type TwinService } from '../src/twin/twin-service.js';
import { officialContract } from './support/tmf-contract.js';

type Json = Record<string, unknown>;
const CUSTOMERS = '/tmf-api/customerManagement/v4';
const INVENTORY = '/tmf-api/productInventory/v4';

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
  let intel: Intelligence;
  let app: FastifyInstance;
  let local: TestAuth;
  /** A viewer's key: twins:read is all these APIs need. */
  let viewer: { authorization: string };

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
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
    registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    await submitInBatches(twins.intake, syntheticChurnEvents({ customers: 800, days: 200, seed: 9 }));
    intel = await startIntelligence(twins, registry, { checkIntervalMs: 0, log: () => {} });
    await intel.trainIfMissing();
    const reads = { twins, decorateTwin: intel.decorateTwin, scoreFields: intel.scoreFields };
    local = await openTestAuth();
    viewer = await local.bearer('viewer');
    app = createHttpServer({ version: 'test', auth: local.auth, ...reads }, [tmf629Routes(reads), tmf637Routes(reads)]);
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await intel?.close();
    await registry?.close();
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
  });

  it('answered every call as the official specifications define', () => {
    expect(problems).toEqual([]);
  });
});
