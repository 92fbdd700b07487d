import { AckPolicy, connect, DeliverPolicy, type JsMsg, type NatsConnection, StringCodec } from 'nats';
import type { BusMessage, EventBus } from './event-bus.js';

export interface NatsEventBusOptions {
  /** e.g. nats://127.0.0.1:4222 */
  url: string;
  /** JetStream stream holding the events; created when missing. */
  stream?: string;
  /** Subject events are published on (the stream's subject). */
  subject?: string;
  /** Durable consumer name: consumers with one name share the work and its position. */
  consumer?: string;
  /** How long a pulled message may stay unacknowledged before the broker redelivers it. */
  ackWaitMs?: number;
}

export const DEFAULT_NATS_STREAM = 'TWINLOOP_EVENTS';
export const DEFAULT_NATS_SUBJECT = 'twinloop.events';
export const DEFAULT_NATS_CONSUMER = 'twinloop-intake';
/** Long enough for a batch to be validated and committed under load. */
const DEFAULT_ACK_WAIT_MS = 30_000;

const codec = StringCodec();
/** Messages the client asks the broker for ahead of processing. */
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
      ...options,
    };
    const nc = await connect({ servers: o.url, name: 'twinloop' });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.info(o.stream).catch(async () => {
        await jsm.streams.add({ name: o.stream, subjects: [o.subject] });
      });
      await jsm.consumers.info(o.stream, o.consumer).catch(async () => {
        await jsm.consumers.add(o.stream, {
          durable_name: o.consumer,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: o.ackWaitMs * 1_000_000,
          filter_subject: o.subject,
        });
      });
    } catch (err) {
      await nc.close();
      throw err;
    }
    return new NatsEventBus(nc, o);
  }

  async publish(records: readonly string[]): Promise<void> {
    const js = this.nc.jetstream();
    // Publishes are pipelined; each resolves on the broker's stored acknowledgement.
    await Promise.all(records.map((r) => js.publish(this.options.subject, codec.encode(r))));
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
    return this.buffered.splice(0, max).map(toMessage);
  }

  async close(): Promise<void> {
    this.arrived?.();
    await this.nc.drain();
  }

  private readonly buffered: JsMsg[] = [];
  private arrived?: () => void;
  private consuming?: Promise<void>;

  // A standing consume() keeps messages flowing (pull-based, flow-controlled by the client), so
  // a pull returns as soon as anything is there instead of waiting out a fetch's expiry.
  private async startConsuming(): Promise<void> {
    const consumer = await this.nc.jetstream().consumers.get(this.options.stream, this.options.consumer);
    const messages = await consumer.consume({ max_messages: CONSUME_WINDOW });
    void (async () => {
      for await (const m of messages) {
        this.buffered.push(m);
        this.arrived?.();
      }
    })();
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

function toMessage(m: JsMsg): BusMessage {
  return {
    data: codec.decode(m.data),
    ack: () => m.ack(),
    nak: (delayMs) => m.nak(delayMs),
  };
}
