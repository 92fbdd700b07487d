import { AckPolicy, connect, ConsumerEvents, DeliverPolicy, type JetStreamManager, type JsMsg, type NatsConnection, StringCodec } from 'nats';
import type { BusMessage, EventBus } from './event-bus.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { DAY_MS } from '../domain/time.js';
import { PARTITION_COUNT, partitionOfRecord, partitionSubject, partitionSubjects } from '../domain/partitions.js';

export interface NatsEventBusOptions {
  /** e.g. nats://127.0.0.1:4222 */
  url: string;
  /** JetStream stream holding the events; created when missing. */
  stream?: string;
  /** Subject events are published on (the stream's subject). */
  subject?: string;
  /** Durable consumer name: consumers with one name share the work and its position. */
  consumer?: string;
  /**
   * How long a delivered message may go without word from its consumer before the broker
   * delivers it again: after a crash, how long the messages the dead process held wait. A live
   * consumer tells the broker it is still working on what it holds every half of it, so a slow
   * batch is not redelivered under it. Set on the durable consumer, also when it exists.
   */
  ackWaitMs?: number;
  /** Subjects the stream is made with when missing (default: `subject` alone); the partitioned stream takes `<base>.*`. */
  streamSubjects?: string[];
  /**
   * How long the stream keeps a message, in ms (0, the default: for ever). Set on the stream when
   * it is made, and on one an earlier version made without a limit; a limit set there already
   * (by another process or `nats stream edit`) is left as it is.
   */
  streamMaxAgeMs?: number;
  /**
   * Taking the consumer over from a process that may have died holding messages (a partition's new
   * owner, decision 0012): the durable consumer is made anew at its first unacknowledged message,
   * so everything from there comes in stream order, instead of the dead holder's messages coming
   * back after the ack wait behind newer ones (a customer's usage before its registration).
   * What was stored but not yet acknowledged comes again and is answered as a duplicate by id.
   */
  takeOver?: boolean;
  /** Messages the client asks the broker for ahead of processing (default 5,000). */
  window?: number;
}

export const DEFAULT_NATS_STREAM = 'TWINLOOP_EVENTS';
export const DEFAULT_NATS_SUBJECT = 'twinloop.events';
export const DEFAULT_NATS_CONSUMER = 'twinloop-intake';
/**
 * A restarted server resumes within this after a kill (issue 13: 30 s stalled intake 26–28 s);
 * live consumers keep their messages with in-progress acks, so it need not cover a slow batch.
 */
export const DEFAULT_ACK_WAIT_MS = 2_000;

const codec = StringCodec();
/** Decodes UTF-8 strictly: a repaired record would have another id or body than the one sent. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A message's text, or its bytes repaired and marked `notUtf8` when they are not UTF-8. */
function decodeStrictly(bytes: Uint8Array): Pick<BusMessage, 'data' | 'notUtf8'> {
  try {
    return { data: STRICT_UTF8.decode(bytes) };
  } catch {
    return { data: codec.decode(bytes), notUtf8: true };
  }
}
/** Messages the client asks the broker for ahead of processing (a single intake; a partition's consumer may ask fewer). */
const CONSUME_WINDOW = 5_000;

