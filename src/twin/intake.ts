import type { Clock } from '../domain/clock.js';
import { eventContentDifference } from '../domain/event-canonical.js';
import { TwinloopError } from '../domain/errors.js';
import type { EventSink, RecordOutcome } from '../domain/event-sink.js';
import { parseEventTime } from '../domain/event-fast-path.js';
import { validateEvent, validateEventText } from '../domain/event-validation.js';
import type { TwinEvent } from '../domain/events.js';
import { refusedAfterFailedWrite, type AppendOutcome, type EventStore, type NewDeadLetter, type NewEvent } from '../store/event-store.js';
import { blockHash, SEEDED_BLOCK_EVENTS, seededHashStep } from '../store/seeded-history.js';
import { GateOverlay } from './gate-overlay.js';
import { IdPositions } from './id-positions.js';
import type { TwinEngine } from './twin-engine.js';

/**
 * One incoming record: its raw text (an NDJSON line) or an already decoded value (a JSON array
 * element). `refused` is the reason an edge already refused the text (e.g. it was not valid
 * UTF-8): the record is answered rejected with it and kept as a dead letter, like any bad record.
 */
export type IntakeRecord = { text: string; refused?: string } | { value: unknown };

/** Accepted events, in the order applied; listeners re-score twins, push assist cards, etc. */
export type AppliedListener = (events: readonly AcceptedEvent[]) => void;

export interface AcceptedEvent {
  event: TwinEvent;
  time: number;
  seq: number;
}

export interface IntakeOptions {
  store: EventStore;
  engine: TwinEngine;
  clock: Clock;
  /** Records waiting (queued or in the batch being written) before new work is refused. */
  maxQueuedRecords?: number;
  /** Records per store transaction (one group commit). */
  maxBatch?: number;
  /** How far ahead of the clock an event time may be (producers' clocks drift). */
  maxFutureMs?: number;
  /** Name stored with dead letters of this intake (e.g. `http`, `cli`). */
  source?: string;
}

/** A bounded queue protects memory; 100k records of ~300 bytes is ~30 MB of pending work. */
export const DEFAULT_MAX_QUEUED = 100_000;
/** Large enough to amortise one fsync over thousands of events, small enough to keep latency low. */
export const DEFAULT_MAX_BATCH = 5_000;
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;

interface Job {
  records: readonly IntakeRecord[];
  source: string;
  /** Part of the seeded history going through (`beginSeeded`). */
  seeded?: boolean;
  resolve(outcomes: RecordOutcome[]): void;
  reject(err: unknown): void;
}

/** What a seeded history's pass through the intake decided: what regenerating it from its seed must give (decision 0021). */
export interface SeededPass {
  /** The last seq given (`firstSeq - 1` when nothing was accepted). */
  lastSeq: number;
  /** Ordinals (0-based, in submission order) of the records not accepted. */
  skipped: number[];
  /** `seededHashStep` over each block of `SEEDED_BLOCK_EVENTS` accepted events, in seq order. */
  blockHashes: number[];
  accepted: number;
}

/** What another producer's events are answered while a seeded history goes through: why, and when to send them again. */
export interface SeededRefusal {
  readonly reason: string;
  readonly retryAfterMs: number;
}

/** Said when the seeded history's source gives no estimate of its end. */
const SEEDED_REFUSAL: SeededRefusal = { reason: "the first start's history is going through the intake from its seed; send this again in a few seconds", retryAfterMs: 5_000 };

/** The sink a seeded history is submitted to while it goes through the intake; `end` once it is all in. */
export interface SeededIntake extends EventSink {
  /**
   * Waits for everything submitted to be applied, leaves the seeded mode and says what the pass
   * decided. `record` (the store's `finish`, which moves the log's seqs past the history) runs
   * before the mode is left: until it is done other producers are still refused, since an event
   * taken before it would be given one of the history's seqs.
   */
  end(record?: (pass: SeededPass) => Promise<void>): Promise<SeededPass>;
}

