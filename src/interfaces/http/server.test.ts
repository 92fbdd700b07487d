import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import { createHttpServer } from './server.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const reg = { id: 'r1', kind: 'customer', customerId: 'C1', time: iso(NOW - 7200_000), source: 'web', v: 1, data: { segment: 'business', billing: 'postpaid', contractMonths: 24, paymentMethod: 'direct_debit', since: '2024-05-01T00:00:00Z' } };
const use = (id: string, mb: number, at: number) => ({ id, kind: 'usage', customerId: 'C1', time: iso(at), source: 'cdr', v: 1, data: { subscriptionId: 'S1', dataMb: mb, voiceMin: 0, sms: 0, roaming: false } });

describe('HTTP API', () => {
  let dir: string;
  let twins: TwinService;
  let app: FastifyInstance;
  let local: TestAuth;
  beforeAll(async () => {
    // Open mode on loopback: these tests are about what the routes do; the access matrix test checks who may call them.
    local = await openTestAuth('insecure-local');
    dir = mkdtempSync(join(tmpdir(), 'twinloop-http-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW) });
    app = createHttpServer({ twins, auth: local.auth, version: 'test' });
  });
  afterAll(async () => {
    await app.close();
    await twins.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every record of an NDJSON batch, keeping the good ones', async () => {
    const body = [JSON.stringify(reg), JSON.stringify(use('u1', 50, NOW - 3600_000)), '{not json', JSON.stringify({ ...use('u2', 1, NOW), data: { dataMb: 'lots' } })].join('\n');
    const res = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(json).toMatchObject({ accepted: 2, duplicates: 0, rejected: 2 });
    expect(json.results[3].reason).toMatch(/data\.subscriptionId|data\.dataMb/);
    const again = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, payload: [use('u1', 50, NOW - 3600_000)] });
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 1, rejected: 0 });
  });

  it('refuses a body that is not JSON at all with 400 and a reason', async () => {
    const res = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, body: '[{"id":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^body: malformed JSON/);
  });

  it('says where a body stops being JSON without repeating it (it may hold personal data)', async () => {
    const res = await app.inject({ method: 'POST', url: '/intents', headers: { 'content-type': 'application/json' }, body: 'not json' });
    expect(res.statusCode).toBe(400);
    const message: string = res.json().error.message;
    expect(message).toBe('body: malformed JSON at line 1, column 2 (character 1): unexpected character; the body is not repeated: it may hold personal data');
    const events = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, body: '[{"customerId": "C1",\n "name": Jeanne}]' });
    expect(events.json().error.message).toMatch(/^body: malformed JSON at line 2, column 10 \(character 31\): unexpected character; the body is not repeated/);
    expect(events.json().error.message).not.toMatch(/Jeanne|masked/);
  });

  it('serves a twin now and as of a past time, its timeline, and filtered lists', async () => {
    await app.inject({ method: 'POST', url: '/events', payload: [use('u3', 25, NOW - 600_000)] });
    const now = (await app.inject('/twins/C1')).json();
    expect(now.profile.segment).toBe('business');
    expect(now.features.data_mb_7d).toBe(75);
    const past = (await app.inject(`/twins/C1?at=${iso(NOW - 1800_000)}`)).json();
    expect(past.features.data_mb_7d).toBe(50);
    const timeline = (await app.inject('/twins/C1/timeline')).json();
    expect(timeline.items.map((e: { id: string }) => e.id)).toEqual(['r1', 'u1', 'u3']);
    expect((await app.inject('/twins?data_mb_7d.gt=70')).json().items.map((t: { customerId: string }) => t.customerId)).toEqual(['C1']);
    expect((await app.inject('/twins?data_mb_7d.gt=100')).json().items).toEqual([]);
    const bad = await app.inject('/twins?dat_mb.gt=1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/unknown field "dat_mb"; known fields: tenure_days, .*data_mb_7d/);
    // Scores are fields only where the intelligence layer supplies them.
    expect((await app.inject('/twins?churn.gt=0.5')).json().error.message).toMatch(/unknown field "churn"/);
  });

  it('says 404 for an unknown twin and 400 for a bad time', async () => {
    expect((await app.inject('/twins/NOBODY')).statusCode).toBe(404);
    const res = await app.inject('/twins/C1?at=yesterday');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^query parameter at: "yesterday" is not an ISO-8601 time/);
  });

  it('waits for slow plugins longer than Fastify\'s 10 s (the first start loads them beside the backfill)', () => {
    // At load 28 the default world's first start stopped with ERR_AVVIO_PLUGIN_TIMEOUT under the 10 s default.
    expect(app.initialConfig.pluginTimeout).toBeGreaterThanOrEqual(60_000);
  });

  it("says on /health how long the event loop was held: a stretch of synchronous work shows as its delay", async () => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    const until = performance.now() + 300;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const delay = res.json().eventLoopDelay as { p50Ms: number; p99Ms: number; maxMs: number; windowS: number };
    expect(delay.maxMs).toBeGreaterThanOrEqual(250);
    expect(delay.p99Ms).toEqual(expect.any(Number));
    expect(delay.p99Ms).toBeLessThanOrEqual(delay.maxMs);
    expect(delay.windowS).toBeLessThanOrEqual(60);
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/events', '/twins/{id}', '/twins/{id}/timeline']));
  });
});
