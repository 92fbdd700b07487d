import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventBus } from './event-bus.js';

/** The behaviour every bus adapter must show; each adapter's test file runs it. */
export function describeEventBusContract(name: string, open: () => Promise<{ bus: EventBus; reopen: () => Promise<EventBus>; cleanup: () => Promise<void> }>): void {
  describe(`${name} event bus contract`, () => {
    let bus: EventBus;
    let reopen: () => Promise<EventBus>;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ bus, reopen, cleanup } = await open());
    });
    afterEach(async () => {
      await bus.close().catch(() => {});
      await cleanup();
    });

    it('delivers published records in order', async () => {
      await bus.publish(['a', 'b', 'c']);
      const got: string[] = [];
      while (got.length < 3) {
        const batch = await bus.pull(10, 1000);
        for (const m of batch) {
          got.push(m.data);
          m.ack();
        }
      }
      expect(got).toEqual(['a', 'b', 'c']);
    });

    it('answers an empty pull after the wait', async () => {
      expect(await bus.pull(5, 200)).toEqual([]);
    });

    it('delivers a nak-ed record again, and an acknowledged one never', async () => {
      await bus.publish(['x', 'y']);
      const byData = new Map<string, Awaited<ReturnType<EventBus['pull']>>[number]>();
      for (let i = 0; i < 10 && byData.size < 2; i++) for (const m of await bus.pull(10, 500)) byData.set(m.data, m);
      byData.get('x')!.ack();
      byData.get('y')!.nak(0);
      const again: string[] = [];
      for (let i = 0; i < 10 && again.length === 0; i++) {
        for (const m of await bus.pull(10, 500)) {
          again.push(m.data);
          m.ack();
        }
      }
      expect(again).toEqual(['y']);
      expect(await bus.pull(10, 300)).toEqual([]);
    });

    it('keeps unacknowledged records for the next consumer of the same name', async () => {
      await bus.publish(['p', 'q']);
      const first = await bus.pull(1, 1000);
      first[0].ack();
      await bus.close();
      bus = await reopen();
      const rest: string[] = [];
      for (let i = 0; i < 10 && rest.length === 0; i++) {
        for (const m of await bus.pull(10, 500)) {
          rest.push(m.data);
          m.ack();
        }
      }
      expect(rest).toEqual(['q']);
    });
  });
}
