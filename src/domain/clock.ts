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