/** The bus on NATS JetStream: a file-backed stream and a durable pull consumer with explicit acks. */
export class NatsEventBus implements EventBus {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: Required<NatsEventBusOptions>,
  ) {}

  static async open(options: NatsEventBusOptions): Promise<NatsEventBus> {
    const o: Required<NatsEventBusOptions> = {
      stream: DEFAULT_NATS_STREAM,
      subject: DEFAULT_NATS_SUBJECT,
      consumer: DEFAULT_NATS_CONSUMER,
      ackWaitMs: DEFAULT_ACK_WAIT_MS,
      streamSubjects: [options.subject ?? DEFAULT_NATS_SUBJECT],
      streamMaxAgeMs: 0,
      takeOver: false,
      window: CONSUME_WINDOW,
      ...options,
    };
    const nc = await connect({ servers: o.url, name: 'twinloop' });
    try {
      const jsm = await nc.jetstreamManager();
      if (o.takeOver) await restartAtAckFloor(jsm, o);
      await ensureStreamAndConsumer(jsm, o);
    } catch (err) {
      await nc.close();
      throw err;
    }
    return new NatsEventBus(nc, o);
  }

  async publish(records: readonly string[]): Promise<void> {
    this.publisher ??= new JetStreamPublisher(this.nc);
    const subject = this.options.subject;
    await this.publisher.publish(records.map((r) => ({ subject, data: codec.encode(r) })));
  }

  async pull(max: number, waitMs: number): Promise<BusMessage[]> {
    this.consuming ??= this.startConsuming();
    await this.consuming;
    if (this.buffered.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.arrived = undefined;
          resolve();
        }, waitMs);
        this.arrived = () => {
          clearTimeout(timer);
          this.arrived = undefined;
          resolve();
        };
      });
    }
    return this.buffered.splice(0, max).map((m) => this.toMessage(m));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.arrived?.();
    clearInterval(this.keepAlive);
    await this.nc.drain();
  }

  private publisher?: JetStreamPublisher;
  private readonly buffered: JsMsg[] = [];
  /** Delivered here and not yet acknowledged or handed back: the broker is told they are in hand. */
  private readonly held = new Set<JsMsg>();
  private keepAlive?: ReturnType<typeof setInterval>;
  private arrived?: () => void;
  private consuming?: Promise<void>;
  /** Times the consumer was found gone at the broker and made again. */
  recreated = 0;
  private closing = false;

  // A standing consume() keeps messages flowing (pull-based, flow-controlled by the client), so
  // a pull returns as soon as anything is there instead of waiting out a fetch's expiry.
  private async startConsuming(): Promise<void> {
    this.keepAlive = setInterval(() => {
      for (const m of this.held) m.working();
    }, this.options.ackWaitMs / 2);
    this.keepAlive.unref();
    await this.consumeOnce();
  }

  /**
   * One standing consume() of the durable consumer. When the consumer (or its stream) is deleted
   * at the broker, by a person or a broker that lost its state, the client only retries the name
   * on its heartbeat's schedule (30 s) and nobody makes it again, so the intake waited forever:
   * it is made again at once and consumed anew. A new consumer starts at the stream's first
   * message: what was taken already comes again and the intake answers it as duplicates by id.
   */
  private async consumeOnce(): Promise<void> {
    const consumer = await this.nc.jetstream().consumers.get(this.options.stream, this.options.consumer);
    const messages = await consumer.consume({ max_messages: this.options.window });
    void (async () => {
      for await (const status of await messages.status()) {
        if (status.type !== ConsumerEvents.ConsumerDeleted && status.type !== ConsumerEvents.ConsumerNotFound && status.type !== ConsumerEvents.StreamNotFound) continue;
        if (this.closing) return;
        messages.stop();
        for (let attempt = 0; !this.closing; attempt++) {
          try {
            await ensureStreamAndConsumer(await this.nc.jetstreamManager(), this.options);
            await this.consumeOnce();
            this.recreated++;
            return;
          } catch {
            await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)));
          }
        }
        return;
      }
    })().catch(() => undefined);
    void (async () => {
      for await (const m of messages) {
        this.held.add(m);
        this.buffered.push(m);
        this.arrived?.();
      }
    })().catch(() => undefined);
  }

  private toMessage(m: JsMsg): BusMessage {
    return {
      ...decodeStrictly(m.data),
      ack: () => {
        this.held.delete(m);
        m.ack();
      },
      nak: (delayMs) => {
        this.held.delete(m);
        m.nak(delayMs);
      },
    };
  }

  /** Deletes the durable consumer at the broker, as an operator or a broker losing its state would (tests). */
  static async deleteConsumer(url: string, stream: string, consumer: string): Promise<void> {
    const nc = await connect({ servers: url });
    try {
      const jsm = await nc.jetstreamManager();
      // The broker can fail a delete on its own files (nats-server at load: "unlinkat …/obs/NAME:
      // directory not empty") with the consumer gone or still there: asked again until it is gone.
      // Only the consumer that was asked for: one made again meanwhile under the same name (a bus
      // re-creates its own when it finds it deleted) is another consumer, and is left alone.
      const created = await jsm.consumers.info(stream, consumer).then((i) => i.created, () => undefined);
      for (let attempt = 1; ; attempt++) {
        try {
          await jsm.consumers.delete(stream, consumer);
          return;
        } catch (err) {
          const gone = await jsm.consumers.info(stream, consumer).then((i) => created !== undefined && i.created !== created, (e: unknown) => /consumer not found/i.test(String(e)));
          if (gone) return;
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    } finally {
      await nc.close();
    }
  }

  /** Messages the stream holds and their bytes as the broker stores them (what a capacity plan sizes the stream from). */
  static async streamFigures(url: string, stream: string): Promise<{ messages: number; bytes: number }> {
    const nc = await connect({ servers: url });
    try {
      const { state } = await (await nc.jetstreamManager()).streams.info(stream);
      return { messages: state.messages, bytes: state.bytes };
    } finally {
      await nc.close();
    }
  }

  /** Removes the stream and its consumers (tests and CI clean up after themselves). */
  static async deleteStream(url: string, stream: string): Promise<void> {
    const nc = await connect({ servers: url });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => false);
    } finally {
      await nc.close();
    }
  }
}

/**
 * Deletes the durable consumer and makes it again at its ack floor + 1 (see `takeOver`); nothing
 * to do when it does not exist yet (it is then made to deliver the stream from its start).
 */
