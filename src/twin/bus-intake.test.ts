import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
