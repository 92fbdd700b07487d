import type { Clock } from '../domain/clock.js';
import { TwinloopError } from '../domain/errors.js';
import type { Channel, EventOf } from '../domain/events.js';
import type { AcceptedEvent, AppliedListener } from './intake.js';
import { RECENT_INTERACTIONS_MS } from './recent-interactions.js';

/**
 * Omnichannel customer context: one state per customer across channels, fed by interaction
 * events as the intake applies them, readable by any channel. A bundle configured on the website
 * is here when the same customer calls a minute later.
 */

/** A channel's latest interaction as any other channel reads it. */
export interface ChannelState {
  /** What the customer came for (the latest intent the interaction reported). */
  readonly intent: string;
  readonly phase: 'start' | 'update' | 'end';
  /** The interaction's context, later updates merged in; read-only (shared, never copied). */
  readonly context: Readonly<Record<string, unknown>>;
  /** Event time of the interaction's latest event (ISO). */
  readonly at: string;
  /** Event time the interaction began (ISO). */
  readonly startedAt: string;
  /**
   * Event time it counts as over by should its end never be seen (ISO): its `endsBy`, else
   * `UNSEEN_END_MS` after its latest event (`at`).
   */
  readonly endsBy: string;
  /**
   * Whether it goes on now (`interactionInProgress`: its end not seen, no later one begun on its
   * channel, its `endsBy` not passed): the one rule for a person being on the line with the customer,
   * which the agent desktop shows and the customer's yes is judged by.
   */
  readonly inProgress: boolean;
}

/** One interaction in the cross-channel timeline. */
export interface TimelineEntry extends ChannelState {
  readonly channel: Channel;
  /** Id of the event that began the interaction. */
  readonly eventId: string;
}

/** `get(customerId)`: a customer's context within the window; empty when nothing is known. */
export interface CustomerContext {
  readonly customerId: string;
  /** Event time of the latest interaction event kept (ISO), null for an empty context. */
  readonly updatedAt: string | null;
  readonly channels: Partial<Record<Channel, ChannelState>>;
  /** The last interactions across channels, oldest first. */
  readonly timeline: readonly TimelineEntry[];
}

/** Notification that an interaction began: what the assist card hangs on. */
export interface InteractionStarted {
  readonly customerId: string;
  readonly channel: Channel;
  readonly intent: string;
  readonly eventId: string;
  readonly seq: number;
  /** Event time (ms). */
  readonly at: number;
  /** Wall-clock time the intake applied the event (ms), the start of the assist latency. */
  readonly acceptedAt: number;
  readonly context: Readonly<Record<string, unknown>>;
}

/** Called synchronously inside the intake's applied callback: keep it cheap and defer real work. */
export type InteractionStartedListener = (started: InteractionStarted) => void;

/** Options of `CustomerContextStore`; every field has a documented default. */
export interface CustomerContextOptions {
  /** How long (event time) an interaction stays in the context; default 24 h. */
  readonly windowMs?: number;
  /** Interactions kept per customer in the timeline; default 20. */
  readonly maxPerCustomer?: number;
  /** Customers held at most; the least recently updated are evicted first; default 100,000. */
  readonly maxCustomers?: number;
  /**
   * Moves the window forward when events stop arriving (e.g. the twins' clock). The window ends at
   * the later of this clock and the latest event time seen; without it, at the latest event time.
   */
  readonly clock?: Clock;
  /** Wall clock for `acceptedAt`; default Date.now. */
  readonly wallClock?: () => number;
  /** Told when a listener throws (a listener must never break the intake); default: ignored. */
  readonly onListenerError?: (err: unknown) => void;
}

/**
 * A day: "the website a minute ago" and "the app yesterday evening" are both still relevant. The
 * interactions the twin engine keeps for a restart are this window's (`RECENT_INTERACTIONS_MS`).
 */
