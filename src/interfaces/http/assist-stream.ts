import type { Channel } from '../../domain/events.js';

/**
 * Server-sent events to agent desktops: one subscriber per open `GET /assist/stream`, grouped by
 * channel. A card is serialised once and written to every subscriber of its channel. A subscriber
 * that does not take cards as fast as they come (its socket buffer full: on the sandbox's world
 * tens of calls start every second) keeps only its newest cards: the oldest waiting are dropped,
 * so memory stays bounded — except a card published with `keep` (a staged call, which someone was
 * sent to see), dropped only when `maxQueuedCards` kept cards wait.
 */

/** The part of a Node response (`reply.raw`) a subscriber writes to. */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
}

/** Options of `AssistHub`; every field has a documented default. */
export interface AssistHubOptions {
  /** Cards held for a subscriber whose socket is full; older ones are dropped; default 16. */
  readonly maxQueuedCards?: number;
  /** Comment line sent to every subscriber this often, keeping proxies from closing idle streams; default 15 s. */
  readonly heartbeatMs?: number;
}

/** Proxies commonly close idle connections after 30–60 s; 15 s keeps well inside that. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A desktop that has fallen 16 cards behind is better served by the newest than by a backlog. */
export const DEFAULT_MAX_QUEUED_CARDS = 16;
/** EventSource reconnects after this long when the stream drops. */
const RETRY_MS = 3_000;

/** One open stream. */
export interface AssistSubscriber {
  readonly id: number;
  readonly channel: Channel;
  readonly agentId: string;
  /** Cards dropped because the desktop did not keep up. */
  readonly dropped: number;
}

interface Subscriber extends AssistSubscriber {
  sink: SseSink;
  waiting: Waiting[];
  blocked: boolean;
  dropped: number;
  /** Drops not yet told to the desktop. */
  untold: number;
}

/** A frame waiting for a blocked socket; `keep` frames outlive the world's other cards. */
interface Waiting {
  readonly frame: string;
  readonly keep: boolean;
}

/** One SSE frame: named event, optional id, JSON data on one line. */
export function sseFrame(event: string, data: unknown, id?: string): string {
  return `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The live subscribers and the fan-out of cards to them. */
export class AssistHub {
  private readonly byChannel = new Map<Channel, Set<Subscriber>>();
  private readonly maxQueued: number;
  private readonly timer: NodeJS.Timeout | null;
  private nextId = 1;

  constructor(options: AssistHubOptions = {}) {
    this.maxQueued = Math.max(1, options.maxQueuedCards ?? DEFAULT_MAX_QUEUED_CARDS);
    const every = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.timer = every > 0 ? setInterval(() => this.heartbeat(), every) : null;
    // The heartbeat alone must not keep a process alive.
    this.timer?.unref();
  }

  /** Whether any desktop listens on the channel (cards are only built when one does). */
  hasSubscribers(channel: Channel): boolean {
    return (this.byChannel.get(channel)?.size ?? 0) > 0;
  }

  /** Subscribers now, for `/health`-like views and tests. */
  subscribers(): AssistSubscriber[] {
    return [...this.byChannel.values()].flatMap((set) => [...set].map(({ id, channel, agentId, dropped }) => ({ id, channel, agentId, dropped })));
  }

  /** Adds a stream (the SSE headers are already sent); returns the function that removes it. */
  subscribe(channel: Channel, agentId: string, sink: SseSink): () => void {
    const sub: Subscriber = { id: this.nextId++, channel, agentId, sink, waiting: [], blocked: false, dropped: 0, untold: 0 };
    let set = this.byChannel.get(channel);
    if (!set) this.byChannel.set(channel, (set = new Set()));
    set.add(sub);
    this.send(sub, `retry: ${RETRY_MS}\n` + sseFrame('ready', { channel, agentId, subscriber: sub.id }));
    return () => {
      set.delete(sub);
      sub.waiting.length = 0;
    };
  }

  /**
   * Sends a card (any JSON value with a `cardId`) to every subscriber of the channel; a `keep`
   * card (a staged call) is not among those dropped for a subscriber that falls behind.
   */
  publish(channel: Channel, card: { readonly cardId: string }, options: { readonly keep?: boolean } = {}): number {
    const set = this.byChannel.get(channel);
    if (!set?.size) return 0;
    const frame = sseFrame('card', card, card.cardId);
    for (const sub of set) this.send(sub, frame, options.keep ?? false);
    return set.size;
  }

  /** Sends a card to the one stream writing to `sink` (a desktop joining mid-interaction); false when it is gone. */
  deliver(sink: SseSink, card: { readonly cardId: string }): boolean {
    for (const set of this.byChannel.values()) {
      for (const sub of set) {
        if (sub.sink !== sink) continue;
        this.send(sub, sseFrame('card', card, card.cardId));
        return true;
      }
    }
    return false;
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const set of this.byChannel.values()) {
      for (const sub of set) sub.sink.end();
      set.clear();
    }
  }

  private heartbeat(): void {
    // A blocked stream is not idle: the heartbeat would only add to its backlog.
    for (const set of this.byChannel.values()) for (const sub of set) if (!sub.blocked) this.send(sub, ': heartbeat\n\n');
  }

  private send(sub: Subscriber, frame: string, keep = false): void {
    if (sub.blocked) {
      sub.waiting.push({ frame, keep });
      if (sub.waiting.length > this.maxQueued) {
        // The oldest of the world's cards goes; a kept one only when nothing but kept cards waits.
        const i = sub.waiting.findIndex((w) => !w.keep);
        sub.waiting.splice(Math.max(0, i), 1);
        sub.dropped++;
        sub.untold++;
      }
      return;
    }
    if (!sub.sink.write(frame)) {
      sub.blocked = true;
      sub.sink.once('drain', () => this.flush(sub));
    }
  }

  /** The socket took its buffer: tell the desktop what it missed, then send what waited. */
  private flush(sub: Subscriber): void {
    sub.blocked = false;
    const waiting = sub.waiting.splice(0);
    if (sub.untold) {
      waiting.unshift({ frame: sseFrame('dropped', { cards: sub.untold, total: sub.dropped }), keep: false });
      sub.untold = 0;
    }
    for (const { frame, keep } of waiting) this.send(sub, frame, keep);
  }
}
