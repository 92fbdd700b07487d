import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { bearerFor, openTestAuth, segmentCustomer, type TestAuth } from '../auth/auth-fixtures.js';
import { customerReach, twinFields } from '../auth/customer-reach.js';
import type { Role } from '../auth/roles.js';
import { createHttpServer } from './server.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
/**
 * Keys scoped to segments over HTTP: the policy's segment `business` (is_business == 1) holds C1,
 * not C2; a key scoped to it reads and acts on C1 only, lists only C1, and is refused routes that
 * answer many customers unfiltered. An unscoped key reaches both.
 */
describe('a key scoped to segments', () => {
  let dir: string;
  let twins: TwinService;
  let app: FastifyInstance;
  let auth: TestAuth;
  const scoped = (role: Role, segments: string[]) => bearerFor(auth.auth, { subject: `${role}-scoped`, role, segments });
  beforeAll(async () => {
    auth = await openTestAuth();
    dir = mkdtempSync(join(tmpdir(), 'twinloop-reach-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW) });
    const segments = new Map([['business', (f: Readonly<Record<string, number>>) => f.is_business === 1]]);
    app = createHttpServer({ twins, auth: auth.auth, version: 'test', customerReach: customerReach({ segments: () => segments, fieldsOf: twinFields(twins.engine) }) });
    const admin = await auth.bearer('admin');
    const sent = await app.inject({ method: 'POST', url: '/events', headers: { ...admin, 'content-type': 'application/json' }, payload: [segmentCustomer('C1', 'business', NOW), segmentCustomer('C2', 'consumer', NOW)] });
    expect(sent.json()).toMatchObject({ accepted: 2 });
  });
  afterAll(async () => {
    await app.close();
    await twins.close();
    await auth.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the customers of its segments only, naming the customer and the segments when refused; lists hold only its customers', async () => {
    const carla = await scoped('care_agent', ['business']);
    expect((await app.inject({ url: '/twins/C1', headers: carla })).statusCode).toBe(200);
    for (const url of ['/twins/C2', '/twins/C2/timeline', `/twins/C2/diff?from=${new Date(NOW - 86_400_000).toISOString()}&to=${new Date(NOW).toISOString()}`]) {
      const refused = await app.inject({ url, headers: carla });
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json().error.message).toBe("care_agent-scoped's credential is scoped to the segments business; customer C2 is in none of them now");
    }
    expect((await app.inject({ url: '/twins?limit=10', headers: carla })).json().items.map((t: { customerId: string }) => t.customerId)).toEqual(['C1']);
    const admin = await auth.bearer('admin');
    expect((await app.inject({ url: '/twins?limit=10', headers: admin })).json().items.map((t: { customerId: string }) => t.customerId)).toEqual(['C1', 'C2']);
    expect((await app.inject({ url: '/twins/C2', headers: admin })).statusCode).toBe(200);
  });

  it('is refused routes that answer many customers without filtering them, and a segment the policy does not have holds no one', async () => {
    const nora = await scoped('network_ops', ['business']);
    const spans = await app.inject({ url: '/dead-letters', headers: nora });
    expect(spans.statusCode).toBe(403);
    expect(spans.json().error.message).toMatch(/scoped to the segments business; GET \/dead-letters reaches customers outside them, so it needs a key without segments/);
    const gone = await scoped('viewer', ['vip']);
    const refused = await app.inject({ url: '/twins/C1', headers: gone });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toMatch(/customer C1 is in none of them now \(vip: no such segment in the policy in force\)/);
  });
});
