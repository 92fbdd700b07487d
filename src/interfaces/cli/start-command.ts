import { hostname, loadavg } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_NATS_CONSUMER, DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT, type PartitionedStreamOptions } from '../../bus/nats-event-bus.js';
import { TwinloopError } from '../../domain/errors.js';
import { resolveStoreOptions, type StoreOptions } from '../../store/store-options.js';
import { isLoopback } from '../auth/authenticator.js';
import type { AuthSettings } from '../auth/local-auth.js';
import { DEFAULT_ACTING_PER_MINUTE } from '../http/http-hardening.js';
import { createGatewayServer } from '../http/gateway-server.js';
import { createOperatorServer } from '../http/operator-server.js';
import { checkTmfSpecs } from '../http/tmf/tmf-spec.js';
import { startGateway } from '../runtime/gateway.js';
import { DEFAULT_RETENTION_BUDGET, DEFAULT_SANDBOX_SPEED, seededHistoryWanted, startOperator } from '../runtime/operator.js';
import { readPolicyFile } from './action-policy-commands.js';
import { globalOptions, parseDuration } from './cli-context.js';
import { positiveOption } from './cli-numbers.js';
import { resolveWorld, type SandboxRunOptions } from './sandbox-commands.js';
import { readyLine } from './ready-line.js';
import { VERSION } from './version.js';

const positive = positiveOption;

const nonNegative = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
  return n;
};

interface StartOptions extends SandboxRunOptions {
  role: string;
  workerId?: string;
  partitionStream: string;
  partitionStreamMaxAge?: string;
  keepEvery?: string;
  checkpointEvery?: string;
  modelCheckEvery?: string;
  port: string;
  host: string;
  nats?: string;
  natsStream: string;
  natsSubject: string;
  natsConsumer: string;
  sandbox: boolean;
  retentionBudget: number;
  policy?: string;
  corsOrigin?: string[];
  rateLimit: number;
  connectors?: string;
  connectorUrl?: string;
  connectorToken?: string;
  insecureLocal?: boolean;
  oidcIssuer?: string;
  oidcAudience?: string;
  oidcJwksUrl?: string;
  oidcRoleClaim?: string;
  oidcRoleMap?: string;
  oidcClientId?: string;
}

/** Which BSS the operator acts on, from the options (BAD_INPUT naming the option). */
function connectorSettings(opts: StartOptions): { kind: 'http'; url: string; token?: string } | undefined {
  // A URL alone says which: --connector-url URL is --connectors http.
  const kind = opts.connectors ?? (opts.connectorUrl ? 'http' : 'sandbox');
  if (kind === 'sandbox') return undefined;
  if (kind !== 'http') throw new TwinloopError('BAD_INPUT', `--connectors is sandbox (the in-process sandbox's back ends) or http (a BSS over HTTP at --connector-url); got ${opts.connectors}`);
  if (!opts.connectorUrl) throw new TwinloopError('BAD_INPUT', '--connectors http needs --connector-url (the BSS, e.g. the one twinloop sandbox serve prints)');
  return { kind: 'http', url: opts.connectorUrl, ...(opts.connectorToken ? { token: opts.connectorToken } : {}) };
}

/** The origins of --cors-origin, each checked to be an origin (scheme, host, optional port), BAD_INPUT naming one that is not. */
function corsOrigins(given: readonly string[] | undefined): string[] {
  return (given ?? []).map((o) => {
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== o.replace(/\/$/, '') || !/^https?:$/.test(url.protocol)) {
      throw new TwinloopError('BAD_INPUT', `--cors-origin: "${o}" is not an origin; give scheme, host and port only, e.g. https://portal.example.com`);
    }
    return url.origin;
  });
}

