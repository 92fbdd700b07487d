import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { DEFAULT_DATA_DIR, resolveStoreOptions } from '../../store/store-options.js';
import { localApiKey } from '../auth/local-auth.js';
import { createSandboxBssServer } from '../bss/sandbox-bss-server.js';
import { alarmSender, twinloopEventSink, type TwinloopTarget } from '../bss/twinloop-client.js';
import { removeServerLock, runningServer, writeServerLock } from '../runtime/open-twins.js';
import { ALARM_MAX_AGE_MS, DEFAULT_SANDBOX_SPEED, SANDBOX_ALARM_SOURCE } from '../runtime/operator.js';
import { planSandbox, startSandboxOperator } from '../runtime/sandbox-operator.js';
import { globalOptions } from './cli-context.js';
import { intOption, positiveOption } from './cli-numbers.js';
import { resolveWorld, type SandboxRunOptions } from './sandbox-commands.js';

interface ServeOptions extends SandboxRunOptions {
  port: string;
  host: string;
  token?: string;
  twinloopUrl: string;
  twinloopKey?: string;
  stateDir?: string;
}

/**
 * Adds `twinloop sandbox serve`: the sandbox operator as a separate process, the way a real BSS
 * stands beside Twinloop. Its back ends answer the TM Forum APIs of `bss-wire.ts` (Twinloop's
 * `start --connectors http --connector-url URL` acts through them), and what happens in its world
 * goes to Twinloop as a real operator's systems would send it: events to `POST /events`, network
 * alarms to TMF642 `…/alarmManagement/v4/alarm`.
 */
export function registerSandboxServe(sandbox: Command): void {
  sandbox
    .command('serve')
    .description("run the sandbox's BSS as its own process speaking TM Forum APIs; its events and alarms go to the Twinloop at --twinloop-url")
    .option('--port <port>', 'HTTP port of the BSS APIs', '8090')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--world <name>', 'sandbox world (default, price-war, fragile-network, small)', 'default')
    .option('--config <file>', 'world configuration file (docs/sandbox.md)')
    .option('--customers <n>', 'override the population size', intOption('--customers', 1))
    .option('--seed <n>', 'seed', intOption('--seed', 0), 1)
    .option('--months <m>', 'months of history sent first', intOption('--months', 0), 12)
    .option('--speed <x>', 'simulated time per real time once live', positiveOption('--speed'), DEFAULT_SANDBOX_SPEED)
    .option('--token <token>', 'bearer token callers of the BSS APIs must send (or TWINLOOP_SANDBOX_TOKEN)', process.env.TWINLOOP_SANDBOX_TOKEN)
    .option('--twinloop-url <url>', 'the Twinloop server its events and alarms go to', process.env.TWINLOOP_URL ?? 'http://127.0.0.1:8080')
    .option('--twinloop-key <key>', "a Twinloop key with events:write and alarms:write (default: TWINLOOP_API_KEY, else the data dir's admin.key, read when Twinloop writes it)")
    .option('--state-dir <dir>', "where it keeps its position and its back ends' journal, so a restart (kill -9 too) continues the same world (default: sandbox-bss in the data dir)")
    .action(async (opts: ServeOptions, command: Command) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      try {
        new URL(opts.twinloopUrl);
      } catch {
        throw new TwinloopError('BAD_INPUT', `--twinloop-url ${JSON.stringify(opts.twinloopUrl)} is not a URL (example: http://127.0.0.1:8080)`);
      }
      const store = resolveStoreOptions(globalOptions(command), process.env);
      const dataDir = store.kind === 'sqlite' ? store.dataDir : undefined;
      const target: TwinloopTarget = { url: opts.twinloopUrl, key: () => opts.twinloopKey ?? localApiKey(dataDir, process.env) };
      // Always a state dir: without one a restart drew a new world whose ids (customers, applicants,
      // orders) collided with the events the last one had sent Twinloop. Its own SQLite record store
      // keeps the journal of every back-end act, as the in-process sandbox keeps it in Twinloop's.
      const stateDir = opts.stateDir ?? join(dataDir ?? DEFAULT_DATA_DIR, 'sandbox-bss');
      mkdirSync(stateDir, { recursive: true });
      const other = runningServer(stateDir);
      if (other) throw new TwinloopError('CONFLICT', `another sandbox serve (pid ${other.pid}${other.url ? `, ${other.url}` : ''}) runs on the state dir ${stateDir}: stop it, or give this one its own --state-dir`);
      writeServerLock(stateDir);
      const records = openRecordStore({ kind: 'sqlite', dataDir: stateDir });
      const plan = planSandbox({ config: resolveWorld(opts), worldName: opts.config ?? opts.world, seed: opts.seed, months: opts.months, stateDir, records });
      const { world } = plan;
      let live = false;
      const app = createSandboxBssServer({ world, token: opts.token, speed: () => (live ? opts.speed : 0), liveSpeed: opts.speed, logger: process.env.TWINLOOP_LOG === '1' });
      const url = await app.listen({ port: Number(opts.port), host: opts.host });
      writeServerLock(stateDir, url);
      say(`sandbox BSS of world "${plan.state.world}" (${world.config.population.customers} customers, seed ${opts.seed}) listening on ${url}${opts.token ? ' (bearer token required)' : ''}`);
      say(`  its world is kept in ${stateDir} (a restart continues it; another --seed, world or size starts a new one)`);
      say(`  Twinloop acts through it with: npx twinloop start --connectors http --connector-url ${url}${opts.token ? ' --connector-token …' : ''}`);
      say(`  its events and alarms go to ${opts.twinloopUrl} (waiting for it and its key when needed)`);

      // Alarms are sent as they are raised and cleared, like a network management system's; those
      // of a long-past history are not (they would start service operations on old news).
      const send = alarmSender(target, { sourceSystemId: SANDBOX_ALARM_SOURCE, onError: (err, alarm) => say(`alarms: ${alarm.id}: ${err.message}`) });
      // Once live, the age is judged against the moment it went live: a tick that a loaded machine runs late is still news.
      let liveFromMs: number | undefined;
      const stopAlarms = world.backends.networkAlarms.subscribe((alarm) => {
        const now = liveFromMs ?? Math.max(Date.now(), world.clock.now());
        if (alarm.state !== 'cleared' && Date.parse(alarm.raisedTime) < now - ALARM_MAX_AGE_MS) return;
        send(alarm);
      });
      const operator = startSandboxOperator({ intake: twinloopEventSink(target) }, { plan, speed: opts.speed, stateDir, deliveryWindow: 1, log: say });
      operator.ready.then(
        () => {
          live = true;
          liveFromMs = world.clock.now();
        },
        (err: Error) => say(`sandbox: ${err.message}`),
      );
      const stop = async () => {
        stopAlarms();
        await operator.stop().catch(() => {});
        await app.close().catch(() => {});
        await world.journalFlushed().catch(() => {});
        await (await records).close().catch(() => {});
        removeServerLock(stateDir);
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
