import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TwinloopError } from '../../domain/errors.js';
import { Command } from 'commander';
import { callServer, requireServer, serverTarget } from './server-client.js';
import { globalOptions } from './cli-context.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A server that takes every connection and never answers: a server whose event loop is held. */
async function silentServer(): Promise<string> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.resume();
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A URL where nothing listens: a port taken and let go again. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return `http://127.0.0.1:${port}`;
}

async function failure(p: Promise<unknown>): Promise<TwinloopError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TwinloopError);
  return err as TwinloopError;
}

describe('callServer', () => {
  it('says a server that takes the connection and does not answer is slow, and where to look', async () => {
    const url = await silentServer();
    const err = await failure(callServer({ url, timeoutMs: 300 }, 'GET', '/twins?limit=5'));
    expect(err.code).toBe('OVERLOADED');
    expect(err.message).toContain(`the server at ${url} did not answer within`);
    expect(err.message).toContain('it may be busy');
    expect(err.message).toContain(`GET ${url}/health`);
    expect(err.message).toContain('TWINLOOP_TIMEOUT');
    expect(err.message).not.toContain('may still be carried out');
    expect(err.message).not.toMatch(/cannot reach|is it running/);
  });

  it('warns that an unanswered request that acts may still be carried out', async () => {
    const url = await silentServer();
    const err = await failure(callServer({ url, timeoutMs: 300 }, 'POST', '/decisions', { customerId: 'C1' }));
    expect(err.code).toBe('OVERLOADED');
    expect(err.message).toContain('the POST may still be carried out: look before sending it again');
  });

  it('says nothing listens when the connection is refused', async () => {
    const url = await closedPort();
    const err = await failure(callServer({ url }, 'GET', '/health'));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe(`nothing listens at ${url}; start the server with \`npm start\` (or \`twinloop start\`), or pass --url to the one that runs`);
  });
});

describe('requireServer', () => {
  it('answers the server given, and with none running on the data dir says how to start one and what it serves', async () => {
    const { Command } = await import('commander');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { requireServer } = await import('./server-client.js');
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-require-server-'));
    try {
      const command = new Command('x').option('--data-dir <dir>');
      command.parse(['node', 'x', '--data-dir', dir]);
      expect(requireServer(command, 'http://127.0.0.1:9')).toMatchObject({ url: 'http://127.0.0.1:9' });
      expect(() => requireServer(command, undefined, 'its tools are served at /mcp')).toThrow(
        expect.objectContaining({ code: 'UNAVAILABLE', message: 'no Twinloop server runs on this data dir; start one with `npm start` (its tools are served at /mcp) or pass --url' }),
      );
      expect(() => requireServer(command)).toThrow(/^no Twinloop server runs on this data dir; start one with `npm start` or pass --url$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a subcommand's --url", () => {
  it('reaches the server it names when the parent command has a --url too (`twinloop intent plans ID --url U` said no server runs on this data dir)', async () => {
    const seen: string[] = [];
    const program = new Command().exitOverride().option('--data-dir <dir>');
    const intent = program.command('intent').option('--url <url>');
    intent
      .command('plans <id>')
      .option('--url <url>')
      .action((_id: string, opts: { url?: string }, command: Command) => void seen.push(requireServer(command, opts.url).url));
    await program.parseAsync(['node', 'twinloop', '--data-dir', '/nonexistent/twinloop-test', 'intent', 'plans', 'i1', '--url', 'http://127.0.0.1:18809']);
    await program.parseAsync(['node', 'twinloop', '--data-dir', '/nonexistent/twinloop-test', 'intent', '--url', 'http://127.0.0.1:18808', 'plans', 'i1']);
    expect(seen).toEqual(['http://127.0.0.1:18809', 'http://127.0.0.1:18808']);
  });

  it('reaches it too for a command that finds its server itself and falls back to the store (`keys create --url U` under a `keys --url`)', async () => {
    const seen: (string | undefined)[] = [];
    const program = new Command().exitOverride().option('--data-dir <dir>');
    const keys = program.command('keys').option('--url <url>');
    keys
      .command('create')
      .option('--url <url>')
      .action((opts: { url?: string }, command: Command) => void seen.push(serverTarget(globalOptions(command), opts.url)?.url));
    await program.parseAsync(['node', 'twinloop', '--data-dir', '/nonexistent/twinloop-test', 'keys', 'create', '--url', 'http://127.0.0.1:18807']);
    await program.parseAsync(['node', 'twinloop', '--data-dir', '/nonexistent/twinloop-test', 'keys', 'create']);
    expect(seen).toEqual(['http://127.0.0.1:18807', undefined]);
  });
});
