import type { Command } from 'commander';
import { DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT, NatsEventBus } from '../../bus/nats-event-bus.js';
import { NOT_UTF8_REASON } from '../../domain/event-validation.js';
import { setExitCode } from './cli-edge.js';
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
    .option('--json', 'print {published, refused, refusals}; exit code 2 when any line was refused')
    .action(
      async (file: string, opts: { nats: string; natsStream: string; natsSubject: string; json?: boolean }) => {
        // A line that is not UTF-8 is not published: repaired, it would be another event than the one in the file.
        const refusals: { line: number; reason: string }[] = [];
        const size = inputFileSize(file, 'events file');
        const bus = await NatsEventBus.open({ url: opts.nats, stream: opts.natsStream, subject: opts.natsSubject });
        const progress = createProgress({ json: opts.json });
        progress.start(size, 'publish');
        let published = 0;
        try {
          let chunk: string[] = [];
          for await (const { line, text, notUtf8 } of numberedLines(file, (n) => progress.increment(n))) {
            if (notUtf8) {
              refusals.push({ line, reason: NOT_UTF8_REASON });
              continue;
            }
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
        // Scripts see partial failure: the good lines are published, the refused ones named.
        if (refusals.length > 0) setExitCode('BAD_INPUT');
        if (opts.json) process.stdout.write(`${JSON.stringify({ published, refused: refusals.length, refusals })}\n`);
        else {
          process.stdout.write(`published ${published} records${refusals.length ? `, refused ${refusals.length}` : ''}\n`);
          for (const r of refusals.slice(0, 20)) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
          if (refusals.length > 20) process.stdout.write(`  … ${refusals.length - 20} more (use --json for all)\n`);
        }
      },
    );
}
