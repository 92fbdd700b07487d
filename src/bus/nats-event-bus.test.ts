import { describe, it } from 'vitest';
import { describeEventBusContract } from './event-bus.contract.js';
import { NatsEventBus } from './nats-event-bus.js';

const url = process.env.NATS_URL;

if (!url) {
  describe('NATS JetStream event bus contract', () => {
    it.skip('skipped: NATS_URL not set', () => {});
  });
} else {
  let n = 0;
  describeEventBusContract('NATS JetStream', async () => {
    // A fresh stream per test, removed afterwards, so runs never see each other's messages.
    const stream = `TWINLOOP_TEST_${process.pid}_${Date.now()}_${n++}`;
    const options = { url, stream, subject: `twinloop.test.${stream}`, consumer: 'intake', ackWaitMs: 5_000 };
    return {
      bus: await NatsEventBus.open(options),
      reopen: () => NatsEventBus.open(options),
      cleanup: () => NatsEventBus.deleteStream(url, stream),
    };
  });
}
