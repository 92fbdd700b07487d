import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testPort } from './support/test-port.js';
import { until } from './support/until.js';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}


describe('twinloop start with the sandbox operator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-start-'));
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // The budget is the sum of the waits below (backfill, first model, live events, restart), not the
  // default minute; each is generous, since CI runs it beside other e2e servers on two cores.
  it('serves a populated world that keeps moving, and picks up where it stopped after a restart', async () => {
    const port = await testPort();
    const base = `http://127.0.0.1:${port}`;
    const args = [BIN, 'start', '--port', String(port), '--data-dir', join(dir, 'data'), '--world', 'small', '--customers', '800', '--months', '8', '--speed', '86400'];
    let output = '';
    server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (output += d));
    const first = await until(async () => {
      const h = (await (await fetch(`${base}/health`)).json()) as { twins: number; appliedSeq: number };
      return output.includes('sandbox: live') && h.twins >= 300 ? h : undefined;
    }, 240_000).catch((e: Error) => {
      throw new Error(`${e.message} for "sandbox: live" and 300 twins; the server printed:\n${output.slice(-4000)}`);
    });
    // The first start made an admin key, printed it once with a sign-in link and left it to its owner alone.
    const keyFile = join(dir, 'data', 'admin.key');
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(output).toContain(`${base}/sign-in#key=${key}`);
    const authed = (url: string) => fetch(url, { headers: { authorization: `Bearer ${key}` } });
    expect((await fetch(`${base}/twins?limit=1`)).status).toBe(401);
    // A churn model is trained from the twins' history after the backfill; then every active
    // twin carries a live score with its reasons.
    const scored = await until(async () => {
      const list = (await (await authed(`${base}/twins?churned.eq=0&limit=1`)).json()) as { items: { customerId: string }[] };
      const twin = (await (await authed(`${base}/twins/${list.items[0].customerId}`)).json()) as {
        profile: unknown;
        features: { data_mb_30d: number };
        scores: { churn: { probability: number | null; reasons: { text: string }[] }; clv: { value: number } } | null;
      };
      return twin.scores ? twin : undefined;
    }, 240_000).catch((e: Error) => {
      throw new Error(`${e.message} for a scored twin; the server printed:\n${output.slice(-4000)}`);
    });
    expect(scored.profile).not.toBeNull();
    expect(scored.features.data_mb_30d).toBeGreaterThan(0);
    expect(scored.scores!.churn.probability).toBeGreaterThan(0);
    expect(scored.scores!.churn.probability).toBeLessThan(1);
    expect(scored.scores!.churn.reasons.length).toBeGreaterThan(0);
    expect(scored.scores!.clv.value).toBeGreaterThan(0);
    const models = (await (await authed(`${base}/models`)).json()) as { items: { status: string }[] };
    expect(models.items.map((m) => m.status)).toContain('champion');
    // Live: the simulated clock moves a day per real second, so more events keep arriving.
    const later = await until(async () => {
      const h = (await (await authed(`${base}/health`)).json()) as { appliedSeq: number };
      return h.appliedSeq > first.appliedSeq ? h : undefined;
    }, 120_000);
    expect(later.appliedSeq).toBeGreaterThan(first.appliedSeq);
    // One writer per store: ingesting into the running server's data dir is refused, reading is not.
    const events = join(dir, 'one.ndjson');
    writeFileSync(events, '{}\n');
    const ingest = await runCli(['ingest', events, '--data-dir', join(dir, 'data')]);
    expect(ingest.code).toBe(4);
    expect(ingest.stderr).toMatch(/a Twinloop server \(pid \d+\) runs on .*send the events to it/);
    const read = await runCli(['twin', 'C000001', '--json', '--data-dir', join(dir, 'data')]);
    expect(read.code).toBe(0);

    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));

    output = '';
    server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (output += d));
    const resumed = await until(async () => (output.includes('resumed at') ? output : undefined), 120_000);
    expect(resumed).not.toContain('backfilling');
    // The key is made once: a restart shows no new one, and the first still works.
    await until(async () => (output.includes('listening on') ? true : undefined), 120_000);
    expect(output).not.toContain(key);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
    expect((await authed(`${base}/twins?limit=1`)).status).toBe(200);
    const h = (await until(async () => (await (await authed(`${base}/health`)).json()) as { twins: number; appliedSeq: number }, 10_000));
    expect(h.appliedSeq).toBeGreaterThanOrEqual(later.appliedSeq);
  }, 900_000);
});
