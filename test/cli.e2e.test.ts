import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');

/** Runs the built CLI (npm test builds first) and returns stdout, stderr and the exit code. */
async function twinloop(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const T = Date.now() - 2 * 86_400_000;

describe('twinloop CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ingests NDJSON, reports each rejected line, and shows the twin', async () => {
    const lines = [
      JSON.stringify({ id: 'r1', kind: 'customer', customerId: 'C7', time: iso(T), source: 'crm', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'voucher', since: iso(T - 86_400_000 * 30) } }),
      JSON.stringify({ id: 'u1', kind: 'usage', customerId: 'C7', time: iso(T + 1000), source: 'cdr', v: 1, data: { subscriptionId: 'S7', dataMb: 123.5, voiceMin: 2, sms: 1, roaming: false } }),
      '',
      'this is not json',
      JSON.stringify({ id: 'u2', kind: 'usage', customerId: 'C7', time: iso(T + 2000), source: 'cdr', v: 1, data: { subscriptionId: 'S7', dataMb: -1, voiceMin: 2, sms: 1, roaming: false } }),
    ];
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const data = join(dir, 'store');
    const ingest = await twinloop(['ingest', file, '--json', '--data-dir', data]);
    // The good records land; the exit code tells a script that some were refused.
    expect(ingest.code).toBe(2);
    const summary = JSON.parse(ingest.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ accepted: 2, duplicates: 0, rejected: 2 });
    expect(summary.rejections.map((r: { line: number }) => r.line)).toEqual([4, 5]);
    expect(summary.rejections[1].reason).toMatch(/^data\.dataMb/);

    const again = JSON.parse((await twinloop(['ingest', file, '--json', '--data-dir', data])).stdout.trim());
    expect(again).toMatchObject({ accepted: 0, duplicates: 2, rejected: 2 });

    const twin = await twinloop(['twin', 'C7', '--json', '--data-dir', data]);
    expect(JSON.parse(twin.stdout)).toMatchObject({ customerId: 'C7', profile: { billing: 'prepaid' }, features: { data_mb_7d: 123.5 } });
    const missing = await twinloop(['twin', 'NOBODY', '--data-dir', data]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/twin "NOBODY" not found/);

    const replay = await twinloop(['replay', '--verify', '--json', '--data-dir', data]);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ twins: 1, identical: 1, different: 0 });
  });

  it('ingests a CSV through a column mapping', async () => {
    const data = join(dir, 'csv-store');
    const reg = join(dir, 'reg.ndjson');
    writeFileSync(reg, `${JSON.stringify({ id: 'r9', kind: 'customer', customerId: '0612', time: iso(T), source: 'crm', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: iso(T - 86_400_000) } })}\n`);
    expect((await twinloop(['ingest', reg, '--data-dir', data])).code).toBe(0);
    const csv = join(dir, 'cdr.csv');
    writeFileSync(csv, `record,msisdn,at,mb,minutes,texts,roam\nx1,0612,${iso(T + 5000)},10.5,3,0,no\nx2,0612,${iso(T + 6000)},oops,1,0,no\n`);
    const map = join(dir, 'map.json');
    writeFileSync(map, JSON.stringify({ kind: 'usage', constants: { source: 'cdr', 'data.subscriptionId': 'L1' }, fields: { id: 'record', customerId: { column: 'msisdn', type: 'string' }, time: 'at', 'data.dataMb': 'mb', 'data.voiceMin': 'minutes', 'data.sms': 'texts', 'data.roaming': { column: 'roam', type: 'boolean' } } }));
    const res = await twinloop(['ingest', csv, '--csv-map', map, '--json', '--data-dir', data]);
    const summary = JSON.parse(res.stdout.trim());
    expect(summary).toMatchObject({ accepted: 1, rejected: 1 });
    expect(summary.rejections[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/^data\.dataMb/) });
  });

  it('names a missing file and exits 2', async () => {
    const res = await twinloop(['ingest', join(dir, 'nope.ndjson'), '--data-dir', join(dir, 'x')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/nope\.ndjson: no such file/);
  });
});