/** The loopback names `--insecure-local` accepts for --host. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/** How the server authenticates, from the options (BAD_INPUT naming the option). */
function authSettings(opts: StartOptions): AuthSettings {
  if (opts.insecureLocal && !(LOOPBACK_HOSTS.has(opts.host) || isLoopback(opts.host))) {
    throw new TwinloopError('BAD_INPUT', `--insecure-local serves callers without a credential, so it listens on loopback only; --host ${opts.host} is not a loopback address (use 127.0.0.1, or drop --insecure-local and use keys)`);
  }
  const mode = opts.insecureLocal ? 'insecure-local' : 'enforced';
  if (!opts.oidcIssuer) {
    if (opts.oidcAudience || opts.oidcJwksUrl || opts.oidcRoleClaim || opts.oidcRoleMap || opts.oidcClientId) throw new TwinloopError('BAD_INPUT', 'the --oidc-… options need --oidc-issuer (the provider\'s issuer URL)');
    return { mode };
  }
  if (!opts.oidcAudience) throw new TwinloopError('BAD_INPUT', '--oidc-issuer needs --oidc-audience (the audience the provider issues tokens for: this API\'s client id or resource name)');
  const roleMap: Record<string, string> = {};
  for (const pair of (opts.oidcRoleMap ?? '').split(',').filter(Boolean)) {
    const [group, role] = pair.split('=');
    if (!group || !role) throw new TwinloopError('BAD_INPUT', `--oidc-role-map: "${pair}" is not group=role (example: --oidc-role-map care-staff=care_agent,platform=admin)`);
    roleMap[group.trim()] = role.trim();
  }
  return {
    mode,
    oidc: {
      issuer: opts.oidcIssuer,
      audience: opts.oidcAudience,
      ...(opts.oidcJwksUrl ? { jwksUrl: opts.oidcJwksUrl } : {}),
      ...(opts.oidcRoleClaim ? { roleClaim: opts.oidcRoleClaim } : {}),
      ...(opts.oidcClientId ? { clientId: opts.oidcClientId } : {}),
      roleMap: roleMap as NonNullable<AuthSettings['oidc']>['roleMap'],
    },
  };
}

