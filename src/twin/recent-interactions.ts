import type { EventOf, TwinEvent } from '../domain/events.js';

/**
 * The customers' interactions (calls, chats, store visits, app and web sessions) the twin engine
 * keeps beside the twins: those of the last day of event time, and older ones whose channel said
 * they go on past it (`endsBy`). They travel in the engine's checkpoint (its meta), and the
 * recovery's replay of the log after it brings the rest, so a restarted process knows who is on the
 * line as soon as its twins are back (decision 0050): the omnichannel context is rebuilt from them
 * (`CustomerContextStore.readBack`). Read back from the whole log instead, a restart of the default
 * world took 10-15 minutes at load to know it, and a person's contact was answered 503 meanwhile.
 */

/** How far back in event time interactions are kept: the omnichannel context's window (`DEFAULT_CONTEXT_WINDOW_MS`). */
export const RECENT_INTERACTIONS_MS = 24 * 3_600_000;

/** One interaction event kept, at its event time (ms). */
export interface RecentInteraction {
  readonly event: EventOf<'interaction'>;
  readonly time: number;
}

/**
 * The interactions kept as of `now` (event time, ms): an event of the window's last day, or one
 * whose `endsBy` reaches into it (the sandbox's staged care call is held for 15 minutes of people's
 * time, weeks of the world's). Pure.
 */
export function keptAt(i: RecentInteraction, now: number, windowMs = RECENT_INTERACTIONS_MS): boolean {
  const since = now - windowMs;
  if (i.time >= since) return true;
  const endsBy = i.event.data.endsBy;
  return endsBy !== undefined && Date.parse(endsBy) >= since;
}

/** Fewest kept before a prune is worth its pass (below this the list is left to grow). */
const PRUNE_FLOOR = 256;

/**
 * The interactions of the window in the order the engine applied them (the log's order), each
 * once (by event id: a sliced checkpoint's meta and the replay after it hold some of the same).
 * Pruned as the engine's clock moves on, a pass at a time when the list has doubled since the last
 * (a year of history goes through it on a first start).
 */
export class RecentInteractions {
  private kept: RecentInteraction[] = [];
  private readonly ids = new Set<string>();
  private prunedAt = 0;
  /** The kept list as JSON, until it changes: a checkpoint writes the meta with each of its slices. */
  private text: string | null = '[]';
  /**
   * Whether every interaction of the window is here: true for an engine that applied the log from
   * its start, or recovered from a checkpoint that carried them; false for one restored from
   * snapshots without them (a checkpoint written before they were kept, a partition worker's)
   * until `complete` is given what the log holds.
   */
  private whole = true;

  constructor(private readonly windowMs = RECENT_INTERACTIONS_MS) {}

  /** Whether every interaction of the window is known here (see `complete`). */
  get isComplete(): boolean {
    return this.whole;
  }

  /** Takes an applied event (others than interactions are ignored) at `now`, the engine's clock after it. */
  take(event: TwinEvent, time: number, now: number): void {
    if (event.kind !== 'interaction') return;
    this.add({ event, time }, now);
    if (this.kept.length > 2 * Math.max(this.prunedAt, PRUNE_FLOOR)) this.prune(now);
  }

  /** The interactions of the window at `now`, in the log's order; undefined while they are not all known here. */
  list(now: number): readonly RecentInteraction[] | undefined {
    if (!this.whole) return undefined;
    this.prune(now);
    return this.kept;
  }

  /** The kept interactions as the checkpoint carries them (JSON), pruned at `now`; undefined while not all known (nothing to carry). */
  json(now: number): string | undefined {
    if (!this.whole) return undefined;
    this.prune(now);
    this.text ??= JSON.stringify(this.kept.map((i) => [i.time, i.event]));
    return this.text;
  }

  /**
   * Those of a checkpoint's meta (`json`, parsed): they go before the ones kept already (applied
   * after them), each once. Absent (a meta written before they were kept) or not of that shape:
   * they are not all known here.
   */
  load(carried: unknown, now: number): void {
    if (!Array.isArray(carried) || !carried.every((e) => Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'object' && e[1] !== null)) {
      this.whole = false;
      return;
    }
    this.before((carried as [number, EventOf<'interaction'>][]).map(([time, event]) => ({ time, event })), now);
  }

  /** What the log held before this process's own events (the start's pass over it): every interaction is known from now on. */
  complete(earlier: readonly RecentInteraction[], now: number): void {
    this.before(earlier, now);
    this.whole = true;
  }

  /** Twins were restored from elsewhere than a checkpoint carrying the interactions: they are not all known. */
  partial(): void {
    this.whole = false;
  }

  private before(earlier: readonly RecentInteraction[], now: number): void {
    const later = this.kept;
    this.kept = [];
    this.ids.clear();
    for (const i of earlier) this.add(i, now);
    for (const i of later) this.add(i, now);
    this.prune(now);
  }

  private add(i: RecentInteraction, now: number): void {
    if (this.ids.has(i.event.id) || !keptAt(i, now, this.windowMs)) return;
    this.ids.add(i.event.id);
    this.kept.push(i);
    this.text = null;
  }

  private prune(now: number): void {
    const kept = this.kept.filter((i) => keptAt(i, now, this.windowMs));
    if (kept.length !== this.kept.length) {
      for (const i of this.kept) if (!keptAt(i, now, this.windowMs)) this.ids.delete(i.event.id);
      this.kept = kept;
      this.text = null;
    }
    this.prunedAt = kept.length;
  }
}