/** A seeded pass in progress. */
interface SeededState {
  receivedAt: number;
  /** What another producer is told while the history goes through: why, and when to ask again. */
  refusal: () => SeededRefusal;
  next: number;
  ordinal: number;
  skipped: number[];
  blockHashes: number[];
  hash: number;
  inBlock: number;
  ending: boolean;
}

/** Per-record working state inside one batch. */
interface Pending {
  event?: TwinEvent;
  /** The event's JSON text to store: the record's own text when it is exact, else re-encoded ('' in a seeded pass, which writes nothing). */
  body: string;
  time: number;
  outcome?: RecordOutcome;
  raw: IntakeRecord;
}

const recordText = (r: IntakeRecord) => ('text' in r ? r.text : safeStringify(r.value));
function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep or circular to encode (the record is refused for it): keep what can be said.
    return `(a ${Array.isArray(value) ? 'JSON array' : typeof value} that cannot be re-encoded)`;
  }
}

/**
 * The log entry the intake makes of an in-process record (a value, as the sandbox submits) that
 * passes its checks, and the event as validated: what regenerating a seeded history from its
 * source must give again (decision 0021), and what its block hash is taken over
 * (`seededHashStep`). Undefined when the value does not validate.
 */
export function loggedEntryOf(value: unknown, receivedAt: number): { entry: NewEvent; event: TwinEvent } | undefined {
  const v = validateEvent(value);
  if (!v.ok) return undefined;
  const entry = { id: v.event.id, customerId: v.event.customerId, kind: v.event.kind, time: parseEventTime(v.event.time), receivedAt, body: JSON.stringify(v.event) };
  return { entry, event: v.event };
}

/**
 * The answer to an event whose id is already taken by `stored` (in the log at `where`, or earlier
 * in the same unit): a true duplicate when their content is the same in every field (key order,
 * spacing and receive stamp aside), else a reused id, rejected naming the first field that differs.
 * Compared only here, when an id comes again (decision 0020).
 */
function resendOutcome(event: TwinEvent, stored: TwinEvent, where: string): RecordOutcome {
  const differs = eventContentDifference(stored, event);
  return differs === undefined ? { status: 'duplicate', id: event.id } : conflict(event.id, `${where}; ${differs} differs`);
}

/**
 * The answer to an event whose id the log holds as `storedBody`. A stored copy that no longer
 * passes today's event schema (stored before a rule tightened) cannot be compared with; the answer
 * says so and why, instead of calling the resend a different event.
 */
function resendOfLogged(event: TwinEvent, storedBody: string, seq: number): RecordOutcome {
  const stored = validateEventText(storedBody);
  if (stored.ok) return resendOutcome(event, stored.event, `in the log at seq ${seq}`);
  return {
    status: 'rejected',
    id: event.id,
    reason: `id: "${event.id}" is taken by the event in the log at seq ${seq}, whose stored copy no longer passes today's event schema (${stored.reason}), so this resend cannot be told a duplicate of it; an id is an idempotency key: send a new event under a new id`,
  };
}

/**
 * The one way events enter Twinloop. Records are validated, checked against the twins,
 * written durably in group commits (events and dead letters of a batch in one transaction),
 * and only then applied to the twins and answered. A batch with bad records keeps the good ones.
 */
export class Intake implements EventSink {
  private readonly queue: Job[] = [];
  private queued = 0;
  private draining = false;
  private readonly listeners: AppliedListener[] = [];
  private readonly maxQueued: number;
  private readonly maxBatch: number;
  private readonly maxFuture: number;
  private readonly source: string;
  private idle: Promise<void> = Promise.resolve();
  /** The ids the unit being checked has taken (one unit is checked at a time). */
  private readonly taken = new IdPositions();
  /** Customers as the units checked but not yet applied leave them. */
  private readonly overlay: GateOverlay;
  private inFlight = 0;
  /**
   * The chain the units' writes name (AppendOptions.chain): a unit is checked against the overlay
   * of the units before it, so when one of their writes fails, the store refuses every later
   * write of the chain, even one already sent (nothing checked on top of a failed batch is
   * written: a customer it created, a time it moved). A new chain starts once every unit in
   * flight has finished and the overlay is cleared.
   */
  private chain = 0;
  /** A write failed: no unit starts until every unit in flight has finished (and the overlay is cleared). */
  private writeFailed = false;
  private settle: () => void = () => {};
  /** The seeded history going through, if one is (`beginSeeded`). */
  private seededPass: SeededState | undefined;

