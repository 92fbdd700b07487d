import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConsoleAssets } from '../console/console-assets.js';
import { consoleRoutes } from './console-routes.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import { createHttpApp } from './server.js';

describe('console routes', () => {
  let dir: string;
  // Enforced: the console's pages and assets are public, everything else asks for a key.
  let local: TestAuth;
  beforeAll(async () => {
    local = await openTestAuth();
    dir = mkdtempSync(join(tmpdir(), 'twinloop-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/index-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await local.close();
  });

  it('answers the page at /, /console and every console path, and the assets with their type, cached for good', async () => {
    const app = createHttpApp({ version: 'test', auth: local.auth }, [consoleRoutes(loadConsoleAssets(dir))]);
    for (const path of ['/', '/console', '/console/overview', '/console/customers/C000001?at=2026-01-01']) {
      const res = await app.inject(path);
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('/console/assets/index-abc123.js');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    const js = await app.inject('/console/assets/index-abc123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('console.log(1)');
    expect((await app.inject('/console/assets/index-abc123.css')).headers['content-type']).toMatch(/^text\/css/);
    // A missing script is an error, not the page (which the browser would try to run as a script).
    const missing = await app.inject('/console/assets/index-old.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toMatch(/npm run build/);
    // Routes of the API are untouched: an unknown one asks who is asking first.
    expect((await app.inject('/consoles')).statusCode).toBe(401);
    expect((await app.inject({ url: '/consoles', headers: await local.bearer('viewer') })).statusCode).toBe(404);
    await app.close();
  });

  it('says how to build the console when it was not built, with 503', async () => {
    const app = createHttpApp({ version: 'test', auth: local.auth }, [consoleRoutes(loadConsoleAssets(join(dir, 'nowhere')))]);
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
  });
});
