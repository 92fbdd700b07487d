import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinloopError } from '../../domain/errors.js';
import type { EventSink } from '../../domain/event-sink.js';
import { refusedAfterFailedWrite, type AppendOptions, type EventStore, type NewDeadLetter, type NewEvent } from '../../store/event-store.js';
import { loadWorldDocument, namedWorld } from '../../sandbox/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { ManualClock } from '../../domain/clock.js';
import { periodKey } from '../../decisioning/policy/index.js';
import { planSandbox, readStoredSandboxState, sandboxAwareClock, startSandboxOperator, storedSandboxState, worldClock } from './sandbox-operator.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const config = loadWorldDocument({ ...namedWorld('small'), population: { ...namedWorld('small').population, customers: 150 } });
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'twinloop-operator-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the operator on `dir` until the history is in (or until `stopAtDay`), then stops; `wrap` stands in for the store. */
async function run(dir: string, stopAtDay?: number, wrap?: (store: EventStore) => EventStore, lines?: string[]) {
  const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW });
  // A store that fails is written as the server writes it: on the writer thread, the next batch checked while one commits.
  const store = wrap ? wrap(await openEventStore({ kind: 'sqlite', dataDir: dir, writes: 'thread' })) : await openEventStore({ kind: 'sqlite', dataDir: dir });
  const twins = await openTwinService({ store, clock: sandboxAwareClock(() => plan.world.clock) });
  const operator = startSandboxOperator(twins, { plan, speed: 1, stateDir: dir, log: (l) => lines?.push(l) });
  if (stopAtDay !== undefined) {
    while (plan.state.days < stopAtDay) await new Promise((r) => setTimeout(r, 5));
  } else await operator.ready;
  await operator.stop();
  const views = ['C000001', 'C000050', 'C000120'].map((id) => twins.engine.view(id));
  const events = await twins.store.countEvents();
  const deadLetters = await twins.store.countDeadLetters();
  await twins.close();
  return { plan, views, events, deadLetters };
}

/**
 * The store, with the appends whose numbers (1, 2, …) are in `failing` failed once as a busy or
 * cut-off database fails them, and the appends of their chain after them refused, as every
 * adapter refuses them (the event store's contract).
 */
