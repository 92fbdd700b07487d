import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor } from '../src/interfaces/auth/auth-fixtures.js';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';
import { until } from './support/until.js';

type Json = Record<string, unknown>;
interface Suspicion {
  id: string;
  objectId: string;
  state: 'open' | 'closed';
  coveredBy: string | null;
  review: { decision: string; alarmId: string | null } | null;
}
interface Alarm {
  id: number;
  state: string;
  sourceSystemId: string;
}

const ALARMS = '/tmf-api/alarmManagement/v4/alarm';
const H = 3_600_000;

/**
 * A suspected incident whose cell had the network's own alarm while it was open belongs to that
 * alarm (the newcomer's anomaly-663 and alarm-5 on cell-175): once the alarm clears the suspicion
 * is closed with it, and confirming it afterwards names that alarm and raises none (a second alarm,
 * backdated and never cleared, told the same customers again and compensated them for an outage
 * that was over). Through the HTTP edge, on the operator as `npm start` assembles it without a
 * sandbox (nothing else moves).
 */
describe('a suspected incident covered by an alarm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-covered-'));
  let running: BareOperator;
  let ops: { authorization: string };
  let admin: { authorization: string };
  let seq = 0;

  async function call<T = Json>(method: 'GET' | 'POST' | 'PATCH', url: string, body: unknown, who: { authorization: string }): Promise<{ status: number; body: T }> {
    const res = await running.app.inject({ method, url, headers: { ...who, ...(body === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) }, payload: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.statusCode, body: res.json() as T };
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const event = (customerId: string, kind: string, time: number, data: Json) => ({ id: `covered-${++seq}`, kind, customerId, time: iso(time), source: 'covered-e2e', v: 1, data });
  const usage = (customerId: string, time: number, cellId: string, bad: boolean) =>
    event(customerId, 'usage', time, { subscriptionId: `S-${customerId}`, dataMb: 50, voiceMin: 3, sms: 0, roaming: false, cellId, siteId: `site-of-${cellId}`, ...(bad ? { droppedCalls: 2, throughputMbps: 0.2 } : { throughputMbps: 20 }) });
  const suspicions = async () => (await call<Suspicion[]>('GET', '/service-operations/anomalies?limit=100', undefined, ops)).body;

  /** Four customers living on `cellId` (a day of good usage), then dropped calls from three of them at `atMs`: a suspicion on the cell. */
  async function suspect(cellId: string, atMs: number): Promise<Suspicion> {
    const who = ['A', 'B', 'C', 'D'].map((x) => `C-${cellId}-${x}`);
    const events = who.flatMap((c) => [
      event(c, 'customer', atMs - 2 * 24 * H, { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: iso(atMs - 400 * 24 * H) }),
      event(c, 'subscription', atMs - 2 * 24 * H, { action: 'activated', subscriptionId: `S-${c}`, productId: 'plan-m', monthlyPrice: 20 }),
      usage(c, atMs - 24 * H, cellId, false),
    ]);
    expect((await call<{ rejected: number }>('POST', '/events', events, admin)).body.rejected).toBe(0);
    expect((await call('POST', '/events', who.slice(0, 3).map((c, i) => usage(c, atMs + i * 60_000, cellId, true)), admin)).status).toBeLessThan(300);
    return until(async () => (await suspicions()).find((s) => s.objectId === cellId || s.objectId === `site-of-${cellId}`), 30_000, `a suspicion on ${cellId}`);
  }
  const raiseAlarm = async (cellId: string, raisedMs: number) => {
    const r = await call<Alarm>('POST', ALARMS, { sourceSystemId: 'nms-test', externalAlarmId: `NMS-${cellId}`, state: 'raised', alarmType: 'communicationsAlarm', perceivedSeverity: 'major', probableCause: 'cell outage', alarmedObjectType: 'Cell', alarmedObject: { id: cellId }, alarmRaisedTime: iso(raisedMs) }, ops);
    expect(r.status).toBe(201);
    return r.body.id;
  };

  beforeAll(async () => {
    running = await startBareOperator(dir);
    admin = await bearerFor(running.operator.auth, { subject: 'root', role: 'admin' });
    ops = await bearerFor(running.operator.auth, { subject: 'nora', role: 'network_ops' });
  }, 120_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("closes with the alarm's clear, and a confirmation then names that alarm: nothing raised, nobody told again", async () => {
    const now = Date.now();
    const s = await suspect('cell-t1', now - 5 * H);
    expect(s.state).toBe('open');
    const alarmNo = await raiseAlarm('cell-t1', now - 4 * H);
    expect((await call('PATCH', `${ALARMS}/${alarmNo}`, { state: 'cleared', alarmClearedTime: iso(now - H) }, ops)).status).toBe(200);

    // The alarm's clear closed the suspicion it covered.
    const closed = await until(async () => (await suspicions()).find((x) => x.id === s.id && x.state === 'closed'), 10_000, `${s.id} closed with alarm-${alarmNo}`);
    expect(closed.coveredBy).toBe(`alarm-${alarmNo}`);
    expect((await call<Suspicion[]>('GET', '/service-operations/anomalies?state=open', undefined, ops)).body.map((x) => x.id)).not.toContain(s.id);

    // Confirmed after the fact: it belongs to the alarm; no second alarm, so no second notice.
    const before = (await call<Alarm[]>('GET', `${ALARMS}?limit=100`, undefined, ops)).body.length;
    const confirmed = await call<{ alarmId: string; alarmRaised: boolean; anomaly: Suspicion }>('POST', `/service-operations/anomalies/${s.id}/confirm`, { reason: 'drive test: no data on the cell', severity: 'major' }, ops);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ alarmId: `alarm-${alarmNo}`, alarmRaised: false, anomaly: { state: 'closed', review: { decision: 'confirmed', alarmId: `alarm-${alarmNo}` } } });
    expect((await call<Alarm[]>('GET', `${ALARMS}?limit=100`, undefined, ops)).body).toHaveLength(before);
  });

  it("the alarm a confirmation raised clears at the suspicion's last signal once its signals stop (healthy again by the evidence; its flow measures the outage by that clear: decision 0057)", async () => {
    const now = Date.now();
    // Its last signal (2 minutes after the first) 5 h 56 min back: within the quiet spell, it may go on.
    const s = await suspect('cell-t3', now - 5 * H - 58 * 60_000);
    const confirmed = await call<{ alarmId: string; alarmRaised: boolean; over: boolean }>('POST', `/service-operations/anomalies/${s.id}/confirm`, { reason: 'drive test: no data on the cell', severity: 'major' }, ops);
    expect(confirmed.body).toMatchObject({ alarmRaised: true, over: false });
    const number = confirmed.body.alarmId.slice('alarm-'.length);
    // Raised 6 h back and still raised: nobody has said it is over.
    expect((await call<Alarm>('GET', `${ALARMS}/${number}`, undefined, ops)).body.state).toBe('raised');

    // Ordinary usage on the cell a few minutes on: the event clock passes the quiet spell, the suspicion closes, the cell is healthy.
    expect((await call<{ rejected: number }>('POST', '/events', [usage(`C-cell-t3-D`, now + 4.5 * 60_000, 'cell-t3', false)], admin)).body.rejected).toBe(0);
    const last = (await until(async () => (await suspicions()).find((x) => x.id === s.id && x.state === 'closed'), 10_000, `${s.id} closed`)) as Suspicion & { lastSignalTime: string };
    const alarm = await until(async () => {
      const a = (await call<Alarm & { alarmClearedTime?: string }>('GET', `${ALARMS}/${number}`, undefined, ops)).body;
      return a.state === 'cleared' ? a : undefined;
    }, 10_000, `${confirmed.body.alarmId} cleared`);
    expect(alarm.alarmClearedTime).toBe(last.lastSignalTime);
  });

  it('a suspicion confirmed 8 h after its last signal is over by its evidence (open still while the intake trails, or closed): its alarm is raised cleared at that signal and nobody is told', async () => {
    const now = Date.now();
    const s = await suspect('cell-t4', now - 8 * H);
    const confirmed = await call<{ alarmId: string; alarmRaised: boolean; over: boolean }>('POST', `/service-operations/anomalies/${s.id}/confirm`, { reason: 'OSS counters: the cell dropped calls this morning', severity: 'major' }, ops);
    expect(confirmed.body).toMatchObject({ alarmRaised: true, over: true });
    const number = confirmed.body.alarmId.slice('alarm-'.length);
    const lastSignal = (await suspicions()).find((x) => x.id === s.id) as Suspicion & { lastSignalTime: string };
    expect((await call<Alarm & { alarmClearedTime?: string }>('GET', `${ALARMS}/${number}`, undefined, ops)).body).toMatchObject({ state: 'cleared', alarmClearedTime: lastSignal.lastSignalTime });
    // Its flow runs on the clear: it finds the cell's customers, tells none of them of an outage that is over, and asks for its ticket
    // (which this operator, with no back ends, cannot open).
    const steps = await until(async () => {
      const r = await call<{ key: string; stepId: string; status: string; output: unknown }[]>('GET', `/workflows/${confirmed.body.alarmId}/steps`, undefined, admin);
      return r.status === 200 && r.body.some((x) => x.stepId === 'trouble-ticket') ? r.body : undefined;
    }, 30_000, `the run of ${confirmed.body.alarmId} at its ticket`);
    expect((steps.find((x) => x.stepId === 'affected-customers')?.output as string[]).length).toBeGreaterThan(0);
    expect(steps.filter((x) => x.stepId === 'outage-notices')).toEqual([]);
  });

  it('a suspicion that opens within the quiet spell after an alarm on its cell cleared goes on that incident: its customers are told it is back, under its own ids', async () => {
    const now = Date.now();
    const alarmNo = await raiseAlarm('cell-t5', now - 5 * H);
    expect((await call('PATCH', `${ALARMS}/${alarmNo}`, { state: 'cleared', alarmClearedTime: iso(now - 3 * H) }, ops)).status).toBe(200);
    const s = await suspect('cell-t5', now - H);
    const confirmed = await call<{ alarmId: string; alarmRaised: boolean; continues: string | null; over: boolean }>('POST', `/service-operations/anomalies/${s.id}/confirm`, { reason: 'calls drop again on the cell', severity: 'major' }, ops);
    expect(confirmed.body).toMatchObject({ alarmRaised: true, continues: `alarm-${alarmNo}`, over: false });
    const raised = (await call<Alarm & { alarmDetails: string }>('GET', `${ALARMS}/${confirmed.body.alarmId.slice('alarm-'.length)}`, undefined, ops)).body;
    expect(raised.alarmDetails).toContain(`goes on with alarm-${alarmNo}`);
    // Its flow pays under the first alarm's request ids (nobody paid twice) and tells under its own: the first alarm's run told them it was resolved.
    const run = await until(async () => {
      const r = await call<{ input: Json }>('GET', `/workflows/${confirmed.body.alarmId}`, undefined, admin);
      return r.status === 200 ? r.body : undefined;
    }, 30_000, `the run of ${confirmed.body.alarmId}`);
    expect(run.input).toMatchObject({ continues: `alarm-${alarmNo}`, noticesUnder: confirmed.body.alarmId, confirmed: true });
  });
});