  constructor(private readonly options: IntakeOptions) {
    this.overlay = new GateOverlay(options.engine);
    this.maxQueued = options.maxQueuedRecords ?? DEFAULT_MAX_QUEUED;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxFuture = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    this.source = options.source ?? 'intake';
    if (this.maxBatch < 1 || this.maxQueued < this.maxBatch) {
      throw new TwinloopError('BAD_INPUT', 'intake: maxQueuedRecords must be at least maxBatch, and maxBatch at least 1');
    }
  }

  onApplied(listener: AppliedListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.queued;
  }

  /** The most records the queue holds: a larger submission can never be taken whole. */
  get capacity(): number {
    return this.maxQueued;
  }

  /**
   * Submits records and resolves with one outcome per record once the accepted ones are durable
   * and applied. Throws OVERLOADED (nothing taken) when the queue cannot hold them.
   */
  submitRecords(records: readonly IntakeRecord[], source = this.source): Promise<RecordOutcome[]> {
    return this.enqueue(records, source, false);
  }

  private enqueue(records: readonly IntakeRecord[], source: string, seeded: boolean): Promise<RecordOutcome[]> {
    if (this.seededPass && !seeded) {
      // Its seqs are being given in order from memory: another producer's event among them would
      // need a durable write the history's reserved seqs cannot wait for (decision 0021).
      const refused = this.seededPass.refusal();
      throw new TwinloopError('UNAVAILABLE', refused.reason, { context: { retryAfterSeconds: Math.max(1, Math.ceil(refused.retryAfterMs / 1000)) } });
    }
    if (records.length === 0) return Promise.resolve([]);
    if (this.queued > 0 && this.queued + records.length > this.maxQueued) {
      throw new TwinloopError('OVERLOADED', `intake queue is full (${this.queued} records waiting); retry shortly`, {
        context: { retryAfterSeconds: 1 },
      });
    }
    this.queued += records.length;
    const done = new Promise<RecordOutcome[]>((resolve, reject) => this.queue.push({ records, source, resolve, reject, ...(seeded ? { seeded } : {}) }));
    if (!this.draining) this.startDrain();
    return done;
  }

  /** EventSink: producers inside the process hand over typed events. */
  submit(events: readonly TwinEvent[]): Promise<RecordOutcome[]> {
    return this.submitRecords(events.map((value) => ({ value })));
  }

  /**
   * Takes a history from a deterministic source (the sandbox's seed, on a first start) through
   * the same checks, application and listeners, without waiting for its durable write
   * (decision 0021): its accepted events take seqs from `firstSeq` on, in order, which the store
   * has reserved and recorded with what regenerates them; they are written behind from the seed.
   * While it runs, other producers are refused with UNAVAILABLE (503, Retry-After): their events
   * would need seqs among the history's, told why and when to send again by `refusal` (the
   * source's estimate of the history's end; default: a few seconds). Waits for the intake to be idle first.
   */
  async beginSeeded(o: { firstSeq: number; receivedAt: number; source?: string; refusal?: () => SeededRefusal }): Promise<SeededIntake> {
    if (this.seededPass) throw new TwinloopError('CONFLICT', 'a seeded history is already going through the intake');
    if (!Number.isSafeInteger(o.firstSeq) || o.firstSeq < 1) throw new TwinloopError('BAD_INPUT', `firstSeq must be a positive integer, got ${o.firstSeq}`);
    while (this.draining) await this.idle;
    const pass: SeededState = { receivedAt: o.receivedAt, refusal: o.refusal ?? (() => SEEDED_REFUSAL), next: o.firstSeq, ordinal: 0, skipped: [], blockHashes: [], hash: 0, inBlock: 0, ending: false };
    this.seededPass = pass;
    const source = o.source ?? this.source;
    return {
      submit: (events) => {
        if (pass.ending) throw new TwinloopError('CONFLICT', 'the seeded history has ended: nothing more is taken from it');
        return this.enqueue(events.map((value) => ({ value })), source, true);
      },
      end: async (record) => {
        pass.ending = true;
        await this.drained();
        const blockHashes = pass.inBlock > 0 ? [...pass.blockHashes, blockHash(pass.hash)] : pass.blockHashes;
        const passed: SeededPass = { lastSeq: pass.next - 1, skipped: pass.skipped, blockHashes, accepted: pass.next - o.firstSeq };
        try {
          await record?.(passed);
        } finally {
          this.seededPass = undefined;
        }
        return passed;
      },
    };
  }