function failingAppends(failing: Set<number>, failed: { n: number }): (store: EventStore) => EventStore {
  let appends = 0;
  let broken: number | undefined;
  return (store) =>
    new Proxy(store, {
      get(target, prop) {
        if (prop === 'append') {
          return (events: NewEvent[], letters: NewDeadLetter[], options?: AppendOptions) => {
            if (options?.chain !== undefined && options.chain === broken) return Promise.reject(refusedAfterFailedWrite('an earlier failure'));
            if (!failing.has(++appends)) return target.append(events, letters, options);
            broken = options?.chain;
            failed.n++;
            // Answered a while later, as the writer thread answers a commit that failed: the intake checks the next batches meanwhile.
            return new Promise((_, reject) => setTimeout(() => reject(new TwinloopError('UNAVAILABLE', 'Event store: append failed (database is locked); retry')), 50));
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
}

describe('sandbox operator', () => {
  it('its clock reads a time when the first of the wall clock and the world does: the world at its speed, the wall clock at its own', () => {
    const wall = Date.now();
    const hour = 3_600_000;
    // A world an hour ahead of the wall clock, live at 3,600x: an hour after that is a second away.
    const live = sandboxAwareClock(() => ({ now: () => wall + hour, realMsUntil: (t: number) => (t - (wall + hour)) / 3_600 }));
    expect(live.realMsUntil!(wall + 2 * hour)).toBeCloseTo(1_000, -1);
    expect(live.realMsUntil!(wall)).toBe(0);
    // A world that stands still behind the wall clock (its history loading): the wall clock's pace.
    const loading = sandboxAwareClock(() => ({ now: () => wall - 10 * hour, realMsUntil: () => Infinity }));
    expect(loading.realMsUntil!(Date.now() + 5_000)).toBeGreaterThan(4_000);
    expect(loading.realMsUntil!(Date.now() + 5_000)).toBeLessThanOrEqual(5_000);
    expect(sandboxAwareClock(() => undefined).realMsUntil!(Date.now() + 5_000)).toBeLessThanOrEqual(5_000);
  });

  it('dates the history to end today, and resumes an interrupted backfill to the same twins as an uninterrupted one', async () => {
    const whole = await run(fresh());
    expect(whole.plan.state.start).toBe('2026-09-26');
    expect(whole.plan.state.backfilled).toBe(true);

    const dir = fresh();
    const first = await run(dir, 20);
    expect(first.plan.state.backfilled).toBe(false);
    expect(first.events).toBeLessThan(whole.events);
    const second = await run(dir);
    expect(second.plan.resuming).toBe(true);
    expect(second.plan.state.backfilled).toBe(true);
    expect(second.events).toBe(whole.events);
    expect(second.views).toEqual(whole.views);
  });

  it('without a state dir (a server on PostgreSQL) keeps its position in the record store: a restart on a later day continues the same world', async () => {
    const dir = fresh();
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    try {
      const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, previous: await readStoredSandboxState(records), now: NOW, records: Promise.resolve(records) });
      const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
      const operator = startSandboxOperator(twins, { plan, speed: 1, saveState: storedSandboxState(Promise.resolve(records)), log: () => {} });
      await operator.ready;
      await operator.stop();
      await twins.close();
      // Saves are asynchronous (in order): wait for the one stop made.
      for (let i = 0; i < 200 && !(await readStoredSandboxState(records))?.backfilled; i++) await new Promise((r) => setTimeout(r, 25));
      // Two days later: planned from what was kept, not from the new today (which would move the world's start and lose its journal).
      const later = planSandbox({ config, worldName: 'small', seed: 3, months: 2, previous: await readStoredSandboxState(records), now: NOW + 2 * 86_400_000, records: Promise.resolve(records) });
      expect(later.state.start).toBe(plan.state.start);
      expect(later.resuming).toBe(true);
      expect(later.state.backfilled).toBe(true);
      // Nothing kept: a new world dated from today.
      expect(planSandbox({ config, worldName: 'small', seed: 3, months: 2, now: NOW + 2 * 86_400_000 }).state.start).not.toBe(plan.state.start);
    } finally {
      await records.close();
    }
  });

  it("a stop during a restart's rebuild ends it between two days, keeps the saved position and every event, and the next start rebuilds the same world", async () => {
    const dir = fresh();
    const first = await run(dir);
    const saved = readFileSync(join(dir, 'sandbox.json'), 'utf8');
    // A restart, stopped (SIGTERM's close) as soon as its rebuild is said to begin: the stop waited for the whole rebuild.
    const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW });
    expect(plan.resuming).toBe(true);
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
    const lines: string[] = [];
    let stop: Promise<void> | undefined;
    const operator = startSandboxOperator(twins, {
      plan,
      speed: 1,
      stateDir: dir,
      log: (l) => {
        lines.push(l);
        if (l.includes('rebuilding world')) stop ??= operator.stop();
      },
    });
    await expect(operator.ready).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/the world's rebuild was stopped at day 0 of \d+; the next start rebuilds it/) });
    await stop;
    expect(lines.join('\n')).not.toContain('world rebuilt');
    // Nothing accepted is lost, and the position is not moved back to the day the rebuild had reached.
    expect(await twins.store.countEvents()).toBe(first.events);
    expect(readFileSync(join(dir, 'sandbox.json'), 'utf8')).toBe(saved);
    await twins.close();

    const againLines: string[] = [];
    const again = await run(dir, undefined, undefined, againLines);
    expect(againLines.join('\n')).toMatch(/world rebuilt in/);
    expect(again.events).toBeGreaterThanOrEqual(first.events);
    expect(again.views).toEqual(first.views);
  });

  it('keeps the history\'s end as a mark in the store: a start after a kill mid-backfill resumes it, one after it goes live at once', async () => {
    const dir = fresh();
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    try {
      const open = async (lines: string[], intake?: (twins: Awaited<ReturnType<typeof openTwinService>>) => EventSink) => {
        const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW, records: Promise.resolve(records) });
        const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
        const operator = startSandboxOperator({ ...twins, intake: intake ? intake(twins) : twins.intake }, { plan, speed: 1, stateDir: dir, log: (l) => lines.push(l) });
        return { plan, twins, operator };
      };
      // First run, killed mid-backfill: from day 20 on the intake never answers, and nothing of
      // the operator's stop runs (no last save); the stores are let go as a dead process's are.
      let submitted = 0;
      const killed = await open([], (twins) => ({ submit: (events) => (killed.plan.state.days >= 20 ? new Promise(() => {}) : (submitted++, twins.intake.submit(events))) }));
      for (let i = 0; i < 2000 && killed.plan.state.days < 20; i++) await new Promise((r) => setTimeout(r, 10));
      expect(killed.plan.state.days, 'the first run reached day 20 of its backfill').toBeGreaterThanOrEqual(20);
      expect(submitted).toBeGreaterThan(0);
      await killed.twins.close();
      expect(await killed.plan.history!.read(), 'no mark before the backfill ends').toBeUndefined();

      const lines: string[] = [];
      const second = await open(lines);
      await second.operator.ready;
      expect(lines.join('\n')).toMatch(/resuming the history|backfilling \d+ days/);
      expect(lines.join('\n')).toMatch(/history in: \d+ events/);
      expect(await second.plan.history!.read()).toMatchObject({ days: second.plan.state.backfillDays });
      const events = await second.twins.store.countEvents();
      await second.operator.stop();
      await second.twins.close();

      // The position file says the history is not in (a save that never landed): the store's mark decides.
      const file = join(dir, 'sandbox.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), backfilled: false, days: 5 }));
      const again: string[] = [];
      const third = await open(again);
      try {
        await third.operator.ready;
        expect(again.join('\n')).not.toMatch(/days to go|backfilling/);
        expect(again.join('\n')).toMatch(/history in \(since .*\): world "small"/);
        expect(third.plan.state.backfilled).toBe(true);
        expect(await third.twins.store.countEvents()).toBe(events);
      } finally {
        await third.operator.stop();
        await third.twins.close();
      }

      // Same twins as the world that was never killed.
      const whole = await run(fresh());
      expect(events).toBe(whole.events);
    } finally {
      await records.close();
    }
  });

  it('keeps the world a data dir was created with: recorded at the first start, run on every restart, even when the built-in world changed since', () => {
    const dir = fresh();
    const position = (extra: object) => writeFileSync(join(dir, 'sandbox.json'), JSON.stringify({ world: 'small', seed: 3, customers: 150, start: '2026-09-26', backfillDays: 61, days: 61, backfilled: true, ...extra }));
    // A first start records the whole configuration it runs.
    const first = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW });
    expect(first.state.config).toEqual(config);
    expect(first.notice).toBeUndefined();
    expect(config.renewals, 'the built-in worlds end contracts').toBeDefined();

    // A data dir from before worlds were recorded ran without contract ends: it goes on without them, and says so.
    position({});
    const legacy = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW + 86_400_000 });
    expect(legacy.resuming).toBe(true);
    expect(legacy.state.config?.renewals).toBeUndefined();
    expect(legacy.world.config.renewals).toBeUndefined();
    expect(legacy.notice).toMatch(/made before renewals came to "small": it continues without/);

    // A recorded world is run as recorded, whatever the built-in document says today.
    const { renewals: _r, ...recorded } = config;
    position({ config: { ...recorded, churn: { ...config.churn, monthlyRate: { ...config.churn.monthlyRate, target: 0.02 } } } });
    const kept = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW + 86_400_000 });
    expect(kept.world.config.renewals).toBeUndefined();
    expect(kept.world.config.churn.monthlyRate.target).toBe(0.02);
    expect(kept.world.config.start).toBe('2026-09-26');
    expect(kept.notice).toMatch(/today's "small" differs in churn, renewals: a new data dir runs that one/);

    // Recorded as it is today: nothing to say.
    position({ config });
    expect(planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW }).notice).toBeUndefined();
    // Another world on the same dir is a new world, with its own record.
    const other = planSandbox({ config: namedWorld('small'), worldName: 'small', seed: 4, months: 2, stateDir: dir, now: NOW });
    expect(other.resuming).toBe(false);
    expect(other.state.config?.renewals).toBeDefined();
  });

  it('a store failure during the backfill makes nothing late: the batches sent behind the failed one go in after it, in order', async () => {
    const whole = await run(fresh());
    expect(whole.deadLetters).toBe(0);
    const failed = { n: 0 };
    // 150 customers: a batch of 5,000 events is days of the world, and the window holds 4 of them.
    const flaky = await run(fresh(), undefined, failingAppends(new Set([3, 9, 10]), failed));
    expect(failed.n).toBe(3);
    expect(flaky.deadLetters, 'events answered late and dead-lettered').toBe(0);
    expect(flaky.events).toBe(whole.events);
    expect(flaky.views).toEqual(whole.views);
  });

  it('a live world killed mid-day goes on from the newest event the twins hold, not from the day before its saved position', async () => {
    const dir = fresh();
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    // A simulated day every ~4 s: the position file, saved every 10 s, lags days behind what the intake took.
    const speed = 20_000;
    const open = async (lines: string[], intake: (twins: Awaited<ReturnType<typeof openTwinService>>) => EventSink) => {
      const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW, records: Promise.resolve(records) });
      const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
      const operator = startSandboxOperator({ ...twins, intake: intake(twins) }, { plan, speed, stateDir: dir, log: (l) => lines.push(l) });
      return { plan, twins, operator };
    };
    let release: (err: Error) => void = () => {};
    const hung = new Promise<never>((_, reject) => (release = reject));
    hung.catch(() => undefined);
    try {
      // First run: live until a day and a half past its history, then killed: the intake never answers again, nothing of the stop runs.
      let taken = 0;
      let killAt = Infinity;
      const first = await open([], (twins) => ({
        submit: async (events) => {
          if (first.plan.world.clock.now() >= killAt) return hung;
          const answers = await twins.intake.submit(events);
          for (const e of events) taken = Math.max(taken, Date.parse(e.time));
          return answers;
        },
      }));
      await first.operator.ready;
      killAt = first.plan.world.clock.now() + 1.5 * 86_400_000;
      for (let i = 0; i < 6000 && first.plan.world.clock.now() < killAt; i++) await new Promise((r) => setTimeout(r, 10));
      expect(first.plan.world.clock.now(), 'the first run went live a day and a half').toBeGreaterThanOrEqual(killAt);
      await first.twins.close();
      const saved = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8')) as { days: number; start: string };
      const savedDayStart = Date.parse(saved.start) + (saved.days - 1) * 86_400_000;
      expect(savedDayStart, 'the saved position lags what the intake took').toBeLessThan(taken);

      // Second start: the world goes on at the newest event taken; what its day held up to there comes again as duplicates, nothing new before it.
      const lines: string[] = [];
      const newBefore: string[] = [];
      let duplicates = 0;
      let accepted = 0;
      const second = await open(lines, (twins) => ({
        submit: async (events) => {
          const answers = await twins.intake.submit(events);
          answers.forEach((a, k) => {
            if (a.status === 'duplicate') duplicates++;
            if (a.status !== 'accepted') return;
            accepted++;
            if (Date.parse(events[k].time) < taken) newBefore.push(`${events[k].id} ${events[k].time}`);
          });
          return answers;
        },
      }));
      expect(second.twins.engine.eventClock).toBe(taken);
      await second.operator.ready;
      expect(lines.join('\n')).toContain(`resumed at ${new Date(taken).toISOString().slice(0, 16)}`);
      for (let i = 0; i < 3000 && accepted === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await second.operator.stop();
      expect(accepted, 'the world went on').toBeGreaterThan(0);
      expect(duplicates, 'what its day held up to the position came again').toBeGreaterThan(0);
      expect(newBefore, 'events dated before the position, taken only after the restart').toEqual([]);
      expect(await second.twins.store.countDeadLetters()).toBe(0);
      await second.twins.close();
      release(new TwinloopError('INTERNAL', 'the first run is over'));
      await first.operator.stop();
    } finally {
      await records.close();
    }
  });
});

