import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './support/until.js';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');
/** Fixed ports (this suite's own range): each process must know the other's address before it starts. */
const BSS_PORT = 18172;
const TWINLOOP_PORT = 18173;
const TOKEN = 'bss-secret';

type Stats = Record<string, { calls: number; ok: number; transient: number; rejected: number; replayed: number }>;

describe('Twinloop and the sandbox as two processes over the TM Forum APIs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-two-'));
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // The budget is the waits below: the history (a month of 200 customers), onboarding, an alarm's flow.
  it('onboards applicants and handles an alarm across them; the effects land at the sandbox and come back as events', async () => {
    // A small world whose network fails often (outages of an hour), so an alarm comes within seconds of live time.
    const config = join(dir, 'world.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: 'small',
        population: { customers: 200 },
        network: { incidents: { perCellPerMonth: 15, durationHours: { median: 1, sigma: 0.2 }, severities: { low: 0, medium: 0, high: 0, critical: 1 }, impacts: { outage: 1, degradation: 0, congestion: 0 } } },
      }),
    );
    const data = join(dir, 'data');
    const bssUrl = `http://127.0.0.1:${BSS_PORT}`;
    const base = `http://127.0.0.1:${TWINLOOP_PORT}`;
    let bssOut = '';
    let twinloopOut = '';
    const sandbox = spawn(process.execPath, [BIN, '--data-dir', data, 'sandbox', 'serve', '--port', String(BSS_PORT), '--config', config, '--months', '1', '--speed', '3600', '--token', TOKEN, '--twinloop-url', base], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(sandbox);
    sandbox.stdout!.on('data', (d) => (bssOut += d));
    sandbox.stderr!.on('data', (d) => (bssOut += d));
    // Twinloop waits for the BSS; the sandbox waits for Twinloop's admin key (the shared data dir) to send its history.
    const twinloop = spawn(process.execPath, [BIN, '--data-dir', data, 'start', '--port', String(TWINLOOP_PORT), '--connector-url', bssUrl, '--connector-token', TOKEN, '--retention-budget', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(twinloop);
    twinloop.stdout!.on('data', (d) => (twinloopOut += d));
    twinloop.stderr!.on('data', (d) => (twinloopOut += d));

    await until(async () => (bssOut.includes('sandbox: live') ? true : undefined), 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- sandbox:\n${bssOut}\n--- twinloop:\n${twinloopOut}`);
    });
    expect(bssOut).toMatch(/history in: \d+ events \(\d+ accepted, 0 duplicates, 0 rejected\)/);
    const key = readFileSync(join(data, 'admin.key'), 'utf8').trim();
    const tw = async (path: string, body?: unknown) => {
      const res = await fetch(base + path, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const bss = async (path: string, method = 'GET') => (await (await fetch(bssUrl + path, { method, headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>;
    expect((await fetch(`${bssUrl}/sandbox/stats`)).status).toBe(401);

    // Onboarding: applicants come from the sandbox's shop front; Twinloop's flow verifies, checks
    // credit, orders (TMF622) and activates (TMF641) at the sandbox, which makes them customers.
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const applicant = await bss('/sandbox/applicants', 'POST');
      const started = await tw('/workflows/onboarding/start', { applicant });
      expect(started.status).toBe(201);
      runs.push(started.body.workflowId as string);
    }
    const finished = await until(async () => {
      const all = await Promise.all(runs.map(async (id) => (await tw(`/workflows/${id}`)).body));
      return all.every((r) => r.status === 'succeeded' || r.status === 'failed') ? all : undefined;
    }, 60_000);
    const onboarded = finished.filter((r) => r.status === 'succeeded' && (r.output as { customerId?: string }).customerId);
    expect(onboarded.length).toBeGreaterThan(0);
    for (const run of onboarded) {
      const out = run.output as { customerId: string; orderId: string };
      const order = await bss(`/tmf-api/productOrderingManagement/v4/productOrder/${out.orderId}`);
      expect(order).toMatchObject({ id: out.orderId, state: 'completed', '@type': 'ProductOrder' });
      // The new customer's events came back from the sandbox through /events: Twinloop has the twin.
      const twin = await until(async () => {
        const r = await tw(`/twins/${out.customerId}`);
        return r.status === 200 ? r.body : undefined;
      }, 30_000);
      expect(twin).toMatchObject({ customerId: out.customerId });
    }
    const afterOnboarding = (await bss('/sandbox/stats')) as Stats;
    expect(afterOnboarding.identityVerification.ok).toBeGreaterThanOrEqual(onboarded.length);
    expect(afterOnboarding.provisioning.ok).toBeGreaterThanOrEqual(onboarded.length);

    // An alarm: the sandbox's network system raises it at Twinloop's TMF642; service operations
    // notifies the customers on the site (TMF681 at the sandbox).
    // The first alarm whose run told its customers: one raised and cleared within the contact
    // policy's quiet hours (an hour's outage at night) is over before anyone may be told, and tells
    // nobody (decision 0088); at 3,600x a world day passes in 24 seconds.
    const { alarm, ops } = await until(async () => {
      const list = (await tw('/tmf-api/alarmManagement/v4/alarm?sourceSystemId=sandbox-oss')).body as unknown as { id: number; externalAlarmId: string }[];
      for (const a of list) {
        const run = (await tw(`/workflows/alarm-${a.id}`)).body;
        if (run.status === 'succeeded' && (run.output as { notified: number }).notified > 0) return { alarm: a, ops: run };
      }
      return undefined;
    }, 120_000);
    expect(alarm.externalAlarmId).toMatch(/^ALM-/);
    const result = ops.output as { notified: number; affected: number; resolutionNotices: number };
    expect(result.affected).toBeGreaterThan(0);
    expect(result.notified).toBeGreaterThan(0);
    // What the BSS did comes back to the twins: each notice's report, dated on the sandbox's clock
    // (which Twinloop follows over HTTP), is taken by the intake and shows on the customer's timeline.
    expect(twinloopOut).not.toMatch(/the report of \S+ was refused/);
    const views = (await tw('/service-operations/incidents')).body as unknown as { items: { alarmId: string; notifiedCustomers: string[] }[] };
    const treated = views.items.find((i) => i.alarmId === `alarm-${alarm.id}`);
    expect(treated?.notifiedCustomers.length).toBeGreaterThan(0);
    for (const id of treated!.notifiedCustomers.slice(0, 5)) {
      await until(async () => {
        const t = (await tw(`/twins/${id}/timeline?limit=1000`)).body as unknown as { items: { kind: string }[] };
        return t.items.some((e) => e.kind === 'action') ? true : undefined;
      }, 30_000);
    }
    const stats = (await bss('/sandbox/stats')) as Stats;
    expect(stats.notifications.ok).toBeGreaterThanOrEqual(result.notified + result.resolutionNotices);
    // The alarm's trouble ticket was opened in the BSS's ticketing system over TMF621.
    expect(ops.output).toMatchObject({ ticket: 'executed' });
    expect(stats.troubleTickets.ok).toBeGreaterThanOrEqual(1);
    // And the clear came across too: the alarm is cleared at Twinloop.
    const cleared = await until(async () => {
      const a = (await tw(`/tmf-api/alarmManagement/v4/alarm/${alarm.id}`)).body;
      return a.state === 'cleared' ? a : undefined;
    }, 30_000);
    expect(cleared.alarmClearedTime).toBeTruthy();
  }, 300_000);
});
