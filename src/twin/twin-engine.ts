import { parseEventTime } from '../domain/event-fast-path.js';
import type { TwinEvent } from '../domain/events.js';
import { readContactRecord, type ContactRecord } from './twin-responses.js';
import { FLAG_EXISTS, FLAG_HAS_PROFILE, OFF, RECORD_BYTES } from './twin-layout.js';
import { NameBook } from './name-book.js';
import { packTwinRecord } from './twin-record-bytes.js';
import { applyEvent, appliesAtAnyLateness } from './twin-reducer.js';
import { emptyCursor, scratchCursor, TwinTable, type TwinCursor } from './twin-table.js';
import { computeFeatures, FEATURE_COUNT } from './twin-features.js';
import { readTwinView, type TwinView } from './twin-view.js';
import { TwinCells } from './twin-cells.js';
import { RecentInteractions, type RecentInteraction } from './recent-interactions.js';
import { DAY_MS } from '../domain/time.js';

/** Default lateness: usage records from network elements commonly arrive up to a few days late. */
export const DEFAULT_LATENESS_MS = 3 * DAY_MS;

export interface TwinEngineOptions {
  /** How far behind a customer's latest event time an event may arrive and still be applied. */
  latenessMs?: number;
  /**
   * Its twins come a partition at a time from elsewhere than the engine's checkpoint (a partition
   * worker, decision 0012): the interactions before the start are not known here
   * (`recentInteractions` undefined), and are read back from the log.
   */
  partitioned?: boolean;
}

/** Why the engine refuses an event that is well-formed; the intake parks it as a dead letter. */
export type SemanticVerdict = { ok: true } | { ok: false; reason: string };

/** The verdict of every event that passes: one object, not one per event checked. */
const PASSES: SemanticVerdict = Object.freeze({ ok: true });

/** What the engine remembers of a customer while checking a batch before it is applied. */
export interface CustomerGate {
  exists: boolean;
  since: number;
  watermark: number;
}

/**
 * Told of every event the engine applies, just before and just after it changes the twin: what a
 * reader of the twins as of past moments needs while the history streams in (the first start's
 * training rows, `intelligence/twin-training/training-row-collector.ts`), whichever path applies
 * the events (the intake, a history applied from memory). `before` sees the twin as it stood
 * before the event. Observers must not apply events themselves.
 */
export interface ApplyObserver {
  before(slot: number, time: number): void;
  after(slot: number, event: TwinEvent, time: number): void;
}

/**
 * All twins in memory: applies events, answers reads, and hands out snapshots. It holds no
 * I/O; the intake decides what is durable and the history reader rebuilds past states.
 */
export class TwinEngine {
  readonly table = new TwinTable();
  readonly names = new NameBook();
  /** Who is on which cell, from the twins' usage records (service operations asks it). */
  readonly cells = new TwinCells(this.table, this.names);
  /** The customers' interactions of the last day, carried by the checkpoint: who is on the line after a restart (decision 0050). */
  private readonly interactions = new RecentInteractions();
  readonly latenessMs: number;
  /** Latest event time seen over all twins: the reference time of "current" features. */
  eventClock = 0;
  private readonly cursor = emptyCursor();
  /** Twins changed since the last `takeDirty`: a flag per slot and the slots in the order first changed (a `Set` add per event cost more). */
  private dirtyFlags = new Uint8Array(1024);
  private dirtySlots: number[] = [];
  private readonly sharedGate: CustomerGate = { exists: false, since: 0, watermark: 0 };
  private observers: readonly ApplyObserver[] = [];
  /** Whether a checkpoint's meta was loaded (then twins restored are its snapshots, and its interactions came with it). */
  private metaLoaded = false;

  constructor(options: TwinEngineOptions = {}) {
    this.latenessMs = options.latenessMs ?? DEFAULT_LATENESS_MS;
    if (options.partitioned) this.interactions.partial();
  }

  get size(): number {
    return this.table.size;
  }

  has(customerId: string): boolean {
    const slot = this.table.slotOf(customerId);
    return slot !== undefined && this.f(slot, OFF.flags) !== 0;
  }

  /**
   * What the checks need to know of a customer, or undefined when unknown. The object is reused
   * by the next call (hot path): copy it to keep it.
   */
  gate(customerId: string): CustomerGate | undefined {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? undefined : this.gateAt(slot);
  }

