import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TwinloopError } from '../../../domain/errors.js';
import { openTestAuth, type TestAuth } from '../../auth/auth-fixtures.js';
import { createHttpApp } from '../server.js';
import { apiRoot, applyMergePatch, attributeFilters, filterResources, MERGE_PATCH, mergePatchBody, selectFields, sendCreated, sendList, tmfErrors, tmfFieldsQuery, tmfListQuery } from './tmf-common.js';

const items = [
  { id: 'a', name: 'Alpha', lifecycleStatus: 'Active', price: { value: 5 }, channel: [{ id: 'web' }, { id: 'call' }], lastUpdate: '2026-01-01T00:00:00.000Z' },
  { id: 'b', name: 'Beta', lifecycleStatus: 'Retired', price: { value: 12 }, channel: [{ id: 'app' }], lastUpdate: '2026-03-01T00:00:00.000Z' },
  { id: 'c', name: 'Gamma', lifecycleStatus: 'Active', price: { value: 20 }, lastUpdate: '2026-06-01T00:00:00.000Z' },
];

describe('TMF common rules', () => {
  it('filters on attributes: equality with alternatives, nested paths through arrays, comparisons', () => {
    const ids = (q: Record<string, unknown>) => filterResources(items, q).map((i) => i.id);
    expect(ids({ lifecycleStatus: 'Active' })).toEqual(['a', 'c']);
    expect(ids({ name: 'Alpha,Gamma' })).toEqual(['a', 'c']);
    expect(ids({ 'channel.id': 'call' })).toEqual(['a']);
    expect(ids({ 'price.value.gt': '5' })).toEqual(['b', 'c']);
    expect(ids({ 'price.value.lte': '12', lifecycleStatus: 'Active' })).toEqual(['a']);
    expect(ids({ 'lastUpdate.gte': '2026-03-01T00:00:00Z' })).toEqual(['b', 'c']);
    expect(ids({ 'lifecycleStatus.ne': 'Active' })).toEqual(['b']);
    expect(ids({ fields: 'name', offset: 0, limit: 10 })).toEqual(['a', 'b', 'c']);
    expect(() => attributeFilters({ 'a..b': 'x' })).toThrow(TwinloopError);
  });

  it('selects fields, always keeping id, href and @type', () => {
    expect(selectFields({ id: 'a', href: 'h', '@type': 'T', name: 'n', description: 'd' }, 'name')).toEqual({ id: 'a', href: 'h', '@type': 'T', name: 'n' });
    expect(selectFields(items[0], undefined)).toBe(items[0]);
  });

  it('merge-patches as RFC 7386 says', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({ a: 'z', c: { d: 'e' } });
    expect(applyMergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
    expect(applyMergePatch({ a: 1 }, { b: { c: null } })).toEqual({ a: 1, b: {} });
  });
});

describe('TMF common rules over HTTP', () => {
  let app: FastifyInstance;
  let local: TestAuth;
  const base = '/tmf-api/testApi/v4';
  beforeAll(async () => {
    // Open mode on loopback: these tests are about the TMF rules; the access matrix test checks who may call the operator's routes.
    local = await openTestAuth('insecure-local');
    const stored = new Map(items.map((i) => [i.id, { ...i }]));
    app = createHttpApp({ version: 'test', auth: local.auth, extraAccess: { [`GET ${base}/thing`]: 'signed-in', [`GET ${base}/thing/:id`]: 'signed-in', [`POST ${base}/thing`]: 'signed-in', [`PATCH ${base}/thing/:id`]: 'signed-in' } }, [
      (api) => {
        api.get(`${base}/thing`, { schema: { querystring: tmfListQuery, response: { 200: z.array(z.unknown()), ...tmfErrors('TMF620', 400) } } }, async (req, reply) =>
          sendList(reply, [...stored.values()].map((t) => ({ ...t, href: `${apiRoot(req, base)}/thing/${t.id}` })), req.query),
        );
        api.get(`${base}/thing/:id`, { schema: { querystring: tmfFieldsQuery, response: { 200: z.unknown(), ...tmfErrors('TMF620', 404) } } }, async (req) => {
          const found = stored.get((req.params as { id: string }).id);
          if (!found) throw new TwinloopError('NOT_FOUND', 'no such thing');
          return selectFields(found, req.query.fields);
        });
        api.post(`${base}/thing`, { schema: { body: z.object({ id: z.string(), name: z.string() }) } }, async (req, reply) => {
          const made = { ...req.body, href: `${apiRoot(req, base)}/thing/${req.body.id}` };
          return sendCreated(reply, made);
        });
        api.patch(`${base}/thing/:id`, { schema: { body: mergePatchBody } }, async (req) => applyMergePatch(stored.get((req.params as { id: string }).id), req.body));
      },
    ]);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await local.close();
  });

  it('pages with offset and limit and counts in X-Total-Count and X-Result-Count', async () => {
    const res = await app.inject({ url: `${base}/thing?lifecycleStatus=Active&offset=1&limit=1&fields=name` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-total-count']).toBe('2');
    expect(res.headers['x-result-count']).toBe('1');
    expect(res.json()).toEqual([{ id: 'c', name: 'Gamma', href: 'http://localhost:80/tmf-api/testApi/v4/thing/c' }]);
  });

  it('answers 201 with Location on create, and reads merge-patch+json bodies', async () => {
    const made = await app.inject({ method: 'POST', url: `${base}/thing`, payload: { id: 'd', name: 'Delta' } });
    expect(made.statusCode).toBe(201);
    expect(made.headers.location).toBe(made.json().href);
    const patched = await app.inject({ method: 'PATCH', url: `${base}/thing/a`, headers: { 'content-type': MERGE_PATCH }, payload: JSON.stringify({ name: 'A2', price: null }) });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id: 'a', name: 'A2' });
    expect(patched.json()).not.toHaveProperty('price');
  });

  it('answers errors under /tmf-api/ as the TMF Error body, naming the field', async () => {
    const missing = await app.inject({ url: `${base}/thing/nope` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 'NOT_FOUND', reason: 'Not Found', message: 'no such thing', status: '404', '@type': 'Error' });
    const bad = await app.inject({ url: `${base}/thing?limit=0` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'BAD_INPUT', reason: 'Bad Request', status: '400' });
    expect(bad.json().message).toMatch(/^query parameter limit: expected at least 1, got "0"/);
    const noRoute = await app.inject({ url: `${base}/nothing` });
    expect(noRoute.json()).toMatchObject({ code: 'NOT_FOUND', status: '404' });
    const elsewhere = await app.inject({ url: '/nothing' });
    expect(elsewhere.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
