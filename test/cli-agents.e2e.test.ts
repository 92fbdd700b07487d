import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');

/** Runs the built CLI (npm test builds first) and returns stdout, stderr and the exit code. */
async function twinloop(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  // The store comes from --data-dir only: a developer's TWINLOOP_DATABASE_URL must not redirect these runs.
  const env = { ...process.env, TWINLOOP_DATABASE_URL: '', TWINLOOP_DATA_DIR: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;

describe('twinloop CLI: audit, simulation, policies and benches', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-cli-agents-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies an empty audit trail as intact', async () => {
    const data = join(dir, 'audit');
    const res = await twinloop(['audit', 'verify', '--json', '--data-dir', data]);
    expect(res.code).toBe(0);
    expect(lastJson(res.stdout)).toMatchObject({ ok: true, entries: 0 });
    const human = await twinloop(['audit', 'verify', '--data-dir', data]);
    expect(human.stdout).toMatch(/audit trail intact: 0 entries/);
    const list = await twinloop(['audit', 'list', '--data-dir', data]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/no audit entries/);
  });

  it('refuses to simulate without a churn champion and says how to get one', async () => {
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify({ kind: 'price_change', name: 'plus five', horizonMonths: 6, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.02, sd: 0.01 } } }));
    const res = await twinloop(['simulate', file, '--data-dir', join(dir, 'no-model')]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/no churn champion.*twinloop model train-twins/);
  });

  it('names the scenario file and the wrong field of a bad scenario, exit 2', async () => {
    const file = join(dir, 'bad-scenario.json');
    writeFileSync(file, JSON.stringify({ scenarios: [{ kind: 'price_change', name: 'too long', horizonMonths: 40, pricePct: 5, response: { kind: 'estimated' } }] }));
    const res = await twinloop(['simulate', file, '--data-dir', join(dir, 'no-model')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(file);
    expect(res.stderr).toMatch(/scenarios\[0\]\.horizonMonths/);
    const missing = await twinloop(['simulate', join(dir, 'nowhere.json'), '--data-dir', join(dir, 'no-model')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the scenario file .*nowhere\.json/);
  });

  it('says the decision log is empty instead of estimating a policy from nothing', async () => {
    const res = await twinloop(['policy', 'evaluate', '--policy', 'greedy', '--data-dir', join(dir, 'empty-log')]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/decision log is empty/);
    const badPolicy = await twinloop(['policy', 'evaluate', '--policy', 'best-guess', '--data-dir', join(dir, 'empty-log')]);
    expect(badPolicy.code).toBe(2);
  });

  it('refuses a pilot share that is not a share, naming the option, before building any world', async () => {
    const word = await twinloop(['agent', 'evaluate', '--seeds', '1', '--pilot-share', 'a third']);
    expect(word.code).not.toBe(0);
    expect(word.stderr).toMatch(/--pilot-share must be a number ≥ 0/);
    const all = await twinloop(['agent', 'evaluate', '--seeds', '1', '--pilot-share', '1']);
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(/pilotShare must be in \[0, 1\); got 1/);
  });

  it('benchmarks the simulation engine against its bare loop', async () => {
    const res = await twinloop(['bench', 'simulate', '--twins', '20000', '--months', '3', '--draws', '10', '--json']);
    expect(res.code).toBe(0);
    const r = lastJson(res.stdout);
    expect(r).toMatchObject({ twins: 20000, months: 3, draws: 10 });
    expect(r.seconds as number).toBeGreaterThan(0);
    expect(r.twinDrawsPerSecond as number).toBeGreaterThan(0);
    expect(r.ratio as number).toBeGreaterThan(0);
  });
});