  /** `gate` of the twin in `slot` (the same reused object). */
  gateAt(slot: number): CustomerGate | undefined {
    const flags = this.f(slot, OFF.flags);
    if ((flags & FLAG_EXISTS) === 0) return undefined;
    const g = this.sharedGate;
    g.exists = (flags & FLAG_HAS_PROFILE) !== 0;
    g.since = this.f(slot, OFF.since);
    g.watermark = this.f(slot, OFF.watermark);
    return g;
  }

  /**
   * Checks a well-formed event against what is known of its customer: it must be registered by
   * a `customer` event first, not be dated before the relationship began, and not be later than
   * the lateness allows (unless its application is the same at any lateness: `appliesAtAnyLateness`).
   */
  check(event: TwinEvent, time: number, gate: CustomerGate | undefined): SemanticVerdict {
    if (event.kind === 'customer') {
      if (time < parseEventTime(event.data.since)) {
        return { ok: false, reason: `time: the customer event is dated before data.since (${event.data.since})` };
      }
    } else {
      if (!gate || !gate.exists) {
        return { ok: false, reason: `customerId: unknown customer "${event.customerId}"; send its customer event first` };
      }
      if (time < gate.since) {
        return { ok: false, reason: `time: ${event.time} is before the customer existed (since ${new Date(gate.since).toISOString()})` };
      }
    }
    if (gate && time < gate.watermark - this.latenessMs && !appliesAtAnyLateness(event)) {
      return {
        ok: false,
        reason: `time: late event; ${event.time} is more than ${this.latenessMs / 3_600_000} h before the customer's latest event (${new Date(gate.watermark).toISOString()})`,
      };
    }
    return PASSES;
  }

