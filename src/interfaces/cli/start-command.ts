import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_NATS_CONSUMER, DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT } from '../../bus/nats-event-bus.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { createOperatorServer } from '../http/operator-server.js';
import { DEFAULT_RETENTION_BUDGET, DEFAULT_SANDBOX_SPEED, startOperator } from '../runtime/operator.js';
import { globalOptions, parseDuration } from './cli-context.js';
import { resolveWorld } from './sandbox-commands.js';
import { VERSION } from './version.js';

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

const nonNegative = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
  return n;
};

interface StartOptions {
  port: string;
  host: string;
  nats?: string;
  natsStream: string;
  natsSubject: string;
  natsConsumer: string;
  sandbox: boolean;
  world: string;
  config?: string;
  customers?: number;
  seed: number;
  months: number;
  speed: number;
  retentionBudget: number;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('Start the Twinloop server: embedded store and, unless --no-sandbox, the sandbox operator (12 months backfilled on first start, then live)')
    .option('--port <port>', 'HTTP port', process.env.TWINLOOP_PORT ?? '8080')
    .option('--host <host>', 'interface to listen on', process.env.TWINLOOP_HOST ?? '127.0.0.1')
    .option('--nats <url>', 'also take events from NATS JetStream (stream TWINLOOP_EVENTS, subject twinloop.events)', process.env.TWINLOOP_NATS_URL)
    .option('--nats-stream <name>', 'JetStream stream of the events (created when missing)', process.env.TWINLOOP_NATS_STREAM ?? DEFAULT_NATS_STREAM)
    .option('--nats-subject <subject>', 'subject the events are published on', process.env.TWINLOOP_NATS_SUBJECT ?? DEFAULT_NATS_SUBJECT)
    .option('--nats-consumer <name>', 'durable consumer: servers with one name share the events, with different names each gets them all', process.env.TWINLOOP_NATS_CONSUMER ?? DEFAULT_NATS_CONSUMER)
    .option('--no-sandbox', 'run without the simulated operator (events come only from HTTP, files and the broker)')
    .option('--world <name>', 'sandbox world (default, price-war, fragile-network, small)', 'default')
    .option('--config <file>', 'sandbox world configuration file (see docs/sandbox.md)')
    .option('--customers <n>', 'override the sandbox population size', positive('--customers'))
    .option('--seed <n>', 'sandbox seed', positive('--seed'), 1)
    .option('--months <m>', 'months of history to backfill on first start', positive('--months'), 12)
    .option('--speed <x>', 'simulated time per real time in the live phase', positive('--speed'), DEFAULT_SANDBOX_SPEED)
    .option('--retention-budget <n>', 'monthly budget of the proactive churn-prevention scan (0 turns it off)', nonNegative('--retention-budget'), DEFAULT_RETENTION_BUDGET)
    .action(
      async (opts: StartOptions, command: Command) => {
        const started = Date.now();
        const global = globalOptions(command);
        const say = (line: string) => process.stdout.write(`${line}\n`);
        const operator = await startOperator({
          store: resolveStoreOptions(global, process.env),
          latenessMs: global.lateness ? parseDuration(global.lateness, '--lateness') : undefined,
          sandbox: opts.sandbox ? { config: resolveWorld(opts), worldName: opts.config ?? opts.world, seed: opts.seed, months: opts.months, speed: opts.speed } : undefined,
          nats: opts.nats ? { url: opts.nats, stream: opts.natsStream, subject: opts.natsSubject, consumer: opts.natsConsumer } : undefined,
          retentionBudget: opts.retentionBudget,
          log: say,
        });
        const app = createOperatorServer(operator, { version: VERSION, logger: process.env.TWINLOOP_LOG === '1' });
        let url: string;
        try {
          url = await app.listen({ port: Number(opts.port), host: opts.host });
        } catch (err) {
          await operator.close().catch(() => {});
          throw err;
        }
        operator.announce(url);
        const { twins } = operator;
        say(`Twinloop ${VERSION} listening on ${url} (${twins.engine.size} twins, ${twins.recovery.eventsReplayed} events replayed, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        say(`  look here: ${url}/twins?limit=10   ${url}/health   API: ${url}/openapi.json`);
        say(`  console: ${url}/ (agent desktop: ${url}/console/assist)   MCP (streamable HTTP): ${url}/mcp`);
        if (opts.nats) say(`  taking events from NATS ${opts.nats}, stream ${opts.natsStream}, subject ${opts.natsSubject}, consumer ${opts.natsConsumer}`);
        if (operator.world) say(`  a customer of the sandbox (filling in while the history loads): ${url}/twins/C000001`);
        const stop = async () => {
          let code = 0;
          // The edge first (its streams end), then the operator; the process always exits and frees the lock.
          try {
            await app.close();
          } catch (err) {
            code = 1;
            process.stderr.write(`shutdown: ${(err as Error).message}\n`);
          }
          // The operator tells each part that failed to close.
          await operator.close().catch(() => (code = 1));
          process.exit(code);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    );
}
