import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import type { TwinEvent } from '../domain/events.js';
import { openEventStore } from '../store/open-event-store.js';
import { verifyReplay } from './replay-verify.js';
import { openTwinService } from './twin-service.js';

const T0 = Date.parse('2026-04-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const reg = (c: string): TwinEvent => ({ id: `reg-${c}`, kind: 'customer', customerId: c, time: iso(T0), source: 'p', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'cash', since: iso(T0 - 86_400_000) } });

const eventArb = fc
  .record({ c: fc.constantFrom('A', 'B'), at: fc.integer({ min: 0, max: 10 * 86_400_000 }), mb: fc.integer({ min: 0, max: 9000 }), kind: fc.constantFrom('usage', 'interaction', 'ticket') })
  .map(({ c, at, mb, kind }): Omit<TwinEvent, 'id'> => {
    const base = { customerId: c, time: iso(T0 + at), source: 'p', v: 1 as const };
    if (kind === 'usage') return { ...base, kind, data: { subscriptionId: `S${c}`, dataMb: mb / 10, voiceMin: 1, sms: mb % 3, roaming: false } };
    if (kind === 'interaction') return { ...base, kind, data: { channel: 'app', intent: 'pay', phase: 'start' } };
    return { ...base, kind: 'ticket', data: { ticketId: `T${mb % 4}`, action: mb % 2 ? 'opened' : 'resolved', category: 'network', severity: 'low', complaint: mb % 3 === 0 } };
  });

async function withService<T>(fn: (svc: Awaited<ReturnType<typeof openTwinService>>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-prop-'));
  const svc = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(T0 + 30 * 86_400_000), latenessMs: 30 * 86_400_000 });
  try {
    return await fn(svc);
  } finally {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('intake properties', () => {
  it('is idempotent: resending any events in any batches gives the state of sending each once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 7 }), async (raw, repeats, batch) => {
        const events = [reg('A'), reg('B'), ...raw.map((e, i) => ({ ...e, id: `e${i}` }) as TwinEvent)];
        const noisy = [...events];
        for (const r of repeats) noisy.splice(r % (noisy.length + 1), 0, events[2 + (r % raw.length)]);
        const once = await withService(async (s) => {
          await s.intake.submit(events);
          return [s.engine.view('A'), s.engine.view('B')];
        });
        const many = await withService(async (s) => {
          for (let i = 0; i < noisy.length; i += batch) await s.intake.submit(noisy.slice(i, i + batch));
          expect(await s.store.countEvents()).toBe(events.length);
          return [s.engine.view('A'), s.engine.view('B')];
        });
        expect(many).toEqual(once);
      }),
      { numRuns: 25 },
    );
  });

  it('replays the log into byte-identical twins', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 40 }), async (raw) => {
        await withService(async (s) => {
          await s.intake.submit([reg('A'), reg('B'), ...raw.map((e, i) => ({ ...e, id: `e${i}` }) as TwinEvent)]);
          const v = await verifyReplay(s.store, s.engine);
          expect(v.different).toEqual([]);
          expect(v.identical).toBe(2);
        });
      }),
      { numRuns: 25 },
    );
  });
});
