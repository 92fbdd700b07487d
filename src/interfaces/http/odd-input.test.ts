import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import { createHttpApp, createHttpServer } from './server.js';

/** Odd input at `POST /events`: each refused with a reason naming what is wrong, never a 500 or a silent change. */

const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const reg = { id: 'r1', kind: 'customer', customerId: 'C1', time: iso(NOW - 7200_000), source: 'web', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: '2024-05-01T00:00:00Z' } };
const use = (id: string, dataMb: number) => ({ id, kind: 'usage', customerId: 'C1', time: iso(NOW - 3600_000), source: 'cdr', v: 1, data: { subscriptionId: 'S1', dataMb, voiceMin: 0, sms: 0, roaming: false } });
const bill = (id: string, amount: number) => ({ id, kind: 'bill', customerId: 'C1', time: iso(NOW - 1800_000), source: 'bss', v: 1, data: { billId: id, periodStart: '2026-05-01', periodEnd: '2026-05-31', amount, lines: [{ type: 'plan', amount }] } });
const ndjson = { 'content-type': 'application/x-ndjson' };

// Open mode on loopback: these tests are about what the routes do; the access matrix test checks who may call them.
let local: TestAuth;
beforeAll(async () => {
  local = await openTestAuth('insecure-local');
});
afterAll(async () => {
  await local.close();
});

describe('POST /events with odd input', () => {
  let dir: string;
  let twins: TwinService;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-odd-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW) });
    app = createHttpServer({ twins, auth: local.auth, version: 'test' });
    await app.inject({ method: 'POST', url: '/events', payload: [reg, use('u-ok', 100)] });
  });
  afterAll(async () => {
    await app.close();
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a query parameter of the wrong type naming it as sent, what was expected and what came (not zod's NaN)", async () => {
    const res = await app.inject({ method: 'GET', url: '/twins?limit=abc' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^query parameter limit: expected a number, got "abc"; e\.g\. \/twins\?/);
    const two = await app.inject({ method: 'GET', url: '/twins?limit=0&offset=-1' });
    expect(two.json().error.message).toMatch(/^query parameter limit: expected at least 1, got "0"; query parameter offset: expected at least 0, got "-1"; e\.g\./);
  });

  it('refuses usage too large for the counters and bills of absurd amounts, naming the field, and parks them', async () => {
    const before = twins.engine.view('C1')!.features.data_mb_7d;
    const deadBefore = await twins.store.countDeadLetters();
    const res = await app.inject({ method: 'POST', url: '/events', payload: [use('u-4tb', 4_194_304), use('u-max', 1.7e308), bill('b-neg', -1e308), bill('b-ok', 42)] });
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(json).toMatchObject({ accepted: 1, rejected: 3 });
    expect(json.results[0].reason).toMatch(/^data\.dataMb: at most 1,048,576 MB in one record/);
    expect(json.results[1].reason).toMatch(/^data\.dataMb: at most/);
    expect(json.results[2].reason).toMatch(/data\.amount: at least -1,000,000/);
    expect(twins.engine.view('C1')!.features.data_mb_7d).toBe(before);
    expect(await twins.store.countDeadLetters()).toBe(deadBefore + 3);
  });

  it('refuses an NDJSON line that is not UTF-8 instead of replacing its bytes, keeping the other lines', async () => {
    const good = JSON.stringify(use('u-utf8-ok', 1));
    const bad = Buffer.from(JSON.stringify(use('u-caf\u00e9', 1)), 'latin1'); // é as the single byte 0xE9
    const body = Buffer.concat([Buffer.from(`${good}\n`), bad, Buffer.from('\n')]);
    const res = await app.inject({ method: 'POST', url: '/events', headers: ndjson, body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.json().results[1].reason).toBe('record: not valid UTF-8; send events as UTF-8 text');
    const timeline = (await app.inject('/twins/C1/timeline?limit=100')).json();
    expect(timeline.items.map((e: { id: string }) => e.id)).not.toContain('u-caf\ufffd');
  });

  it('refuses a JSON body that is not UTF-8 with 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify([use('u-\u00e9', 1)]), 'latin1') });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('body: not valid UTF-8; send events as UTF-8 text');
  });

  it('answers 100,000-deep JSON with 400 (a body) or a rejected record (an NDJSON line), not 500', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, body: deep });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^body: nested more than 32 levels deep/);
    const line = JSON.stringify({ ...reg, id: 'deep', data: { ...reg.data, extra: 'x' } }).replace('"x"', '['.repeat(30_000) + ']'.repeat(30_000));
    const inLine = await app.inject({ method: 'POST', url: '/events', headers: ndjson, body: `${line}\n${JSON.stringify(use('u-after-deep', 1))}\n` });
    expect(inLine.statusCode).toBe(200);
    expect(inLine.json()).toMatchObject({ accepted: 1, rejected: 1 });
    expect(inLine.json().results[0].reason).toMatch(/^record: nested more than 32 levels deep/);
  });
});

describe('JSON bodies nested too deep, on any route', () => {
  it('answers 100,000-deep JSON with 400 before a handler or validator recurses into it (a workflow signal and a TMF ticket patch answered 500)', async () => {
    const reached: string[] = [];
    const app = createHttpApp({ version: 'test', auth: local.auth, extraAccess: { 'POST /deep': 'signed-in', 'PATCH /deep': 'signed-in' } }, [
      (api) => {
        // Each walks the body as handlers do (a JSON copy, a recursive merge): past some depth that overflows the stack.
        api.post('/deep', async (req) => (reached.push('post'), JSON.parse(JSON.stringify(req.body)) as unknown));
        api.patch('/deep', async (req) => (reached.push('patch'), { size: JSON.stringify(req.body).length }));
      },
    ]);
    try {
      const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      for (const [method, type, body] of [
        ['POST', 'application/json', deepObject],
        ['POST', 'application/json', '['.repeat(100_000) + ']'.repeat(100_000)],
        ['PATCH', 'application/merge-patch+json', `{"note":[{"text":${deepObject}}]}`],
        ['POST', 'application/json', `{"constructor":1,"x":${deepObject}}`],
      ] as const) {
        const res = await app.inject({ method, url: '/deep', headers: { 'content-type': type }, body });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json().error.message).toMatch(/^body: nested more than 32 levels deep/);
      }
      expect(reached).toEqual([]);
      // 32 levels are fine.
      const ok = await app.inject({ method: 'POST', url: '/deep', headers: { 'content-type': 'application/json' }, body: '{"a":'.repeat(31) + '1' + '}'.repeat(31) });
      expect(ok.statusCode, ok.body).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('answers 500', () => {
  it('are reported with what was thrown (not only answered)', async () => {
    const reported: { message: string; url: string }[] = [];
    const app = createHttpApp({ version: 'test', auth: local.auth, extraAccess: { 'GET /boom': 'signed-in' }, onServerError: (err, req) => reported.push({ message: (err as Error).message, url: req.url }) }, [
      (api) => {
        api.get('/boom', async () => {
          throw new Error('a bug');
        });
      },
    ]);
    try {
      const res = await app.inject('/boom');
      expect(res.statusCode).toBe(500);
      expect(reported).toEqual([{ message: 'a bug', url: '/boom' }]);
      expect((await app.inject('/nowhere')).statusCode).toBe(404);
      expect(reported).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
