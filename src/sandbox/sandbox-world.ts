import type { Clock } from '../domain/clock.js';
import type { EventSink } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { stageCareExample, type CareExample } from './care-example.js';
import { TwinloopError } from '../domain/errors.js';
import { ApplicantPool, type Applicant } from './applicant-pool.js';
import { ActGate, progressHold, type ActHold } from './act-gate.js';
import { createSandboxBackends, type SandboxBackends } from './backends/index.js';
import { SandboxJournal, type SandboxJournalEntry, type SandboxJournalStore } from './sandbox-journal.js';
import { ArrayOutput, NdjsonOutput, type EventOutput } from './event-output.js';
import { NdjsonFileWriter } from './ndjson-file-writer.js';
import { startLiveRun, type LiveOptions, type LiveRun } from './live-run.js';
import { DAY_MS } from '../domain/time.js';
import { daysInMonths } from './sim-time.js';
import { DeliveryWindow, emptyTally, type DeliveryOptions, type DeliveryTally } from './sink-delivery.js';
import type { WorldConfig } from './world-config.js';
import { WorldEngine } from './world-engine.js';
import { bindInternals } from './world-internals.js';

/** Progress of a backfill: simulated days done out of the total, events so far. */
export type ProgressFn = (daysDone: number, daysTotal: number, events: number) => void;

/** Options of `createSandboxWorld`. */
export interface SandboxWorldOptions {
  /** Multiplies back-end latencies; 0 answers at once (tests). Default 1. */
  latencyScale?: number;
  /**
   * Where the back ends' acts and the applicants drawn are journaled (durably, before they are
   * answered), so that `restore` continues the same world after a restart. None: nothing is kept.
   */
  journal?: SandboxJournalStore;
}

/** What an act is told while a restarted world is rebuilt (`restore`), and until when. */
export const REBUILDING = "the sandbox's world is being rebuilt from its seed after a restart";
export const REBUILDING_UNTIL = 'its back ends take no act until it is back (decision 0025)';
/**
 * How long `restore` generates before it lets the event loop run (requests, /health): a day of
 * the default world takes about 0.3-0.7 s at a shared machine's load, so it yields between days.
 */
const RESTORE_SLICE_MS = 20;

/** What `restore` rebuilt. */
export interface RestoredWorld {
  /** The world's next day to generate. */
  day: number;
  /** Journal entries replayed. */
  replayed: number;
  /** Events of the days from `keepFrom` on (and of the acts replayed then), to deliver again: the intake answers those it has as duplicates. */
  events: TwinEvent[];
}

/** A running sandbox operator. */
export interface SandboxWorld {
  readonly config: WorldConfig;
  readonly seed: number;
  /** Simulated time: the end of what has been generated (backfill), or the live now. */
  readonly clock: Clock;
  /** The world's BSS back ends; their effects flow back into the world's events. */
  readonly backends: SandboxBackends;
  /**
   * Draws the next onboarding applicant (what the applicant presents; the truth stays hidden).
   * UNAVAILABLE while `restore` runs. The draw is journaled: await `journalFlushed` before
   * handing the applicant out of the process.
   */
  nextApplicant(): Applicant;
  /** Resolves once every act journaled so far is durable. */
  journalFlushed(): Promise<void>;
  /**
   * Holds every act on the world until the returned function is called: the back ends answer
   * transient and `held` with `why()`'s reason and wait, and a scenario staged is refused
   * UNAVAILABLE. For a history that is regenerated from the seed later (decision 0021), which an
   * act would change. Applicants are still drawn: their pool is not the world's (nothing the world
   * generates depends on them until an order for one is taken, which is an act).
   */
  holdActs(why: () => ActHold): () => void;
  /** Why acts on the world are held now, if they are (a person's decision that would act waits for it). */
  actsHeld(): ActHold | undefined;
  /**
   * Rebuilds a world that ran before (same config and seed): generates its days silently up to
   * `days` (or further, to the last journaled act) and replays every journaled act at its place, so
   * applicants, orders, lines and plan changes are those the world had. Back ends wait for it to
   * finish. Call once, before any backfill or live run. `live`: the world ran live; its clock
   * then goes on from the last act, and the events of its last day beyond it wait for the live run.
   * It lets the event loop run between days (the server answers meanwhile) and holds every act on
   * the world until it ends (`holdActs`: an act between two days would change the days after it).
   * `onProgress` hears of each day generated (days done, days to generate in all). `resumeAt`
   * (live): the simulated time through which the world's events were taken before the restart
   * (the newest of them in the log): its day is generated too, and the clock goes on from there
   * (or from the last act, if later) rather than from day `keepFrom`'s start, so no simulated time
   * is lived twice. `signal` (a stop): the rebuild ends before its next day, rejected UNAVAILABLE;
   * the world is then left as it was, rebuilding (acts held, back ends closed), for the process to
   * end: nothing was acted or taken from it, and the next start rebuilds it from its seed.
   */
  restore(options: { days: number; keepFrom: number; live?: boolean; resumeAt?: number; onProgress?: (daysDone: number, daysTotal: number) => void; signal?: AbortSignal }): Promise<RestoredWorld>;
  /**
   * Makes the brief's care example happen now to a real customer (`customerId`, or one the world
   * picks): data overuse, a billing complaint and a call starting (`care-example.ts`). Throws
   * NOT_FOUND for an unknown customer, BAD_INPUT for one who does not fit (saying why), CONFLICT
   * when nobody fits.
   */
  stageCareExample(customerId?: string): CareExample;
  /**
   * Generates `months` (or `days`) of history through the ordinary intake (`sink`), day by day,
   * in time order. `onProgress` is called after each day is delivered. A sink that fails
   * permanently (not OVERLOADED nor a transient failure: `isRetryable`) stops the backfill.
   */
  /**
   * Delivers the history to `sink`. `window`: batches handed over before the first is answered
   * (default 1); more only for a sink that refuses at submission, as the intake does
   * (`DeliveryWindow`), and then the next day is generated and checked while the last commits.
   * A batch the sink fails transiently is sent again (`onRetry` hears of it).
   */
  backfill(options: { months?: number; days?: number; sink: EventSink; batchSize?: number; window?: number; onProgress?: ProgressFn } & DeliveryOptions): Promise<DeliveryTally & { events: number }>;
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
  const journal = new SandboxJournal(options.journal ?? null, () => ({ day: engine.day, at: engine.clock.now() }));
  const gate = new ActGate();
  const { backends, provisioning } = createSandboxBackends(engine, pool, { latencyScale }, journal, gate);
  let live: LiveRun | undefined;
  /** The live run's speed (simulated ms per real ms): a staged call is held for a person's minutes at it. */
  let livePace = 1;
  let restoring = false;
  /** A restored live world's events still ahead of its clock: the next live run releases them in time. */
  const ahead: TwinEvent[] = [];
  // A journaled world's back ends wait for its restore (or its first run, when there is nothing to restore).
  let releaseBackends = options.journal ? journal.holdBackends() : () => {};
  const openBackends = () => {
    releaseBackends();
    releaseBackends = () => {};
  };

