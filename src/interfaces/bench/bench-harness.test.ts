import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { intOption } from '../cli/cli-numbers.js';
import { defineBench } from './bench-harness.js';

/** A bench that reports what it was given, as a real one reports its figures. */
const echoBench = defineBench({
  name: 'echo',
  description: 'reports its options',
  options: [
    { flags: '--rows <n>', description: 'rows', parse: intOption('--rows', 1), default: 10 },
    { flags: '--data <dir>', description: 'data folder', required: true },
    { flags: '--fast', description: 'a switch' },
  ],
  run: async (o: { rows: number; data: string; fast?: boolean }, { log }) => {
    log('working…');
    return { rows: o.rows, data: o.data, fast: o.fast ?? false };
  },
  summary: (r) => `${r.rows} rows from ${r.data}`,
  json: (r) => ({ ...r, ratio: 1 }),
});

function program(): Command {
  const root = new Command('twinloop').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  echoBench.register(root.command('bench'));
  return root;
}

/** Runs `argv` and returns what went to stdout and stderr. */
async function run(argv: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  await program().parseAsync(['node', 'twinloop', ...argv]);
  return { stdout, stderr };
}

describe('the bench harness', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints the summary on stdout and progress on stderr', async () => {
    const out = await run(['bench', 'echo', '--data', 'd']);
    expect(out).toEqual({ stdout: '10 rows from d\n', stderr: 'working…\n' });
  });

  it('with --json prints one JSON line on stdout and the summary on stderr', async () => {
    const out = await run(['bench', 'echo', '--data', 'd', '--rows', '7', '--fast', '--json']);
    expect(out.stdout).toBe('{"rows":7,"data":"d","fast":true,"ratio":1}\n');
    expect(out.stderr).toBe('working…\n7 rows from d\n');
  });

  it('refuses a missing required option and a value its parser rejects', async () => {
    await expect(run(['bench', 'echo'])).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
    await expect(run(['bench', 'echo', '--data', 'd', '--rows', '0'])).rejects.toMatchObject({ code: 'commander.invalidArgument', message: expect.stringContaining('--rows must be an integer from 1 up') });
  });
});