export const DEFAULT_CONTEXT_WINDOW_MS = RECENT_INTERACTIONS_MS;
/** A busy customer has a handful of interactions a day; 20 covers that with room. */
export const DEFAULT_MAX_INTERACTIONS_PER_CUSTOMER = 20;
/** Interactions are rare (~1% of customers a day); 100k customers of ~2 KB is ~200 MB at worst. */
export const DEFAULT_MAX_CONTEXT_CUSTOMERS = 100_000;
/**
 * How long an interaction whose end is never seen goes on after its latest event (event time): a
 * call lasts minutes, rarely an hour; 2 h with nothing heard of it, a customer who hung up unseen is
 * no longer taken to be on the line. Counted from the latest event, not the start: a long call whose
 * channel keeps sending updates goes on (from its start, a three-hour call with an update every ten
 * minutes ended at its second hour). The sandbox's calls send no end (at its 3,600x pace 2 h pass in
 * 2 s): one held longer, as its staged care call is for a person, says until when with the event's
 * `endsBy`, which then holds whatever updates without one say.
 */
export const UNSEEN_END_MS = 2 * 3_600_000;

/**
 * Whether an interaction goes on at `now` (event time, ms): its end not seen and its `endsBy` (ms)
 * not reached. (A later interaction begun on its channel supersedes it: the store holds that one.)
 */
export function interactionInProgress(i: { readonly phase: ChannelState['phase']; readonly endsBy: number }, now: number): boolean {
  return i.phase !== 'end' && now < i.endsBy;
}

/** Nesting merged at most; deeper values are replaced whole (guards against pathological input). */
const MAX_MERGE_DEPTH = 8;

interface Interaction {
  channel: Channel;
  eventId: string;
  intent: string;
  phase: 'start' | 'update' | 'end';
  context: Readonly<Record<string, unknown>>;
  at: number;
  startedAt: number;
  /** Ms of event time it counts as over by (interactionInProgress). */
  endsBy: number;
  /** Whether its channel gave `endsBy` (then kept until another event gives one), else it follows `at`. */
  endsBySaid: boolean;
  /** Whether an event the intake brought reached it (`observe`): then nothing read back from the log (`readBack`) is newer. */
  live: boolean;
}

interface CustomerRecord {
  updatedAt: number;
  /** Oldest first, capped at maxPerCustomer. */
  timeline: Interaction[];
  current: Map<Channel, Interaction>;
}

type PlainObject = Record<string, unknown>;
const isPlain = (v: unknown): v is PlainObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * Merges `patch` into `base` without changing either: nested objects merge key by key, anything
 * else (arrays, numbers, null) replaces. A later update of a configured bundle adds to it.
 */
export function mergeContext(base: Readonly<PlainObject>, patch: Readonly<PlainObject>, depth = 0): PlainObject {
  const out: PlainObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    // A JSON `__proto__` key would reset the prototype on assignment; it is never meaningful context.
    if (key === '__proto__') continue;
    const old = out[key];
    out[key] = depth < MAX_MERGE_DEPTH && isPlain(old) && isPlain(value) ? mergeContext(old, value, depth + 1) : value;
  }
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const EMPTY: Readonly<PlainObject> = Object.freeze({});

/** An interaction as read at `now`; `current`: the latest on its channel (an earlier one is over, superseded). */
const stateOf = (i: Interaction, now: number, current: boolean): ChannelState => ({
  intent: i.intent,
  phase: i.phase,
  context: i.context,
  at: iso(i.at),
  startedAt: iso(i.startedAt),
  endsBy: iso(i.endsBy),
  inProgress: current && interactionInProgress(i, now),
});

/**
 * Keeps, per customer, the latest interaction per channel and a short cross-channel timeline, for
 * a window of event time, in bounded memory. Feed it with `attach(intake)` (or `observe`).
 */
export class CustomerContextStore {
  private readonly customers = new Map<string, CustomerRecord>();
  private readonly listeners: InteractionStartedListener[] = [];
  private readonly windowMs: number;
  private readonly maxPerCustomer: number;
  private readonly maxCustomers: number;
  private readonly wallClock: () => number;
  private latest = 0;

