import type { Command } from 'commander';
import { DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT, NatsEventBus } from '../../bus/nats-event-bus.js';
import { inputFileSize, numberedLines } from './input-file.js';
import { createProgress } from './progress.js';

/** Records per publish round: pipelined publishes, bounded memory. */
const CHUNK = 2_000;

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description('Publish the events of an NDJSON file to NATS JetStream, for a server started with --nats')
    .argument('<file>', 'NDJSON, one event per line')
    .requiredOption('--nats <url>', 'NATS server, e.g. nats://127.0.0.1:4222', process.env.TWINLOOP_NATS_URL)
    .option('--nats-stream <name>', 'JetStream stream of the events', process.env.TWINLOOP_NATS_STREAM ?? DEFAULT_NATS_STREAM)
    .option('--nats-subject <subject>', 'subject to publish on', process.env.TWINLOOP_NATS_SUBJECT ?? DEFAULT_NATS_SUBJECT)
    .option('--json', 'print {published}')
    .action(
      async (file: string, opts: { nats: string; natsStream: string; natsSubject: string; json?: boolean }) => {
        const size = inputFileSize(file, 'events file');
        const bus = await NatsEventBus.open({ url: opts.nats, stream: opts.natsStream, subject: opts.natsSubject });
        const progress = createProgress({ json: opts.json });
        progress.start(size, 'publish');
        let published = 0;
        try {
          let chunk: string[] = [];
          for await (const { text } of numberedLines(file, (n) => progress.increment(n))) {
            chunk.push(text);
            if (chunk.length >= CHUNK) {
              await bus.publish(chunk);
              published += chunk.length;
              chunk = [];
            }
          }
          await bus.publish(chunk);
          published += chunk.length;
        } finally {
          progress.stop();
          await bus.close();
        }
        process.stdout.write(opts.json ? `${JSON.stringify({ published })}\n` : `published ${published} records\n`);
      },
    );
}
