import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realMsUntil, type Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { EventSink } from '../../domain/event-sink.js';
import { createSandboxWorld, deliver, emptyTally, INTAKE_DELIVERY_WINDOW, loadWorldDocument, progressHold, REBUILDING, REBUILDING_UNTIL, WORLD_NAMES, type ActHold, type HoldProgress, type RetryBounds, type SandboxWorld, type WorldConfig } from '../../sandbox/index.js';
import type { RecordStore } from '../../store/record-store.js';
import type { SeededHistoryLog, SeededHistoryRecord } from '../../store/event-store.js';
import type { SeededIntake, SeededRefusal } from '../../twin/intake.js';
import { describeSandboxHistory } from './sandbox-history-source.js';
import { recordHistoryMark, recordJournalStore, type HistoryMark } from './sandbox-journal-store.js';
import { DAY_MS, DAYS_PER_MONTH } from '../../domain/time.js';

/** How often the position is saved while the history is backfilled. */
const SAVE_EVERY_MS = 5_000;
/** Events per submission when a restore delivers its days again (the backfill's batch). */
const RESTORE_BATCH = 5_000;
/** How often a long pass (the history, a restart's rebuild) says how far it is. */
const PROGRESS_EVERY_MS = 10_000;

/** Days of history a first start backfills for `months` (what the benches that stand for it must count alike). */
export function historyDays(months: number): number {
  return Math.round(months * DAYS_PER_MONTH);
}

/** What `twinloop start` remembers of the sandbox between runs, beside the embedded store. */
export interface SandboxState {
  world: string;
  seed: number;
  customers: number;
  /** First simulated day of the world (ISO date). */
  start: string;
  /** Days of history the first start backfills. */
  backfillDays: number;
  /** Simulated days whose events the intake has taken. */
  days: number;
  /**
   * The history is complete and the world runs live. With a record store (`SandboxPlan.history`)
   * this mirrors the store's history mark, which decides; a position file's own word is taken only
   * from a run that kept no mark yet (written into the store then, once).
   */
  backfilled: boolean;
  /**
   * The world's whole configuration as its first start resolved it: a restart runs this one, not
   * the document of today (a built-in world that changed since, such as `default` turning contract
   * ends on, would no longer give the history already in the store). Absent in a position kept
   * before worlds were recorded: `planSandbox` then rebuilds it (`LATER_SETTINGS`) and records it.
   */
  config?: WorldConfig;
}

export interface SandboxPlan {
  world: SandboxWorld;
  state: SandboxState;
  /** A previous run of the same world is picked up. */
  resuming: boolean;
  /** Where the end of the backfill is kept (the record store, when the plan has one). */
  history?: HistoryMark;
  /** Said once at start when the world resumed differs from today's document of the same name (a line for the log). */
  notice?: string;
}

/**
 * Settings added to built-in worlds since positions began recording their world (a data dir of
 * then has no `config`): its world ran without them, so a restart takes them out to continue it.
 */
const LATER_SETTINGS = ['renewals'] as const satisfies readonly (keyof WorldConfig)[];

/** The top-level settings in which two world configurations differ (`start` aside: the plan moves it). */
function changedSettings(a: WorldConfig, b: WorldConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('start');
  return [...keys].filter((k) => JSON.stringify(a[k as keyof WorldConfig]) !== JSON.stringify(b[k as keyof WorldConfig])).sort();
}

/**
 * The configuration a resumed world runs: the one recorded at its first start, else (a position
 * from before worlds were recorded) today's built-in document without the settings added since.
 */
function resumedConfig(previous: SandboxState, today: WorldConfig, worldName: string): { config: WorldConfig; notice?: string } {
  const where = `the world "${worldName}" this data dir was created with`;
  if (previous.config) {
    const changed = changedSettings(previous.config, today);
    return { config: previous.config, ...(changed.length ? { notice: `sandbox: resuming ${where} (recorded at its first start); today's "${worldName}" differs in ${changed.join(', ')}: a new data dir runs that one` } : {}) };
  }
  if (!WORLD_NAMES.includes(worldName)) return { config: today, notice: `sandbox: resuming "${worldName}" as the file gives it now; the data dir had no record of its world, which is kept from now on` };
  const config = { ...today };
  const dropped = LATER_SETTINGS.filter((k) => config[k] !== undefined);
  for (const k of dropped) delete config[k];
  return { config, notice: `sandbox: resuming ${where}, recorded from now on${dropped.length ? ` (made before ${dropped.join(', ')} came to "${worldName}": it continues without; a new data dir runs it with)` : ''}` };
}

