import { describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import type { EventSink } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { DAY_MS } from '../domain/time.js';
import { ArrayOutput, type EventOutput } from './event-output.js';
import { memoryJournalStore, type SandboxJournalStore } from './sandbox-journal.js';
import { createSandboxWorld } from './sandbox-world.js';
import { namedWorld } from './world-catalog.js';

const quiet: EventOutput = { usage() {}, event() {} };

/** The small world with back ends that never refuse (the test is about what they did, not whether). */
function config() {
  const c = namedWorld('small');
  for (const b of Object.values(c.backends)) Object.assign(b, { permanentRejectionRate: 0, transientErrorRate: 0 });
  return c;
}

/** The events of the next `days` days, by value. */
function nextDays(world: ReturnType<typeof createSandboxWorld>, days: number): TwinEvent[] {
  const out = new ArrayOutput();
  world.generate(out, { days });
  return out.drain();
}

/** Onboards the next applicant through the back ends and waits for the line; returns the new customer. */
async function onboard(world: ReturnType<typeof createSandboxWorld>, key: string): Promise<{ applicantId: string; orderId: string; customerId: string }> {
  const b = world.backends;
  const applicant = world.nextApplicant();
  const order = await b.orderManagement.create({ idempotencyKey: `${key}:order`, order: { type: 'new_line', applicantId: applicant.applicantId, planId: applicant.preferredPlanId } });
  if (order.status !== 'ok') throw new Error(order.reason);
  const job = await b.provisioning.activate({ idempotencyKey: `${key}:activate`, orderId: order.value.orderId });
  if (job.status !== 'ok') throw new Error(job.reason);
  const done = await new Promise<{ customerId?: string }>((resolve) => {
    const stop = b.provisioning.onCompletion((j) => {
      if (j.provisioningId !== job.value.provisioningId) return;
      stop();
      resolve(j);
    });
  });
  return { applicantId: applicant.applicantId, orderId: order.value.orderId, customerId: done.customerId! };
}

describe('a journaled sandbox world after a restart', () => {
  it('is the same world: no applicant twice, no id reused, the activated line still there, and the same days to come', async () => {
    const journal = memoryJournalStore();
    const first = createSandboxWorld(config(), 3, { latencyScale: 0, journal });
    await first.restore({ days: 0, keepFrom: 0 });
    first.generate(quiet, { days: 5 });
    const a = await onboard(first, 'run-1');
    await first.backends.billingAdjustments.credit({ idempotencyKey: 'credit-1', customerId: a.customerId, amount: 5, reason: 'goodwill' });
    first.generate(quiet, { days: 3 });
    await first.journalFlushed();
    expect(journal.entries.map((e) => `${e.backend}.${e.method}`)).toEqual(['applicants.next', 'orderManagement.create', 'provisioning.activate', 'provisioning.complete', 'billingAdjustments.credit']);

    // The process dies; a new one rebuilds the world from its seed and the journal.
    const second = createSandboxWorld(config(), 3, { latencyScale: 0, journal });
    const restored = await second.restore({ days: 8, keepFrom: 7 });
    expect(restored).toMatchObject({ day: 8, replayed: 5 });
    // A repeated request is answered as the first time, not carried out again.
    const again = await second.backends.orderManagement.create({ idempotencyKey: 'run-1:order', order: { type: 'new_line', applicantId: a.applicantId, planId: 'x' } });
    expect(again).toMatchObject({ status: 'ok', value: { orderId: a.orderId } });
    // The days to come are those the first world would have generated.
    expect(nextDays(second, 2)).toEqual(nextDays(first, 2));
    // New draws continue after the old ones.
    const b = await onboard(second, 'run-2');
    const c = await onboard(first, 'run-2');
    expect(b).toEqual(c);
    expect(b.applicantId).not.toBe(a.applicantId);
    expect(b.orderId).not.toBe(a.orderId);
    expect(b.customerId).not.toBe(a.customerId);
  });

  it('keeps an act whose journal append failed for a moment (a database connection terminated): answered once kept, and a restart finds it', async () => {
    const kept = memoryJournalStore();
    // The record store on PostgreSQL when its connections are terminated: the next appends fail as retryable.
    let failing = 0;
    let refused = 0;
    const journal: SandboxJournalStore = {
      append: (e) => {
        if (failing === 0) return kept.append(e);
        failing--;
        refused++;
        return Promise.reject(new TwinloopError('UNAVAILABLE', 'The record store: put failed (Connection terminated unexpectedly); retry'));
      },
      load: () => kept.load(),
    };
    const first = createSandboxWorld(config(), 5, { latencyScale: 0, journal });
    await first.restore({ days: 0, keepFrom: 0 });
    first.generate(quiet, { days: 5 });
    // The order's entry fails twice. Before, the create answered UNAVAILABLE, yet the back end kept
    // the order under its key: the flow's retry was told ORD-n, the line was activated, and the
    // journal held the activation of an order it never took (the fault suite's PostgreSQL round).
    const applicant = first.nextApplicant();
    await first.journalFlushed();
    failing = 2;
    const order = await first.backends.orderManagement.create({ idempotencyKey: 'run-1:order', order: { type: 'new_line', applicantId: applicant.applicantId, planId: applicant.preferredPlanId } });
    expect(order).toMatchObject({ status: 'ok' });
    const orderId = order.status === 'ok' ? order.value.orderId : '';
    expect(refused).toBe(2);
    expect(kept.entries.map((e) => [e.seq, `${e.backend}.${e.method}`])).toEqual([[1, 'applicants.next'], [2, 'orderManagement.create']]);
    expect(kept.entries[1].result).toMatchObject({ status: 'ok', value: { orderId } });
    const job = await first.backends.provisioning.activate({ idempotencyKey: 'run-1:activate', orderId });
    expect(job).toMatchObject({ status: 'ok' });
    await first.journalFlushed();

    // A restart replays the order and its activation: the same order, answered as the first time.
    const second = createSandboxWorld(config(), 5, { latencyScale: 0, journal });
    expect(await second.restore({ days: 5, keepFrom: 5 })).toMatchObject({ replayed: 3 });
    expect(await second.backends.orderManagement.create({ idempotencyKey: 'run-1:order', order: { type: 'new_line', applicantId: applicant.applicantId, planId: 'x' } })).toMatchObject({ status: 'ok', value: { orderId } });
    expect(await second.backends.orderManagement.get(orderId)).toMatchObject({ status: 'ok', value: { state: 'in_progress' } });
  });

  it('answers a repeat of the same key only once its act is kept, not while its entry waits for the store', async () => {
    const kept = memoryJournalStore();
    // The store away for a while: an append waits until it comes back.
    const store: { away?: Promise<void> } = {};
    let comeBack = () => {};
    const journal: SandboxJournalStore = {
      append: async (e) => {
        if (store.away) await store.away;
        return kept.append(e);
      },
      load: () => kept.load(),
    };
    const world = createSandboxWorld(config(), 5, { latencyScale: 0, journal });
    await world.restore({ days: 0, keepFrom: 0 });
    const applicant = world.nextApplicant();
    await world.journalFlushed();
    store.away = new Promise((resolve) => { comeBack = resolve; });
    const ask = { idempotencyKey: 'run-1:order', order: { type: 'new_line' as const, applicantId: applicant.applicantId, planId: applicant.preferredPlanId } };
    const answered: string[] = [];
    const first = world.backends.orderManagement.create(ask).then((r) => { answered.push('first'); return r; });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The caller timed out and asks again with the same key while the entry is not kept yet.
    const repeat = world.backends.orderManagement.create(ask).then((r) => { answered.push('repeat'); return r; });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toEqual([]);
    expect(kept.entries.map((e) => `${e.backend}.${e.method}`)).toEqual(['applicants.next']);
    comeBack();
    const [a, b] = await Promise.all([first, repeat]);
    expect(a).toMatchObject({ status: 'ok' });
    expect(b).toEqual(a);
    expect(kept.entries.map((e) => `${e.backend}.${e.method}`)).toEqual(['applicants.next', 'orderManagement.create']);
  });

  it('gives up an append on a failure that will not pass (a closed store), without waiting', async () => {
    const closed: SandboxJournalStore = {
      append: () => Promise.reject(new TwinloopError('UNAVAILABLE', 'The record store is closed', { context: { retryable: false } })),
      load: async () => [],
    };
    const world = createSandboxWorld(config(), 5, { latencyScale: 0, journal: closed });
    await world.restore({ days: 0, keepFrom: 0 });
    const applicant = world.nextApplicant();
    await expect(world.backends.orderManagement.create({ idempotencyKey: 'k', order: { type: 'new_line', applicantId: applicant.applicantId, planId: applicant.preferredPlanId } })).rejects.toThrow(/closed/);
  });

  it('holds every act while it is rebuilt, answering at once when to ask again, and the days to come are still the same world', async () => {
    const journal = memoryJournalStore();
    const first = createSandboxWorld(config(), 4, { latencyScale: 0, journal });
    await first.restore({ days: 0, keepFrom: 0 });
    first.generate(quiet, { days: 5 });
    const a = await onboard(first, 'run-1');
    first.generate(quiet, { days: 25 });
    await first.journalFlushed();

    const second = createSandboxWorld(config(), 4, { latencyScale: 0, journal });
    // Asked during the rebuild (between two of its days): a credit is refused held, at once, not
    // left waiting for the rebuild; a scenario too. Before this, the credit waited for the end.
    const during: Promise<unknown>[] = [];
    const held: (string | undefined)[] = [];
    const seen: number[] = [];
    const restored = await second.restore({
      days: 30,
      keepFrom: 29,
      onProgress: (done, total) => {
        seen.push(done);
        expect(total).toBe(30);
        if (done !== 10) return;
        held.push(second.actsHeld()?.reason);
        during.push(second.backends.billingAdjustments.credit({ idempotencyKey: 'credit-during', customerId: a.customerId, amount: 5, reason: 'goodwill' }));
        expect(() => second.stageCareExample()).toThrow(/rebuilding its world/);
      },
    });
    expect(seen).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
    expect(held[0]).toMatch(/^the sandbox's world is being rebuilt from its seed after a restart \(33 % in\); its back ends take no act until it is back .*; retry in \d+ s$/);
    expect(await during[0]).toMatchObject({ status: 'transient', held: true, retryAfterMs: expect.any(Number) });
    expect(restored).toMatchObject({ day: 30, replayed: 4 });
    // Back, it takes acts again, and it is the same world as the one that never stopped.
    expect(second.actsHeld()).toBeUndefined();
    expect(await second.backends.billingAdjustments.credit({ idempotencyKey: 'credit-after', customerId: a.customerId, amount: 5, reason: 'goodwill' })).toMatchObject({ status: 'ok' });
    expect(await first.backends.billingAdjustments.credit({ idempotencyKey: 'credit-after', customerId: a.customerId, amount: 5, reason: 'goodwill' })).toMatchObject({ status: 'ok' });
    expect(nextDays(second, 2)).toEqual(nextDays(first, 2));
  });

  it('a live world killed mid-day goes on from where its events were taken: acts replayed at their times, nothing lived twice', async () => {
    const journal = memoryJournalStore();
    const HOUR = 3_600_000;
    /** A sink that keeps what it takes (the intake), answering each id once. */
    const taking = (into: Map<string, TwinEvent>): EventSink => ({
      submit: async (events) => events.map((e) => {
        const was = into.get(e.id);
        if (!was) into.set(e.id, e);
        return { id: e.id, status: was ? ('duplicate' as const) : ('accepted' as const) };
      }),
    });
    const first = createSandboxWorld(config(), 6, { latencyScale: 0, journal });
    await first.restore({ days: 0, keepFrom: 0 });
    const taken = new Map<string, TwinEvent>();
    await first.backfill({ days: 10, sink: taking(taken) });
    const startMs = first.clock.now() - 10 * DAY_MS;
    const real = new ManualClock(0);
    const live = first.startLive({ speed: 3600, sink: taking(taken), realClock: real, manual: true });
    /** Moves the live run on to `ms` of simulated time (an hour a real second). */
    const until = async (ms: number) => {
      real.set((ms - (startMs + 10 * DAY_MS)) / 3600);
      await live.tick();
    };
    // Day 11 at 10:00: offers presented (each answered at once) and a line activated, inside a day generated at its start.
    await until(startMs + 11 * DAY_MS + 10 * HOUR);
    const customers = [...new Set([...taken.values()].map((e) => e.customerId))].slice(0, 30);
    let presented = 0;
    for (const [k, customerId] of customers.entries()) {
      const r = await first.backends.campaignDelivery.deliver({ idempotencyKey: `offer-${k}`, campaignId: 'c', customerId, offerId: first.config.offers.catalogue[0].id, channel: 'app' });
      if (r.status === 'ok') presented++;
    }
    expect(presented).toBeGreaterThan(20);
    const line = await onboard(first, 'run-1');
    // The care example staged live: its call held for a person's 15 minutes at the world's pace (at 3,600x, 37.5 days).
    const staged = first.stageCareExample();
    expect({ held: Date.parse(staged.endsBy!) - Date.parse(staged.at), heldRealMs: staged.heldRealMs }).toEqual({ held: 15 * 60_000 * 3600, heldRealMs: 15 * 60_000 });
    await until(startMs + 11 * DAY_MS + 18 * HOUR);
    await first.journalFlushed();
    // Killed here: what the intake took is all there is; the position file said day 10 (saved 10 s of real time, 10 h of the world's, before).
    const position = Math.max(...[...taken.values()].map((e) => Date.parse(e.time)));
    expect(position).toBeGreaterThan(startMs + 11 * DAY_MS + 17 * HOUR);
    const before = new Map(taken);

    const second = createSandboxWorld(config(), 6, { latencyScale: 0, journal });
    const day = Math.floor((position - startMs) / DAY_MS);
    const restored = await second.restore({ days: day, keepFrom: day, live: true, resumeAt: position });
    // It goes on from there, not from the start of a day before (which the world would live again).
    expect(second.clock.now()).toBe(position);
    // What it delivers again is what the intake has, to the letter: the acts' events too, at the
    // times they were made (replayed at the day's end, they came back under their ids at 00:00 of day 12).
    expect(restored.events.length).toBeGreaterThan(0);
    for (const e of restored.events) expect(e).toEqual(before.get(e.id));
    expect(restored.events.filter((e) => e.customerId === line.customerId && e.kind === 'customer'), "the line's activation, at its time").toHaveLength(1);
    // The staged call again, held as long (the journal keeps what it was held for, whatever the pace now).
    expect(restored.events.find((e) => e.kind === 'interaction' && e.customerId === staged.customerId && e.time === staged.at)?.data).toMatchObject({ context: { staged: 'care-example' }, endsBy: staged.endsBy });

    // Both go on to day 13: the restarted world gives what the one never killed gives, each event once.
    const after = new Map<string, TwinEvent>();
    await deliverAll(taking(after), restored.events);
    const real2 = new ManualClock(0);
    const live2 = second.startLive({ speed: 3600, sink: taking(after), realClock: real2, manual: true });
    real2.set((startMs + 13 * DAY_MS - position) / 3600);
    await live2.tick();
    await until(startMs + 13 * DAY_MS);
    const fresh = [...after.values()].filter((e) => !before.has(e.id));
    expect(fresh.length).toBeGreaterThan(0);
    // Nothing new is dated before the position: no time was lived twice.
    expect(fresh.filter((e) => Date.parse(e.time) < position)).toEqual([]);
    for (const e of after.values()) expect(e).toEqual(taken.get(e.id));
    expect(new Set([...before.keys(), ...after.keys()])).toEqual(new Set(taken.keys()));
  });
});

/** Hands `events` to `sink` (a restart's delivery of what its day held up to the position). */
async function deliverAll(sink: EventSink, events: readonly TwinEvent[]): Promise<void> {
  await sink.submit(events);
}