  /**
   * Carries one journaled act out again, synchronously, at its place: after the days it followed
   * and at the time it was made. A live world generates a day whole at its start and acts within
   * it, so an act of 10:00 is replayed at 10:00 of the day just generated, not at its end: replayed
   * at the clock (the day's end), its events came back under their ids at another time (refused as
   * reused ids) and what it changed took hold a day late (an offer's run, a new line's start).
   */
  const replay = (e: SandboxJournalEntry) => {
    engine.clock.set(e.at);
    if (e.backend === 'applicants') pool.next();
    else if (e.backend === 'scenarios' && e.method === 'care-example') {
      const request = e.request as { customerId: string; heldMs?: number };
      stageCareExample(engine, request.customerId, { heldMs: request.heldMs });
    }
    else if (e.backend === 'provisioning' && e.method === 'complete') provisioning.replayCompletion((e.request as { provisioningId: string }).provisioningId);
    else {
      const connector = (backends as unknown as Record<string, Record<string, (req: unknown) => Promise<unknown>> | undefined>)[e.backend];
      const method = connector?.[e.method];
      if (typeof method !== 'function') throw new TwinloopError('INTERNAL', `sandbox journal entry ${e.seq} names ${e.backend}.${e.method}, which this world's back ends do not have`);
      journal.replaying = e;
      // The back end takes the entry and acts before its first await: the world changes now.
      method.call(connector, e.request).catch(() => undefined);
      if (journal.replaying) throw new TwinloopError('INTERNAL', `sandbox journal entry ${e.seq} (${e.backend}.${e.method}) was not replayed`);
    }
  };

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
    // The world's time, and how long until it reaches a time: at the live run's speed, never while it stands still.
    clock: { now: () => engine.clock.now(), realMsUntil: (t) => (t <= engine.clock.now() ? 0 : live?.running ? live.realMsUntil(t) : Infinity) },
    backends,
    nextApplicant: () => {
      if (restoring) throw new TwinloopError('UNAVAILABLE', 'the sandbox is rebuilding its world after a restart; ask again in a moment');
      const applicant = pool.next();
      journal.record({ backend: 'applicants', method: 'next', request: null, ran: true, result: null }).catch(() => undefined);
      return applicant;
    },
    journalFlushed: () => journal.flushed(),
    holdActs: (why) => gate.hold(why),
    actsHeld: () => gate.current(),
    async restore(o) {
      assertIdle();
      restoring = true;
      journal.inReplay = true;
      const pass = { started: Date.now(), done: 0, total: o.days };
      const releaseActs = gate.hold(() => progressHold(REBUILDING, REBUILDING_UNTIL, pass));
      let stopped = false;
      try {
        const entries = options.journal ? await options.journal.load() : [];
        const last = entries.length ? entries[entries.length - 1] : undefined;
        // The day that holds the position is generated: the live run goes on inside it.
        const through = Math.max(o.days, last?.day ?? 0, o.resumeAt === undefined ? 0 : Math.floor((o.resumeAt - engine.startMs) / DAY_MS) + 1);
        const from = engine.day;
        pass.total = through - from;
        let slice = Date.now();
        const kept = new ArrayOutput();
        const noop: EventOutput = { usage() {}, event() {} };
        let next = 0;
        const replayUpTo = (day: number) => {
          for (; next < entries.length && entries[next].day <= day; next++) replay(entries[next]);
        };
        unholdIncidents();
        // A live world's clock goes back into its last day below: its alarms wait for the clock, as
        // the day's events do (told while the day is generated, they would be news from the future).
        if (o.live) engine.heldIncidents = [];
        for (const e of idle.drain()) kept.event(e);
        while (engine.day < through) {
          // A stop ends the rebuild between two days: its days are regenerated from the seed at the next start.
          if (o.signal?.aborted) {
            stopped = true;
            throw new TwinloopError('UNAVAILABLE', `the world's rebuild was stopped at day ${engine.day - from} of ${through - from}; the next start rebuilds it from its seed`, { context: { retryable: false } });
          }
          const out = engine.day >= o.keepFrom ? kept : noop;
          engine.out = out;
          engine.immediate = out;
          replayUpTo(engine.day);
          engine.stepDay();
          pass.done = engine.day - from;
          o.onProgress?.(pass.done, pass.total);
          // Nothing else changes the world meanwhile: acts are held, applicants and scenarios refused, no live run.
          if (Date.now() - slice >= RESTORE_SLICE_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            slice = Date.now();
          }
        }
        engine.out = kept;
        engine.immediate = kept;
        replayUpTo(Infinity);
        // The acts replayed last put the clock back to their times; the days generated end later.
        const end = Math.max(engine.clock.now(), engine.startMs + engine.day * DAY_MS);
        engine.clock.set(end);
        journal.resumeAfter(last?.seq ?? 0);
        // As the live run releases them: an act replayed within a generated day holds back what it held back then.
        const events = kept.drain().filter((e) => !engine.heldBack(e));
        if (!o.live) return { day: engine.day, replayed: entries.length, events };
        // Live, the clock stood inside the last generated day: it goes on from the last act or the
        // position the events were taken through (else day `keepFrom`'s start), not from the day's
        // end, and what the day holds beyond it waits for it: events for the live run (`ahead`),
        // alarms in the held incidents it releases as it passes them.
        const now = Math.min(end, Math.max(last?.at ?? 0, o.resumeAt ?? engine.startMs + o.keepFrom * DAY_MS));
        engine.releaseIncidents(now);
        engine.clock.set(now);
        const due = events.filter((e) => Date.parse(e.time) <= engine.clock.now());
        ahead.push(...events.filter((e) => Date.parse(e.time) > engine.clock.now()));
        return { day: engine.day, replayed: entries.length, events: due };
      } finally {
        toIdle();
        // Stopped half rebuilt, the world takes no act and opens no back end (pending provisioning
        // would act on days not yet replayed): the process is ending, and the next start rebuilds it.
        if (!stopped) {
          journal.inReplay = false;
          restoring = false;
          releaseActs();
          openBackends();
          provisioning.resumePending();
        }
      }
    },
    stageCareExample(customerId) {
      if (restoring) throw new TwinloopError('UNAVAILABLE', 'the sandbox is rebuilding its world after a restart; ask again in a moment');
      gate.check();
      // Held for a person's minutes at the pace the world runs now (as it stands still: real time).
      const r = stageCareExample(engine, customerId, { pace: live?.running ? livePace : 1 });
      if (!r.ok) {
        const code = r.reason.startsWith('unknown customer') ? 'NOT_FOUND' : customerId === undefined ? 'CONFLICT' : 'BAD_INPUT';
        throw new TwinloopError(code, r.reason);
      }
      // Journaled like a back-end call, so a restarted world stages it again on the same customer.
      const heldMs = r.value.endsBy === null ? undefined : Date.parse(r.value.endsBy) - Date.parse(r.value.at);
      journal.record({ backend: 'scenarios', method: 'care-example', request: { customerId: r.value.customerId, heldMs }, ran: true, result: null }).catch(() => undefined);
      return r.value;
    },
    takePendingEvents: () => idle.drain(),
    generate(output, o) {
      assertIdle();
      openBackends();
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
      openBackends();
      const days = daysFor(o);
      const batchSize = o.batchSize ?? 5000;
      unholdIncidents();
      const buffer = new ArrayOutput();
      for (const e of idle.drain()) buffer.event(e);
      const sending = new DeliveryWindow(o.sink, batchSize, emptyTally(), o.window ?? 1, { onRetry: o.onRetry });
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
        const out = new NdjsonOutput(
          (chunk, whole) => file.write(chunk, whole),
          (bytes) => file.spare(bytes),
        );
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
      openBackends();
      live = startLiveRun(engine, o, idle.drain(), toIdle, ahead.splice(0));
      livePace = o.speed;
      return live;
    },
  };
  bindInternals(world, { engine, pool });
  return world;
}
