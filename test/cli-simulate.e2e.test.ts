import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');

/** Runs the built CLI (npm test builds first); throws with its stderr when it fails. */
async function twinloop(args: string[]): Promise<string> {
  // The store comes from --data-dir only: a developer's TWINLOOP_DATABASE_URL must not redirect these runs.
  const env = { ...process.env, TWINLOOP_DATABASE_URL: '', TWINLOOP_DATA_DIR: '' };
  const { stdout } = await run(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

interface Estimate {
  mean: number;
  p05: number;
  p95: number;
}

describe('twinloop simulate FILE on a store the sandbox filled', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-cli-simulate-'));
    data = join(dir, 'data');
    const events = join(dir, 'events.ndjson');
    await twinloop(['sandbox', 'generate', '--world', 'small', '--customers', '300', '--months', '6', '--seed', '3', '--out', events]);
    await twinloop(['ingest', events, '--data-dir', data]);
    await twinloop(['model', 'train-twins', '--data-dir', data]);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on at most the rows asked for (--max-rows), and refuses a count it cannot use', async () => {
    // 300 customers at up to 5 monthly cutoffs: more rows than 1,000, of which a uniform 1,000 are kept.
    const out = await twinloop(['model', 'train-twins', '--customers', '0', '--max-rows', '1000', '--data-dir', data]);
    // Fitted on the earlier cutoffs' rows, validated on the latest's: 1,000 between them.
    const fitted = Number(/trained on (\d+) rows/.exec(out)?.[1]);
    const validated = Number(/, (\d+) rows\)\n/.exec(out)?.[1]);
    expect(fitted + validated).toBe(1000);
    await expect(twinloop(['model', 'train-twins', '--max-rows', '10', '--data-dir', data])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--max-rows must be an integer from 100 up/) });
  }, 300_000);

  it("carries each twin's month-to-month revenue noise, read from the log's bills and top-ups, as the server's lab does", async () => {
    // A price rise that moves no churn (elasticity 0 ± 0, the model's level fixed): both arms
    // churn alike, so without the revenue noise the interval of the revenue change holds only
    // the churn dice's few months of a 5 % difference (2,201 [2,146, 2,251] here before the fix).
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify({ kind: 'price_change', name: 'plus five', horizonMonths: 3, pricePct: 5, hazardCalibrationSd: 0, response: { kind: 'configured', elasticity: { mean: 0, sd: 0 } } }));
    const out = await twinloop(['simulate', file, '--json', '--data-dir', data]);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { scenarios: { hazardLevel?: number; overall: { treated: number; revenueDelta: Estimate; churnersAvoided: Estimate } }[] };
    const { treated, revenueDelta, churnersAvoided } = result.scenarios[0].overall;
    expect(treated).toBeGreaterThan(200);
    expect(churnersAvoided).toMatchObject({ mean: 0, p05: 0, p95: 0 });
    // The treated twins' months drawn apart in the two worlds: the interval is a good part of the change itself.
    expect(revenueDelta.p95 - revenueDelta.p05).toBeGreaterThan(0.3 * revenueDelta.mean);
    expect(revenueDelta.p05).toBeLessThan(revenueDelta.mean);
    expect(revenueDelta.p95).toBeGreaterThan(revenueDelta.mean);
    // The model was trained on several monthly cutoffs, so it carries the fall after a pick, and the
    // lab held the group at that level (the scenario's own is 1), as simulate validate does.
    const level = result.scenarios[0].hazardLevel!;
    expect(level).toBeGreaterThan(0);
    expect(level).not.toBe(1);
    expect(out).toContain(`plus five × ${level.toFixed(2)}`);
  }, 120_000);

  it("runs the README's scenario file side by side, every column of a horizon against one baseline", async () => {
    const root = resolve(import.meta.dirname, '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    // The file the README's commands name (the HTTP one and the terminal one), shipped in the repository.
    const posted = /-d @(\S+)/.exec(readme.slice(readme.indexOf('## Simulations')))![1];
    const file = /npx twinloop simulate (\S+\.json)/.exec(readme)![1];
    expect(posted).toBe(file);
    const out = await twinloop(['simulate', join(root, file), '--json', '--data-dir', data]);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { scenarios: { name: string; horizonMonths: number; overall: { churnersBaseline: Estimate; churnersAvoided: Estimate } }[] };
    const names = (JSON.parse(readFileSync(join(root, file), 'utf8')) as { scenarios: { name: string }[] }).scenarios.map((s) => s.name);
    expect(result.scenarios.map((s) => s.name)).toEqual(names);
    // Same seed and horizon: the world without any scenario is one, so "churners avoided" compares across columns.
    const six = result.scenarios.filter((s) => s.horizonMonths === 6);
    expect(six.length).toBeGreaterThanOrEqual(3);
    for (const s of six) expect(s.overall.churnersBaseline).toEqual(six[0].overall.churnersBaseline);
    expect(out).toContain('churners without');
    // The file mixes 6- and 12-month horizons: those columns do not share one baseline, and the command says so.
    expect(out).toContain('warning: The scenarios differ in horizon (bonus to heavy users: 6 months; +5 % on postpaid: 12 months;');
  }, 120_000);
});