  /**
   * A seeded batch's "write": its accepted events take the next seqs from memory and its records
   * their ordinals; only dead letters are written (rare, and not regenerated).
   */
  private takeSeeded(pass: SeededState, records: readonly Pending[], batch: Prepared): Promise<Written> {
    for (const p of records) {
      // After the checks, only the accepted records have no outcome yet.
      if (p.outcome !== undefined || !p.event) pass.skipped.push(pass.ordinal);
      pass.ordinal++;
    }
    // Every checked event is accepted, under the next seqs in order: told by the first (no outcome object an event).
    const firstSeq = pass.next;
    for (const p of batch.written) {
      pass.hash = seededHashStep(pass.hash, p.event!, p.time, pass.receivedAt);
      if (++pass.inBlock === SEEDED_BLOCK_EVENTS) {
        pass.blockHashes.push(blockHash(pass.hash));
        pass.hash = 0;
        pass.inBlock = 0;
      }
    }
    pass.next += batch.written.length;
    const written: Written = { batch, firstSeq };
    return batch.dead.length ? this.options.store.addDeadLetters(batch.dead).then(() => written) : Promise.resolve(written);
  }

  /** Resolves when everything submitted so far has been written. */
  drained(): Promise<void> {
    return this.draining ? this.idle : Promise.resolve();
  }

  private startDrain(): void {
    this.draining = true;
    this.idle = new Promise((r) => (this.settle = r));
    void this.drain();
  }

  /**
   * Takes queued jobs as units of at most `maxBatch` records (a bigger job is one unit of several
   * batches). A unit is checked and sent to the store while the previous unit's write is still
   * committing; units are applied and answered strictly in order. The checks of a unit see the
   * effects of the unit before it through `overlay`, as if it were already applied.
   */
  private async drain(): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    // Work submitted while the last unit finishes joins this drain (the outer loop looks again).
    do {
      while (this.queue.length) {
        // The units after a failed write fail too (see lastWrite); the next starts on a clean overlay.
        if (this.writeFailed) await previous;
        previous = (await this.startUnit(previous)).done;
        // The embedded store may answer synchronously; without this turn a busy intake would
        // run on microtasks alone and starve HTTP requests, timers and signals.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await previous;
    } while (this.queue.length);
    this.draining = false;
    this.settle();
  }

