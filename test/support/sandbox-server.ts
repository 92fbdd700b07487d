import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { until } from './until.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'twinloop.js');

/** `twinloop start` on the small sandbox world as a child process, started, killed and started again by a test. */
export interface SandboxServer {
  readonly base: string;
  /** Starts it and resolves once it listens and its sandbox runs live. */
  start(): Promise<void>;
  /** Sends `signal` and resolves once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** What the process started last has printed so far (stdout and stderr). */
  output(): string;
}

/** A server on a random port over `dataDir`, with `options` after the world's (e.g. --customers 300). */
export function sandboxServer(dataDir: string, options: string[]): SandboxServer {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const args = [BIN, 'start', '--port', String(port), '--data-dir', dataDir, '--world', 'small', ...options];
  let server: ChildProcess | undefined;
  let output = '';
  return {
    base: `http://127.0.0.1:${port}`,
    async start() {
      output = '';
      server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      server.stdout!.on('data', (d) => (output += d));
      server.stderr!.on('data', (d) => (output += d));
      await until(async () => (output.includes('listening on') && output.includes('sandbox: live') ? true : undefined), 120_000);
    },
    async stop(signal) {
      const s = server;
      if (!s) return;
      server = undefined;
      s.kill(signal);
      if (s.exitCode === null && s.signalCode === null) await new Promise((r) => s.once('exit', r));
    },
    output: () => output,
  };
}
