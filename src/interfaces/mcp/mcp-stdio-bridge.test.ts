import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../../domain/errors.js';
import { runStdioBridge } from './mcp-stdio-bridge.js';

describe('twinloop mcp (the stdio bridge)', () => {
  it('says nothing listens when the server is stopped, as every other command does', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const url = `http://127.0.0.1:${port}`;
    const err = await runStdioBridge({ url }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TwinloopError);
    expect((err as TwinloopError).code).toBe('UNAVAILABLE');
    expect((err as TwinloopError).message).toBe(`nothing listens at ${url}; start the server with \`npm start\` (or \`twinloop start\`), or pass --url to the one that runs`);
  });
});
