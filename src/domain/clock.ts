/** Where "now" comes from: the wall clock in production, a simulated clock in the sandbox and tests. */
export interface Clock {
  now(): number;
  /**
   * Real milliseconds until this clock reads `t`, at the pace it keeps now: 0 once it does,
   * Infinity when it does not move by itself (stopped, or moved only when told). Absent: it keeps
   * the wall clock's pace. What lets a timer kept on this clock (a workflow's sleep on the
   * sandbox's world, 3,600x real time) be waited for in real time.
   */
  realMsUntil?(t: number): number;
}

/** Real milliseconds until `clock` reads `t` (its own answer, or the wall clock's pace when it has none). */
export function realMsUntil(clock: Clock, t: number): number {
  if (clock.realMsUntil) return Math.max(0, clock.realMsUntil(t));
  return Math.max(0, t - clock.now());
}

export const systemClock: Clock = { now: () => Date.now(), realMsUntil: (t) => Math.max(0, t - Date.now()) };

/** A clock that only moves when told to; for tests and the sandbox's simulated time. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  /** Reached already, or never by itself. */
  realMsUntil(t: number): number {
    return t <= this.t ? 0 : Infinity;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** How a job kept on a clock's time is waited for in real time (`everyOnClock`). */
export interface EveryOnClockOptions {
  /** Longest real wait before the clock is looked at again (its pace may change: a world paused, slowed, restarted). */
  readonly maxRealWaitMs: number;
  /** Shortest real wait, so that a clock that moves at its ticks is not polled in a loop (default 1 s). */
  readonly minRealWaitMs?: number;
}

/**
 * Runs `work` now and then each time `clock` has moved `everyMs` past the end of the last run,
 * waiting for it in real time at the clock's pace (`realMsUntil`, decision 0034): every 6 hours of
 * the sandbox's 3,600x world is 6 real seconds, not whenever a real-time interval comes round. A
 * clock that does not move by itself is looked at every `maxRealWaitMs`. Runs never overlap; a
 * failing run is `work`'s to report (its rejection is dropped). Answers the function that stops it.
 */
export function everyOnClock(clock: Clock, everyMs: number, work: () => Promise<void>, options: EveryOnClockOptions): () => void {
  const minWait = options.minRealWaitMs ?? 1_000;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (due: number) => {
    if (stopped) return;
    const ms = realMsUntil(clock, due);
    timer = setTimeout(() => void step(due), Math.max(minWait, Math.min(options.maxRealWaitMs, ms)));
    timer.unref?.();
  };
  const step = async (due: number) => {
    if (stopped) return;
    // Not there yet (the clock's pace changed, or it moves at its ticks): wait again.
    if (clock.now() < due) return arm(due);
    await work().catch(() => undefined);
    arm(clock.now() + everyMs);
  };
  void step(clock.now());
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
