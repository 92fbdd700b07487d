import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { testPort } from './test-port.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'twinloop.js');
/** What `twinloop start` prints once it listens, and once its sandbox runs live. */
const READY = ['listening on', 'sandbox: live'];
/** How long a start may take: a restart replays the sandbox's journal and the twins' log, on a machine at load 30. */
const START_TIMEOUT_MS = 120_000;
/** How much of the output a failure shows (the end, where the cause is). */
const SHOWN_OUTPUT = 6_000;
/** Between tries when the port is still held (a killed server's port taken for a moment by a probe elsewhere). */
const PORT_RETRY_MS = 1_000;

/** `twinloop start` on the small sandbox world as a child process, started, killed and started again by a test. */
export interface SandboxServer {
  /** Its URL; known once `start()` has chosen the port (it keeps it across restarts). */
  readonly base: string;
  /**
   * Starts it and resolves once it listens and its sandbox runs live. Rejects at once, with its
   * output and exit code, if the process exits first, and after START_TIMEOUT_MS with its last output.
   */
  start(): Promise<void>;
  /** Sends `signal` and resolves once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** What the process started last has printed so far (stdout and stderr). */
  output(): string;
}

type Launch = { ready: true } | { ready: false; why: string };

const tail = (text: string) => (text.length > SHOWN_OUTPUT ? `…${text.slice(-SHOWN_OUTPUT)}` : text);

/** A server over `dataDir` on a port no other test server uses, with `options` after the world's (e.g. --customers 300). */
export function sandboxServer(dataDir: string, options: string[]): SandboxServer {
  let port: number | undefined;
  let server: ChildProcess | undefined;
  let output = '';

  /** Spawns the process; settles when it is ready, has exited, or `deadline` passed. */
  const launch = (deadline: number): Promise<Launch> =>
    new Promise((settle) => {
      output = '';
      const child = spawn(process.execPath, [BIN, 'start', '--port', String(port), '--data-dir', dataDir, '--world', 'small', ...options], { stdio: ['ignore', 'pipe', 'pipe'] });
      server = child;
      let done = false;
      const finish = (result: Launch) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        settle(result);
      };
      const timer = setTimeout(() => {
        const seen = READY.filter((line) => output.includes(line));
        finish({ ready: false, why: `did not print ${READY.map((l) => `"${l}"`).join(' and ')} within ${Math.round(START_TIMEOUT_MS / 1000)} s (printed: ${seen.length ? seen.join(', ') : 'neither'}; pid ${child.pid} still running)` });
      }, Math.max(0, deadline - Date.now()));
      const take = (d: Buffer) => {
        output += d;
        if (READY.every((line) => output.includes(line))) finish({ ready: true });
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      child.once('error', (err) => finish({ ready: false, why: `could not be spawned: ${err.message}` }));
      // 'close' comes after the output's last bytes, so the failure shows all of it.
      child.once('close', (code, signal) => finish({ ready: false, why: `exited before it was ready (exit code ${code}, signal ${signal})` }));
    });

  return {
    get base() {
      if (port === undefined) throw new Error('the sandbox server has no port before its first start()');
      return `http://127.0.0.1:${port}`;
    },
    async start() {
      port ??= await testPort();
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        const result = await launch(deadline);
        if (result.ready) return;
        // The port is this process's alone among the tests; anything else holding it lets go soon.
        if (/EADDRINUSE/.test(output) && Date.now() + PORT_RETRY_MS < deadline) {
          await new Promise((r) => setTimeout(r, PORT_RETRY_MS));
          continue;
        }
        throw new Error(`twinloop start on port ${port} over ${dataDir} ${result.why}; its output:\n${tail(output)}`);
      }
    },
    async stop(signal) {
      const s = server;
      if (!s) return;
      server = undefined;
      if (s.exitCode !== null || s.signalCode !== null) return;
      const gone = new Promise((r) => s.once('exit', r));
      s.kill(signal);
      await gone;
    },
    output: () => output,
  };
}
