import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_NATS_SUBJECT, NatsEventBus } from '../../bus/nats-event-bus.js';
import type { SandboxWorld } from '../../sandbox/index.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { startBusIntake } from '../../twin/bus-intake.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { startIntelligence } from '../http/live-intelligence.js';
import { createHttpServer } from '../http/server.js';
import { startAssist } from '../http/assist-routes.js';
import { decisionRoutes } from '../http/decision-routes.js';
import { governanceRoutes } from '../http/governance-routes.js';
import { intentRoutes } from '../http/intent-routes.js';
import { sandboxRoutes } from '../http/sandbox-routes.js';
import { simulationRoutes } from '../http/simulation-routes.js';
import { workflowRoutes } from '../http/workflow-routes.js';
import { mcpHttpRoutes } from '../mcp/mcp-http-route.js';
import { mcpCapabilities } from '../runtime/mcp-bindings.js';
import { operatorFlows } from '../runtime/operator-flows.js';
import { recentServiceAlarms, watchAlarms } from '../../agents/flows/alarm-watcher.js';
import { startOperatorRuntime } from '../runtime/operator-runtime.js';
import { globalOptions, openTwins, removeServerLock, writeServerLock } from './cli-context.js';
import { resolveWorld } from './sandbox-commands.js';
import { planSandbox, sandboxAwareClock, startSandboxOperator, type SandboxOperator } from './sandbox-operator.js';
import { VERSION } from './version.js';