/**
 * Decides which world `start` runs: the one a previous run left in `stateDir` when it is the same
 * world, seed and size, else a new one whose history ends today (so that its twins read as
 * current as of now; the world's configured start date is moved to `months` before today).
 */
export function planSandbox(o: {
  config: WorldConfig;
  worldName: string;
  seed: number;
  months: number;
  stateDir?: string;
  /** The position a previous run kept elsewhere than a state dir (the record store on PostgreSQL: `readStoredSandboxState`). */
  previous?: SandboxState;
  now?: number;
  /** Where the world's acts are journaled (the record store, once open): a restart then continues the same world. */
  records?: Promise<RecordStore>;
}): SandboxPlan {
  const customers = o.config.population.customers;
  const previous = o.stateDir ? readState(o.stateDir) : o.previous;
  const same = previous && previous.world === o.worldName && previous.seed === o.seed && previous.customers === customers;
  const today = Math.floor((o.now ?? Date.now()) / DAY_MS) * DAY_MS;
  const backfillDays = historyDays(o.months);
  const resumed = same ? resumedConfig(previous, o.config, o.worldName) : undefined;
  const state: SandboxState = same
    ? { ...previous, config: resumed!.config }
    : { world: o.worldName, seed: o.seed, customers, start: new Date(today - backfillDays * DAY_MS).toISOString().slice(0, 10), backfillDays, days: 0, backfilled: false, config: o.config };
  const config = loadWorldDocument({ ...state.config, start: state.start });
  const identity = { name: state.world, seed: state.seed, customers, start: state.start };
  const journal = o.records && recordJournalStore(o.records, identity);
  return {
    world: createSandboxWorld(config, o.seed, journal ? { journal } : {}),
    state,
    resuming: Boolean(same && state.days > 0),
    ...(o.records ? { history: recordHistoryMark(o.records, identity) } : {}),
    ...(resumed?.notice ? { notice: resumed.notice } : {}),
  };
}

/**
 * A clock for the intake while the sandbox runs (in process or over HTTP): the later of wall time
 * and simulated time, so the sandbox's live events (which run ahead of real time) are not refused
 * as future, and events from real producers are not either. `reached`: the world's time a restart
 * found it at (the twins' newest event, where the world goes on from, decision 0026), below which
 * the clock does not read while a world runs: a restart's rebuild replays the world from its first
 * day, and the wall clock alone, days behind a live world at 3,600x, refused an alarm stamped at
 * /health's eventClock as "in the future" (and an event dated then) until the world was back,
 * about 12 minutes at load.
 */
export function sandboxAwareClock(sandboxClock: () => Clock | undefined, reached: () => number = () => 0): Clock {
  const floor = () => (sandboxClock() ? reached() : 0);
  return {
    now: () => Math.max(Date.now(), sandboxClock()?.now() ?? 0, floor()),
    // The later of the clocks reads `t` when the first of them does; the time reached, at once.
    realMsUntil: (t) => {
      const world = sandboxClock();
      if (t <= floor()) return 0;
      return Math.min(Math.max(0, t - Date.now()), world ? realMsUntil(world, t) : Infinity);
    },
  };
}

/**
 * The world's time, which the operator's acts are judged and dated by (the policy's verdicts: the
 * budgets' periods, quiet hours, an approval's facts; the audit trail; offers' settlements): while
 * a sandbox or a followed BSS runs, the later of its clock and the twins' event clock, never the
 * wall clock. During the first start's backfill the world is months behind the wall clock (an
 * approval asked then was stamped with the wall's date and booked on the wall's month, its facts
 * read as of the world's), and a restart's rebuild replays the world from its first day while the
 * twins already hold its latest time. Without one: the wall clock.
 */