  constructor(private readonly options: CustomerContextOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_CONTEXT_WINDOW_MS;
    this.maxPerCustomer = options.maxPerCustomer ?? DEFAULT_MAX_INTERACTIONS_PER_CUSTOMER;
    this.maxCustomers = options.maxCustomers ?? DEFAULT_MAX_CONTEXT_CUSTOMERS;
    this.wallClock = options.wallClock ?? Date.now;
    if (!(this.windowMs > 0) || !Number.isInteger(this.maxPerCustomer) || this.maxPerCustomer < 1 || !Number.isInteger(this.maxCustomers) || this.maxCustomers < 1) {
      throw new TwinloopError('BAD_INPUT', 'customer context: windowMs must be positive, maxPerCustomer and maxCustomers positive integers');
    }
  }

  /** Customers with a context held. */
  get size(): number {
    return this.customers.size;
  }

  /** Listens to the intake's applied events; returns the function that stops listening. */
  attach(intake: { onApplied(listener: AppliedListener): () => void }): () => void {
    return intake.onApplied((events) => this.observe(events));
  }

  /** Notifies `listener` of every interaction start inside the window; returns the unsubscribe. */
  onStarted(listener: InteractionStartedListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Applies accepted events in order (non-interaction events are skipped), then evicts. */
  observe(events: readonly AcceptedEvent[]): void {
    const acceptedAt = this.wallClock();
    for (const accepted of events) {
      if (accepted.event.kind !== 'interaction') continue;
      const started = this.apply(accepted.event, accepted.time, true);
      if (started) this.emit({ ...started, seq: accepted.seq, acceptedAt });
    }
    this.evict();
  }

  /**
   * Interaction events the log held before this process began, read back once at start (the start's
   * pass over the log, `interactionsFromLog`), applied beneath what the intake has brought since: a
   * customer's channel a live event has reached keeps its interaction (the log's are older), and no
   * start is announced (nobody wants a card for a call that began before the start). So a restarted
   * process knows the calls in progress, where it knew only those begun after it (decision 0050).
   */
  readBack(events: readonly Pick<AcceptedEvent, 'event' | 'time'>[]): void {
    const touched = new Set<CustomerRecord>();
    for (const { event, time } of events) {
      if (event.kind !== 'interaction') continue;
      if (this.customers.get(event.customerId)?.current.get(event.data.channel)?.live) continue;
      this.apply(event, time, false);
      const record = this.customers.get(event.customerId);
      if (record) touched.add(record);
    }
    // Read back after live ones, the older interactions go before them in the timeline.
    for (const record of touched) record.timeline.sort((a, b) => a.startedAt - b.startedAt);
    this.evict();
  }

  /** Whether a context is held for the customer (expired entries aside). */
  has(customerId: string): boolean {
    return this.get(customerId).updatedAt !== null;
  }

  /**
   * The customer's context within the window (and an interaction still in progress past it, one
   * held longer by its `endsBy`); an empty context when nothing is known.
   */
  get(customerId: string): CustomerContext {
    const record = this.customers.get(customerId);
    if (!record) return { customerId, updatedAt: null, channels: {}, timeline: [] };
    const now = this.now();
    const from = now - this.windowMs;
    const current = new Set(record.current.values());
    const kept = (i: Interaction) => i.at >= from || (current.has(i) && interactionInProgress(i, now));
    const channels: Partial<Record<Channel, ChannelState>> = {};
    let updatedAt = -Infinity;
    for (const [channel, i] of record.current) {
      if (!kept(i)) continue;
      channels[channel] = stateOf(i, now, true);
      updatedAt = Math.max(updatedAt, i.at);
    }
    const timeline = record.timeline.filter(kept).map((i) => ({ channel: i.channel, eventId: i.eventId, ...stateOf(i, now, current.has(i)) }));
    return { customerId, updatedAt: updatedAt === -Infinity ? null : iso(updatedAt), channels, timeline };
  }

  /**
   * The customers whose latest interaction on `channel` is in progress (interactionInProgress), most
   * recently started first, at most `limit`: what a desktop joining mid-call shows.
   */
  openOn(channel: Channel, limit: number): { customerId: string; startedAt: number }[] {
    const now = this.now();
    const open: { customerId: string; startedAt: number }[] = [];
    for (const [customerId, record] of this.customers) {
      const i = record.current.get(channel);
      if (i && interactionInProgress(i, now)) open.push({ customerId, startedAt: i.startedAt });
    }
    return open.sort((a, b) => b.startedAt - a.startedAt).slice(0, Math.max(0, limit));
  }

  /** The context's now (ms of event time): the later of its clock and the latest event time seen. */
  now(): number {
    return Math.max(this.latest, this.options.clock?.now() ?? -Infinity);
  }

  /** Start of the window (ms of event time): older interactions are gone, but for one still in progress. */
  horizon(): number {
    return this.now() - this.windowMs;
  }

  /** Updates one customer; returns the start notification (without seq and acceptedAt) when one is due. */
  private apply(event: EventOf<'interaction'>, time: number, live: boolean): Omit<InteractionStarted, 'seq' | 'acceptedAt'> | null {
    if (time > this.latest) this.latest = time;
    const endsBy = event.data.endsBy === undefined ? undefined : Date.parse(event.data.endsBy);
    // Older than the window, unless its channel says it goes on past it (a call held longer, read back after a restart).
    if (time < this.horizon() && !(endsBy !== undefined && endsBy > this.now())) return null;
    const { channel, intent, phase } = event.data;
    const context = event.data.context ?? EMPTY;
    let record = this.customers.get(event.customerId);
    if (record) this.customers.delete(event.customerId);
    else record = { updatedAt: time, timeline: [], current: new Map() };
    // Re-inserted so the map's order is least recently updated first: eviction takes from the front.
    this.customers.set(event.customerId, record);
    record.updatedAt = Math.max(record.updatedAt, time);

    const open = record.current.get(channel);
    if (phase !== 'start' && open && open.phase !== 'end') {
      // The same interaction goes on: its context grows, its intent follows the customer.
      open.context = mergeContext(open.context, context);
      open.intent = intent;
      open.phase = phase;
      open.at = Math.max(open.at, time);
      open.live ||= live;
      if (endsBy !== undefined) {
        open.endsBy = endsBy;
        open.endsBySaid = true;
      } else if (!open.endsBySaid) open.endsBy = open.at + UNSEEN_END_MS;
      return null;
    }
    // A start, or an update/end with no open interaction on the channel (its start was missed):
    // a new interaction either way, but only a start announces itself.
    const interaction: Interaction = { channel, eventId: event.id, intent, phase, context, at: time, startedAt: time, endsBy: endsBy ?? time + UNSEEN_END_MS, endsBySaid: endsBy !== undefined, live };
    record.current.set(channel, interaction);
    record.timeline.push(interaction);
    if (record.timeline.length > this.maxPerCustomer) record.timeline.splice(0, record.timeline.length - this.maxPerCustomer);
    return phase === 'start' ? { customerId: event.customerId, channel, intent, eventId: event.id, at: time, context } : null;
  }

  private emit(started: InteractionStarted): void {
    for (const listener of this.listeners) {
      try {
        listener(started);
      } catch (err) {
        this.options.onListenerError?.(err);
      }
    }
  }

  /**
   * Drops customers whose latest interaction left the window, but for one still in progress (held
   * past the window by its `endsBy`), then the oldest beyond the cap.
   */
  private evict(): void {
    const now = this.now();
    const from = now - this.windowMs;
    for (const [customerId, record] of this.customers) {
      // Map order is update order, near enough event order: stop at the first customer still in the window.
      if (record.updatedAt >= from && this.customers.size <= this.maxCustomers) break;
      if (this.customers.size <= this.maxCustomers && [...record.current.values()].some((i) => interactionInProgress(i, now))) continue;
      this.customers.delete(customerId);
    }
  }
}