describe('the world clock the operator acts by', () => {
  it("reads the world's time while the world is behind the wall clock (the first start's backfill), not the wall's the intake's clock reads", () => {
    const world = new ManualClock(Date.parse('2026-03-14T08:00:00Z'));
    const acts = worldClock(() => world, () => Date.parse('2026-03-13T23:59:00Z'));
    expect(new Date(acts.now()).toISOString()).toBe('2026-03-14T08:00:00.000Z');
    // The budget month an approval asked then books on is the world's, not the wall's December.
    expect(periodKey('month', acts.now())).toBe('2026-03');
    // Read before, not after: at load more than a millisecond may pass between the two reads (a clean-clone CI failed on it).
    const before = Date.now();
    expect(sandboxAwareClock(() => world).now()).toBeGreaterThanOrEqual(before);
  });

  it("reads the twins' latest time while a restart's rebuild replays the world from its first day", () => {
    const rebuilding = new ManualClock(Date.parse('2025-12-06T00:00:00Z'));
    const latest = Date.parse('2027-02-03T10:00:00Z');
    expect(worldClock(() => rebuilding, () => latest).now()).toBe(latest);
    rebuilding.set(Date.parse('2027-02-03T11:00:00Z'));
    expect(worldClock(() => rebuilding, () => latest).now()).toBe(Date.parse('2027-02-03T11:00:00Z'));
  });

  it('is the wall clock without a sandbox or a BSS with a clock', () => {
    const before = Date.now();
    const now = worldClock(() => undefined, () => Date.parse('2020-01-01T00:00:00Z')).now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
