import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sandboxServer } from './sandbox-server.js';

const dir = mkdtempSync(join(tmpdir(), 'twinloop-harness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('fails at once, with the exit code and the output, when the server exits while starting', async () => {
  // An option `start` refuses: the process exits before it listens. The harness must not wait out its timeout.
  const server = sandboxServer(join(dir, 'data'), ['--customers', 'many']);
  const failure = await server.start().then(
    () => undefined,
    (err: Error) => err.message,
  );
  await server.stop('SIGKILL');
  expect(failure).toMatch(/exited before it was ready \(exit code [1-9]\d*/);
  expect(failure).toContain('--customers');
  expect(server.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});
