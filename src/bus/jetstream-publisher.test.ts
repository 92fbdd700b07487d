import { connect, type NatsConnection, StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from './jetstream-publisher.js';

const url = process.env.NATS_URL;
const codec = StringCodec();

if (!url) {
  describe('JetStreamPublisher', () => {
    it.skip('skipped: NATS_URL not set', () => {});
  });
} else {
  describe('JetStreamPublisher', () => {
    let nc: NatsConnection;
    const streams: string[] = [];
    let n = 0;
    /** A fresh stream on `<name>.*`, deleted afterwards. */
    const stream = async (extra: { max_msgs?: number } = {}) => {
      const name = `JSPUB_TEST_${process.pid}_${Date.now()}_${n++}`;
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name, subjects: [`jspub.${name}.*`], ...(extra.max_msgs ? { max_msgs: extra.max_msgs, discard: 'new' as never } : {}) });
      streams.push(name);
      return { name, subject: (k: number) => `jspub.${name}.s${k}` };
    };
    /** Every message of the stream, in stream order: subject and text. */
    const contents = async (name: string) => {
      const jsm = await nc.jetstreamManager();
      const { state } = await jsm.streams.info(name);
      const out: { subject: string; text: string }[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(name, { seq });
        out.push({ subject: m.subject, text: codec.decode(m.data) });
      }
      return out;
    };

    beforeAll(async () => {
      nc = await connect({ servers: url });
    });
    afterAll(async () => {
      const jsm = await nc.jetstreamManager();
      for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
      await nc.drain();
    });

    it('stores every message of a batch larger than its window, each subject in the order given', async () => {
      const s = await stream();
      // A window of 8 makes a batch of 240 wait for acknowledgements 60 times.
      const publisher = new JetStreamPublisher(nc, { maxInFlight: 8 });
      const messages = Array.from({ length: 240 }, (_, i) => ({ subject: s.subject(i % 3), data: codec.encode(`m${i}`) }));
      await publisher.publish(messages);
      const stored = await contents(s.name);
      expect(stored).toHaveLength(240);
      for (let k = 0; k < 3; k++) {
        expect(stored.filter((m) => m.subject === s.subject(k)).map((m) => m.text)).toEqual(messages.filter((_, i) => i % 3 === k).map((_, j) => `m${j * 3 + k}`));
      }
      publisher.close();
    });

    it('resolves concurrent publishes each once all of its own are stored', async () => {
      const s = await stream();
      const publisher = new JetStreamPublisher(nc, { maxInFlight: 16 });
      const batches = Array.from({ length: 4 }, (_, b) => Array.from({ length: 50 }, (_, i) => ({ subject: s.subject(b), data: codec.encode(`b${b}-${i}`) })));
      await Promise.all(batches.map((batch) => publisher.publish(batch)));
      const stored = await contents(s.name);
      expect(stored).toHaveLength(200);
      for (let b = 0; b < 4; b++) expect(stored.filter((m) => m.subject === s.subject(b)).map((m) => m.text)).toEqual(batches[b].map((m) => codec.decode(m.data)));
      publisher.close();
    });

    it('fails the whole publish, naming why, when no stream takes a subject', async () => {
      const publisher = new JetStreamPublisher(nc);
      const err = await publisher.publish([{ subject: `jspub.nostream.${process.pid}.x`, data: codec.encode('lost') }]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNAVAILABLE' });
      expect((err as Error).message).toMatch(/503/);
      publisher.close();
    });

    it('fails the publish when the stream refuses some of its messages, after the rest were answered', async () => {
      const s = await stream({ max_msgs: 5 });
      const publisher = new JetStreamPublisher(nc);
      const err = await publisher.publish(Array.from({ length: 8 }, (_, i) => ({ subject: s.subject(0), data: codec.encode(`m${i}`) }))).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNAVAILABLE' });
      expect((err as Error).message).toMatch(/maximum messages/i);
      expect((await contents(s.name)).map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      publisher.close();
    });

    it('fails a publish the broker never answers once its acknowledgements are silent for the limit', async () => {
      // A subject someone listens on but never answers (so no "no responders" notice either): no acknowledgement ever comes.
      const subject = `jspub.silent.${process.pid}.x`;
      const deaf = nc.subscribe(subject);
      try {
        const publisher = new JetStreamPublisher(nc, { ackSilenceMs: 300 });
        const err = await publisher.publish([{ subject, data: codec.encode('x') }]).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'UNAVAILABLE' });
        expect((err as Error).message).toMatch(/acknowledged nothing/);
        publisher.close();
      } finally {
        deaf.unsubscribe();
      }
    });

    it('refuses a window below one', () => {
      expect(() => new JetStreamPublisher(nc, { maxInFlight: 0 })).toThrow(/maxInFlight/);
    });
  });
}