/** The role asked for, checked against what it needs (BAD_INPUT naming the option). */
function checkRole(opts: StartOptions, storeKind: string): 'all' | 'worker' | 'gateway' {
  const role = opts.role;
  if (role !== 'all' && role !== 'worker' && role !== 'gateway') throw new TwinloopError('BAD_INPUT', `--role is all, worker or gateway; got ${role}`);
  if (role === 'all') return role;
  if (storeKind !== 'postgres') throw new TwinloopError('BAD_INPUT', `--role ${role} needs PostgreSQL (--database-url or DATABASE_URL): the workers share its log and lease their partitions in it`);
  if (!opts.nats) throw new TwinloopError('BAD_INPUT', `--role ${role} needs NATS JetStream (--nats nats://…): the gateway publishes each event on its partition's subject, the workers consume them`);
  return role;
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
    .option('--role <role>', 'all (every twin in this process: the default), worker (owns a share of the partitions; PostgreSQL and --nats) or gateway (takes events and routes each customer to its worker; docs/scale.md)', process.env.TWINLOOP_ROLE ?? 'all')
    .option('--worker-id <id>', 'a worker\'s name, unique among the workers (default: host and pid)', process.env.TWINLOOP_WORKER_ID)
    .option('--partition-stream <name>', 'JetStream stream of the partitioned events (subjects <--nats-subject>.p00 … .p63; made when missing)', process.env.TWINLOOP_PARTITION_STREAM ?? 'TWINLOOP_PARTITIONS')
    .option('--partition-stream-max-age <duration>', 'how long the partitioned stream keeps an event, set when it is made (default 7d): how long a partition may go with no worker before its oldest unread events are lost, 0 for ever; what was read is in PostgreSQL (docs/scale.md)', process.env.TWINLOOP_PARTITION_STREAM_MAX_AGE)
    .option('--keep-every <duration>', 'how often a worker looks for free partitions and gives back more than its share (default 3s)')
    .option('--model-check-every <duration>', 'how often the churn champion of the model registry is read again (a model trained through the gateway, or promoted elsewhere, is served within this) and drift checked (default 60s)')
    .option('--checkpoint-every <duration>', 'how often a worker checkpoints its partitions\' changed twins, which the next owner of a partition starts from (default 30s)')
    .option('--no-sandbox', 'run without the simulated operator (events come only from HTTP, files and the broker)')
    .option('--world <name>', 'sandbox world (default, price-war, fragile-network, small)', 'default')
    .option('--config <file>', 'sandbox world configuration file (see docs/sandbox.md)')
    .option('--customers <n>', 'override the sandbox population size', positive('--customers'))
    .option('--seed <n>', 'sandbox seed', positive('--seed'), 1)
    .option('--months <m>', 'months of history to backfill on first start', positive('--months'), 12)
    .option('--speed <x>', 'simulated time per real time in the live phase', positive('--speed'), DEFAULT_SANDBOX_SPEED)
    .option('--retention-budget <n>', 'monthly budget of the proactive churn-prevention scan (0 turns it off)', nonNegative('--retention-budget'), DEFAULT_RETENTION_BUDGET)
    .option('--policy <file>', 'action policy document (JSON, docs/policy.md) to put in force at start, unless it already is; later changes: `twinloop policy set`')
    .option('--connectors <kind>', 'the BSS actions and flows act on: sandbox (in process; the default) or http (another process at --connector-url; no in-process sandbox)', process.env.TWINLOOP_CONNECTORS)
    .option('--connector-url <url>', 'base URL of the BSS speaking the TM Forum APIs (twinloop sandbox serve prints it)', process.env.TWINLOOP_CONNECTOR_URL)
    .option('--connector-token <token>', "bearer token the BSS asks for (or TWINLOOP_CONNECTOR_TOKEN)", process.env.TWINLOOP_CONNECTOR_TOKEN)
    .option('--cors-origin <origin...>', 'let web pages of this origin (https://portal.example) call the API from a browser; repeat for more (default: none, no CORS headers)')
    .option('--rate-limit <n>', 'requests a minute each key may make to the routes that act (actions, approvals, workflows, policy, keys…); 0 turns it off', nonNegative('--rate-limit'), DEFAULT_ACTING_PER_MINUTE)
    .option('--insecure-local', 'UNSAFE: callers on loopback that present no credential act as the local admin (open mode; loopback only)')
    .option('--oidc-issuer <url>', 'also accept OpenID Connect bearer tokens of this issuer (docs/security.md)', process.env.TWINLOOP_OIDC_ISSUER)
    .option('--oidc-audience <aud>', "the audience tokens must carry (this API's client id or resource)", process.env.TWINLOOP_OIDC_AUDIENCE)
    .option('--oidc-jwks-url <url>', "the provider's JWKS URL (default: from its discovery document)")
    .option('--oidc-role-claim <path>', 'claim holding the role(s), dotted for nested ones (default roles)')
    .option('--oidc-role-map <pairs>', 'provider groups to Twinloop roles: group=role,group=role')
    .option('--oidc-client-id <id>', 'public client id the console signs in with (authorization code + PKCE)')
    .action(
      async (opts: StartOptions, command: Command) => {
        const started = Date.now();
        const global = globalOptions(command);
        const say = (line: string) => process.stdout.write(`${line}\n`);
        const auth = authSettings(opts);
        // Checked before anything starts: a bad option must not leave a started operator behind.
        const hardening = { corsOrigins: corsOrigins(opts.corsOrigin), actingPerMinute: opts.rateLimit };
        const connectors = connectorSettings(opts);
        const store = resolveStoreOptions(global, process.env);
        const role = checkRole(opts, store.kind);
        // The package's own files, before anything starts: missing, the server would fail after
        // opening the store and starting the sandbox, and never open its port.
        checkTmfSpecs();
        if (role === 'gateway') return startGatewayCommand(opts, store, say);
        const worker =
          role === 'worker'
            ? { workerId: opts.workerId ?? `${hostname()}-${process.pid}`, nats: partitionedStream(opts), ...(opts.keepEvery ? { keepEveryMs: parseDuration(opts.keepEvery, '--keep-every') } : {}), ...(opts.checkpointEvery ? { checkpointEveryMs: parseDuration(opts.checkpointEvery, '--checkpoint-every') } : {}) }
            : undefined;
        // The sandbox rebuilds a restarted world (minutes on the default world) and takes its
        // history once the edges listen: /health answers and a line says so within seconds (decision 0025).
        let listened: () => void = () => {};
        const listening = new Promise<void>((resolve) => (listened = resolve));
        const operator = await startOperator({
          sandboxAfter: listening,
          worker,
          auth,
          store,
          latenessMs: global.lateness ? parseDuration(global.lateness, '--lateness') : undefined,
          modelCheckEveryMs: opts.modelCheckEvery ? parseDuration(opts.modelCheckEvery, '--model-check-every') : undefined,
          connectors,
          sandbox: opts.sandbox && !connectors && !worker ? { config: resolveWorld(opts), worldName: opts.config ?? opts.world, seed: opts.seed, months: opts.months, speed: opts.speed, seededHistory: seededHistoryWanted(process.env) } : undefined,
          nats: opts.nats && !worker ? { url: opts.nats, stream: opts.natsStream, subject: opts.natsSubject, consumer: opts.natsConsumer } : undefined,
          // The proactive scan is population work, not yet fanned out over the workers (docs/scale.md).
          retentionBudget: worker ? 0 : opts.retentionBudget,
          actionPolicyFile: opts.policy ? { document: readPolicyFile(opts.policy), path: opts.policy } : undefined,
          log: say,
        });
        let app: ReturnType<typeof createOperatorServer>;
        let url: string;
        try {
          app = createOperatorServer(operator, { version: VERSION, logger: process.env.TWINLOOP_LOG === '1', hardening });
          url = await app.listen({ port: Number(opts.port), host: opts.host });
        } catch (err) {
          // Left running, the operator's timers, sandbox and store keep the process alive with no port open.
          listened();
          await operator.close().catch(() => {});
          throw err;
        }
        listened();
        operator.announce(url);
        if (worker) {
          const partitions = await operator.servePartitions(url);
          say(`Twinloop ${VERSION} worker ${worker.workerId} at ${url}: partitions ${partitions.partitions().map((p) => p.partition).join(', ') || '(none free yet)'} of stream ${worker.nats.stream} (${worker.nats.base}.pNN), PostgreSQL leases (decision 0012)`);
        }
        const { twins } = operator;
        say(`Twinloop ${VERSION} listening on ${url} (${twins.engine.size} twins, ${twins.recovery.eventsReplayed} events replayed, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        say(`  look here: ${url}/twins?limit=10   ${url}/health   API: ${url}/openapi.json`);
        say(`  console: ${url}/ (agent desktop: ${url}/console/assist)   MCP (streamable HTTP): ${url}/mcp`);
        if (opts.nats && !worker) say(`  taking events from NATS ${opts.nats}, stream ${opts.natsStream}, subject ${opts.natsSubject}, consumer ${opts.natsConsumer}`);
        if (connectors) say(`  BSS over HTTP: ${connectors.url} (onboard its applicants: POST ${connectors.url}/sandbox/applicants, then POST ${url}/workflows/onboarding/start)`);
        if (operator.world) say(`  a customer of the sandbox (filling in while the history loads): ${url}/twins/C000001`);
        if (operator.worldRebuilt() !== null) say(`  the sandbox's world is being rebuilt from its seed after the restart: the twins answer now; acts on its back ends answer 503 with Retry-After until it is back (${url}/health: worldRebuilt, actsHeld)`);
        const first = operator.firstAdminKey;
        if (first) {
          say(`  an admin key was made (shown this once${first.file ? `; kept, readable by you only, in ${first.file}` : ': store it now'}):`);
          say(`      ${first.key}`);
          say(`    console sign-in: ${url}/sign-in#key=${first.key}`);
          say(`    API: curl -H "Authorization: Bearer $(cat ${first.file ?? '<file>'})" ${url}/twins?limit=3   (the CLI on this machine finds the key itself; or set TWINLOOP_API_KEY)`);
          say('    a key per person and role: twinloop keys create --subject alice --role care_agent');
        } else
          say(
            `  every route but /health needs a key: the admin key made on first start ${store.kind === 'sqlite' ? "is in the data dir's admin.key" : 'was shown then (on PostgreSQL it is kept nowhere else; another: twinloop --database-url … keys create)'}; sign in at ${url}/sign-in`,
          );
        if (auth.mode === 'insecure-local') {
          say('');
          say('  !!!!!!!! INSECURE: --insecure-local: anyone on this machine can act as admin without a key !!!!!!!!');
          say('  !!!!!!!! every local process and every web page the browser opens can reach it; do not use with real data !!!!!!!!');
          say('');
        }
        if (auth.oidc) say(`  OpenID Connect: bearer tokens of ${auth.oidc.issuer} (audience ${auth.oidc.audience}) are accepted`);
        // The line a newcomer waits for: every twin present and scored, and how long each phase took.
        // Not once stopping: a readiness reached while the parts close is no news, and read after "shutdown: stopping" it misleads.
        let stopping = false;
        operator.scored.then((r) => void (stopping || say(readyLine(r, loadavg()[0]))), () => {});
        const stop = async () => {
          stopping = true;
          let code = 0;
          // Said at once: the parts can take a while to close (a checkpoint, a rebuild's day), and a silent stop reads as hung.
          say('shutdown: stopping (the edge, then each part; a second Ctrl-C or SIGTERM stops at once: what was accepted is in the store, and the next start goes on from it)');
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

/** The partitioned stream a worker or the gateway opens, from `--nats`, `--partition-stream`, `--nats-subject` and `--partition-stream-max-age`. */
function partitionedStream(opts: StartOptions): PartitionedStreamOptions {
  return { url: opts.nats!, stream: opts.partitionStream, base: opts.natsSubject, ...(opts.partitionStreamMaxAge ? { maxAgeMs: parseDuration(opts.partitionStreamMaxAge, '--partition-stream-max-age') } : {}) };
}

/** `twinloop start --role gateway`: publishes events on their partitions and routes each customer's requests to its worker (decision 0012). */
async function startGatewayCommand(opts: StartOptions, store: StoreOptions, say: (line: string) => void): Promise<void> {
  if (store.kind !== 'postgres') throw new TwinloopError('BAD_INPUT', '--role gateway needs PostgreSQL (--database-url)');
  const nats = partitionedStream(opts);
  const gateway = await startGateway({ store, nats, auth: authSettings(opts), log: say });
  const app = createGatewayServer(gateway, { version: VERSION, logger: process.env.TWINLOOP_LOG === '1', hardening: { corsOrigins: corsOrigins(opts.corsOrigin), actingPerMinute: opts.rateLimit } });
  let url: string;
  try {
    url = await app.listen({ port: Number(opts.port), host: opts.host });
  } catch (err) {
    await gateway.close().catch(() => {});
    throw err;
  }
  const owned = await gateway.owners();
  say(`Twinloop ${VERSION} gateway listening on ${url}: events published on ${nats.base}.p00…p63 (stream ${nats.stream}); ${owned.length} of 64 partitions owned by ${new Set(owned.map((o) => o.workerId)).size} workers now`);
  say(`  each customer's reads, decisions and actions go to its partition's worker (${url}/partitions/owners); 503 with Retry-After while it moves`);
  const stop = async () => {
    let code = 0;
    await app.close().catch(() => (code = 1));
    await gateway.close().catch(() => (code = 1));
    process.exit(code);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