  /**
   * Takes the next unit of jobs, checks it and sends its batches to the store; returns (boxed,
   * so that awaiting the start does not await the end) the promise of its completion, which
   * applies and answers it after `previous` has completed.
   */
  private async startUnit(previous: Promise<void>): Promise<{ done: Promise<void> }> {
    const jobs: Job[] = [];
    let size = 0;
    while (this.queue.length && (jobs.length === 0 || size + this.queue[0].records.length <= this.maxBatch)) {
      const job = this.queue.shift()!;
      jobs.push(job);
      size += job.records.length;
    }
    const pending: Pending[] = [];
    const sources: string[] = [];
    for (const job of jobs) for (const raw of job.records) {
      // Every field from the start: one shape, no properties added later (a backing store each).
      pending.push({ raw, body: '', time: 0, event: undefined, outcome: undefined });
      sources.push(job.source);
    }
    // Counted before its checks run, so a unit finishing meanwhile keeps this one's overlay.
    const unit = this.inFlight++;
    const writes: Promise<Written>[] = [];
    // Ids taken by the unit's earlier batches, whose writes may still be under way: a resend of
    // one of them later in the same body is a duplicate, whatever the checks would say of its time.
    this.taken.clear();
    const taken = { ids: this.taken, pending };
    try {
      for (let from = 0; from < pending.length; from += this.maxBatch) {
        const records = pending.slice(from, from + this.maxBatch);
        // Taken once for both steps: a batch checked for a seeded pass is taken by it.
        const seeded = this.seededPass;
        const batch = await this.prepare(records, sources.slice(from, from + this.maxBatch), { ...taken, from }, seeded);
        writes.push(seeded ? this.takeSeeded(seeded, records, batch) : this.options.store.append(batch.toWrite, batch.dead, { chain: this.chain }).then((outcomes) => ({ batch, outcomes })));
      }
    } catch (err) {
      // Checked on top of this unit's overlay, the next units must not be written: none starts before this one is out.
      this.writeFailed = true;
      writes.push(Promise.reject(err));
    }
    // Awaited below in order; marked handled now so a failure while waiting is not reported as unhandled.
    for (const w of writes) w.catch(() => (this.writeFailed = true));
    const done = (async () => {
      await previous;
      try {
        for (const w of writes) this.finish(await w);
        let at = 0;
        for (const job of jobs) {
          job.resolve(pending.slice(at, at + job.records.length).map((p) => p.outcome!));
          at += job.records.length;
        }
      } catch (err) {
        for (const job of jobs) job.reject(err);
        // Work submitted before this failure was answered is refused too: a producer sending its
        // batches in a row (the sandbox's backfill) sends them again after this one, in order,
        // rather than have them go in first and this one's events come late.
        for (const job of this.queue.splice(0)) {
          this.queued -= job.records.length;
          job.reject(refusedAfterFailedWrite(err));
        }
      } finally {
        this.queued -= size;
        // The last unit out leaves nothing for the overlay to stand for.
        if (unit === this.inFlight - 1) {
          this.overlay.clear();
          this.inFlight = 0;
          this.chain++;
          this.writeFailed = false;
        }
      }
    })();
    return { done };
  }

