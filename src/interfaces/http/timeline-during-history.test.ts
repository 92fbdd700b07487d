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
import { openTwinService } from '../../twin/twin-service.js';
import { openTestAuth } from '../auth/auth-fixtures.js';
import { writeSandboxHistory } from '../runtime/sandbox-history-source.js';
import { planSandbox, sandboxAwareClock, startSandboxOperator } from '../runtime/sandbox-operator.js';
import { createHttpServer } from './server.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const config = loadWorldDocument({ ...namedWorld('small'), population: { ...namedWorld('small').population, customers: 150 } });
const dir = mkdtempSync(join(tmpdir(), 'twinloop-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A first start that takes its history from the seed (decision 0021), run until the history is in: none of it written to the log yet. */
async function seededFirstStart() {
  const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 1, stateDir: dir, now: NOW });
  const store = await openEventStore({ kind: 'sqlite', dataDir: dir, segments: { minBatch: 1_000, sealAt: 400_000 }, writes: 'thread' });
  const twins = await openTwinService({ store, clock: sandboxAwareClock(() => plan.world.clock) });
  let record: SeededHistoryRecord | undefined;
  const seeded = { log: twins.store.seededHistory!, begin: (p: Parameters<typeof twins.intake.beginSeeded>[0]) => twins.intake.beginSeeded(p), holdCheckpoints: () => twins.holdCheckpoints(), onFinished: (r: SeededHistoryRecord) => (record = r) };
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
      expect(page.history).toMatchObject({ fromSeq: record.lastSeq, retryAfterSeconds: expect.any(Number), note: expect.stringContaining('still being written') });
    });
    expect(blocks).toBeGreaterThanOrEqual(half);
    // Written but not sealed: still incomplete, now saying it is being sealed.
    const sealing = await timeline();
    expect(sealing).toMatchObject({ historyComplete: false, history: { written: 1, sealed: 0 }, items: [{ id: report.id }] });
    // A page after the history's end is whole, and readers of the whole history still refuse.
    expect((await app.inject(`/twins/C000001/timeline?after=${record.lastSeq}`)).json()).toMatchObject({ historyComplete: true, items: [{ id: report.id }] });
    await expect(twins.history.timeline('C000001')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
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
});
