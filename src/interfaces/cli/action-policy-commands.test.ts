import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACTION_POLICY } from '../../decisioning/policy/index.js';
import { twinloop } from './cli-fixtures.js';

describe('twinloop policy set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-policy-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says a file already in force is unchanged, with the version in force, and makes no new version', async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_ACTION_POLICY, fallbackMode: 'approve' }));
    const set = (reason: string) => twinloop(['--data-dir', join(dir, 'data'), 'policy', 'set', file, '--reason', reason]);
    expect(await set('unknown requests wait for a person')).toMatch(/^version {3}1 .*unknown requests wait for a person\nin force now\n$/);
    expect(await set('saved again')).toMatch(/^version {3}1 .*unknown requests wait for a person\nunchanged: the file is version 1, in force already; no new version was made\n$/);
    const history = JSON.parse(await twinloop(['--data-dir', join(dir, 'data'), 'policy', 'history', '--json'])) as { version: number }[];
    expect(history.map((v) => v.version)).toEqual([1, 0]);
  });
});
