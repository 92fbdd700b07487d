import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './support/until.js';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');

/** `twinloop sandbox serve` as a child process on a port of its own choosing; Twinloop is not there (its history waits). */
function serve(dataDir: string): { proc: ChildProcess; output: () => string; url: Promise<string> } {
  // Nothing listens on port 9 (discard): the history waits for a Twinloop that never comes, the back ends serve.
  const proc = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'sandbox', 'serve', '--port', '0', '--world', 'small', '--customers', '200', '--months', '1', '--twinloop-url', 'http://127.0.0.1:9'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = until(async () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 60_000);
  return { proc, output: () => out, url };
}

const killed = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(undefined) : (p.once('exit', r), p.kill('SIGKILL'))));

describe('twinloop sandbox serve across a kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-serve-'));
  const procs: ChildProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await killed(p);
    rmSync(dir, { recursive: true, force: true });
  });

  it('continues the same world without --state-dir: no applicant drawn twice; a second serve on the same state is refused', async () => {
    const draw = async (url: string) => until(async () => {
      const res = await fetch(`${url}/sandbox/applicants`, { method: 'POST' });
      // 503 while a restart replays the journal.
      return res.status === 201 ? ((await res.json()) as { applicantId: string }).applicantId : undefined;
    }, 60_000);

    const first = serve(dir);
    procs.push(first.proc);
    const url1 = await first.url;
    expect(first.output()).toContain(join(dir, 'sandbox-bss'));
    const before = [await draw(url1), await draw(url1)];
    expect(before).toEqual(['A000001', 'A000002']);

    // The same state dir while the first runs: refused, naming the other process (exit 4, CONFLICT).
    const second = serve(dir);
    procs.push(second.proc);
    const code = await new Promise<number | null>((r) => second.proc.once('exit', r));
    expect(code).toBe(4);
    expect(second.output()).toMatch(/another sandbox serve \(pid \d+/);

    await killed(first.proc);
    const restarted = serve(dir);
    procs.push(restarted.proc);
    const url2 = await restarted.url;
    // The draws of the killed process were journaled before they were answered: the next is the third.
    expect(await draw(url2)).toBe('A000003');
    expect(existsSync(join(dir, 'sandbox-bss', 'sandbox.json'))).toBe(true);
  }, 180_000);
});