export function worldClock(sandboxClock: () => Clock | undefined, eventClock: () => number): Clock {
  return {
    now: () => {
      const world = sandboxClock();
      return world ? Math.max(world.now(), eventClock()) : Date.now();
    },
  };
}

/** Where the position is kept in the record store, when there is no state dir (a server on PostgreSQL). */
const STATE_COLLECTION = 'sandbox-state';
const STATE_ID = 'position';

/** The position a previous run kept in the record store (`saveState: storedSandboxState(records)`), if any. */
export async function readStoredSandboxState(records: RecordStore): Promise<SandboxState | undefined> {
  const s = (await records.get<SandboxState>(STATE_COLLECTION, STATE_ID))?.body;
  return s && typeof s.start === 'string' && typeof s.days === 'number' ? s : undefined;
}

/**
 * Keeps the position in the record store (once open), for a server without a data dir: without it
 * a restart on PostgreSQL on a later day planned a new world (its start moved) and lost the acts
 * journaled under the old one. Saves are kept in order; a failed one is retried by the next.
 */
export function storedSandboxState(records: Promise<RecordStore>): (state: SandboxState) => Promise<void> {
  let tail: Promise<void> = Promise.resolve();
  return (state) => {
    const copy = { ...state };
    tail = tail.then(async () => void (await (await records).put(STATE_COLLECTION, STATE_ID, copy))).catch(() => undefined);
    return tail;
  };
}

