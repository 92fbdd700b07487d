import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { everyOnClock, ManualClock, type Clock } from './clock.js';

const HOUR = 3_600_000;

/** A world at `speed` times real time from `start`, on the fake timers' clock. */
function worldAt(speed: number, start: number): Clock {
  const realStart = Date.now();
  const now = () => start + (Date.now() - realStart) * speed;
  return { now, realMsUntil: (t) => Math.max(0, (t - now()) / speed) };
}

describe('everyOnClock', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs on the clock's time at its pace: every 6 world hours of a 3,600x world is every 6 real seconds", async () => {
    const world = worldAt(3_600, Date.UTC(2027, 0, 10));
    const ran: number[] = [];
    const stop = everyOnClock(world, 6 * HOUR, async () => void ran.push(world.now()), { maxRealWaitMs: 60_000 });
    await vi.advanceTimersByTimeAsync(60_000);
    stop();
    // A real minute is 2.5 world days: ten runs and the first, each 6 world hours after the last.
    expect(ran.length).toBe(11);
    for (let i = 1; i < ran.length; i++) expect(ran[i] - ran[i - 1]).toBeGreaterThanOrEqual(6 * HOUR);
    for (let i = 1; i < ran.length; i++) expect(ran[i] - ran[i - 1]).toBeLessThan(6 * HOUR + 1.1 * HOUR);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ran.length).toBe(11);
  });

  it('looks again at a clock that does not move by itself, and runs once it has moved', async () => {
    const clock = new ManualClock(Date.UTC(2027, 0, 10));
    let runs = 0;
    const stop = everyOnClock(clock, HOUR, async () => void runs++, { maxRealWaitMs: 5_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(runs).toBe(1);
    clock.advance(HOUR);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(2);
    stop();
  });

  it('never overlaps runs, and goes on after a run that failed', async () => {
    const world = worldAt(3_600, Date.UTC(2027, 0, 10));
    let running = 0;
    let most = 0;
    let runs = 0;
    const stop = everyOnClock(world, HOUR, async () => {
      runs++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 3_000));
      running--;
      if (runs === 2) throw new Error('a check failed');
    }, { maxRealWaitMs: 60_000 });
    await vi.advanceTimersByTimeAsync(30_000);
    stop();
    expect(most).toBe(1);
    expect(runs).toBeGreaterThan(3);
  });
});
