import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TwinloopError } from '../../domain/errors.js';
import { fairShare, PARTITION_COUNT } from '../../domain/partitions.js';

const BIN = fileURLToPath(new URL('../../../bin/twinloop.js', import.meta.url));

/** How long a cluster may take to listen and settle: five Node processes starting at once on two shared cores at load 30 take about a minute. */
const START_MS = 300_000;
/** How long a process may take to stop on SIGTERM before it is killed. */
const STOP_MS = 30_000;

/** One process of a bench's cluster, with the tail of what it printed (for a failure's message). */
export interface ClusterProcess {
  readonly name: string;
  readonly child: ChildProcess;
  url?: string;
  tail: string;
}

/** Where a cluster keeps its events: its own PostgreSQL database and its own JetStream stream and subjects. */
export interface ClusterOptions {
  readonly databaseUrl: string;
  readonly nats: { readonly url: string; readonly stream: string; readonly base: string };
  /** Partition workers behind a gateway; 0 is one `--role all` process (today's single process) taking the events itself. */
  readonly workers: number;
  readonly log: (line: string) => void;
}

/** A running cluster: events and requests go to `entry` (the gateway, or the single process). */
export interface Cluster {
  readonly entry: string;
  /** The processes holding twins: the workers, or the single process. */
  readonly holders: readonly ClusterProcess[];
  /** The gateway, when there are workers. */
  readonly gateway?: ClusterProcess;
  /** Seconds from the first spawn to every partition live at its fair share (or the single process listening). */
  readonly startSeconds: number;
  stop(): Promise<void>;
}

/** How much of a process's output is kept for a failure's message. */
const TAIL_CHARS = 6_000;

/**
 * Starts one `twinloop start` process over `databaseUrl` with `args` (its role and the rest), on
 * `port` (0: one of the system's choosing), open to loopback and without the sandbox; its URL is
 * read from what it prints once it listens. The cluster tests start theirs through this too.
 */
export function spawnRole(o: { readonly databaseUrl: string; readonly port?: number }, name: string, args: readonly string[]): ClusterProcess {
  const child = spawn(process.execPath, [BIN, '--database-url', o.databaseUrl, 'start', ...args, '--port', String(o.port ?? 0), '--insecure-local', '--no-sandbox'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TWINLOOP_LOG: '0' },
  });
  const p: ClusterProcess = { name, child, tail: '' };
  const take = (d: Buffer) => {
    p.tail = (p.tail + d.toString()).slice(-TAIL_CHARS);
    p.url ??= /(?:listening on|at) (http:\/\/127\.0\.0\.1:\d+)/.exec(p.tail)?.[1];
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  return p;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new TwinloopError('UNAVAILABLE', `${url} answered ${res.status}`);
  return (await res.json()) as T;
}

async function stopAll(procs: readonly ClusterProcess[]): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      const exited = new Promise((r) => p.child.once('exit', r));
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), STOP_MS);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/**
 * Starts a gateway and `workers` partition workers (or one `--role all` process) on loopback, each
 * on a port of its own choosing, and resolves once the cluster can take events: every partition
 * live at a worker, none above its fair share, and the gateway routing to them. A process that
 * exits, or a cluster not settled within START_MS, fails naming what was seen and what each printed.
 */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const t0 = Date.now();
  const procs: ClusterProcess[] = [];
  const partitioned = ['--nats', o.nats.url, '--partition-stream', o.nats.stream, '--nats-subject', o.nats.base];
  if (o.workers === 0) procs.push(spawnRole(o, 'all', ['--role', 'all']));
  else {
    procs.push(spawnRole(o, 'gateway', ['--role', 'gateway', ...partitioned]));
    for (let w = 1; w <= o.workers; w++) procs.push(spawnRole(o, `w${w}`, ['--role', 'worker', '--worker-id', `w${w}`, '--keep-every', '500ms', ...partitioned]));
  }
  const holders = o.workers === 0 ? procs : procs.slice(1);
  const tails = () => procs.map((p) => `--- ${p.name} (${p.url ?? 'no url'}):\n${p.tail.split('\n').slice(-12).join('\n')}`).join('\n');
  const settled = async (): Promise<string | true> => {
    const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new TwinloopError('INTERNAL', `bench scale: ${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while the cluster started\n${tails()}`);
    const waiting = procs.filter((p) => !p.url).map((p) => p.name);
    if (waiting.length > 0) return `not listening yet: ${waiting.join(', ')}`;
    if (o.workers === 0) return true;
    const owners = await getJson<{ owners: { partition: number; workerId: string }[]; unowned: number[] }>(`${procs[0].url}/partitions/owners`);
    const live = await Promise.all(holders.map(async (w) => (await getJson<{ partitions: { state: string }[] }>(`${w.url}/partitions`)).partitions));
    const share = fairShare(o.workers);
    const counts = live.map((ps) => `${ps.filter((p) => p.state === 'live').length}/${ps.length}`);
    const ok = owners.owners.length === PARTITION_COUNT && live.every((ps) => ps.length > 0 && ps.length <= share && ps.every((p) => p.state === 'live')) && live.reduce((n, ps) => n + ps.length, 0) === PARTITION_COUNT;
    return ok || `partitions live/held per worker ${counts.join(', ')}, ${owners.unowned.length} unowned`;
  };
  try {
    let last: string | true = 'nothing yet';
    for (;;) {
      last = await settled().catch((err: Error) => {
        if (err instanceof TwinloopError && err.code === 'INTERNAL') throw err;
        return `error: ${err.message}`;
      });
      if (last === true) break;
      if (Date.now() - t0 > START_MS) throw new TwinloopError('INTERNAL', `bench scale: the cluster of ${o.workers} workers did not settle in ${START_MS / 1000} s; last seen: ${last}\n${tails()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await stopAll(procs);
    throw err;
  }
  const startSeconds = (Date.now() - t0) / 1000;
  o.log(`  ${o.workers === 0 ? 'one --role all process' : `a gateway and ${o.workers} workers`} settled in ${startSeconds.toFixed(1)} s`);
  return { entry: procs[0].url!, holders, ...(o.workers > 0 ? { gateway: procs[0] } : {}), startSeconds, stop: () => stopAll(procs) };
}
