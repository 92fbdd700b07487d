import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import type { EventOf, TwinEvent } from '../domain/events.js';
import { DAY_MS } from '../domain/time.js';
import type { EventStore } from '../store/event-store.js';
import { openEventStore } from '../store/open-event-store.js';
import { dyingAtCheckpointSlice } from '../store/store-fixtures.js';
import { syntheticEvents } from './synthetic-events.js';
import { openTwinService, type TwinService } from './twin-service.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const CUSTOMERS = 20;

/** Twenty days of a small world, with calls every few hours (some ended), and one call held by its endsBy since day 5. */
function world(): TwinEvent[] {
  const start = NOW - 20 * DAY_MS;
  const events = [...syntheticEvents({ customers: CUSTOMERS, days: 20, seed: 4, start })];
  const call = (id: string, c: number, at: number, phase: 'start' | 'end', endsBy?: number): EventOf<'interaction'> => ({
    id, kind: 'interaction', customerId: `C${c}`, time: iso(at), source: 'contact-centre', v: 1,
    data: { channel: 'call', intent: 'billing', phase, ...(endsBy === undefined ? {} : { endsBy: iso(endsBy) }) },
  });
  for (let t = start + DAY_MS, n = 0; t < NOW; t += 5 * 3_600_000, n++) {
    const c = n % CUSTOMERS;
    events.push(call(`call-${n}`, c, t, 'start'));
    if (n % 3 === 0) events.push(call(`call-${n}-end`, c, t + 600_000, 'end'));
  }
  events.push(call('held', 1, start + 5 * DAY_MS + 1234, 'start', NOW + 3_600_000));
  return events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

/** The interaction events the whole log holds of the day before `clock`, and older ones whose endsBy reaches into it, in log order. */
async function fromWholeLog(store: EventStore, clock: number): Promise<string[]> {
  const ids: string[] = [];
  for (let after = 0; ; ) {
    const page = await store.readLog(after, 1_000);
    if (page.length === 0) return ids;
    for (const e of page) {
      if (e.kind !== 'interaction') continue;
      const event = JSON.parse(e.body) as EventOf<'interaction'>;
      const endsBy = event.data.endsBy === undefined ? -Infinity : Date.parse(event.data.endsBy);
      if (e.time >= clock - DAY_MS || endsBy >= clock - DAY_MS) ids.push(event.id);
    }
    after = page[page.length - 1].seq;
  }
}

const idsOf = (twins: TwinService) => twins.engine.recentInteractions()?.map((i) => i.event.id);

describe('the interactions of the last day, known at a restart from the checkpoint and the log after it', () => {
  let dir: string;
  let twins: TwinService | undefined;
  const open = async (o: { store?: EventStore; checkpointSlice?: number; checkpointEvery?: number } = {}) =>
    (twins = await openTwinService({ store: o.store ?? (await openEventStore({ kind: 'sqlite', dataDir: dir })), clock: new ManualClock(NOW), checkpointEvery: o.checkpointEvery ?? 50, ...(o.checkpointSlice ? { checkpointSlice: o.checkpointSlice } : {}) }));
  const submit = async (service: TwinService, events: readonly TwinEvent[]) => {
    for (let i = 0; i < events.length; i += 97) {
      const outcomes = await service.intake.submit(events.slice(i, i + 97));
      expect(outcomes.filter((o) => o.status !== 'accepted')).toEqual([]);
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-recent-interactions-'));
  });
  afterEach(async () => {
    await twins?.close().catch(() => {});
    twins = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a process killed mid-run knows, once its twins are back, the same interactions as the whole log holds of its last day', async () => {
    const first = await open();
    const events = world();
    // The last few after a checkpoint: the restart takes them from the log after it.
    const tail = events.length - 8;
    await submit(first, events.slice(0, tail));
    await first.checkpoint();
    await submit(first, events.slice(tail));
    expect(events.slice(tail).some((e) => e.kind === 'interaction')).toBe(true);
    const expected = await fromWholeLog(first.store, first.engine.eventClock);
    // The held call (begun 15 days before) and the day's calls, ended ones too; the older ones are gone.
    expect(expected).toContain('held');
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(20);
    expect(idsOf(first)).toEqual(expected);
    // Killed: no last checkpoint, the store simply closed.
    await first.store.close();
    const again = await open();
    expect(again.recovery.fromCheckpointSeq).toBeGreaterThan(0);
    expect(again.recovery.eventsReplayed).toBe(8);
    expect(idsOf(again)).toEqual(expected);
    // What the list carries is the events themselves, at their times.
    const held = again.engine.recentInteractions()!.find((i) => i.event.id === 'held')!;
    expect(held).toMatchObject({ time: NOW - 15 * DAY_MS + 1234, event: { customerId: 'C1', data: { channel: 'call', phase: 'start', endsBy: iso(NOW + 3_600_000) } } });
  });

  it('a checkpoint written in slices and stopped by a crash between two still gives each interaction once, in log order', async () => {
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const { store: crashing, arm } = dyingAtCheckpointSlice(store, 3);
    const sliced = await open({ store: crashing, checkpointEvery: 1_000_000, checkpointSlice: 4 });
    const events = world();
    const cut = events.findIndex((e) => Date.parse(e.time) > NOW - 1.5 * DAY_MS);
    await submit(sliced, events.slice(0, cut));
    await sliced.checkpoint();
    await submit(sliced, events.slice(cut, cut + 30));
    // Slices of the next one are written while calls arrive between them: the later slices' meta holds calls the replay brings again.
    arm();
    const interrupted = sliced.checkpoint();
    const during = submit(sliced, events.slice(cut + 30, cut + 70));
    await expect(interrupted).rejects.toThrow(/died/);
    await during;
    await submit(sliced, events.slice(cut + 70));
    const expected = await fromWholeLog(store, sliced.engine.eventClock);
    // The crash left the checkpoint before it in force, beside the later slices' meta: calls between the two come again in the replay.
    const inForce = (await store.loadCheckpoint())!;
    const asOf = (JSON.parse(inForce.meta) as { asOfSeq: number }).asOfSeq;
    expect((await store.readLog(inForce.seq, asOf - inForce.seq)).filter((e) => e.kind === 'interaction' && e.time >= sliced.engine.eventClock - DAY_MS).length).toBeGreaterThan(0);
    await store.close();
    const again = await open();
    expect(idsOf(again)).toEqual(expected);
  });

  it('a checkpoint written before the engine kept them: not known until the log is read back, then carried by the next checkpoint', async () => {
    const first = await open();
    await submit(first, world());
    await first.close();
    // As a build before this one wrote it: the meta without the interactions.
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const written = (await store.loadCheckpoint())!;
    const { interactions: _left, ...older } = JSON.parse(written.meta) as Record<string, unknown>;
    await store.saveCheckpoint({ seq: written.seq, meta: JSON.stringify(older) }, []);
    const expected = await fromWholeLog(store, Date.parse(iso((JSON.parse(written.meta) as { eventClock: number }).eventClock)));
    const upgraded = await open({ store });
    expect(upgraded.engine.recentInteractions()).toBeUndefined();
    // The server's start reads them back from the log (its one pass) and hands them over.
    const read: { event: EventOf<'interaction'>; time: number }[] = [];
    for (const e of await store.readLog(0, 1_000_000)) if (e.kind === 'interaction') read.push({ event: JSON.parse(e.body) as EventOf<'interaction'>, time: e.time });
    upgraded.engine.completeInteractions(read);
    expect(idsOf(upgraded)).toEqual(expected);
    await upgraded.close();
    const next = await open();
    expect(idsOf(next)).toEqual(expected);
  });

  it('a partition worker, whose twins come from their partitions’ checkpoints, does not claim to know them', async () => {
    const worker = (twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW), partitioned: true }));
    expect(worker.engine.recentInteractions()).toBeUndefined();
  });
});