/** Checkpoint on a timer too, so a quiet system still bounds its replay after a crash. */
const CHECKPOINT_INTERVAL_MS = 30_000;
/** Alarms older than this when they reach us (the sandbox's backfilled history) are not acted on. */
const ALARM_MAX_AGE_MS = 3_600_000;
/** The proactive scan's monthly budget: a few hundred loyalty offers in the default world. */
const DEFAULT_RETENTION_BUDGET = 2000;
/** A simulated hour per real second: a day of the world every 24 s keeps the demo visibly moving. */
const DEFAULT_SPEED = 3600;

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
    .option('--no-sandbox', 'run without the simulated operator (events come only from HTTP, files and the broker)')
    .option('--world <name>', 'sandbox world (default, price-war, fragile-network, small)', 'default')
    .option('--config <file>', 'sandbox world configuration file (see docs/sandbox.md)')
    .option('--customers <n>', 'override the sandbox population size', positive('--customers'))
    .option('--seed <n>', 'sandbox seed', positive('--seed'), 1)
    .option('--months <m>', 'months of history to backfill on first start', positive('--months'), 12)
    .option('--speed <x>', 'simulated time per real time in the live phase', positive('--speed'), DEFAULT_SPEED)
    .option('--retention-budget <n>', 'monthly budget of the proactive churn-prevention scan (0 turns it off)', nonNegative('--retention-budget'), DEFAULT_RETENTION_BUDGET)
    .action(
      async (opts: StartOptions, command: Command) => {
        const started = Date.now();
        const global = globalOptions(command);
        const storeOptions = resolveStoreOptions(global, process.env);
        const stateDir = storeOptions.kind === 'sqlite' ? storeOptions.dataDir : undefined;
        const plan = opts.sandbox
          ? planSandbox({ config: resolveWorld(opts), worldName: opts.config ?? opts.world, seed: opts.seed, months: opts.months, stateDir })
          : undefined;
        const world: SandboxWorld | undefined = plan?.world;
        const twins = await openTwins(global, sandboxAwareClock(() => world), 'server');
        const say = (line: string) => process.stdout.write(`${line}\n`);
        const registry = await openModelRegistry(storeOptions);
        const intelligence = await startIntelligence(twins, registry, { log: (line) => say(`models: ${line}`) });
        const clock = sandboxAwareClock(() => world);
        const runtime = await startOperatorRuntime({ twins, storeOptions, clock, intelligence, world, timeScale: world ? opts.speed : 1, flows: operatorFlows(world, intelligence, clock, { retentionBudget: opts.retentionBudget, humanTimeScale: world ? opts.speed : 1 }), log: say });
        const services = () => runtime.services;
        // Every network alarm of the operator starts the service-operations flow (one per alarm).
        const alarms = world && watchAlarms({ alarms: world.backends.networkAlarms, engine: runtime.services.workflows, accept: recentServiceAlarms(() => clock.now(), ALARM_MAX_AGE_MS), onError: (err, alarm) => say(`alarms: ${alarm.id}: ${err.message}`) });
        const assist = startAssist(twins, {
          decorateTwin: intelligence.decorateTwin,
          context: { clock },
          recommend: (customerId, request) => {
            const d = runtime.services.decisions.decide(customerId, { channel: request.channel, reason: request.reason, direction: 'inbound' });
            return d.ranked.map((r) => ({ actionId: r.actionId, name: r.name, treatment: r.treatment?.name, expectedValue: r.expectedValue, score: r.score, reasons: r.reasons, decisionId: d.decisionId }));
          },
          log: (line) => say(line),
        });
        const app = createHttpServer({ twins, version: VERSION, logger: process.env.TWINLOOP_LOG === '1', decorateTwin: intelligence.decorateTwin }, [
          intelligence.routes,
          assist.routes,
          decisionRoutes(services),
          governanceRoutes(services),
          simulationRoutes(services),
          intentRoutes(services),
          workflowRoutes(services),
          mcpHttpRoutes(mcpCapabilities(services), VERSION),
          ...(world ? [sandboxRoutes(world)] : []),
        ]);
        const url = await app.listen({ port: Number(opts.port), host: opts.host });
        if (stateDir) writeServerLock(stateDir, url);
        say(`Twinloop ${VERSION} listening on ${url} (${twins.engine.size} twins, ${twins.recovery.eventsReplayed} events replayed, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        say(`  look here: ${url}/twins?limit=10   ${url}/health   API: ${url}/openapi.json`);
        say(`  agent desktop: ${url}/console/assist   MCP (streamable HTTP): ${url}/mcp`);
        const timer = setInterval(() => void twins.checkpoint().catch(() => {}), CHECKPOINT_INTERVAL_MS);
        const bus = opts.nats ? await NatsEventBus.open({ url: opts.nats }) : undefined;
        const busIntake = bus && startBusIntake(bus, twins.intake, { onError: (err) => process.stderr.write(`bus intake: ${(err as Error).message}\n`) });
        if (bus) say(`  taking events from NATS ${opts.nats}, subject ${DEFAULT_NATS_SUBJECT}`);
        let operator: SandboxOperator | undefined;
        // Train a churn model from the twins once there is history (after the sandbox backfill),
        // unless the registry already holds a champion; scores appear on every twin when it is done.
        const train = () => intelligence.trainIfMissing().catch((err: Error) => process.stderr.write(`models: ${err.message}\n`));
        if (plan) {
          say(`  a customer of the sandbox (filling in while the history loads): ${url}/twins/C000001`);
          operator = startSandboxOperator(twins, { plan, speed: opts.speed, stateDir, log: say });
          operator.ready.then(
            () => {
              void train();
            },
            (err: Error) => process.stderr.write(`sandbox: ${err.message}\n`),
          );
        } else void train();
        const stop = async () => {
          clearInterval(timer);
          // Each part closes even if one before it fails; the process always exits and frees the lock.
          const steps: (() => unknown)[] = [
            () => operator?.stop(),
            () => busIntake?.stop(),
            () => bus?.close(),
            () => alarms?.stop(),
            () => intelligence.close(),
            () => assist.close(),
            () => app.close(),
            () => runtime.close(),
            () => twins.close(),
            () => registry.close(),
          ];
          let code = 0;
          for (const step of steps) {
            try {
              await step();
            } catch (err) {
              code = 1;
              process.stderr.write(`shutdown: ${(err as Error).message}\n`);
            }
          }
          if (stateDir) removeServerLock(stateDir);
          process.exit(code);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    );
}
