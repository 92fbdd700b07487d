import { TwinloopError } from '../domain/errors.js';
import type { TwinEvent } from '../domain/events.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { TwinEngine } from './twin-engine.js';
import { FEATURE_NAMES } from './twin-features.js';
import { unpackTwinRecord } from './twin-record-bytes.js';
import type { TwinView } from './twin-view.js';

/** Events read per page when a whole timeline is walked (`TwinHistory.entries`). */
const TIMELINE_PAGE = 1_000;

/** One entry of a twin's timeline. */
export interface TimelineEntry {
  seq: number;
  id: string;
  kind: string;
  time: string;
  receivedAt: string;
  event: TwinEvent;
}

export interface TwinDiff {
  customerId: string;
  from: string;
  to: string;
  features: { name: string; from: number; to: number }[];
  products: { subscriptionId: string; from: string | null; to: string | null }[];
  profileChanged: boolean;
}

/**
 * Where the first start's history is while a timeline page lacks it: still going through the intake
 * (the twins fill in; none of it is in the log yet), written to the log behind it, or written and
 * being sealed (regrouped by customer).
 */
export type HistoryStage = 'intake' | 'writing' | 'sealing';

/** What a timeline page lacks while the first start's history is loaded or written behind (`TwinHistory.timelineForReading`). */
export interface HistoryStillWritten {
  stage: HistoryStage;
  /** Share of the history written to the log, 0-1 (1 while it is being sealed). */
  written: number;
  /** Share sealed (regrouped by customer), once it is all written. */
  sealed?: number;
  /** When asking again may give more. */
  retryAfterSeconds: number;
  /**
   * The page holds the customer's events after this seq only: the history's last. Null while the
   * history goes through the intake: its end is not known yet, and the page is empty (no other
   * producer's event is taken meanwhile, and acts on the world are held).
   */
  historyEndSeq: number | null;
  /** Why the history is not in the page (the store's words). */
  reason: string;
}

/**
 * The store's refusal to read past a history still written or sealed (it names `historyWritten`),
 * else undefined. Not one whose history can no longer be written in this run (`retryable: false`:
 * the world changed past the gate): that refusal, with its way out, is the answer, not a page that
 * says to ask again for a rest that will never come.
 */
function historyStillWritten(err: unknown): Omit<HistoryStillWritten, 'historyEndSeq' | 'stage'> | undefined {
  if (!(err instanceof TwinloopError) || err.code !== 'UNAVAILABLE' || typeof err.context.historyWritten !== 'number' || err.context.retryable === false) return undefined;
  const { historyWritten, historySealed, retryAfterSeconds } = err.context;
  return {
    written: historyWritten,
    ...(typeof historySealed === 'number' ? { sealed: historySealed } : {}),
    retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : 5,
    reason: err.message,
  };
}

/**
 * Reads twins as they were: a past state is rebuilt from the customer's events whose event time
 * is at or before the requested time, applied in log order exactly as the live engine did.
 */
export class TwinHistory {
  constructor(
    private readonly store: EventStore,
    private readonly engine: TwinEngine,
  ) {}

  /** The twin as of `at` (ms), or undefined when the customer had no events by then. */
  async asOf(customerId: string, at: number): Promise<TwinView | undefined> {
    // Start from the latest history snapshot at or before `at` (it holds only events dated ≤ at)
    // and apply the customer's later-logged events dated ≤ at, in log order.
    const stored = await this.store.loadHistorySnapshot(customerId, at);
    // A snapshot of another twin layout (an older build, docs/decisions/0001) is passed over: the
    // customer's events rebuild the state from the start instead.
    const bytes = stored ? unpackTwinRecord(stored.bytes) : undefined;
    const snap = stored && bytes ? { seq: stored.seq, bytes } : undefined;
    const events = await this.store.readCustomer(customerId, { untilTime: at, afterSeq: snap?.seq ?? 0 });
    if (!snap && events.length === 0) return undefined;
    const cursor = this.engine.scratch();
    if (snap) cursor.u8.set(snap.bytes, cursor.base);
    for (const e of events) this.engine.applyTo(cursor, JSON.parse(e.body) as TwinEvent, e.time);
    return this.engine.viewOf(customerId, cursor, at);
  }

