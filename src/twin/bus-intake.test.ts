import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BusMessage, EventBus } from '../bus/event-bus.js';
import { MemoryBroker } from '../bus/memory-event-bus.js';
import { ManualClock } from '../domain/clock.js';
import { openEventStore } from '../store/open-event-store.js';
import { startBusIntake } from './bus-intake.js';
import { openTwinService } from './twin-service.js';

const NOW = Date.parse('2026-05-01T00:00:00Z');

describe('bus intake', () => {
  it('lands events from the bus, parks bad ones, and acknowledges only after they are durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-bus-'));
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW) });
    const broker = new MemoryBroker();
    const producer = broker.connect();
    const handle = startBusIntake(broker.connect(), twins.intake, { waitMs: 50 });
    try {
      await producer.publish([
        JSON.stringify({ id: 'r', kind: 'customer', customerId: 'B1', time: '2026-04-30T00:00:00Z', source: 'crm', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'cash', since: '2026-01-01T00:00:00Z' } }),
        JSON.stringify({ id: 'u', kind: 'usage', customerId: 'B1', time: '2026-04-30T10:00:00Z', source: 'cdr', v: 1, data: { subscriptionId: 'S', dataMb: 42, voiceMin: 0, sms: 0, roaming: false } }),
        'garbage',
      ]);
      for (let i = 0; i < 100 && handle.processed < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(handle.processed).toBe(3);
      expect(twins.engine.view('B1')!.features.data_mb_7d).toBe(42);
      expect((await twins.store.listDeadLetters()).map((d) => d.source)).toEqual(['bus']);
      expect(broker.depth).toBe(0);
    } finally {
      await handle.stop();
      await twins.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parks a message that is not UTF-8 with its reason, and lands the rest of its batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-bus-'));
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW) });
    const acked: string[] = [];
    const message = (data: string, notUtf8?: true): BusMessage => ({ data, ...(notUtf8 ? { notUtf8 } : {}), ack: () => acked.push(data), nak: () => {} });
    const customer = JSON.stringify({ id: 'r', kind: 'customer', customerId: 'B2', time: '2026-04-30T00:00:00Z', source: 'crm', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'cash', since: '2026-01-01T00:00:00Z' } });
    // The broker held the second record's bytes as Latin-1; the adapter marked it.
    const repaired = customer.replace('"r"', '"r2"').replace('consumer', 'consum\uFFFDr');
    let sent = false;
    const bus: EventBus = {
      publish: async () => {},
      pull: async (_max, waitMs) => {
        if (!sent) return (sent = true), [message(customer), message(repaired, true)];
        await new Promise((r) => setTimeout(r, waitMs));
        return [];
      },
      close: async () => {},
    };
    const handle = startBusIntake(bus, twins.intake, { waitMs: 10 });
    try {
      for (let i = 0; i < 200 && handle.processed < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(handle.processed).toBe(2);
      expect(twins.engine.view('B2')).toBeDefined();
      const dead = await twins.store.listDeadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ source: 'bus', reason: expect.stringContaining('not valid UTF-8') });
      expect(acked).toHaveLength(2);
    } finally {
      await handle.stop();
      await twins.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
