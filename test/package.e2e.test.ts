import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TMF_SPECS } from '../src/interfaces/http/tmf/tmf-spec.js';
import { testPort } from './support/test-port.js';
import { until } from './support/until.js';

/**
 * What a user who installs the package meets: `npm pack` ships what `twinloop start` reads at run
 * time (the compiled code, the console, the TM Forum specifications), the server finds them from
 * its own files whatever the working directory, and a copy missing them fails at once, naming
 * them, instead of logging an error and never opening its port.
 */
const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

/** Runs `bin/twinloop.js start` of the package at `pkg` from the directory `cwd` until it exits (or `stop` ends it). */
function start(pkg: string, cwd: string, args: string[]) {
  const child = spawn(process.execPath, [join(pkg, 'bin', 'twinloop.js'), 'start', '--no-sandbox', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited, output: () => output };
}

describe('the installed package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-package-'));
  const children: ReturnType<typeof start>[] = [];
  afterAll(() => {
    for (const c of children) c.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships what the server reads, which starts from another directory and serves the TMF routes', async () => {
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = new Set(packed.files.map((f) => f.path));
    const needed = [
      'bin/twinloop.js',
      'dist/interfaces/cli/main.js',
      'dist/store/sqlite-append-worker.js',
      'dist/console/index.html',
      // The licence package.json names travels with the code.
      'LICENSE',
      ...Object.values(TMF_SPECS)
        .filter((s) => typeof s === 'string')
        .map((s) => `specs/tmf/${s}`),
    ];
    expect(needed.filter((f) => !files.has(f))).toEqual([]);
    expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('node_modules/'))).toEqual([]);

    // Installed: the tarball unpacked beside its dependencies (this checkout's, so no registry is needed).
    const installed = join(dir, 'installed');
    mkdirSync(installed);
    await run('tar', ['xzf', join(dir, packed.filename), '-C', installed]);
    const pkg = join(installed, 'package');
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const port = await testPort();
    const server = start(pkg, elsewhere, ['--port', String(port)]);
    children.push(server);
    const base = `http://127.0.0.1:${port}`;
    await until(async () => ((await fetch(`${base}/health`)).ok ? true : undefined), 120_000, () => `the installed server's port; it printed:\n${server.output()}`);
    const key = readFileSync(join(elsewhere, '.twinloop', 'admin.key'), 'utf8').trim();
    const offerings = await fetch(`${base}/tmf-api/productCatalogManagement/v4/productOffering`, { headers: { authorization: `Bearer ${key}` } });
    expect(offerings.status).toBe(200);
    expect(Array.isArray(await offerings.json())).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 300_000);

  it('fails at once, naming the missing specifications, when the copy has none', async () => {
    const pkg = join(dir, 'incomplete');
    mkdirSync(pkg);
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    const server = start(pkg, cwd, ['--port', String(await testPort()), '--data-dir', join(cwd, 'data')]);
    children.push(server);
    // Without the check the server logged the TMF620 error and stayed up with no port: this waits for an exit.
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('the package is incomplete');
    expect(server.output()).toContain(`${pkg}/specs/tmf/`);
    expect(server.output()).toContain('TMF620-ProductCatalog-v4.0.0.swagger.json');
  }, 120_000);
});