  /**
   * Steps 1–3 of a batch: shape, duplicates inside the unit (`taken`: the positions in the unit's
   * records of the ids taken, `from` the batch's first), checks against the twins.
   */
  private async prepare(batch: Pending[], sources: string[], taken: TakenIds, seeded: SeededState | undefined): Promise<Prepared> {
    const { store, engine, clock } = this.options;
    const now = clock.now();
    const horizon = now + this.maxFuture;
    // A seeded history's events carry the stamp of its beginning: regenerated, they are the same.
    const receivedAt = seeded?.receivedAt ?? now;
    // Nor are they written now: they need no log entry (its JSON text was a seventh of the pass),
    // only their block hash, taken from the events themselves (`takeSeeded`).
    const entries = seeded === undefined;
    // 1. Shape and time sanity.
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      const v = 'text' in p.raw ? (p.raw.refused ? { ok: false as const, reason: p.raw.refused } : validateEventText(p.raw.text)) : validateEvent(p.raw.value);
      if (!v.ok) {
        p.outcome = { status: 'rejected', id: idOf(p.raw), reason: v.reason };
        continue;
      }
      const time = parseEventTime(v.event.time);
      if (time > horizon) {
        p.outcome = { status: 'rejected', id: v.event.id, reason: `time: ${v.event.time} is in the future (now ${new Date(now).toISOString()})`, retryable: true };
        continue;
      }
      p.event = v.event;
      p.time = time;
      if (entries) p.body = v.exact && 'text' in p.raw ? p.raw.text : JSON.stringify(v.event);
    }
    // 2. In arrival order: duplicates of an earlier accepted record of this unit, then the
    //    checks against the twins as the earlier records (and the unit still committing) leave
    //    them. Duplicates of the log are found by the append itself (an id already stored is
    //    not written again); a stored event's customer and time always pass the checks except
    //    lateness, so records the checks refuse are looked up, to answer a late resend as the
    //    duplicate it is.
    const toWrite: NewEvent[] = [];
    const written: Pending[] = [];
    const refused: Pending[] = [];
    const idAt = (position: number) => taken.pending[position].event!.id;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      if (p.outcome || !p.event) continue;
      const e = p.event;
      const earlier = taken.ids.find(e.id, idAt);
      if (earlier >= 0) {
        p.outcome = resendOutcome(e, taken.pending[earlier].event!, 'earlier in this batch');
        continue;
      }
      const gate = this.overlay.gate(e.customerId);
      const verdict = engine.check(e, p.time, gate);
      if (!verdict.ok) {
        p.outcome = { status: 'rejected', id: e.id, reason: verdict.reason };
        refused.push(p);
        continue;
      }
      const registers = e.kind === 'customer';
      this.overlay.set(e.customerId, registers || (gate?.exists ?? false), registers ? parseEventTime(e.data.since) : (gate?.since ?? 0), Math.max(gate?.watermark ?? 0, p.time));
      taken.ids.add(e.id, taken.from + i);
      if (entries) toWrite.push({ id: e.id, customerId: e.customerId, kind: e.kind, time: p.time, receivedAt, body: p.body });
      written.push(p);
    }
    if (refused.length) {
      const stored = await store.findExisting(refused.map((p) => p.event!.id), refused.map((p) => p.event!.customerId));
      for (const p of refused) {
        const hit = stored.get(p.event!.id);
        if (hit) p.outcome = resendOfLogged(p.event!, hit.body, hit.seq);
      }
    }
    // 3. This batch's dead letters go into the same transaction as its events.
    const dead: NewDeadLetter[] = [];
    batch.forEach((p, i) => {
      if (p.outcome?.status === 'rejected') dead.push({ record: recordText(p.raw), reason: p.outcome.reason, at: now, source: sources[i] });
    });
    return { toWrite, written, dead };
  }

  /** Step 4, once the batch is durable: apply the accepted events in order, answer every record. */
  private finish(written: Written): void {
    const { engine } = this.options;
    const { batch } = written;
    const applied: AcceptedEvent[] = [];
    const accept = (p: Pending, seq: number) => {
      engine.apply(p.event!, p.time);
      p.outcome = { status: 'accepted', id: p.event!.id };
      applied.push({ event: p.event!, time: p.time, seq });
    };
    if ('firstSeq' in written) batch.written.forEach((p, k) => accept(p, written.firstSeq + k));
    else
      written.outcomes.forEach((o, k) => {
        const p = batch.written[k];
        if (o.status === 'accepted') accept(p, o.seq);
        else p.outcome = resendOfLogged(p.event!, o.body, o.seq);
      });
    if (applied.length) for (const listener of this.listeners) listener(applied);
  }
}

/** The ids a unit has taken so far (their positions in its records) and where a batch starts in them. */
interface TakenIds {
  ids: IdPositions;
  pending: readonly Pending[];
  from: number;
}

interface Prepared {
  /** The accepted events' log entries (none in a seeded pass: `written` has the events). */
  toWrite: NewEvent[];
  written: Pending[];
  dead: NewDeadLetter[];
}

/** A batch's write answered: an outcome per event, or (a seeded pass) every event accepted under consecutive seqs from `firstSeq`. */
type Written = { batch: Prepared; outcomes: AppendOutcome[] } | { batch: Prepared; firstSeq: number };

function conflict(id: string, where: string): RecordOutcome {
  return { status: 'rejected', id, reason: `id: "${id}" was already used for a different event (${where}); an id is an idempotency key` };
}

function idOf(raw: IntakeRecord): string | undefined {
  const value = 'value' in raw ? raw.value : undefined;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  if ('text' in raw) {
    const m = /"id"\s*:\s*"([^"]{1,128})"/.exec(raw.text.slice(0, 4096));
    return m?.[1];
  }
  return undefined;
}
