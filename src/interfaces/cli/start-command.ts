import type { Command } from 'commander';
import { DEFAULT_NATS_SUBJECT, NatsEventBus } from '../../bus/nats-event-bus.js';
import { startBusIntake } from '../../twin/bus-intake.js';
import { createHttpServer } from '../http/server.js';
import { globalOptions, openTwins } from './cli-context.js';
import { action } from './cli-errors.js';
import { VERSION } from './version.js';

/** Checkpoint on a timer too, so a quiet system still bounds its replay after a crash. */
const CHECKPOINT_INTERVAL_MS = 30_000;

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('Start the Twinloop server (embedded store by default)')
    .option('--port <port>', 'HTTP port', process.env.TWINLOOP_PORT ?? '8080')
    .option('--host <host>', 'interface to listen on', process.env.TWINLOOP_HOST ?? '127.0.0.1')
    .option('--nats <url>', 'also take events from NATS JetStream (stream TWINLOOP_EVENTS, subject twinloop.events)', process.env.TWINLOOP_NATS_URL)
    .action(
      action(async (opts: { port: string; host: string; nats?: string }, command: Command) => {
        const started = Date.now();
        const twins = await openTwins(globalOptions(command));
        const app = createHttpServer({ twins, version: VERSION, logger: process.env.TWINLOOP_LOG === '1' });
        const url = await app.listen({ port: Number(opts.port), host: opts.host });
        process.stdout.write(
          `Twinloop ${VERSION} listening on ${url} (${twins.engine.size} twins, ${twins.recovery.eventsReplayed} events replayed, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)\n` +
            `  twins: ${url}/twins   API: ${url}/openapi.json   health: ${url}/health\n`,
        );
        const timer = setInterval(() => void twins.checkpoint().catch(() => {}), CHECKPOINT_INTERVAL_MS);
        const bus = opts.nats ? await NatsEventBus.open({ url: opts.nats }) : undefined;
        const busIntake = bus && startBusIntake(bus, twins.intake, { onError: (err) => process.stderr.write(`bus intake: ${(err as Error).message}\n`) });
        if (bus) process.stdout.write(`  taking events from NATS ${opts.nats}, subject ${DEFAULT_NATS_SUBJECT}\n`);
        const stop = async () => {
          clearInterval(timer);
          await busIntake?.stop();
          await bus?.close();
          await app.close();
          await twins.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      }),
    );
}
