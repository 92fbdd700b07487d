import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandboxOperatorOverHttp } from './support/bare-operator.js';
import { until } from './support/until.js';

/**
 * A restart rebuilds the sandbox's world from its seed up to where it was: 247 s of the main
 * thread on the default world at load 18, during which the server did not listen and said nothing
 * (BENCHMARKS.md, 2026-12-05 21:50). It listens first now, and holds acts until the world is back
 * (decision 0025). The rebuild is held here by the promise `twinloop start` resolves once it
 * listens, so the state "listening, world not rebuilt" is looked at without timing.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-restart-listens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Health = { twins: number; eventClock: string; clockSource: { phase?: string }; worldRebuilt: number | null; actsHeld: string | null };

describe('a restarted server', () => {
  it('answers /health and twin reads before its world is rebuilt, holds acts 503 with Retry-After until it is back, then carries them out', async () => {
    const world = { seed: 9, speed: 3_600, customers: 300, months: 2 };
    const first = await startSandboxOperatorOverHttp(dir, world);
    let twins = 0;
    try {
      await first.operator.ready;
      twins = first.operator.twins.engine.size;
      expect(twins).toBeGreaterThan(0);
      expect((await first.get<Health>('/health')).worldRebuilt).toBeNull();
    } finally {
      await first.close();
    }

    let rebuild: () => void = () => {};
    const after = new Promise<void>((resolve) => (rebuild = resolve));
    const again = await startSandboxOperatorOverHttp(dir, { ...world, after });
    try {
      const { base, headers, get, operator } = again;
      // Listening, the world not rebuilt: /health says so, the twins are read from the store.
      const health = await get<Health>('/health');
      expect(health).toMatchObject({ twins, worldRebuilt: 0, actsHeld: expect.stringMatching(/^the sandbox's world is being rebuilt from its seed after a restart \(0 % in\).*retry in \d+ s$/) });
      const twin = await get<{ customerId: string }>('/twins/C000001');
      expect(twin.customerId).toBe('C000001');
      // An act is held, at once, with when to ask again; a scenario staged on the world too.
      const ask = () => fetch(`${base}/actions`, { method: 'POST', headers, body: JSON.stringify({ id: 'goodwill-during-restart', actionClass: 'credit', channel: 'web', customerId: 'C000001', params: { amount: 5 }, why: { summary: 'goodwill credit' } }) });
      const refused = await ask();
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(refused.status, JSON.stringify(body)).toBe(503);
      expect(body.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/being rebuilt from its seed after a restart/) });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${base}/sandbox/scenarios/care-example`, { method: 'POST', headers, body: '{}' })).status).toBe(503);

      // The server listens: the world is rebuilt, and the act asked again is carried out.
      rebuild();
      await operator.ready;
      expect(await get<Health>('/health')).toMatchObject({ worldRebuilt: null, actsHeld: null });
      const executed = await until(async () => {
        const res = await ask();
        if (res.status === 503) return undefined;
        return { status: res.status, answer: (await res.json()) as { status: string } };
      }, 60_000, 'the credit executed once the world is back');
      expect(executed).toMatchObject({ status: 200, answer: { status: 'executed' } });
    } finally {
      await again.close();
    }
  }, 300_000);

  it("takes an alarm stamped at /health's eventClock, and an event dated then, while a world ahead of the wall clock is rebuilt", async () => {
    const aheadDir = mkdtempSync(join(tmpdir(), 'twinloop-restart-ahead-'));
    try {
      const world = { seed: 5, speed: 3_600, customers: 200, months: 1 };
      const first = await startSandboxOperatorOverHttp(aheadDir, world);
      try {
        await first.operator.ready;
        // Live at 3,600x: a second of it is an hour of the world's, which runs ahead of the wall clock.
        await until(async () => (first.operator.twins.engine.eventClock > Date.now() + 3 * 3_600_000 ? true : undefined), 60_000, 'the world three hours ahead of the wall clock');
      } finally {
        await first.close();
      }
      let rebuild: () => void = () => {};
      const after = new Promise<void>((resolve) => (rebuild = resolve));
      const again = await startSandboxOperatorOverHttp(aheadDir, { ...world, after });
      try {
        const { base, headers, get } = again;
        const health = await get<Health>('/health');
        expect(health.worldRebuilt).toBe(0);
        expect(Date.parse(health.eventClock)).toBeGreaterThan(Date.now() + 3 * 3_600_000);
        // A network system stamps its alarm by the world's time /health says: the world is not rebuilt, its clock is not behind.
        const alarm = await fetch(`${base}/tmf-api/alarmManagement/v4/alarm`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ sourceSystemId: 'nms', externalAlarmId: 'AHEAD-1', state: 'raised', alarmType: 'qualityOfServiceAlarm', perceivedSeverity: 'warning', probableCause: 'thresholdCrossed', alarmedObjectType: 'Cell', alarmedObject: { id: 'cell-nowhere' }, alarmRaisedTime: health.eventClock }),
        });
        expect(alarm.status, await alarm.clone().text()).toBe(201);
        expect(await alarm.json()).toMatchObject({ alarmRaisedTime: health.eventClock });
        // The same for an event a producer dates by it.
        const event = { id: 'ahead-chat-1', kind: 'interaction', customerId: 'C000001', time: health.eventClock, source: 'chat', v: 1, data: { channel: 'chat', intent: 'billing', phase: 'start' } };
        const sent = await fetch(`${base}/events`, { method: 'POST', headers, body: JSON.stringify([event]) });
        expect(sent.status).toBe(200);
        expect(await sent.json()).toMatchObject({ accepted: 1 });
      } finally {
        rebuild();
        await again.close();
      }
    } finally {
      rmSync(aheadDir, { recursive: true, force: true });
    }
  }, 300_000);
});