async function restartAtAckFloor(jsm: JetStreamManager, o: Required<NatsEventBusOptions>): Promise<void> {
  await ensureStream(jsm, o);
  const existing = await jsm.consumers.info(o.stream, o.consumer).catch(() => undefined);
  if (!existing) return;
  const floor = existing.ack_floor.stream_seq;
  await jsm.consumers.delete(o.stream, o.consumer);
  await jsm.consumers.add(o.stream, {
    durable_name: o.consumer,
    ack_policy: AckPolicy.Explicit,
    ...(floor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : { deliver_policy: DeliverPolicy.All }),
    ack_wait: o.ackWaitMs * 1_000_000,
    filter_subject: o.subject,
  });
}

async function ensureStream(jsm: JetStreamManager, o: Pick<Required<NatsEventBusOptions>, 'stream' | 'streamSubjects' | 'streamMaxAgeMs'>): Promise<void> {
  const maxAge = o.streamMaxAgeMs * 1_000_000;
  const info = await jsm.streams.info(o.stream).catch(() => undefined);
  if (!info) await jsm.streams.add({ name: o.stream, subjects: o.streamSubjects, ...(maxAge > 0 ? { max_age: maxAge } : {}) });
  else if (maxAge > 0 && !info.config.max_age) await jsm.streams.update(o.stream, { ...info.config, max_age: maxAge });
}

/** The stream and the durable consumer as `o` describes them, made when missing; an existing consumer takes `o`'s ack wait. */
async function ensureStreamAndConsumer(jsm: JetStreamManager, o: Required<NatsEventBusOptions>): Promise<void> {
  await ensureStream(jsm, o);
  const ackWait = o.ackWaitMs * 1_000_000;
  const existing = await jsm.consumers.info(o.stream, o.consumer).catch(() => undefined);
  if (!existing) {
    await jsm.consumers.add(o.stream, {
      durable_name: o.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWait,
      filter_subject: o.subject,
    });
  } else if (existing.config.ack_wait !== ackWait) {
    // A consumer made by an older version (30 s) or with another setting takes this one's.
    await jsm.consumers.update(o.stream, o.consumer, { ack_wait: ackWait });
  }
}

/**
 * How long the partitioned stream keeps an event by default (decision 0012, docs/scale.md). The
 * stream is not the record: an event acknowledged is durable in the PostgreSQL log, and a
 * partition's new owner restores from its checkpoint and that log, reading from the stream only
 * what was never acknowledged. So the age only bounds how long a partition may go unconsumed (no
 * worker alive for it) before its oldest events are dropped unread: a week outlasts any outage
 * that would not be noticed, where the checkpoint cadence (30 s) plays no part.
 */
export const PARTITION_STREAM_MAX_AGE_MS = 7 * DAY_MS;

/** The partitioned stream: the broker, its name, the subject base (`<base>.p07`) and how long it keeps an event (default PARTITION_STREAM_MAX_AGE_MS). */
export interface PartitionedStreamOptions {
  readonly url: string;
  readonly stream: string;
  readonly base: string;
  readonly maxAgeMs?: number;
}

/** Publishes event records on their partitions' subjects (decision 0012): what the gateway does with POST /events. */
export interface PartitionedPublisher {
  /** Resolves once the broker holds every record durably; returns how many went to each partition. */
  publish(records: readonly string[]): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** The partitioned stream's publisher: the stream (subjects `<base>.*`) is made when missing. */
export async function openPartitionedPublisher(o: PartitionedStreamOptions): Promise<PartitionedPublisher> {
  const nc = await connect({ servers: o.url, name: 'twinloop-gateway' });
  try {
    await ensureStream(await nc.jetstreamManager(), { stream: o.stream, streamSubjects: [partitionSubjects(o.base)], streamMaxAgeMs: o.maxAgeMs ?? PARTITION_STREAM_MAX_AGE_MS });
  } catch (err) {
    await nc.close();
    throw err;
  }
  const publisher = new JetStreamPublisher(nc);
  const subjects = Array.from({ length: PARTITION_COUNT }, (_, p) => partitionSubject(o.base, p));
  return {
    async publish(records) {
      const counts = new Map<number, number>();
      // In the order given on one connection, so a customer's records keep their order in the
      // stream. A failure is UNAVAILABLE: some may be in the stream already, and sending the batch
      // again is safe (each id is applied once).
      await publisher.publish(
        records.map((r) => {
          const p = partitionOfRecord(r);
          counts.set(p, (counts.get(p) ?? 0) + 1);
          return { subject: subjects[p], data: codec.encode(r) };
        }),
      );
      return counts;
    },
    close: async () => {
      publisher.close();
      await nc.drain();
    },
  };
}
