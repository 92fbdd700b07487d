import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actionEventOf } from '../../agents/governance/action-report.js';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import { loadWorldDocument, namedWorld } from '../../sandbox/index.js';
import type { SeededHistoryRecord } from '../../store/event-store.js';
import { openEventStore } from '../../store/open-event-store.js';
import { SEEDED_BLOCK_EVENTS } from '../../store/seeded-history.js';
import type { SeededIntake } from '../../twin/intake.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { openTestAuth } from '../auth/auth-fixtures.js';
import { writeSandboxHistory } from '../runtime/sandbox-history-source.js';
import { planSandbox, sandboxAwareClock, startSandboxOperator } from '../runtime/sandbox-operator.js';
import { createHttpServer } from './server.js';
import { tmf681Routes } from './tmf/tmf681-routes.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const config = loadWorldDocument({ ...namedWorld('small'), population: { ...namedWorld('small').population, customers: 150 } });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A first start that takes its history from the seed (decision 0021), run until the history is in:
 * none of it written to the log yet. `during`: called once while the history goes through the intake, customer C000001 taken.
 */
async function seededFirstStart(during?: (twins: TwinService) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-timeline-'));
  dirs.push(dir);
  const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 1, stateDir: dir, now: NOW });
  const store = await openEventStore({ kind: 'sqlite', dataDir: dir, segments: { minBatch: 1_000, sealAt: 400_000 }, writes: 'thread' });
  const twins = await openTwinService({ store, clock: sandboxAwareClock(() => plan.world.clock) });
  let record: SeededHistoryRecord | undefined;
  let called = false;
  const begin = async (p: Parameters<typeof twins.intake.beginSeeded>[0]): Promise<SeededIntake> => {
    const intake = await twins.intake.beginSeeded(p);
    return {
      submit: async (events) => {
        const outcomes = await intake.submit(events);
        if (during && !called && twins.engine.has('C000001')) {
          called = true;
          await during(twins);
        }
        return outcomes;
      },
      end: (finish) => intake.end(finish),
    };
  };
  const seeded = { log: twins.store.seededHistory!, begin, holdCheckpoints: () => twins.holdCheckpoints(), onFinished: (r: SeededHistoryRecord) => (record = r) };
  const operator = startSandboxOperator(twins, { plan, speed: 1, stateDir: dir, log: () => {}, seeded });
  await operator.ready;
  await operator.stop();
  return { twins, record: record! };
}

describe("a customer's timeline during the first start's history write-behind (GET /twins/:id/timeline)", () => {
  it("answers a customer's timeline over HTTP while the history is half written: its live events, marked incomplete, never refused or silently short", async () => {
    const { twins, record } = await seededFirstStart();
    // An act's report after the history (an outcome the customer's page must show at once).
    const report = actionEventOf({ id: 'live-credit', actionClass: 'credit', channel: 'web', customerId: 'C000001', cost: 5, params: { amount: 5 }, features: {}, actor: { kind: 'system', id: 'test' }, why: {} } satisfies ActionRequest, { cost: 5 }, { ok: true }, 0)!;
    await expect(twins.intake.submit([{ ...report, time: new Date(NOW).toISOString() }])).resolves.toEqual([{ status: 'accepted', id: report.id }]);
    const local = await openTestAuth('insecure-local');
    const app = createHttpServer({ twins, auth: local.auth, version: 'test' });
    const timeline = async () => {
      const res = await app.inject('/twins/C000001/timeline?limit=100');
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    // Half of the history written: the page holds the live event only and says what it lacks.
    let blocks = 0;
    const half = Math.ceil((record.lastSeq! - record.firstSeq + 1) / SEEDED_BLOCK_EVENTS / 2);
    await writeSandboxHistory(record, async (events) => {
      await twins.store.seededHistory!.writeNext(events);
      if (++blocks !== half) return;
      const page = await timeline();
      expect(page.items.map((e: { id: string }) => e.id)).toEqual([report.id]);
      expect(page.items[0].seq).toBeGreaterThan(record.lastSeq!);
      expect(page.historyComplete).toBe(false);
      expect(page.history.written).toBeGreaterThan(0);
      expect(page.history.written).toBeLessThan(1);
      expect(page.history).toMatchObject({ stage: 'writing', fromSeq: record.lastSeq, retryAfterSeconds: expect.any(Number), note: expect.stringContaining('still being written') });
    });
    expect(blocks).toBeGreaterThanOrEqual(half);
    // Written but not sealed: still incomplete, now saying it is being sealed.
    const sealing = await timeline();
    expect(sealing).toMatchObject({ historyComplete: false, history: { stage: 'sealing', written: 1, sealed: 0 }, items: [{ id: report.id }] });
    // A page after the history's end is whole, and readers of the whole history still refuse.
    expect((await app.inject(`/twins/C000001/timeline?after=${record.lastSeq}`)).json()).toMatchObject({ historyComplete: true, items: [{ id: report.id }] });
    await expect(twins.history.timeline('C000001')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // TMF681 lists the customer's messages meanwhile, read from the history's end (every one the operator sent is after it): it answered 503 for half an hour.
    const message = actionEventOf({ id: 'live-notice', actionClass: 'communication', channel: 'web', customerId: 'C000001', cost: 0, params: { notificationChannel: 'sms', purpose: 'service', templateId: 'network-incident-resolved' }, features: {}, actor: { kind: 'system', id: 'test' }, why: {} } satisfies ActionRequest, { cost: 0.05 }, { ok: true }, 0)!;
    await twins.intake.submit([{ ...message, time: new Date(NOW).toISOString() }]);
    const tmf = createHttpServer({ twins, auth: local.auth, version: 'test' }, [tmf681Routes({ twins, guarded: undefined as never })]);
    const listed = await tmf.inject('/tmf-api/communicationManagement/v4/communicationMessage?receiver.id=C000001');
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().map((m: { id: string }) => m.id)).toEqual([expect.stringMatching(/^C000001:/)]);
    await tmf.close();
    // Sealed: the whole timeline, complete.
    await twins.store.bulkLoadEnded();
    const whole = await timeline();
    expect(whole.historyComplete).toBe(true);
    expect(whole.history).toBeUndefined();
    expect(whole.items.length).toBeGreaterThan(1);
    await app.close();
    await local.close();
    await twins.close();
  });

  it('answers while the history still goes through the intake: no event yet, marked incomplete at the intake stage, where it answered 503', async () => {
    const local = await openTestAuth('insecure-local');
    let page: { statusCode: number; body: unknown } | undefined;
    const { twins } = await seededFirstStart(async (taking) => {
      const app = createHttpServer({ twins: taking, auth: local.auth, version: 'test' });
      const res = await app.inject('/twins/C000001/timeline?limit=100');
      page = { statusCode: res.statusCode, body: res.json() };
      await app.close();
    });
    expect(page).toMatchObject({
      statusCode: 200,
      body: { items: [], next: null, historyComplete: false, history: { stage: 'intake', written: 0, fromSeq: null, retryAfterSeconds: 5, note: expect.stringContaining('still going through the intake') } },
    });
    await local.close();
    await twins.close();
  });
});
