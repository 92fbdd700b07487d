import { connect } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEventBusContract } from './event-bus.contract.js';
import type { BusMessage } from './event-bus.js';
import { NatsEventBus, openPartitionedPublisher, PARTITION_STREAM_MAX_AGE_MS, type NatsEventBusOptions } from './nats-event-bus.js';

const url = process.env.NATS_URL;

/** Pulls until `count` messages arrived or `withinMs` passed. */
async function pullUntil(bus: NatsEventBus, count: number, withinMs: number): Promise<BusMessage[]> {
  const got: BusMessage[] = [];
  const until = Date.now() + withinMs;
  while (got.length < count && Date.now() < until) got.push(...(await bus.pull(count - got.length, 200)));
  return got;
}

if (!url) {
  describe('NATS JetStream event bus contract', () => {
    it.skip('skipped: NATS_URL not set', () => {});
  });
} else {
  let n = 0;
  // A fresh stream per test, removed afterwards, so runs never see each other's messages.
  const fresh = (extra: Partial<NatsEventBusOptions> = {}): NatsEventBusOptions => {
    const stream = `reliability_TWINLOOP_TEST_${process.pid}_${Date.now()}_${n++}`;
    return { url, stream, subject: `twinloop.test.${stream}`, consumer: 'intake', ...extra };
  };
  describeEventBusContract('NATS JetStream', async () => {
    const options = fresh({ ackWaitMs: 5_000 });
    return {
      bus: await NatsEventBus.open(options),
      reopen: () => NatsEventBus.open(options),
      cleanup: () => NatsEventBus.deleteStream(url, options.stream!),
    };
  });

  describe('NATS JetStream intake after a kill', () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });

    it('redelivers what a killed consumer held within about 2 s, with the default ack wait', async () => {
      const options = fresh();
      cleanups.push(() => NatsEventBus.deleteStream(url, options.stream!));
      const first = await NatsEventBus.open(options);
      await first.publish(['a', 'b', 'c']);
      expect(await pullUntil(first, 3, 5_000)).toHaveLength(3);
      // The process dies holding them: its connection goes without acknowledging anything.
      await first.close();
      const second = await NatsEventBus.open(options);
      cleanups.push(() => second.close());
      const killedAt = Date.now();
      const again = await pullUntil(second, 3, 10_000);
      expect(again.map((m) => m.data).sort()).toEqual(['a', 'b', 'c']);
      expect(Date.now() - killedAt).toBeLessThan(4_000);
    });

    it('makes its durable consumer again when it is deleted at the broker, and goes on', async () => {
      const options = fresh();
      cleanups.push(() => NatsEventBus.deleteStream(url, options.stream!));
      const bus = await NatsEventBus.open(options);
      cleanups.push(() => bus.close());
      await bus.publish(['a', 'b']);
      for (const m of await pullUntil(bus, 2, 5_000)) m.ack();
      // Deleted under a running intake (an operator's mistake, a broker that lost its state): the
      // client alone retried the name only on its heartbeat's schedule and nobody made it again.
      await NatsEventBus.deleteConsumer(url, options.stream!, options.consumer!);
      const deletedAt = Date.now();
      await bus.publish(['c', 'd']);
      const got: string[] = [];
      while (!(got.includes('c') && got.includes('d')) && Date.now() - deletedAt < 10_000) {
        for (const m of await bus.pull(10, 200)) {
          got.push(m.data);
          m.ack();
        }
      }
      // A new consumer starts at the stream's first message: a and b come again (the intake answers
      // duplicates). The admin's delete retries only on the consumer it was asked to delete, never on
      // the one the bus made again under the same name, so exactly one re-creation.
      expect(got.sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(bus.recreated).toBe(1);
    });

    it('keeps a message it is still working on from being redelivered past the ack wait', async () => {
      const options = fresh({ ackWaitMs: 1_000 });
      cleanups.push(() => NatsEventBus.deleteStream(url, options.stream!));
      const bus = await NatsEventBus.open(options);
      cleanups.push(() => bus.close());
      await bus.publish(['slow']);
      const [held] = await pullUntil(bus, 1, 5_000);
      // Three ack waits of work on it (a large batch committing under load).
      expect(await bus.pull(10, 3_000)).toEqual([]);
      held.ack();
      expect(await bus.pull(10, 1_500)).toEqual([]);
    });

    it('marks a message whose bytes are not UTF-8 instead of repairing it silently', async () => {
      const options = fresh();
      cleanups.push(() => NatsEventBus.deleteStream(url, options.stream!));
      const bus = await NatsEventBus.open(options);
      cleanups.push(() => bus.close());
      // Another producer sends a record with a Latin-1 byte in it.
      const nc = await connect({ servers: url });
      try {
        await nc.jetstream().publish(options.subject!, Uint8Array.from([...Buffer.from('{"id":"caf'), 0xe9, ...Buffer.from('"}')]));
        await nc.jetstream().publish(options.subject!, Buffer.from('{"id":"café"}'));
      } finally {
        await nc.close();
      }
      const got = await pullUntil(bus, 2, 5_000);
      expect(got.map((m) => [m.data, m.notUtf8 ?? false])).toEqual([
        ['{"id":"caf\uFFFD"}', true],
        ['{"id":"café"}', false],
      ]);
      for (const m of got) m.ack();
    });

    it('uses the stream and consumer it is given, and a changed ack wait on an existing consumer', async () => {
      const options = fresh({ consumer: 'reliability-a', ackWaitMs: 30_000 });
      cleanups.push(() => NatsEventBus.deleteStream(url, options.stream!));
      await (await NatsEventBus.open(options)).close();
      await (await NatsEventBus.open({ ...options, ackWaitMs: 2_000 })).close();
      const nc = await connect({ servers: url });
      try {
        const info = await (await nc.jetstreamManager()).consumers.info(options.stream!, 'reliability-a');
        expect(info.config.ack_wait).toBe(2_000 * 1_000_000);
      } finally {
        await nc.close();
      }
    });

    it("gives the partitioned stream a max age: a week by default, the one asked for, one on a stream made without, never over one already set", async () => {
      const maxAge = async (stream: string) => {
        const nc = await connect({ servers: url });
        try {
          return (await (await nc.jetstreamManager()).streams.info(stream)).config.max_age / 1_000_000;
        } finally {
          await nc.close();
        }
      };
      const [a, b] = [fresh(), fresh()];
      cleanups.push(() => NatsEventBus.deleteStream(url, a.stream!), () => NatsEventBus.deleteStream(url, b.stream!));
      // The gateway makes it with the default; a worker opening it with another age leaves it.
      await (await openPartitionedPublisher({ url, stream: a.stream!, base: a.subject! })).close();
      expect(await maxAge(a.stream!)).toBe(PARTITION_STREAM_MAX_AGE_MS);
      await (await NatsEventBus.open({ ...a, streamSubjects: [`${a.subject}.*`], subject: `${a.subject}.p00`, streamMaxAgeMs: 60_000 })).close();
      expect(await maxAge(a.stream!)).toBe(PARTITION_STREAM_MAX_AGE_MS);
      // A stream an earlier version made without a limit gets the one asked for.
      await (await NatsEventBus.open({ ...b, streamSubjects: [`${b.subject}.*`], subject: `${b.subject}.p00` })).close();
      expect(await maxAge(b.stream!)).toBe(0);
      await (await openPartitionedPublisher({ url, stream: b.stream!, base: b.subject!, maxAgeMs: 3_600_000 })).close();
      expect(await maxAge(b.stream!)).toBe(3_600_000);
    });
  });
}