  /** Applies an accepted event (already checked and durable). */
  apply(event: TwinEvent, time: number): void {
    const slot = this.table.ensure(event.customerId);
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) observers[i].before(slot, time);
    applyEvent(this.table.point(slot, this.cursor), event, time, this.names);
    if (time > this.eventClock) this.eventClock = time;
    this.interactions.take(event, time, this.eventClock);
    this.markSlotDirty(slot);
    for (let i = 0; i < observers.length; i++) observers[i].after(slot, event, time);
  }

  /**
   * The interaction events of the last day of event time before the clock (and older ones whose
   * `endsBy` reaches into it), in the log's order: what the omnichannel context is rebuilt from at
   * start. Undefined while they are not all known here (twins restored from a checkpoint written
   * before the engine kept them, a partition worker's): `completeInteractions` then gives them.
   */
  recentInteractions(): readonly RecentInteraction[] | undefined {
    return this.interactions.list(this.eventClock);
  }

  /** The log's interaction events from before this process's own (read back from it once): every one is known from now on. */
  completeInteractions(earlier: readonly RecentInteraction[]): void {
    this.interactions.complete(earlier, this.eventClock);
  }

  /** Tells `observer` of every event applied from now on; the function returned stops it. */
  observe(observer: ApplyObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  /** Applies an event to a standalone record (history rebuilds). */
  applyTo(cursor: TwinCursor, event: TwinEvent, time: number): void {
    applyEvent(cursor, event, time, this.names);
  }

  /**
   * "Now" for what reads the twins: the event clock, or the wall clock while no event was seen
   * (an empty population, 0 would read as 1970). Profiles, drift and the assist routes keep time by it.
   */
  eventClockOrNow(): number {
    return this.eventClock || Date.now();
  }

  /** Feature vector of a customer at `at` (default: the event clock). */
  features(customerId: string, at = this.eventClock, out = new Float64Array(FEATURE_COUNT)): Float64Array | undefined {
    const slot = this.table.slotOf(customerId);
    if (slot === undefined) return undefined;
    return computeFeatures(this.table.point(slot, this.cursor), at, out);
  }

  /** The twin's current state as a plain view, or undefined for an unknown customer. */
  view(customerId: string, at = this.eventClock): TwinView | undefined {
    const slot = this.table.slotOf(customerId);
    if (slot === undefined) return undefined;
    return readTwinView(customerId, this.table.point(slot, this.cursor), at, this.names);
  }

  /** A view of a standalone record (see `scratch()`). */
  viewOf(customerId: string, cursor: TwinCursor, at: number): TwinView {
    return readTwinView(customerId, cursor, at, this.names);
  }

  /** A zeroed standalone record to rebuild a twin into. */
  scratch(): TwinCursor {
    return scratchCursor();
  }

  /** Latest event time of a customer (0 when unknown). */
  watermarkOf(customerId: string): number {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? 0 : this.f(slot, OFF.watermark);
  }

  /** Events applied to a customer's twin so far (0 when unknown). */
  eventCountOf(customerId: string): number {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? 0 : this.f(slot, OFF.events);
  }

  snapshot(customerId: string): Uint8Array | undefined {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? undefined : this.table.bytes(slot);
  }

  /** The twin's record as the store keeps it (`packTwinRecord`), packed from the table in place. */
  packedSnapshot(customerId: string): Uint8Array | undefined {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? undefined : packTwinRecord(this.table.record(slot));
  }

  restore(customerId: string, bytes: Uint8Array): void {
    // A twin restored without a checkpoint's meta (a partition worker's) leaves out the interactions before it.
    if (!this.metaLoaded) this.interactions.partial();
    this.table.load(this.table.ensure(customerId), bytes);
    const wm = new Float64Array(bytes.buffer, bytes.byteOffset, RECORD_BYTES / 8)[OFF.watermark >> 3];
    if (wm > this.eventClock) this.eventClock = wm;
  }

  /**
   * Forgets twins this process no longer answers for (a partition given to another worker,
   * decision 0012): their records are zeroed, so they read as unknown, and a later replay of
   * their events (the partition taken back) builds them from nothing instead of on top of a
   * stale state. Their slots stay (slots never move).
   */
  forget(customerIds: Iterable<string>): number {
    let n = 0;
    for (const id of customerIds) {
      const slot = this.table.slotOf(id);
      if (slot === undefined) continue;
      this.table.clear(slot);
      if (slot < this.dirtyFlags.length) this.dirtyFlags[slot] = 0;
      n++;
    }
    return n;
  }

  /** A customer's answers to contact so far (offers presented/accepted/declined per kind), or undefined. */
  contactRecord(customerId: string): ContactRecord | undefined {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? undefined : readContactRecord(this.table.point(slot, this.cursor));
  }

  /** Customers changed since the last `takeDirty`, cleared by the call. */
  takeDirty(): string[] {
    const ids: string[] = [];
    for (const s of this.dirtySlots) {
      if (this.dirtyFlags[s] === 0) continue;
      this.dirtyFlags[s] = 0;
      ids.push(this.table.idAt(s));
    }
    this.dirtySlots = [];
    return ids;
  }

  /** Marks these customers changed again: a checkpoint that took them and failed to save them gives them back. */
  markDirty(customerIds: Iterable<string>): void {
    for (const id of customerIds) {
      const slot = this.table.slotOf(id);
      if (slot !== undefined) this.markSlotDirty(slot);
    }
  }

  /** Every customer id, in the order first seen. */
  *customerIds(): IterableIterator<string> {
    for (let s = 0; s < this.table.size; s++) yield this.table.idAt(s);
  }

  private markSlotDirty(slot: number): void {
    if (slot >= this.dirtyFlags.length) {
      const grown = new Uint8Array(Math.max(slot + 1, this.dirtyFlags.length * 2));
      grown.set(this.dirtyFlags);
      this.dirtyFlags = grown;
    }
    if (this.dirtyFlags[slot] === 1) return;
    this.dirtyFlags[slot] = 1;
    this.dirtySlots.push(slot);
  }

  /** Engine-wide state for a checkpoint; `asOfSeq`: the log position it was taken at, kept with it (see `metaAsOf`). */
  metaJSON(asOfSeq?: number): string {
    // As JSON.stringify({ eventClock, names, interactions, asOfSeq }) writes it, with the names' and
    // the interactions' text kept between changes. The interactions only when all are known here.
    const interactions = this.interactions.json(this.eventClock);
    return `{"eventClock":${JSON.stringify(this.eventClock)},"names":${this.names.text()}${interactions === undefined ? '' : `,"interactions":${interactions}`}${asOfSeq === undefined ? '' : `,"asOfSeq":${JSON.stringify(asOfSeq)}`}}`;
  }

  /**
   * Loads a checkpoint's meta. Its interactions go before those applied since (recovery loads it
   * again once its replay passes the meta's position); a meta written before the engine kept them
   * leaves them not known until `completeInteractions`.
   */
  loadMeta(text: string): void {
    const meta = JSON.parse(text) as { eventClock: number; names: Parameters<NameBook['load']>[0]; interactions?: unknown };
    this.eventClock = Math.max(this.eventClock, meta.eventClock);
    this.names.load(meta.names);
    this.interactions.load(meta.interactions, this.eventClock);
    this.metaLoaded = true;
  }

  private f(slot: number, off: number): number {
    const c = this.table.point(slot, this.cursor);
    return c.f64[(c.base + off) >> 3];
  }
}
