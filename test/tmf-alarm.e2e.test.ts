import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlarmInbox, forwardAlarms, type AlarmInbox } from '../src/agents/flows/alarm-inbox.js';
import { watchAlarms, type AlarmWatcher } from '../src/agents/flows/alarm-watcher.js';
import { ALARM_CLEARED_SIGNAL } from '../src/agents/flows/service-ops-signals.js';
import { ManualClock } from '../src/domain/clock.js';
import type { EventSink } from '../src/domain/event-sink.js';
import { openTestAuth, type TestAuth } from '../src/interfaces/auth/auth-fixtures.js';
import { createHttpApp } from '../src/interfaces/http/server.js';
import { tmf642Routes } from '../src/interfaces/http/tmf/tmf642-routes.js';
import { createSandboxWorld, loadWorldDocument } from '../src/sandbox/index.js';
import { memoryDocuments } from '../src/store/document-store.js';
import { officialContract } from './support/tmf-contract.js';

const BASE = '/tmf-api/alarmManagement/v4';
type Json = Record<string, unknown>;
const T0 = Date.parse('2026-06-01T08:00:00Z');

/**
 * TMF642: network systems send alarms in; each answer checked against the official
 * specification (raw, with ajv); a raised alarm starts service operations, a clear signals it.
 */
describe('TMF642 Alarm Management', () => {
  const contract = officialContract();
  const problems: string[] = [];
  const clock = new ManualClock(T0);
  const calls: string[] = [];
  let inbox: AlarmInbox;
  let watcher: AlarmWatcher;
  let app: FastifyInstance;
  let local: TestAuth;
  /** A network operations engineer's key: alarms are theirs to send. */
  let netops: { authorization: string };

  async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
    const res = await app.inject({ method, url: `${BASE}${url}`, payload: payload === undefined ? undefined : JSON.stringify(payload), headers: { ...netops, ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) } });
    const body = res.json() as Json & Json[];
    const what = `${method} ${url} → ${res.statusCode}`;
    if (res.statusCode >= 400) problems.push(...contract.check('TMF642', 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList('TMF642', 'Alarm', { headers: res.headers, body }, what));
    else problems.push(...contract.check('TMF642', 'Alarm', body, what));
    return { status: res.statusCode, body, headers: res.headers };
  }

  const raise = (fields: Json = {}) => ({
    externalAlarmId: 'NMS-1',
    sourceSystemId: 'nms-east',
    state: 'raised',
    alarmType: 'Equipment Alarm',
    perceivedSeverity: 'critical',
    probableCause: 'equipmentMalfunction',
    alarmedObjectType: 'Site',
    alarmedObject: { id: 'site-4' },
    alarmRaisedTime: new Date(T0 - 60_000).toISOString(),
    comment: [{ text: 'power lost at the site' }],
    ...fields,
  });

  beforeAll(async () => {
    inbox = createAlarmInbox({ store: memoryDocuments(), clock });
    const engine = {
      start: async (def: string, input: unknown, o: { workflowId: string }) => (calls.push(`start ${def} ${o.workflowId}`), { workflowId: o.workflowId, created: true }),
      signal: async (id: string, name: string) => (calls.push(`signal ${id} ${name}`), true),
    };
    watcher = watchAlarms({ alarms: inbox, engine });
    local = await openTestAuth();
    netops = await local.bearer('network_ops');
    app = createHttpApp({ version: 'test', auth: local.auth }, [tmf642Routes(inbox)]);
    await app.ready();
  });
  afterAll(async () => {
    watcher.stop();
    await app.close();
    await local.close();
  });

  it('creates an alarm (201, Location) that starts service operations, and lists and reads it', async () => {
    const created = await call('POST', '/alarm', raise());
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect(created.headers.location).toBe(`http://localhost:80${BASE}/alarm/${id}`);
    expect(created.body).toMatchObject({ '@type': 'Alarm', state: 'raised', alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', alarmedObjectType: 'Site', alarmedObject: { id: 'site-4' }, externalAlarmId: 'NMS-1', sourceSystemId: 'nms-east', comment: [{ text: 'power lost at the site' }], serviceAffecting: true });
    await watcher.idle();
    expect(calls).toEqual([`start service-operations alarm-${id}`]);

    const list = await call('GET', '/alarm?perceivedSeverity=critical&fields=state');
    expect(list.body).toEqual([{ id, href: created.body.href, '@type': 'Alarm', state: 'raised' }]);
    expect(list.headers['x-total-count']).toBe('1');
    expect((await call('GET', `/alarm/${id}`)).body).toMatchObject({ id, alarmRaisedTime: new Date(T0 - 60_000).toISOString() });
    // Sent twice by its source: a conflict naming the alarm it is.
    const again = await call('POST', '/alarm', raise());
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(id);
  });

  it('updates an alarm, then clears it (the flow is told), and refuses to change a cleared one', async () => {
    const id = inbox.bySource('nms-east', 'NMS-1')!.id.slice('alarm-'.length);
    // The name the console and the workflows give it reads the same alarm; the answer's id is the specification's integer.
    const byName = await call('GET', `/alarm/alarm-${id}`);
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({ id: Number(id), externalAlarmId: 'NMS-1' });
    expect((await call('GET', `/alarm/alarm-0${id}`)).status).toBe(404);
    const updated = await call('PATCH', `/alarm/${id}`, { perceivedSeverity: 'major', alarmDetails: 'one sector back' });
    expect(updated.body).toMatchObject({ state: 'updated', perceivedSeverity: 'major', alarmDetails: 'one sector back' });
    clock.advance(3_600_000);
    const cleared = await call('PATCH', `/alarm/${id}`, { state: 'cleared' });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ state: 'cleared', alarmClearedTime: new Date(T0 + 3_600_000).toISOString() });
    await watcher.idle();
    expect(calls).toContain(`signal alarm-${id} ${ALARM_CLEARED_SIGNAL}`);
    expect((await call('PATCH', `/alarm/${id}`, { perceivedSeverity: 'minor' })).status).toBe(409);
  });

  it('answers 400 naming the field for what it cannot act on', async () => {
    const bad = async (body: Json) => {
      const r = await call('POST', '/alarm', body);
      expect(r.status).toBe(400);
      return String(r.body.message);
    };
    expect(await bad(raise({ externalAlarmId: 'NMS-2', perceivedSeverity: 'apocalyptic' }))).toMatch(/^perceivedSeverity: .*critical, major/);
    expect(await bad(raise({ externalAlarmId: 'NMS-3', alarmedObjectType: 'Router' }))).toMatch(/^alarmedObjectType: /);
    expect(await bad(raise({ externalAlarmId: 'NMS-4', alarmRaisedTime: 'yesterday' }))).toMatch(/alarmRaisedTime/);
    expect(await bad(raise({ externalAlarmId: 'NMS-5', alarmRaisedTime: new Date(T0 + 86_400_000).toISOString() }))).toMatch(/^alarmRaisedTime: .* in the future/);
    const missing: Json = raise({ externalAlarmId: 'NMS-6' });
    delete missing.probableCause;
    expect(await bad(missing)).toMatch(/probableCause/);
    // Every problem at once: two fields missing and a severity it does not know were named one request at a time.
    const three: Json = raise({ externalAlarmId: 'NMS-8', perceivedSeverity: 'bogus' });
    delete three.alarmRaisedTime;
    delete three.probableCause;
    const said = await bad(three);
    for (const field of ['alarmRaisedTime', 'probableCause', 'perceivedSeverity: "bogus" is not one of']) expect(said).toContain(field);
    expect(said.match(/alarmRaisedTime/g), 'each field named once').toHaveLength(1);
    expect((await call('PATCH', '/alarm/999', { state: 'cleared' })).status).toBe(404);
    expect((await call('GET', '/alarm/alarm-x')).status).toBe(404);
    // Only network operations (and admins) send alarms in; anyone may read them.
    const viewer = await local.bearer('viewer');
    const post = await app.inject({ method: 'POST', url: `${BASE}/alarm`, payload: raise({ externalAlarmId: 'NMS-7' }), headers: viewer });
    expect(post.statusCode).toBe(403);
    expect((await app.inject({ url: `${BASE}/alarm`, headers: viewer })).statusCode).toBe(200);
  });

  it('every answer conforms to the official specification', () => {
    expect(problems).toEqual([]);
  });
});

