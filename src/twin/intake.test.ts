import { mkdtempSync, rmSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import { TwinloopError } from '../domain/errors.js';
import type { TwinEvent } from '../domain/events.js';
import { openEventStore } from '../store/open-event-store.js';
import { dyingAtCheckpointSlice } from '../store/store-fixtures.js';
import { refusedAfterFailedWrite, type AppendOptions, type EventStore, type NewDeadLetter, type NewEvent, type TwinSnapshot } from '../store/event-store.js';
import { verifyReplay } from './replay-verify.js';
import { syntheticEvents } from './synthetic-events.js';
import { TwinEngine } from './twin-engine.js';
import { replayLog } from './twin-recovery.js';
import { RECORD_BYTES } from './twin-layout.js';
import { unpackTwinRecord } from './twin-record-bytes.js';
import { openTwinService, type TwinService } from './twin-service.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const registration: TwinEvent = {
  id: 'reg-1', kind: 'customer', customerId: 'C1', time: iso(NOW - 86_400_000), source: 'test', v: 1,
  data: { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'electronic_check', since: '2025-01-01T00:00:00Z' },
};
const usage = (id: string, mb: number, at = NOW - 3_600_000): TwinEvent => ({
  id, kind: 'usage', customerId: 'C1', time: iso(at), source: 'test', v: 1, data: { subscriptionId: 'S1', dataMb: mb, voiceMin: 1, sms: 0, roaming: false },
});

async function collectSnapshots(store: EventStore): Promise<TwinSnapshot[]> {
  const all: TwinSnapshot[] = [];
  for await (const page of store.loadSnapshots()) all.push(...page);
  return all;
}

