import { systemClock, type Clock } from '../domain/clock.js';
import type { EventSink } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { TwinloopError, toTwinloopError } from '../domain/errors.js';
import { ArrayOutput } from './event-output.js';
import { DAY_MS } from '../domain/time.js';
import { deliver, emptyTally, type DeliveryOptions, type DeliveryTally } from './sink-delivery.js';
import type { WorldEngine } from './world-engine.js';

/** Options of a live run. */
export interface LiveOptions extends DeliveryOptions {
  /** Simulated milliseconds per real millisecond (3600 = an hour per second). */
  speed: number;
  sink: EventSink;
  /** Real time between ticks; default 250 ms. */
  tickMs?: number;
  /**
   * The most real time one tick turns into simulated time (default 4 ticks, 1 s: an hour at
   * 3,600×; a manual run's default is no limit, its caller steps it). A tick that comes later (the
   * server's event loop held by other work, the sink slow to take the last batch) moves the world
   * this far and no further: the world runs slower than `speed` while its receiver is behind,
   * instead of leaping over the hours it missed. On the default world at load 20 the leaps were
   * 10-33 simulated hours, and everything in them (an alarm, a flow's due timer) happened at their
   * end: outage notices went out up to 28 simulated hours after the outage.
   */
  maxStepMs?: number;
  batchSize?: number;
  /** Source of real time; tests pass a manual clock and call `tick()` themselves. */
  realClock?: Clock;
  /** Do not schedule ticks; the caller calls `tick()` (tests, stepping tools). */
  manual?: boolean;
  /** Called if submitting fails permanently (not OVERLOADED nor a transient failure, which are retried); the run stops. */
  onError?: (err: TwinloopError) => void;
}

/** A world running live. */
export interface LiveRun {
  readonly running: boolean;
  /** What the intake answered so far. */
  readonly tally: DeliveryTally;
  /** Real time the world did not turn into simulated time because its ticks came late (`maxStepMs`), in ms. */
  readonly heldBackMs: number;
  /**
   * Real ms until the world's clock reads `t` at its speed, counted from its last tick (0 once it
   * does; Infinity once stopped). The clock moves at ticks, so it may read `t` a tick later.
   */
  realMsUntil(t: number): number;
  /** Advances simulated time by the real time elapsed × speed and submits what became due. */
  tick(): Promise<void>;
  /** Stops ticking, submits what is due, and resolves when the last submission is done. */
  stop(): Promise<DeliveryTally>;
}

/** Default real time between ticks. */
const DEFAULT_TICK_MS = 250;
/** A scheduled run's default `maxStepMs`, in ticks. */
const DEFAULT_MAX_STEP_TICKS = 4;

/**
 * Runs the world in simulated time. A simulated day is generated when the clock reaches it and
 * its events are released as the clock passes their times; events caused by back-end calls
 * are released at once, stamped with the simulated now. Effects of such calls on the world's
 * own behaviour (hazard, usage of a new line) take hold from the next generated day.
 */
export function startLiveRun(engine: WorldEngine, o: LiveOptions, waiting: readonly TwinEvent[], onStopped: () => void, carried: readonly TwinEvent[] = []): LiveRun {
  if (!(o.speed > 0)) throw new TwinloopError('BAD_INPUT', `speed must be > 0; got ${o.speed}`);
  const real = o.realClock ?? systemClock;
  const tickMs = o.tickMs ?? DEFAULT_TICK_MS;
  const maxStepMs = o.maxStepMs ?? (o.manual ? Infinity : DEFAULT_MAX_STEP_TICKS * tickMs);
  if (!(maxStepMs > 0)) throw new TwinloopError('BAD_INPUT', `maxStepMs must be > 0; got ${maxStepMs}`);
  let heldBackMs = 0;
  const batchSize = o.batchSize ?? 5000;
  const tally = emptyTally();
  const dayBuf = new ArrayOutput();
  const ready = new ArrayOutput();
  // Events of a generated day still ahead of the clock (a restored world's last day), released as it passes them.
  let pending: TwinEvent[] = [...carried].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  let pendingMs: number[] = pending.map((e) => Date.parse(e.time));
  let pos = 0;
  let simNow = engine.clock.now();
  let lastReal = real.now();
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  engine.out = dayBuf;
  engine.immediate = ready;
  engine.heldIncidents ??= [];
  for (const e of waiting) ready.event(e);

  const release = () => {
    for (;;) {
      // A staging within the day holds back the world's interactions of its customer already generated (`heldBack`).
      for (; pos < pending.length && pendingMs[pos] <= simNow; pos++) if (!engine.heldBack(pending[pos])) ready.event(pending[pos]);
      engine.releaseIncidents(simNow);
      if (pos < pending.length || engine.startMs + engine.day * DAY_MS > simNow) break;
      engine.stepDay();
      pending = dayBuf.drain();
      pendingMs = pending.map((e) => Date.parse(e.time));
      pos = 0;
    }
    engine.clock.set(simNow);
    // Every event up to simNow is out, and no later day starts before it: the lines ended by now hold nothing back.
    engine.forgetLinesBefore(simNow);
  };

  const tick = async (): Promise<void> => {
    const r = real.now();
    const elapsed = r - lastReal;
    const step = Math.min(elapsed, maxStepMs);
    heldBackMs += elapsed - step;
    simNow += step * o.speed;
    lastReal = r;
    release();
    const batch = ready.drain();
    if (batch.length) await deliver(o.sink, batch, batchSize, tally, o);
  };

  const loop = () => {
    inFlight = tick().then(
      () => {
        if (running) timer = setTimeout(loop, tickMs);
      },
      (err: unknown) => {
        running = false;
        onStopped();
        o.onError?.(toTwinloopError(err));
      },
    );
  };
  if (!o.manual) timer = setTimeout(loop, tickMs);

  return {
    get running() {
      return running;
    },
    tally,
    get heldBackMs() {
      return heldBackMs;
    },
    realMsUntil(t) {
      if (t <= simNow) return 0;
      if (!running) return Infinity;
      return Math.max(0, lastReal + (t - simNow) / o.speed - real.now());
    },
    tick: () => (inFlight = inFlight.then(tick)),
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await inFlight;
      onStopped();
      const batch = ready.drain();
      if (batch.length) await deliver(o.sink, batch, batchSize, tally, o);
      // Events generated for the rest of the current day stay unreleased: simulated time stopped before them.
      return tally;
    },
  };
}
