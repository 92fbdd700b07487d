import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startSandboxOperatorOverHttp } from './support/bare-operator.js';

/**
 * A newcomer's second server closed its port on SIGTERM and then ran on for over two minutes
 * saying nothing: "stopping" could not be told from "hung". A part that takes long to close is
 * named while it does, and the stop says when everything is closed.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-stop-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('names the part a stop is waiting for while it waits, and says when everything is closed', async () => {
  const server = await startSandboxOperatorOverHttp(dir, { seed: 1, speed: 3600 });
  await server.operator.ready;
  // The twins' close held as a long checkpoint holds it on the default world.
  const { twins } = server.operator;
  const close = twins.close.bind(twins);
  twins.close = (o) => new Promise<void>((resolve) => setTimeout(resolve, 6_000)).then(() => close(o));
  await server.close();
  const said = server.logged.filter((l) => l.startsWith('shutdown:'));
  expect(said.some((l) => /^shutdown: still closing the twins \(their checkpoint\) \(\d+ s\)$/.test(l))).toBe(true);
  expect(said.at(-1)).toMatch(/^shutdown: everything closed in \d+ s$/);
}, 240_000);
