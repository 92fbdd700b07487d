import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { NatsEventBus } from '../../bus/nats-event-bus.js';
import { TwinloopError } from '../../domain/errors.js';
import { action } from './cli-errors.js';
import { createProgress } from './progress.js';

/** Records per publish round: pipelined publishes, bounded memory. */
const CHUNK = 2_000;

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description('Publish the events of an NDJSON file to NATS JetStream, for a server started with --nats')
    .argument('<file>', 'NDJSON, one event per line')
    .requiredOption('--nats <url>', 'NATS server, e.g. nats://127.0.0.1:4222', process.env.TWINLOOP_NATS_URL)
    .option('--json', 'print {published}')
    .action(
      action(async (file: string, opts: { nats: string; json?: boolean }) => {
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          throw new TwinloopError('BAD_INPUT', `${file}: no such file`);
        }
        const bus = await NatsEventBus.open({ url: opts.nats });
        const progress = createProgress({ json: opts.json });
        progress.start(size, 'publish');
        let published = 0;
        try {
          const stream = createReadStream(file);
          stream.on('data', (chunk) => progress.increment(chunk.length));
          let chunk: string[] = [];
          for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
            if (!line.trim()) continue;
            chunk.push(line);
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
      }),
    );
}