function readState(dir: string | undefined): SandboxState | undefined {
  if (!dir) return undefined;
  const file = join(dir, 'sandbox.json');
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    return typeof s.start === 'string' && typeof s.days === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the sandbox's events go: the twins' intake in process (a TwinService is one), or
 * Twinloop's `/events` in another process (`twinloop sandbox serve`), which has no twins here.
 */
export interface SandboxTarget {
  readonly intake: EventSink;
  /**
   * Twins so far, for the progress lines, and the newest event time they hold: where a restarted
   * live world goes on from (what the intake took of it before the restart, decision 0026).
   */
  readonly engine?: { readonly size: number; readonly eventClock?: number };
  /** Made once the history is in (`loadEnded`: the store organises the history for reading then). */
  checkpoint?(options: { loadEnded: boolean }): Promise<unknown>;
}

/**
 * Takes a first start's history from its seed (decision 0021): through the one intake, applied
 * from memory without waiting for its durable write, then written behind from the seed.
 */
export interface SeededHistoryOptions {
  /** The store's seeded-history record (the embedded store's). */
  readonly log: SeededHistoryLog;
  /** The twins' intake in its seeded mode. */
  begin(o: { firstSeq: number; receivedAt: number; refusal?: () => SeededRefusal }): Promise<SeededIntake>;
  /** Holds the twins' checkpoints while the history's events are neither durable nor regenerable. */
  holdCheckpoints(): () => void;
  /** The history is in and recorded as regenerable: its writing behind starts here. */
  onFinished(record: SeededHistoryRecord): void;
}

export interface SandboxOperatorOptions {
  /** Take a first start's history (from day 0 of a fresh store) from its seed; absent: the durable path for every batch. */
  seeded?: SeededHistoryOptions;
  /**
   * Batches of the history in flight at once (default INTAKE_DELIVERY_WINDOW). 1 for an intake over
   * HTTP: parallel requests may arrive out of order, and a customer's later day first makes the
   * earlier one late.
   */
  deliveryWindow?: number;
  plan: SandboxPlan;
  /** Simulated milliseconds per real millisecond in the live phase. */
  speed: number;
  /** Where to keep the sandbox's position (the data dir); none: `saveState`, or always start from scratch. */
  stateDir?: string;
  /** Keeps the position elsewhere when there is no state dir (`storedSandboxState`); resolves once it is kept. */
  saveState?: (state: SandboxState) => void | Promise<void>;
  /**
   * The world is rebuilt (a restart) and its history taken only once this settles: `twinloop start`
   * passes its edges' listening, so that a restart answers /health and says so within seconds
   * rather than after minutes of regeneration (decision 0025). Absent: at the next turn of the loop.
   */
  after?: Promise<unknown>;
  log: (line: string) => void;
}

/** What an act refused during a seeded history is told: why, how far the history is, when to ask again. */
function heldActs(pass: HoldProgress): ActHold {
  return progressHold("the first start's history is being loaded", "the sandbox's back ends take no act until it is (decision 0021)", pass);
}

/**
 * When another producer's events are asked for again while the seeded history goes through the
 * intake: its estimated time left, at least 2 s and at most 5 minutes (an estimate from the first
 * days is rough). A producer told "5 s" for the minutes of a loaded machine's history asked
 * again about a hundred times for nothing.
 */
const EVENTS_RETRY: RetryBounds = { minMs: 2_000, maxMs: 300_000 };

/** What another producer's events are answered during a seeded history: why, how far it is, when to send them again. */
function heldEvents(pass: HoldProgress): ActHold {
  return progressHold("the first start's history is going through the intake from its seed", 'events of other producers are taken once it is in', pass, Date.now(), EVENTS_RETRY);
}

export interface SandboxOperator {
  world: SandboxWorld;
  /** Resolves when the history is in and the live clock runs. */
  ready: Promise<void>;
  /** Share (0-1) of a restarted world rebuilt from its seed while it is rebuilt (acts are held until it is back); null otherwise. */
  rebuilt(): number | null;
  stop(): Promise<void>;
}

/**
 * Runs the sandbox operator into the ordinary intake: backfills the history (resuming after the
 * last day the intake took, when a run was interrupted), then runs live. The same seed gives the
 * same world, so a later start regenerates it silently up to where it stopped (the twins are
 * already in the store): a live world goes on from the newest event the twins hold (decision
 * 0026), its day's events up to there delivered again, which the intake answers as duplicates.
 */
export function startSandboxOperator(twins: SandboxTarget, o: SandboxOperatorOptions): SandboxOperator {
  const { world, state } = o.plan;
  const startMs = world.clock.now();
  const save = () => {
    if (!o.stateDir) return o.saveState?.(state);
    const file = join(o.stateDir, 'sandbox.json');
    // Written aside and renamed, so a crash never leaves half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  };
  if (o.plan.notice) o.log(o.plan.notice);
  // Kept at once: a process killed before its first periodic save, started again on a later day,
  // would otherwise plan a new world (a new start date) and lose the acts journaled under this one.
  save();
  let live: ReturnType<SandboxWorld['startLive']> | undefined;
  let stopped = false;
  let stopNow: () => void = () => {};
  const stopping = new Promise<void>((resolve) => (stopNow = resolve));
  // A stop ends a restart's rebuild between two days (minutes on the default world, which a SIGTERM
  // waited out whole); what the twins took is in the store already, and the world is regenerable.
  const stopRebuild = new AbortController();
  // Whether the world stands where it was (its rebuild over): only then is its clock its position.
  let worldBack = false;
  // A restart rebuilds the world from its seed up to where it was (`restore`), minutes on the default
  // world: acts are held from now (before the edges listen) until it is back, as the rebuild itself
  // holds them while it runs; an act in between would wait for the journal's replay with no answer.
  const rebuild: (HoldProgress & { over: boolean }) | undefined = o.plan.resuming ? { started: Date.now(), done: 0, total: Math.max(0, state.days - 1), over: false } : undefined;
  const releaseRebuild = rebuild ? world.holdActs(() => progressHold(REBUILDING, REBUILDING_UNTIL, rebuild)) : () => {};
  // A first start that may take its history from the seed holds every act on the world from now
  // (before the edges listen, before a restore opens the back ends) until the history's days are
  // generated: an act in between would change the days still to come, and the history written
  // behind from the seed would no longer be the one the twins took (decision 0021). Released at
  // once when the durable path is taken instead.
  const pass = { started: Date.now(), done: 0, total: state.backfillDays };
  const releaseActs = o.seeded && !state.backfilled ? world.holdActs(() => heldActs(pass)) : () => {};
  let timer: NodeJS.Timeout | undefined;
  // Stops a running backfill at its next delivery once the operator is asked to stop.
  const sink: EventSink = {
    submit: (events) => (stopped ? Promise.reject(new TwinloopError('UNAVAILABLE', 'the sandbox operator is stopping', { context: { retryable: false } })) : twins.intake.submit(events)),
  };

  // A store that fails for a while (busy, cut off) is waited out and the batch sent again; said
  // at its first failure and then every 30 (about a minute at the 2 s backoff), so an outage is seen.
  const onRetry = (err: TwinloopError, attempt: number) => {
    if (attempt === 1 || attempt % 30 === 0) o.log(`sandbox: the intake could not take a batch (${err.message}); sending it again (attempt ${attempt + 1})`);
  };
  /**
   * The first start's history from its seed: recorded as reserved before any of it is applied,
   * taken through the seeded intake with checkpoints held (a crash during it leaves a record the
   * next start discards, and the position at day 0), then recorded as finished (regenerable) and
   * handed to be written behind.
   */
  const seededBackfill = async (seeded: SeededHistoryOptions) => {
    const customers = world.config.population.customers;
    const receivedAt = Date.now();
    const record = await seeded.log.begin(
      describeSandboxHistory({ world: state.world, seed: state.seed, customers: state.customers, start: state.start, days: state.backfillDays, config: state.config ?? world.config }),
      receivedAt,
    );
    o.log(`sandbox: taking ${state.backfillDays} days of world "${state.world}" (${customers} customers, seed ${state.seed}) through the intake from its seed; written to the log behind it…`);
    const release = seeded.holdCheckpoints();
    const intake = await seeded.begin({ firstSeq: record.firstSeq, receivedAt, refusal: () => heldEvents(pass) });
    const started = Date.now();
    let lastLog = Date.now();
    const tally = await world.backfill({
      days: state.backfillDays,
      sink: { submit: (events) => (stopped ? Promise.reject(new TwinloopError('UNAVAILABLE', 'the sandbox operator is stopping', { context: { retryable: false } })) : intake.submit(events)) },
      window: o.deliveryWindow ?? INTAKE_DELIVERY_WINDOW,
      onRetry,
      // The position stays at day 0 until the history is recorded as finished: before that a crash discards it.
      onProgress: (done, total, events) => {
        pass.done = done;
        pass.total = total;
        if (Date.now() - lastLog < PROGRESS_EVERY_MS) return;
        lastLog = Date.now();
        o.log(`sandbox: ${Math.round((100 * done) / total)} % of the history (${events} events${twins.engine ? `, ${twins.engine.size} twins` : ''})`);
      },
    });
    // The history is recorded as finished (the log's seqs moved past it) before the intake takes
    // other producers' events again, and only then are acts let through: an act carried out earlier
    // is written on the customer's timeline as an `action` event (action-report.ts), which the intake
    // would refuse while it still takes the history (its report was lost: the credit carried out,
    // never on the timeline, seen in CI at load). Every day of the history is generated by now:
    // acts change only what comes after it.
    const passed = await intake.end((p) => seeded.log.finish(p));
    releaseActs();
    release();
    await o.plan.history?.write({ at: new Date().toISOString(), days: state.backfillDays });
    state.days = state.backfillDays;
    state.backfilled = true;
    await save();
    o.log(`sandbox: history in from its seed: ${tally.events} events (${tally.accepted} accepted, ${tally.duplicate} duplicates, ${tally.rejected} rejected) in ${((Date.now() - started) / 1000).toFixed(0)} s; writing it to the log behind`);
    seeded.onFinished({ ...record, lastSeq: passed.lastSeq, skipped: passed.skipped, blockHashes: passed.blockHashes });
    // The history's writer thread holds the log's write lock block by block from now on; a
    // checkpoint that meets it past the lock wait (seen at load: "database is locked") is made by
    // the periodic ones instead. The history is regenerable meanwhile, so nothing waits on this one;
    // failing here had stopped the sandbox (no live world, no model).
    await twins.checkpoint?.({ loadEnded: true })?.catch((err: Error) => o.log(`sandbox: the checkpoint after the history is left to the periodic ones (${err.message})`));
  };

  /**
   * A restart's rebuild of the world from its seed (`restore`), said as it begins, every 10 s and
   * as it ends; it lets the event loop run between days, so the server answers meanwhile. A live
   * world goes on from the newest event the twins hold (`resumeAt`, decision 0026); else from the
   * start of the day before the saved position, whose events come again as duplicates.
   */
  const restoreWorld = async (resumeAt: number | undefined) => {
    const days = resumeAt === undefined ? Math.max(0, state.days - 1) : Math.floor((resumeAt - startMs) / DAY_MS);
    if (rebuild) {
      rebuild.started = Date.now();
      // A live world's rebuild generates the day it stopped in too (`restore`'s resumeAt): said, so the end's count (one more) adds up.
      const span = resumeAt === undefined ? `${days} days` : `${days + 1} days (the ${days} whole days it had lived, then the day it stopped in, to ${new Date(resumeAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
      o.log(`sandbox: rebuilding world "${state.world}" (seed ${state.seed}) from its seed after a restart, ${span}; the twins answer meanwhile, acts on its back ends are held (503, Retry-After) until it is back (GET /health: worldRebuilt)`);
    }
    let lastLog = Date.now();
    const restored = await world.restore({
      days,
      keepFrom: days,
      live: state.backfilled,
      ...(resumeAt === undefined ? {} : { resumeAt }),
      signal: stopRebuild.signal,
      onProgress: (done, total) => {
        if (!rebuild) return;
        rebuild.done = done;
        rebuild.total = total;
        if (Date.now() - lastLog < PROGRESS_EVERY_MS) return;
        lastLog = Date.now();
        o.log(`sandbox: ${Math.round((100 * done) / total)} % of the world rebuilt (${done} of ${total} days)`);
      },
    });
    if (rebuild) {
      rebuild.over = true;
      o.log(`sandbox: world rebuilt in ${((Date.now() - rebuild.started) / 1000).toFixed(1)} s (${rebuild.total} days generated${restored.replayed > 0 ? `, ${restored.replayed} acts of its back ends replayed: applicants, orders, activations, plan changes…` : ''}); acts on it pass again`);
    } else if (restored.replayed > 0) o.log(`sandbox: ${restored.replayed} acts of the back ends replayed (applicants, orders, activations, plan changes…)`);
    worldBack = true;
    releaseRebuild();
    return restored;
  };

  /**
   * Where a restarted live world goes on from: the newest event time the twins hold, which is the
   * world's own position (its events come in time order, each batch after the last is taken; the
   * operator's acts are stamped by its clock), or up to the intake's 5 minutes ahead of it when an
   * outside producer stamps its events so. None without twins here (`sandbox serve`), for a
   * history still loading, or when the twins are behind the history's last day (then the saved
   * position decides, as before).
   */
  const resumePosition = (): number | undefined => {
    const taken = twins.engine?.eventClock;
    if (!o.plan.resuming || !state.backfilled || taken === undefined) return undefined;
    return taken >= startMs + (state.backfillDays - 1) * DAY_MS ? taken : undefined;
  };

  const ready = (async () => {
    // The rebuild and the history begin once the caller has finished starting (the edges listen).
    await Promise.race([o.after?.catch(() => undefined) ?? new Promise((resolve) => setImmediate(resolve)), stopping]);
    if (stopped) throw new TwinloopError('UNAVAILABLE', 'the sandbox operator stopped before its world began', { context: { retryable: false } });
    const customers = world.config.population.customers;
    // Whether the history is in is the store's mark, written once when the backfill ended; a
    // position from a run that kept none yet (before the mark existed) is taken at its word once.
    const history = o.plan.history;
    const mark = await history?.read();
    if (history && !mark && state.backfilled) await history.write({ at: new Date().toISOString(), days: state.backfillDays });
    state.backfilled = history ? Boolean(mark) || state.backfilled : state.backfilled;
    // The world is rebuilt from its seed up to where it was, with what its back ends did replayed
    // at the same places (the journal). A live world goes on from what the intake took of it:
    // the twins' newest event (decision 0026). The position file is saved every 10 s of real time,
    // hours of the world's at 3,600×: going on from the day before it lived those hours again,
    // the operator's acts meanwhile stamped behind what the twins held. What the day holds up to
    // there is delivered again (duplicates, but for what the intake had not taken yet). A backfill
    // goes on from the day before its saved position, delivered again.
    const restored = await restoreWorld(resumePosition());
    if (restored.events.length) await deliver(sink, restored.events, RESTORE_BATCH, emptyTally(), { onRetry });
    const skip = restored.day;
    state.days = Math.max(state.days, skip);
    // A first start on an empty store, from day 0 with nothing journaled: the history is the seed's
    // alone, and can be taken from memory and written behind (decision 0021).
    const seeded = o.seeded && !state.backfilled && skip === 0 && restored.replayed === 0 && restored.events.length === 0 && (twins.engine?.size ?? 0) === 0 ? o.seeded : undefined;
    if (!seeded) releaseActs();
    if (!state.backfilled && seeded) {
      pass.started = Date.now();
      try {
        await seededBackfill(seeded);
      } finally {
        releaseActs();
      }
    } else if (!state.backfilled) {
      const remaining = Math.max(0, state.backfillDays - skip);
      o.log(
        skip > 0
          ? `sandbox: resuming the history of world "${state.world}" at ${new Date(world.clock.now()).toISOString().slice(0, 10)}: ${remaining} days to go`
          : `sandbox: backfilling ${state.backfillDays} days of world "${state.world}" (${customers} customers, seed ${state.seed}) through the intake…`,
      );
      const started = Date.now();
      let lastLog = Date.now();
      let lastSave = Date.now();
      const tally = await world.backfill({
        days: remaining,
        sink,
        // The sink is the intake, which refuses at submission: the next day is checked while the last commits.
        window: o.deliveryWindow ?? INTAKE_DELIVERY_WINDOW,
        onRetry,
        onProgress: (done, total, events) => {
          state.days = skip + done;
          if (Date.now() - lastSave > SAVE_EVERY_MS) {
            lastSave = Date.now();
            save();
          }
          if (Date.now() - lastLog < PROGRESS_EVERY_MS) return;
          lastLog = Date.now();
          o.log(`sandbox: ${Math.round((100 * done) / total)} % of the history (${events} events${twins.engine ? `, ${twins.engine.size} twins` : ''})`);
        },
      });
      // Kept before the world goes live: the next start reads it and goes live at once.
      await history?.write({ at: new Date().toISOString(), days: state.backfillDays });
      state.backfilled = true;
      await save();
      o.log(`sandbox: history in: ${tally.events} events (${tally.accepted} accepted, ${tally.duplicate} duplicates, ${tally.rejected} rejected) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      await twins.checkpoint?.({ loadEnded: true });
    } else {
      o.log(`sandbox: history in${mark ? ` (since ${mark.at})` : ''}: world "${state.world}" (seed ${state.seed}) resumed at ${new Date(world.clock.now()).toISOString().slice(0, 16)}`);
    }
    if (stopped) return;
    live = world.startLive({ speed: o.speed, sink, onRetry, onError: (err) => o.log(`sandbox live run stopped: ${err.message}`) });
    timer = setInterval(() => {
      state.days = Math.floor((world.clock.now() - startMs) / DAY_MS);
      save();
    }, 10_000);
    timer.unref();
    o.log(`sandbox: live, simulated time runs ${o.speed}× real time`);
  })();

  // A start that failed before its history went in takes acts again (the world is not generating).
  ready.catch(() => undefined).finally(() => {
    releaseActs();
    releaseRebuild();
    if (rebuild) rebuild.over = true;
  });

  return {
    world,
    ready,
    rebuilt: () => (rebuild && !rebuild.over ? (rebuild.total > 0 ? Math.min(1, rebuild.done / rebuild.total) : 0) : null),
    async stop() {
      stopped = true;
      stopNow();
      stopRebuild.abort();
      if (timer) clearInterval(timer);
      await ready.catch(() => {});
      await live?.stop().catch(() => {});
      // A rebuild stopped half way (its rejection, which the server logs, says where) left the clock on a day it passed before: the saved position stays.
      if (state.backfilled && worldBack) state.days = Math.floor((world.clock.now() - startMs) / DAY_MS);
      save();
    },
  };
}
