import type { Clock } from '../domain/clock.js';
import type { EventSink } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { ApplicantPool, type Applicant } from './applicant-pool.js';
import { createSandboxBackends, type SandboxBackends } from './backends/index.js';
import { ArrayOutput, NdjsonOutput, type EventOutput } from './event-output.js';
import { NdjsonFileWriter } from './ndjson-file-writer.js';
import { startLiveRun, type LiveOptions, type LiveRun } from './live-run.js';
import { DAY_MS } from '../domain/time.js';
import { daysInMonths } from './sim-time.js';
import { DeliveryWindow, emptyTally, type DeliveryTally } from './sink-delivery.js';
import type { WorldConfig } from './world-config.js';
import { WorldEngine } from './world-engine.js';
import { bindInternals } from './world-internals.js';

/** Progress of a backfill: simulated days done out of the total, events so far. */
export type ProgressFn = (daysDone: number, daysTotal: number, events: number) => void;

/** Options of `createSandboxWorld`. */
export interface SandboxWorldOptions {
  /** Multiplies back-end latencies; 0 answers at once (tests). Default 1. */
  latencyScale?: number;
}

/** A running sandbox operator. */
export interface SandboxWorld {
  readonly config: WorldConfig;
  readonly seed: number;
  /** Simulated time: the end of what has been generated (backfill), or the live now. */
  readonly clock: Clock;
  /** The world's BSS back ends; their effects flow back into the world's events. */
  readonly backends: SandboxBackends;
  /** Draws the next onboarding applicant (what the applicant presents; the truth stays hidden). */
  nextApplicant(): Applicant;
  /**
   * Generates `months` (or `days`) of history through the ordinary intake (`sink`), day by day,
   * in time order. `onProgress` is called after each day is delivered. A sink that throws (other
   * than OVERLOADED) stops the backfill.
   */
  /**
   * Delivers the history to `sink`. `window`: batches handed over before the first is answered
   * (default 1); more only for a sink that refuses at submission, as the intake does
   * (`DeliveryWindow`), and then the next day is generated and checked while the last commits.
   */
  backfill(options: { months?: number; days?: number; sink: EventSink; batchSize?: number; window?: number; onProgress?: ProgressFn }): Promise<DeliveryTally & { events: number }>;
  /** Fast path: writes `months` of history as NDJSON to a file. */
  backfillToFile(path: string, options: { months: number; onProgress?: ProgressFn }): Promise<{ events: number; bytes: number }>;
  /** Takes the events back-end calls caused while the world was idle (otherwise they lead the next run). */
  takePendingEvents(): TwinEvent[];
  /** Lowest level: generates `months` (or `days`) of history into any output, synchronously. */
  generate(output: EventOutput, options: { months?: number; days?: number; onProgress?: ProgressFn }): number;
  /** Runs the world on in simulated time at `speed` × real time, submitting events to `sink`. */
  startLive(options: LiveOptions): LiveRun;
}

/**
 * Creates a sandbox world from a validated configuration and a seed. Nothing is emitted until
 * a backfill or a live run asks; the same config, seed and calls give the same events.
 */
export function createSandboxWorld(config: WorldConfig, seed: number, options: SandboxWorldOptions = {}): SandboxWorld {
  if (!Number.isSafeInteger(seed)) throw new TwinloopError('BAD_INPUT', `seed must be an integer; got ${seed}`);
  const latencyScale = options.latencyScale ?? 1;
  if (!(latencyScale >= 0)) throw new TwinloopError('BAD_INPUT', `latencyScale must be ≥ 0; got ${latencyScale}`);
  const noop: EventOutput = { usage() {}, event() {} };
  // Events caused by back-end calls while nothing is generating wait here for the next run.
  const idle = new ArrayOutput();
  const engine = new WorldEngine(config, seed, noop);
  engine.immediate = idle;
  const toIdle = () => {
    engine.out = noop;
    engine.immediate = idle;
  };
  const pool = new ApplicantPool(config, seed);
  const backends = createSandboxBackends(engine, pool, { latencyScale });
  let live: LiveRun | undefined;

  const daysFor = (o: { months?: number; days?: number }): number => {
    if (o.days !== undefined) return o.days;
    const months = o.months ?? 0;
    if (!(months >= 0)) throw new TwinloopError('BAD_INPUT', `months must be ≥ 0; got ${months}`);
    return daysInMonths(engine.startMs + engine.day * DAY_MS, months);
  };
  const assertIdle = () => {
    if (live?.running) throw new TwinloopError('CONFLICT', 'the world is running live; stop the live run before backfilling');
  };
  /** Generating without a live clock: incidents a stopped live run still held are told now, later ones at once. */
  const unholdIncidents = () => {
    engine.releaseIncidents(Infinity);
    engine.heldIncidents = undefined;
  };

  const world: SandboxWorld = {
    config,
    seed,
    clock: engine.clock,
    backends,
    nextApplicant: () => pool.next(),
    takePendingEvents: () => idle.drain(),
    generate(output, o) {
      assertIdle();
      const days = daysFor(o);
      unholdIncidents();
      // Every event takes one id from the counter, so the counter's advance is the event count.
      const before = engine.counters.ids;
      const waiting = idle.drain();
      for (const e of waiting) output.event(e);
      engine.out = output;
      engine.immediate = output;
      try {
        for (let k = 0; k < days; k++) {
          engine.stepDay();
          o.onProgress?.(k + 1, days, waiting.length + engine.counters.ids - before);
        }
      } finally {
        toIdle();
      }
      const events = waiting.length + engine.counters.ids - before;
      return events;
    },
    async backfill(o) {
      assertIdle();
      const days = daysFor(o);
      const batchSize = o.batchSize ?? 5000;
      unholdIncidents();
      const buffer = new ArrayOutput();
      for (const e of idle.drain()) buffer.event(e);
      const sending = new DeliveryWindow(o.sink, batchSize, emptyTally(), o.window ?? 1);
      let events = 0;
      engine.out = buffer;
      engine.immediate = buffer;
      try {
        for (let k = 0; k < days; k++) {
          engine.stepDay();
          const day: TwinEvent[] = buffer.drain();
          events += day.length;
          await sending.send(day);
          // Progress is a day the sink has answered for, never one still on its way.
          const done = events;
          sending.then(() => o.onProgress?.(k + 1, days, done));
        }
        await sending.flush();
      } finally {
        toIdle();
      }
      return { ...sending.tally, events };
    },
    async backfillToFile(path, o) {
      const file = await NdjsonFileWriter.open(path);
      try {
        const out = new NdjsonOutput((chunk) => file.write(chunk));
        const days = daysFor(o);
        let events = 0;
        for (let k = 0; k < days; k++) {
          events += world.generate(out, { days: 1 });
          o.onProgress?.(k + 1, days, events);
          // Between days, let the disk catch up if it is behind (backpressure).
          await file.drain();
        }
        out.flush();
        return { events, bytes: file.bytes };
      } finally {
        await file.close();
      }
    },
    startLive(o) {
      assertIdle();
      live = startLiveRun(engine, o, idle.drain(), toIdle);
      return live;
    },
  };
  bindInternals(world, { engine, pool });
  return world;
}