describe('intake', () => {
  let dir: string;
  let twins: TwinService;
  const open = async (store?: EventStore) => openTwinService({ store: store ?? (await openEventStore({ kind: 'sqlite', dataDir: dir })), clock: new ManualClock(NOW), checkpointEvery: 50 });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-intake-'));
    twins = await open();
  });
  afterEach(async () => {
    await twins.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the good records of a batch and parks the bad ones with their reason', async () => {
    const outcomes = await twins.intake.submitRecords([
      { value: registration },
      { value: usage('u1', 10) },
      { text: '{"id": "broken", ' },
      { value: { ...usage('u2', 5), kind: 'teleport' } },
      { value: usage('u3', -4) },
      { value: { ...usage('u4', 1), customerId: 'NOPE' } },
      { value: usage('u5', 1, NOW + 86_400_000) },
      { value: usage('u6', 7) },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'accepted']);
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : ''));
    expect(reasons[2]).toMatch(/malformed JSON/);
    expect(reasons[3]).toMatch(/^kind: unknown event kind "teleport"/);
    expect(reasons[4]).toMatch(/^data\.dataMb: /);
    expect(reasons[5]).toMatch(/unknown customer "NOPE"/);
    expect(reasons[6]).toMatch(/in the future/);
    // Only a time ahead of the clock may be sent again as it is (the clock will reach it); a bad record may not.
    expect(outcomes.map((o) => o.status === 'rejected' && o.retryable === true)).toEqual([false, false, false, false, false, false, true, false]);
    expect(twins.engine.view('C1')!.features.data_mb_7d).toBe(17);
    const dead = await twins.store.listDeadLetters();
    expect(dead.map((d) => d.reason)).toEqual(reasons.filter(Boolean));
  });

  it('reports a resent event as a duplicate that changes nothing, and a reused id with another body as rejected', async () => {
    await twins.intake.submit([registration, usage('u1', 10)]);
    const again = await twins.intake.submit([usage('u1', 10), usage('u1', 99), usage('u2', 1), usage('u2', 1)]);
    expect(again.map((o) => o.status)).toEqual(['duplicate', 'rejected', 'accepted', 'duplicate']);
    expect(again[1]).toMatchObject({ reason: expect.stringMatching(/^id: "u1" was already used for a different event/) });
    expect(twins.engine.view('C1')!.features.data_mb_7d).toBe(11);
    expect(await twins.store.countEvents()).toBe(3);
  });

  it('tells a resend from a reused id by content, whatever its key order or receive stamp, against rows and the segment log alike', async () => {
    await twins.close();
    twins = await open(await openEventStore({ kind: 'sqlite', dataDir: dir, segments: { minBatch: 3, sealAt: 5 } }));
    const bulk = [registration, ...Array.from({ length: 6 }, (_, k) => usage(`b${k}`, k + 1))];
    expect((await twins.intake.submit(bulk)).map((o) => o.status)).toEqual(bulk.map(() => 'accepted'));
    await twins.intake.submit([usage('r1', 2)]); // a row
    const reordered = (e: TwinEvent) => ({ text: JSON.stringify({ data: { ...e.data }, v: e.v, time: e.time, source: e.source, customerId: e.customerId, kind: e.kind, id: e.id, receivedAt: iso(NOW) }) });
    const again = await twins.intake.submitRecords([
      reordered(usage('b1', 2)), { value: usage('b2', 30) }, reordered(usage('r1', 2)), { value: usage('r1', 3) }, reordered(usage('b4', 5)),
    ]);
    expect(again.map((o) => o.status)).toEqual(['duplicate', 'rejected', 'duplicate', 'rejected', 'duplicate']);
    expect(again[1]).toMatchObject({ reason: expect.stringMatching(/^id: "b2" was already used for a different event \(in the log at seq /) });
    expect(await twins.store.countEvents()).toBe(8);
  });

  it('compares every field a resend carries, and names the one that differs', async () => {
    const cell = (id: string, cellId: string, siteId = 'SITE-1'): TwinEvent => {
      const e = usage(id, 10);
      return { ...e, data: { ...(e as Extract<TwinEvent, { kind: 'usage' }>).data, cellId, siteId, droppedCalls: 1 } } as TwinEvent;
    };
    await twins.intake.submit([registration, cell('c1', 'CELL-1')]);
    // Each against the copy in the log (one a batch: within a batch the first resend is the copy compared with).
    const against = async (e: TwinEvent) => (await twins.intake.submit([e]))[0];
    expect(await against(cell('c1', 'CELL-1'))).toEqual({ status: 'duplicate', id: 'c1' });
    expect(await against(cell('c1', 'CELL-2'))).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^id: "c1" was already used for a different event \(in the log at seq \d+; data\.cellId differs\)/) });
    expect(await against(cell('c1', 'CELL-1', 'SITE-9'))).toMatchObject({ status: 'rejected', reason: expect.stringContaining('; data.siteId differs)') });
    expect(await against(usage('c1', 10))).toMatchObject({ status: 'rejected', reason: expect.stringContaining('; data.cellId differs)') });
    const batch = await twins.intake.submit([cell('c2', 'CELL-1'), cell('c2', 'CELL-3')]);
    expect(batch).toMatchObject([{ status: 'accepted' }, { status: 'rejected', reason: expect.stringContaining('(earlier in this batch; data.cellId differs)') }]);
    expect(await twins.store.countEvents()).toBe(3);
  });

  it('names why a resend cannot be compared with a stored copy that no longer passes today\'s schema', async () => {
    await twins.intake.submit([registration]);
    // Stored before a rule tightened: more SMS in one record than today's schema allows.
    const old = usage('old-1', 10);
    const tooMany = { ...old, data: { ...(old as Extract<TwinEvent, { kind: 'usage' }>).data, sms: 2_000_000 } };
    await twins.store.append([{ id: 'old-1', customerId: 'C1', kind: 'usage', time: Date.parse(old.time), receivedAt: NOW, body: JSON.stringify(tooMany) }]);
    const [resend] = await twins.intake.submit([old]);
    expect(resend).toMatchObject({ status: 'rejected', id: 'old-1' });
    const reason = (resend as { reason: string }).reason;
    expect(reason).toMatch(/^id: "old-1" is taken by the event in the log at seq \d+, whose stored copy no longer passes today's event schema \(data\.sms: /);
    expect(reason).not.toContain('different event');
  });

  it('answers a duplicate in a later batch of one body as a duplicate, even when its time is late by then', async () => {
    // A store whose writes take a while, as a 5,000-record batch does: the second batch is checked before the first is in.
    const store = await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'dup') });
    const slow: EventStore = Object.create(store, {
      append: { value: async (...args: Parameters<EventStore['append']>) => (await new Promise((r) => setTimeout(r, 50)), store.append(...args)) },
    });
    const small = await openTwinService({ store: slow, clock: new ManualClock(NOW), intake: { maxBatch: 2, maxQueuedRecords: 8 } });
    try {
      // One body of two batches: the resend of "early" comes after "recent" moved the customer past the lateness.
      const reg = { ...registration, time: iso(NOW - 10 * 86_400_000) };
      const early = usage('early', 3, NOW - 5 * 86_400_000);
      const outcomes = await small.intake.submit([reg, early, usage('recent', 1, NOW - 60_000), early, usage('x', 2, NOW - 30_000)]);
      expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted', 'duplicate', 'accepted']);
      const changed = await small.intake.submit([reg, usage('y', 1), usage('early', 4, NOW - 5 * 86_400_000)]);
      expect(changed.map((o) => o.status)).toEqual(['duplicate', 'accepted', 'rejected']);
      expect(await small.store.countDeadLetters()).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('refuses new work with OVERLOADED when its queue is full, and takes it again once drained', async () => {
    const small = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'small') }), clock: new ManualClock(NOW), intake: { maxBatch: 2, maxQueuedRecords: 4 } });
    try {
      const first = small.intake.submit([registration, usage('a', 1), usage('b', 1), usage('c', 1)]);
      expect(() => small.intake.submit([usage('d', 1)])).toThrow(expect.objectContaining({ code: 'OVERLOADED' }));
      expect((await first).every((o) => o.status === 'accepted')).toBe(true);
      expect((await small.intake.submit([usage('d', 1)]))[0].status).toBe('accepted');
    } finally {
      await small.close();
    }
  });

  it('recovers every accepted event after a restart, from checkpoint and log, identical to a full replay', async () => {
    const events = [...syntheticEvents({ customers: 20, days: 20, seed: 5, start: NOW - 40 * 86_400_000 })];
    for (let i = 0; i < events.length; i += 97) await twins.intake.submit(events.slice(i, i + 97));
    const before = twins.engine.view('C3');
    // Simulate a crash: no final checkpoint, the store is simply closed.
    await twins.store.close();
    twins = await open();
    expect(twins.recovery.fromCheckpointSeq).toBeGreaterThan(0);
    expect(twins.recovery.eventsReplayed).toBeLessThan(events.length);
    expect(twins.engine.view('C3')).toEqual(before);
    const verification = await verifyReplay(twins.store, twins.engine);
    expect(verification.identical).toBe(20);
    expect(verification.different).toEqual([]);
    // A writer goes on after the twins were read (a server on the same data dir): replayed through the seq they were
    // read at, they still verify; replayed to the log's new end, the twins the later events moved differ.
    const through = twins.appliedSeq();
    const stale = new TwinEngine({ latenessMs: twins.engine.latenessMs });
    await replayLog(twins.store, stale);
    await twins.intake.submit([...syntheticEvents({ customers: 20, days: 2, seed: 6, start: NOW - 2 * 86_400_000 })]);
    expect(twins.appliedSeq()).toBeGreaterThan(through);
    expect(await verifyReplay(twins.store, stale, undefined, undefined, through)).toMatchObject({ identical: 20, different: [] });
    expect((await verifyReplay(twins.store, stale)).different.length).toBeGreaterThan(0);
  });

  it('writes a large checkpoint in slices, and a crash between slices still recovers every twin exactly', async () => {
    await twins.close();
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    // Slices of 4 twins; once armed, the third slice's write fails as a crash would stop it (nothing after it is written).
    const { store: crashing, arm } = dyingAtCheckpointSlice(store, 3);
    const sliced = await openTwinService({ store: crashing, clock: new ManualClock(NOW), checkpointEvery: 1_000_000, checkpointSlice: 4 });
    const events = [...syntheticEvents({ customers: 20, days: 30, seed: 9, start: NOW - 40 * 86_400_000 })];
    const half = events.findIndex((e) => Date.parse(e.time) > NOW - 25 * 86_400_000);
    await sliced.intake.submit(events.slice(0, half));
    await sliced.checkpoint(); // written whole, in slices: the checkpoint in force
    const inForce = (await store.loadCheckpoint())!.seq;
    await sliced.intake.submit(events.slice(half, half + 300));
    // The next one, of every twin, in slices: events arrive between them, so later slices are newer than the first.
    arm();
    const interrupted = sliced.checkpoint();
    const during = sliced.intake.submit(events.slice(half + 300, half + 600));
    await expect(interrupted).rejects.toThrow(/died/);
    await during;
    await sliced.intake.submit(events.slice(half + 600));
    const snapshots = (await collectSnapshots(store)).filter((t) => t.seq !== undefined && t.seq > inForce);
    // Two slices of the interrupted checkpoint are in, one of them taken after the log moved on; the checkpoint in force is the old one.
    expect(snapshots.length).toBe(8);
    expect(new Set(snapshots.map((t) => t.seq)).size).toBe(2);
    expect((await store.loadCheckpoint())!.seq).toBe(inForce);
    // The crash: nothing more is written.
    await store.close();
    twins = await open();
    expect(twins.recovery.fromCheckpointSeq).toBe(inForce);
    const verification = await verifyReplay(twins.store, twins.engine);
    expect(verification.different).toEqual([]);
    expect(verification.identical).toBe(20);
    // The next checkpoint is whole again and moves the checkpoint on.
    await twins.checkpoint();
    expect((await twins.store.loadCheckpoint())!.seq).toBe(await twins.store.lastSeq());
  });

  it.each([
    ['whole', 1_000],
    ['in slices', 4],
  ])('a checkpoint whose save fails (%s) gives its twins back: the next one writes them before moving past their events', async (_how, slice) => {
    const store = await openEventStore({ kind: 'sqlite', dataDir: join(dir, `flaky-${slice}`) });
    // One save fails (a full disk, a busy database); the process lives on.
    let failNext = false;
    const flaky: EventStore = Object.create(store, {
      saveCheckpoint: {
        value: (...args: Parameters<EventStore['saveCheckpoint']>) => {
          if (failNext && args[1].length > 0) return (failNext = false), Promise.reject(new Error('disk full'));
          return store.saveCheckpoint(...args);
        },
      },
    });
    const service = await openTwinService({ store: flaky, clock: new ManualClock(NOW), checkpointEvery: 1_000_000, checkpointSlice: slice });
    const events = [...syntheticEvents({ customers: 20, days: 30, seed: 11, start: NOW - 40 * 86_400_000 })];
    const cut = Math.floor(events.length / 2);
    await service.intake.submit(events.slice(0, cut));
    await service.checkpoint();
    await service.intake.submit(events.slice(cut, events.length - 1));
    failNext = true;
    await expect(service.checkpoint()).rejects.toThrow(/disk full/);
    // One more event (of one twin), then a checkpoint that succeeds and moves the position on.
    await service.intake.submit(events.slice(events.length - 1));
    await service.checkpoint();
    expect((await store.loadCheckpoint())!.seq).toBe(await store.lastSeq());
    // A crash now: the restart starts from that checkpoint and must still hold every twin's events.
    const restarted = await openTwinService({ store, clock: new ManualClock(NOW), checkpointEvery: 1_000_000 });
    const verification = await verifyReplay(store, restarted.engine);
    expect(verification.different).toEqual([]);
    expect(verification.identical).toBe(20);
    await store.close();
  });

  it('joins a checkpoint asked for while another waits its turn, so a slow store never lets them pile up', async () => {
    const store = await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'slow-checkpoints') });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const saves: number[] = [];
    const slow: EventStore = Object.create(store, {
      saveCheckpoint: {
        value: async (...args: Parameters<EventStore['saveCheckpoint']>) => {
          saves.push(args[0].seq);
          if (saves.length === 1) await held;
          return store.saveCheckpoint(...args);
        },
      },
    });
    const service = await openTwinService({ store: slow, clock: new ManualClock(NOW), checkpointEvery: 1_000_000 });
    const events = [...syntheticEvents({ customers: 5, days: 40, seed: 3, start: NOW - 50 * 86_400_000 })];
    await service.intake.submit(events.slice(0, 50));
    const first = service.checkpoint();
    const asked: Promise<void>[] = [];
    for (let i = 50; i < events.length; i += 20) {
      await service.intake.submit(events.slice(i, i + 20));
      asked.push(service.checkpoint());
    }
    expect(asked.length).toBeGreaterThan(2);
    release();
    await Promise.all([first, ...asked]);
    // The one being written, then one for everything asked while it was: not one per call.
    expect(saves.length).toBe(2);
    expect((await store.loadCheckpoint())!.seq).toBe(await store.lastSeq());
    await store.close();
  });

  it('checkpoints after as many events a twin as asked, so that a large population is not snapshotted every few events', async () => {
    await twins.close();
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const events = [...syntheticEvents({ customers: 5, days: 60, seed: 9, start: NOW - 70 * 86_400_000 })];
    const perTwin = await openTwinService({ store, clock: new ManualClock(NOW), checkpointEvery: { atLeast: 30, perTwin: 20 } });
    // The checkpoints' seqs as the store has them after each batch of 10 (one written in the
    // background is seen after the next batch at the latest).
    const seqs: number[] = [];
    for (let at = 0; at < events.length && seqs.length < 2; at += 10) {
      await perTwin.intake.submit(events.slice(at, at + 10));
      const cp = await store.loadCheckpoint();
      if (cp && cp.seq > 0 && cp.seq !== seqs[seqs.length - 1]) seqs.push(cp.seq);
    }
    // 5 twins × 20 events: each checkpoint comes 100 events after the one before, not 30.
    expect(seqs.length).toBe(2);
    expect(seqs[1] - seqs[0]).toBeGreaterThanOrEqual(100);
    expect(seqs[0]).toBeGreaterThanOrEqual(100);
    await perTwin.close();
    twins = await open();
  });

  it('recovers from a checkpoint and reads as-of from history snapshots that the builds before the sparse form deflated', async () => {
    const start = NOW - 120 * 86_400_000;
    const events = [...syntheticEvents({ customers: 6, days: 110, seed: 4, start })];
    for (let i = 0; i < events.length; i += 40) {
      await twins.intake.submit(events.slice(i, i + 40));
      await twins.checkpoint();
    }
    const views = new Map([...twins.engine.customerIds()].map((id) => [id, twins.engine.view(id)]));
    const at = start + 100 * 86_400_000;
    const pastBefore = await twins.history.asOf('C2', at);
    // The store as those builds wrote it: every twin snapshot deflated (level 1), and a history
    // snapshot of C2 deflated too, at `at` but holding C2 as it is now (after every event): an as-of
    // read that takes it answers that state, one that could not read it rebuilds the true past.
    const checkpoint = (await twins.store.loadCheckpoint())!;
    const deflated: { customerId: string; bytes: Uint8Array }[] = [];
    for await (const page of twins.store.loadSnapshots()) for (const s of page) deflated.push({ customerId: s.customerId, bytes: deflateRawSync(unpackTwinRecord(s.bytes)!, { level: 1 }) });
    expect(deflated.every((s) => s.bytes[0] !== 0xff)).toBe(true);
    const now = deflated.find((s) => s.customerId === 'C2')!.bytes;
    await twins.store.saveCheckpoint(checkpoint, deflated, [{ customerId: 'C2', at, seq: checkpoint.seq, bytes: now }]);
    await twins.store.close();
    twins = await open();
    // Taken from the checkpoint, not rebuilt from the log: its records were read.
    expect(twins.recovery.fromCheckpointSeq).toBe(checkpoint.seq);
    expect(twins.recovery.snapshotsLoaded).toBe(deflated.length);
    expect(twins.recovery.eventsReplayed).toBe(0);
    for (const [id, view] of views) expect(twins.engine.view(id)).toEqual(view);
    const past = await twins.history.asOf('C2', at);
    expect(past).toEqual(twins.engine.view('C2', at));
    expect(past).not.toEqual(pastBefore);
    // The next checkpoint writes them sparse, read back the same.
    twins.engine.markDirty([...views.keys()]);
    await twins.checkpoint();
    for await (const page of twins.store.loadSnapshots()) for (const s of page) expect(s.bytes[0]).toBe(0xff);
    await twins.store.close();
    twins = await open();
    expect(twins.recovery.eventsReplayed).toBe(0);
    for (const [id, view] of views) expect(twins.engine.view(id)).toEqual(view);
  });

  it('rebuilds from the whole log when the checkpoint was written with another twin layout', async () => {
    const start = NOW - 60 * 86_400_000;
    const events = [...syntheticEvents({ customers: 6, days: 50, seed: 3, start })];
    await twins.intake.submit(events);
    await twins.checkpoint();
    const before = twins.engine.view('C2');
    // An older build's records: shorter than this build's layout (docs/decisions/0001).
    const checkpoint = (await twins.store.loadCheckpoint())!;
    const old: { customerId: string; bytes: Uint8Array }[] = [];
    for await (const page of twins.store.loadSnapshots()) for (const s of page) old.push({ customerId: s.customerId, bytes: unpackTwinRecord(s.bytes)!.slice(0, RECORD_BYTES - 64) });
    const history = old.map((s) => ({ customerId: s.customerId, at: NOW, seq: checkpoint.seq, bytes: deflateRawSync(s.bytes) }));
    // Its meta without the interactions of the last day, which that build did not keep.
    const { interactions: _none, ...olderMeta } = JSON.parse(checkpoint.meta) as Record<string, unknown>;
    await twins.store.saveCheckpoint({ ...checkpoint, meta: JSON.stringify(olderMeta) }, old, history);
    await twins.store.close();
    twins = await open();
    expect(twins.recovery.fromCheckpointSeq).toBe(0);
    expect(twins.recovery.eventsReplayed).toBe(events.length);
    expect(twins.engine.view('C2')).toEqual(before);
    // Replayed from the log's start, every interaction went through the engine: they are known.
    const lastDay = events.filter((e) => e.kind === 'interaction' && Date.parse(e.time) >= twins.engine.eventClock - 86_400_000).map((e) => e.id);
    expect(twins.engine.recentInteractions()?.map((i) => i.event.id)).toEqual(lastDay);
    expect(await twins.history.asOf('C2', NOW)).toEqual(twins.engine.view('C2', NOW));
  });

  it('reads past states from history snapshots exactly as a rebuild from the whole log', async () => {
    const start = NOW - 200 * 86_400_000;
    const events = [...syntheticEvents({ customers: 5, days: 150, seed: 9, start })];
    for (let i = 0; i < events.length; i += 40) {
      await twins.intake.submit(events.slice(i, i + 40));
      await twins.checkpoint();
    }
    for (const days of [0.5, 31, 64, 100, 149]) {
      const at = start + days * 86_400_000;
      const rebuilt = new TwinEngine();
      for (const e of events) if (Date.parse(e.time) <= at) rebuilt.apply(e, Date.parse(e.time));
      expect(await twins.history.asOf('C2', at)).toEqual(rebuilt.view('C2', at));
    }
    expect(await twins.store.loadHistorySnapshot('C2', NOW)).not.toBeNull();
  });

  it('reads a twin as it was at a past time, lists its timeline and diffs two times', async () => {
    await twins.intake.submit([registration, usage('u1', 10, NOW - 10 * 3_600_000), usage('u2', 20, NOW - 3_600_000)]);
    const past = await twins.history.asOf('C1', NOW - 5 * 3_600_000);
    expect(past!.features.data_mb_7d).toBe(10);
    expect(twins.engine.view('C1')!.features.data_mb_7d).toBe(30);
    const timeline = await twins.history.timeline('C1');
    expect(timeline.map((e) => e.id)).toEqual(['reg-1', 'u1', 'u2']);
    expect(timeline[1].receivedAt).toBe(iso(NOW));
    const diff = await twins.history.diff('C1', NOW - 5 * 3_600_000, NOW);
    expect(diff.features).toContainEqual({ name: 'data_mb_7d', from: 10, to: 30 });
    expect(await twins.history.asOf('C1', NOW - 30 * 86_400_000)).toBeUndefined();
  });

  it("walks a whole timeline oldest first across pages, the other customers' events left out", async () => {
    const other = { ...registration, id: 'reg-2', customerId: 'C2' };
    await twins.intake.submit([registration, other, ...[1, 2, 3, 4, 5].map((i) => usage(`u${i}`, i, NOW - (10 - i) * 3_600_000))]);
    const walked: string[] = [];
    for await (const e of twins.history.entries('C1', 2)) walked.push(e.id);
    expect(walked).toEqual(['reg-1', 'u1', 'u2', 'u3', 'u4', 'u5']);
    const exact: string[] = [];
    for await (const e of twins.history.entries('C1', 3)) exact.push(e.id);
    expect(exact).toEqual(walked);
  });

  it('writes nothing checked on top of a batch that could not be written: those batches are answered "send it again", and sent again in order none is late', async () => {
    const store = await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'flaky') });
    let appends = 0;
    let failAt = 0;
    let broken: number | undefined;
    // The store fails one write as a busy or cut-off database does (nothing of it written, try
    // again), and refuses the writes of its chain after it, as every adapter does (the contract).
    const flaky = new Proxy(store, {
      get(target, prop) {
        if (prop === 'append') {
          return (events: NewEvent[], letters: NewDeadLetter[], options?: AppendOptions) => {
            if (options?.chain !== undefined && options.chain === broken) return Promise.reject(refusedAfterFailedWrite('an earlier failure'));
            if (++appends !== failAt) return target.append(events, letters, options);
            broken = options?.chain;
            return Promise.reject(new TwinloopError('UNAVAILABLE', 'Event store: append failed (database is locked); retry'));
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const flakyTwins = await openTwinService({ store: flaky, clock: new ManualClock(NOW), intake: { maxBatch: 2 } });
    try {
      const day = 86_400_000;
      const c9 = (id: string, at: number): TwinEvent => ({ ...usage(id, 1, at), customerId: 'C9' });
      // A producer's batches in a row, each one day or more after the last: together more than the 3 days of lateness.
      const batches: TwinEvent[][] = [
        [{ ...registration, id: 'reg-9', customerId: 'C9', time: iso(NOW - 10 * day) }, c9('a', NOW - 10 * day + 3_600_000)],
        [c9('b', NOW - 7 * day), c9('c', NOW - 6 * day)],
        [c9('d', NOW - 4 * day), c9('e', NOW - 3 * day)],
        [c9('f', NOW - 2 * day), c9('g', NOW - day)],
      ];
      failAt = appends + 1;
      // Sent as the sandbox's backfill sends them: the next ones before the first is answered.
      const answers = await Promise.allSettled(batches.map((b) => flakyTwins.intake.submit(b)));
      expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      for (const a of answers) expect((a as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAVAILABLE' });
      expect((answers[1] as PromiseRejectedResult).reason.message).toMatch(/an earlier batch could not be written .*nothing of this one was written: send it again/);
      expect(await store.countEvents()).toBe(0);
      expect(flakyTwins.engine.view('C9')).toBeUndefined();
      for (const b of batches) expect((await flakyTwins.intake.submit(b)).map((o) => o.status)).toEqual(['accepted', 'accepted']);
      expect(await store.countEvents()).toBe(8);
      expect(await store.countDeadLetters()).toBe(0);
      expect(flakyTwins.engine.view('C9')!.features.data_mb_30d).toBe(7);
    } finally {
      await flakyTwins.close();
    }
  });
});
