import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { TwinloopError } from '../../domain/errors.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';

/** What `bench overload` measures: the server's resident memory while many clients send large bodies at once. */
export interface OverloadBenchResult {
  clients: number;
  body_mb: number;
  seconds: number;
  /** The server's resident set when idle, before the clients start (the baseline). */
  idle_rss_mb: number;
  /** The largest resident set seen while the clients sent (sampled every 100 ms). */
  max_rss_mb: number;
  ratio_max_to_idle: number;
  /** Answers by status: 200 taken, 503 refused before reading (retried after Retry-After), 0 a connection error before any answer. */
  answers: Record<string, number>;
  /** Events the server took (sum of `accepted` over the 200s). */
  events_accepted: number;
  /** Megabytes of bodies the server read and answered 200 to. */
  mb_taken: number;
}

const BIN = fileURLToPath(new URL('../../../bin/twinloop.js', import.meta.url));
const MB = 1024 * 1024;

/** One ticket update of about 640 bytes (its text padded so that a 60 MB body is under the queue's 100k records; the twin keeps only counters of it). */
function eventLine(client: number, round: number, i: number, customers: number): string {
  const customerId = `C${(i % customers) + 1}`;
  return `${JSON.stringify({ id: `o-${client}-${round}-${i}`, kind: 'ticket', customerId, time: new Date().toISOString(), source: 'bench', v: 1, data: { ticketId: `T-${client}-${i % 50}`, action: 'updated', category: 'network', severity: 'low', complaint: false, text: 'x'.repeat(440) } })}\n`;
}

/** Resident set of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * Starts the real server (open on loopback; `args` after `start`, by default without the sandbox)
 * and resolves once its output matches `ready`; `nodeArgs` go to node itself (e.g. --cpu-prof).
 */
export function startServer(dataDir: string, port: number, args: readonly string[] = ['--no-sandbox'], ready = /listening on/, nodeArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, '--data-dir', dataDir, 'start', ...args, '--insecure-local', '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      // Only the tail is kept for a refusal's message (a sandbox's server talks for as long as it runs).
      out = (out + chunk.toString()).slice(-4096);
      if (ready.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new TwinloopError('INTERNAL', `the server exited (${code}) before listening: ${out.slice(-500)}`)));
  });
}

/** POSTs one body of `bytes` (NDJSON generated while sending, never held whole); resolves with the status and the answer. */
function postBody(port: number, lines: () => Iterator<string>, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/events', method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-length': String(bytes) } });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      // The head is enough (the counts come first); the per-record answers are not kept.
      res.on('data', (c: Buffer) => (body += body.length < 4096 ? c.toString() : ''));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      if (res.statusCode !== 200) req.destroy();
    });
    req.on('error', () => answered || resolve({ status: 0, body: '' }));
    const it = lines();
    let sent = 0;
    const pump = () => {
      while (sent < bytes && !answered) {
        const next = it.next();
        // The last line is padded with spaces to the declared length (blank text is skipped by the intake).
        const chunk = next.done || sent + Buffer.byteLength(next.value) > bytes ? ' '.repeat(Math.min(64 * 1024, bytes - sent)) : next.value;
        sent += Buffer.byteLength(chunk);
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (sent >= bytes) req.end();
    };
    pump();
  });
}

export const overloadBench = defineBench<{ clients: number; mb: number; seconds: number; customers: number; port: number }, OverloadBenchResult>({
  name: 'overload',
  description: 'Resident memory of the real server while N clients send large event bodies at once (retrying after each 503)',
  options: [
    { flags: '--clients <n>', description: 'concurrent clients', parse: intOption('--clients', 1, 1_000), default: 100 },
    { flags: '--mb <n>', description: 'size of each body in MB', parse: intOption('--mb', 1, 64), default: 60 },
    { flags: '--seconds <n>', description: 'how long the clients keep sending', parse: intOption('--seconds', 1, 3_600), default: 20 },
    { flags: '--customers <n>', description: 'customers the events are about', parse: intOption('--customers', 1, 1_000_000), default: 1_000 },
    { flags: '--port <n>', description: 'port of the server under test', parse: intOption('--port', 1, 65_535), default: 18152 },
  ],
  async run(o, { log }) {
    return inTempDir('overload-bench', async (dir) => {
      const server = await startServer(dir, o.port);
      try {
        const registrations = Array.from({ length: o.customers }, (_, i) => JSON.stringify({ id: `reg-${i + 1}`, kind: 'customer', customerId: `C${i + 1}`, time: new Date(Date.now() - 60_000).toISOString(), source: 'bench', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'card', since: '2025-01-01T00:00:00Z' } })).join('\n');
        const reg = await postBody(o.port, () => registrations.split('\n').map((l) => `${l}\n`)[Symbol.iterator](), Buffer.byteLength(registrations) + o.customers);
        if (reg.status !== 200) throw new TwinloopError('INTERNAL', `registering the customers answered ${reg.status}: ${reg.body}`);
        await new Promise((r) => setTimeout(r, 1_000));
        const idle = rssMb(server.pid!);
        log(`server idle at ${idle.toFixed(0)} MB; ${o.clients} clients × ${o.mb} MB bodies for ${o.seconds} s`);
        let max = idle;
        const sampler = setInterval(() => (max = Math.max(max, server.exitCode === null ? rssMb(server.pid!) : 0)), 100);
        const answers: Record<string, number> = {};
        let accepted = 0;
        let taken = 0;
        const until = Date.now() + o.seconds * 1000;
        const bytes = o.mb * MB;
        const client = async (c: number) => {
          for (let round = 0; Date.now() < until; round++) {
            const r = await postBody(o.port, function* () {
              for (let i = 0; ; i++) yield eventLine(c, round, i, o.customers);
            }, bytes);
            answers[r.status] = (answers[r.status] ?? 0) + 1;
            if (r.status === 200) {
              accepted += Number(/"accepted":(\d+)/.exec(r.body)?.[1] ?? 0);
              taken += o.mb;
            } else await new Promise((res) => setTimeout(res, 1_000));
          }
        };
        await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c))).finally(() => clearInterval(sampler));
        log(`max resident ${max.toFixed(0)} MB; answers ${JSON.stringify(answers)}; ${accepted} events taken`);
        return { clients: o.clients, body_mb: o.mb, seconds: o.seconds, idle_rss_mb: Math.round(idle), max_rss_mb: Math.round(max), ratio_max_to_idle: Math.round((max / idle) * 100) / 100, answers, events_accepted: accepted, mb_taken: taken };
      } finally {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
    });
  },
  summary: (r) =>
    `${r.clients} clients × ${r.body_mb} MB bodies for ${r.seconds} s: server resident ${r.idle_rss_mb} MB idle, at most ${r.max_rss_mb} MB (×${r.ratio_max_to_idle}); answers ${JSON.stringify(r.answers)}; ${r.events_accepted} events in ${r.mb_taken} MB taken`,
});