describe("the sandbox's network system sends its alarms in", () => {
  it('forwards each raise when it happens and its clear, once', async () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 200 }, network: { cells: 6, incidents: { perCellPerMonth: 10 } } });
    const world = createSandboxWorld(cfg, 5, { latencyScale: 0 });
    const inbox = createAlarmInbox({ store: memoryDocuments(), clock: world.clock });
    const errors: string[] = [];
    const stop = forwardAlarms(world.backends.networkAlarms, inbox, { sourceSystemId: 'sandbox-oss', now: () => world.clock.now(), maxAgeMs: 3_600_000, onError: (e) => errors.push(e.message) });
    const real = new ManualClock(0);
    const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
    for (let i = 0; i < 3 * 96; i++) {
      real.advance(250);
      await run.tick();
    }
    await run.stop();
    await new Promise((r) => setTimeout(r, 50));
    stop();
    const feed = await world.backends.networkAlarms.list({ idempotencyKey: 'x' });
    if (feed.status !== 'ok') throw new Error(feed.reason);
    const got = inbox.all();
    expect(errors).toEqual([]);
    expect(got.length).toBe(feed.value.length);
    for (const a of feed.value) {
      const mine = inbox.bySource('sandbox-oss', a.id)!;
      expect(mine).toMatchObject({ raisedTime: a.raisedTime, state: a.state, alarmedObject: a.alarmedObject, perceivedSeverity: a.state === 'cleared' ? expect.any(String) : a.perceivedSeverity });
      if (a.state === 'cleared') expect(mine.clearedTime).toBe(a.clearedTime);
      // Received once it was raised, not before (and within the hour).
      expect(Date.parse(mine.reportingTime)).toBeGreaterThanOrEqual(Date.parse(a.raisedTime));
      expect(Date.parse(mine.reportingTime)).toBeLessThan(Date.parse(a.raisedTime) + 3_600_000);
    }
    expect(got.some((a) => a.state === 'cleared')).toBe(true);
  });
});
