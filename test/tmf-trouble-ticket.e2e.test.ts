import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { officialContract } from './support/tmf-contract.js';

const BASE = '/tmf-api/troubleTicket/v4';
type Json = Record<string, unknown>;

/**
 * TMF621 Trouble Ticket on the operator as `npm start` runs it: the tickets on a customer's
 * timeline (the sandbox CRM's) read as TroubleTickets, a ticket opened and resolved through the
 * API lands on the twin (its open-ticket feature counts it); every answer checked against the
 * official specification with ajv.
 */
describe('TMF621 Trouble Ticket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmf621-'));
  const contract = officialContract();
  const problems: string[] = [];
  let running: RunningOperator;
  let admin: { authorization: string };
  let viewer: { authorization: string };

  async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, who = admin) {
    const res = await fetch(`${running.base}${BASE}${url}`, { method, headers: { ...who, ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    const body = (await res.json()) as Json & Json[];
    const what = `${method} ${url} → ${res.status}`;
    if (res.status >= 400) problems.push(...contract.check('TMF621', 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList('TMF621', 'TroubleTicket', { headers: res.headers, body }, what));
    else problems.push(...contract.check('TMF621', 'TroubleTicket', body, what));
    return { status: res.status, body, headers: res.headers };
  }
  const openTickets = (id: string) => running.operator.twins.engine.view(id)?.features.open_tickets;

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    const keys = running.operator.auth.keys;
    admin = { authorization: `Bearer ${(await keys.create({ subject: 'tmf621-admin', role: 'admin' }, 'test')).key}` };
    viewer = { authorization: `Bearer ${(await keys.create({ subject: 'tmf621-viewer', role: 'viewer' }, 'test')).key}` };
  }, 180_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the tickets on a customer's timeline as TroubleTickets", async () => {
    const engine = running.operator.twins.engine;
    let withTickets: string | undefined;
    for (let n = 1; n <= 800 && !withTickets; n++) {
      const id = `C${String(n).padStart(6, '0')}`;
      if ((engine.view(id)?.features.tickets_30d ?? 0) > 0) withTickets = id;
    }
    expect(withTickets).toBeDefined();
    const listed = await call('GET', `/troubleTicket?relatedParty.id=${withTickets}`);
    expect(listed.status).toBe(200);
    expect(listed.body.length).toBeGreaterThan(0);
    expect(Number(listed.headers.get('x-total-count'))).toBe(listed.body.length);
    const first = listed.body[0];
    expect(first).toMatchObject({ relatedParty: [{ id: withTickets, role: 'customer' }], '@type': 'TwinloopTroubleTicket', '@baseType': 'TroubleTicket' });
    expect(first.status).toMatch(/^(acknowledged|inProgress|resolved)$/);
    const one = await call('GET', `/troubleTicket/${encodeURIComponent(String(first.id))}?fields=status,severity`);
    expect(one.body).toEqual({ id: first.id, href: first.href, '@type': 'TwinloopTroubleTicket', status: first.status, severity: first.severity });
    const resolved = await call('GET', `/troubleTicket?relatedParty.id=${withTickets}&status=resolved&fields=status`);
    expect(resolved.body.every((t) => t.status === 'resolved')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('opens a ticket on the twin, moves it through its states and resolves it', async () => {
    const customerId = 'C000003';
    const before = openTickets(customerId) ?? 0;
    const created = await call('POST', '/troubleTicket', {
      description: 'Bill shows roaming charges for a trip never made',
      severity: 'Major',
      ticketType: 'complaint',
      category: 'billing',
      relatedParty: [{ id: customerId, role: 'customer', '@referredType': 'Customer' }],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(created.body.href);
    expect(created.body).toMatchObject({ status: 'acknowledged', severity: 'high', ticketType: 'complaint', category: 'billing', complaint: true, description: 'Bill shows roaming charges for a trip never made' });
    // The ticket is a ticket event through the intake: the twin counts it.
    expect(openTickets(customerId)).toBe(before + 1);
    const id = encodeURIComponent(String(created.body.id));
    const working = await call('PATCH', `/troubleTicket/${id}`, { status: 'inProgress', severity: 'critical' });
    expect(working.body).toMatchObject({ status: 'inProgress', severity: 'critical' });
    const done = await call('PATCH', `/troubleTicket/${id}`, { status: 'resolved', statusChangeReason: 'charges reversed' });
    expect(done.body).toMatchObject({ status: 'resolved', resolutionDate: expect.any(String), statusChange: [{ status: 'acknowledged' }, { status: 'inProgress' }, { status: 'resolved' }] });
    expect(openTickets(customerId)).toBe(before);
    const again = await call('PATCH', `/troubleTicket/${id}`, { status: 'inProgress' });
    expect(again.status).toBe(409);
    expect(problems).toEqual([]);
  });

  it('names what is wrong, and lets only those who act on customers open tickets', async () => {
    const party = [{ id: 'C000004', role: 'customer', '@referredType': 'Customer' }];
    const noCategory = await call('POST', '/troubleTicket', { description: 'x', severity: 'low', ticketType: 'complaint', relatedParty: party });
    expect(noCategory.status).toBe(400);
    expect(noCategory.body.message).toMatch(/^category: /);
    const badSeverity = await call('POST', '/troubleTicket', { description: 'x', severity: 'apocalyptic', ticketType: 'network', relatedParty: party });
    expect(badSeverity.body.message).toMatch(/severity: "apocalyptic"/);
    const missing = await call('POST', '/troubleTicket', { description: 'x', ticketType: 'network', relatedParty: party });
    expect(missing.status).toBe(400);
    const unknown = await call('POST', '/troubleTicket', { description: 'x', severity: 'low', ticketType: 'network', relatedParty: [{ id: 'C999999', role: 'customer', '@referredType': 'Customer' }] });
    expect(unknown.status).toBe(404);
    expect((await call('GET', '/troubleTicket')).body.message).toMatch(/relatedParty\.id/);
    expect((await call('GET', '/troubleTicket/C000004:nope')).status).toBe(404);
    expect((await call('PATCH', '/troubleTicket/C000004:nope', { status: 'resolved' })).status).toBe(404);
    const denied = await call('POST', '/troubleTicket', { description: 'x', severity: 'low', ticketType: 'network', relatedParty: party }, viewer);
    expect(denied.status).toBe(403);
    expect((await call('GET', '/troubleTicket?relatedParty.id=C000004', undefined, viewer)).status).toBe(200);
    expect(problems).toEqual([]);
  });
});