  /** The customer's events in log order, paged by seq. */
  async timeline(customerId: string, options: { afterSeq?: number; limit?: number; until?: number } = {}): Promise<TimelineEntry[]> {
    const rows = await this.store.readCustomer(customerId, { afterSeq: options.afterSeq, limit: options.limit ?? 100, untilTime: options.until });
    return rows.map(toEntry);
  }

  /**
   * A page of the customer's timeline for a person to read (the HTTP edge, the console), answered
   * while the first start's history still goes through the intake, is written behind or is sealed
   * (decision 0021, 0027): then the page holds what can be read truthfully now, the customer's
   * events after the history's end (every live event, action and outcome; none while the history
   * still goes through the intake, which takes nothing else meanwhile), and says it lacks the
   * history (`history`: where it is, how much is written, when to ask again, why): the rule the
   * console's customer page shows its note by. It answered 503 while the history went through the
   * intake (the first minutes of a first start), though the customer's page showed the twin. The history's written part is not read: until the seal
   * regroups it by customer a read decodes all of it (decision 0027). Readers that need the whole
   * history (models, replay, evaluation) use `timeline`/`entries`, which refuse instead.
   */
  async timelineForReading(customerId: string, options: { afterSeq?: number; limit?: number; until?: number } = {}): Promise<{ items: TimelineEntry[]; history?: HistoryStillWritten }> {
    try {
      return { items: await this.timeline(customerId, options) };
    } catch (err) {
      const history = historyStillWritten(err);
      const record = history ? await this.store.seededHistory?.read() : undefined;
      if (!history || !record) throw err;
      if (record.lastSeq === null) return { items: [], history: { ...history, stage: 'intake', historyEndSeq: null } };
      const end = record.lastSeq;
      if (end <= (options.afterSeq ?? 0)) throw err;
      const stage = history.sealed === undefined ? 'writing' : 'sealing';
      return { items: await this.timeline(customerId, { ...options, afterSeq: end }), history: { ...history, stage, historyEndSeq: end } };
    }
  }

  /**
   * Every event of the customer's timeline (after log seq `afterSeq`), oldest first, read a page at
   * a time (`pageSize`) so a long history is never held whole: the one way to walk a whole timeline.
   */
  async *entries(customerId: string, pageSize = TIMELINE_PAGE, from = 0): AsyncGenerator<TimelineEntry> {
    for (let afterSeq = from; ; ) {
      const page = await this.timeline(customerId, { afterSeq, limit: pageSize });
      yield* page;
      if (page.length < pageSize) return;
      afterSeq = page[page.length - 1].seq;
    }
  }

  /** What changed in a twin between two times. */
  async diff(customerId: string, from: number, to: number): Promise<TwinDiff> {
    if (!(from <= to)) throw new TwinloopError('BAD_INPUT', 'from: must be at or before to');
    const [a, b] = await Promise.all([this.asOf(customerId, from), this.asOf(customerId, to)]);
    if (!b) throw new TwinloopError('NOT_FOUND', `twin "${customerId}" has no events by ${new Date(to).toISOString()}`);
    const features = FEATURE_NAMES.filter((n) => (a?.features[n] ?? 0) !== b.features[n]).map((name) => ({
      name,
      from: a?.features[name] ?? 0,
      to: b.features[name],
    }));
    const status = (v: TwinView | undefined, id: string) => {
      const p = v?.products.find((x) => x.subscriptionId === id);
      return p ? `${p.productId ?? '?'} ${p.status}` : null;
    };
    const ids = new Set([...(a?.products ?? []), ...b.products].map((p) => p.subscriptionId));
    const products = [...ids]
      .map((id) => ({ subscriptionId: id, from: status(a, id), to: status(b, id) }))
      .filter((p) => p.from !== p.to);
    return {
      customerId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      features,
      products,
      profileChanged: JSON.stringify(a?.profile ?? null) !== JSON.stringify(b.profile),
    };
  }
}

function toEntry(e: StoredEvent): TimelineEntry {
  return {
    seq: e.seq,
    id: e.id,
    kind: e.kind,
    time: new Date(e.time).toISOString(),
    receivedAt: new Date(e.receivedAt).toISOString(),
    // The stored body is the event as sent; the intake's receive stamp is its own column.
    event: { ...(JSON.parse(e.body) as TwinEvent), receivedAt: new Date(e.receivedAt).toISOString() },
  };
}
